//! iCalendar (RFC 5545) written with the `icalendar` crate, which folds
//! lines at 75 octets on character boundaries and escapes TEXT values.

use chrono::Utc;
use icalendar::{Calendar, Component, Event as VEvent, EventLike, EventStatus};

use super::text::{clean_text, markdown_to_text};
use crate::entry::DocumentId;
use crate::materialize::{Event, Model};
use crate::operation::Location;

/// The product id written into every calendar.
pub const PRODID: &str = "-//pandafest//pandafest//EN";

/// The live and deleted events of `festival` and its nested festivals, by
/// start then id.
pub fn festival_events(model: &Model, festival: DocumentId) -> Vec<&Event> {
    let mut festivals = vec![festival];
    let mut next = 0;
    while next < festivals.len() {
        if let Some(f) = model.festivals.get(&festivals[next]) {
            festivals.extend(
                f.children
                    .iter()
                    .filter(|c| !festivals.contains(c))
                    .copied()
                    .collect::<Vec<_>>(),
            );
        }
        next += 1;
    }
    let mut events: Vec<&Event> = model
        .events
        .values()
        .filter(|e| festivals.contains(&e.festival))
        .collect();
    events.sort_by_key(|e| (e.start, e.id));
    events
}

/// Writes VCALENDARs for events of one model.
pub struct CalendarFeed<'a> {
    /// The festival model.
    pub model: &'a Model,
    /// The site's absolute base URL, for each event's URL property.
    pub base_url: Option<&'a str>,
}

impl CalendarFeed<'_> {
    /// A VCALENDAR named `name` with one VEVENT per event. Times are UTC
    /// (never floating); DTSTAMP is the event's start, so the same logs give
    /// the same bytes; SEQUENCE counts the event's updates; STATUS is
    /// CONFIRMED when every requested resource is confirmed, TENTATIVE
    /// otherwise, CANCELLED for a deleted event.
    pub fn calendar(&self, name: &str, events: &[&Event]) -> String {
        let mut calendar = Calendar::empty();
        calendar.append_property(("VERSION", "2.0"));
        calendar.append_property(("PRODID", PRODID));
        calendar.append_property(("CALSCALE", "GREGORIAN"));
        calendar.name(&clean_text(name));
        for event in events {
            calendar.push(self.vevent(event));
        }
        calendar.done().to_string()
    }

    fn vevent(&self, event: &Event) -> VEvent {
        let mut vevent = VEvent::new();
        vevent
            .uid(&format!("{}@pandafest", event.id))
            .timestamp(event.start.with_timezone(&Utc))
            .starts(event.start.with_timezone(&Utc))
            .ends(event.end.with_timezone(&Utc))
            .sequence(event.version.sequence)
            .summary(&clean_text(&event.title))
            .status(if event.version.deleted {
                EventStatus::Cancelled
            } else if event.confirmed_percent() == 100 {
                EventStatus::Confirmed
            } else {
                EventStatus::Tentative
            });
        let mut description = markdown_to_text(&event.description);
        if let Some(subtitle) = &event.subtitle {
            description = format!("{}\n\n{description}", clean_text(subtitle));
        }
        if !description.is_empty() {
            vevent.description(&description);
        }
        if !event.tags.is_empty() {
            vevent.categories(event.tags.iter().map(|t| clean_text(t)));
        }
        let places: Vec<_> = event
            .requests
            .iter()
            .filter_map(|r| self.model.resources.get(&r.resource))
            .filter(|r| r.location.is_some())
            .collect();
        if !places.is_empty() {
            let names: Vec<String> = places.iter().map(|p| clean_text(&p.title)).collect();
            vevent.location(&names.join(", "));
        }
        if let Some((lat, lon)) = places.iter().find_map(|p| match p.location {
            Some(Location::Gps { lat, lon }) => Some((lat, lon)),
            _ => None,
        }) {
            vevent.add_property("GEO", format!("{lat:.6};{lon:.6}"));
        }
        if let Some(base) = self.base_url {
            vevent.url(&format!(
                "{}/events/{}/",
                base.trim_end_matches('/'),
                event.id
            ));
        }
        vevent.done()
    }
}
