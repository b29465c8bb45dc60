//! iCalendar (RFC 5545) written with the `icalendar` crate, which escapes
//! TEXT values; lines are folded again by [`super::fold`] at 75 octets.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::Utc;
use chrono_tz::Tz;
use icalendar::{Calendar, Component, Event as VEvent, EventLike, EventStatus, Property};

use super::fold::refold;
use super::select::event_places;
use super::text::{markdown_to_text, one_line};
use crate::entry::DocumentId;
use crate::materialize::{Event, Model, RequestState};
use crate::operation::Location;

/// The product id written into every calendar.
pub const PRODID: &str = "-//pandafest//pandafest//EN";

/// Writes VCALENDARs for events of one model.
pub struct CalendarFeed<'a> {
    /// The festival model.
    pub model: &'a Model,
    /// The site's absolute http(s) base URL ending in `/` (see
    /// [`super::http_base`]), for each event's URL property.
    pub base_url: Option<&'a str>,
    /// The festival's time zone, announced as `X-WR-TIMEZONE` so that
    /// calendar apps show the UTC times in it.
    pub time_zone: Option<Tz>,
    /// Room names by location, as in `schedule.xml` ([`super::Plan::rooms`]);
    /// a location not in it is named by its title.
    pub rooms: BTreeMap<DocumentId, String>,
}

/// The last line of every VCALENDAR.
pub const CALENDAR_END: &str = "END:VCALENDAR\r\n";

impl CalendarFeed<'_> {
    /// A VCALENDAR named `name` with one VEVENT per event (see
    /// [`CalendarFeed::vevent`]), as RFC 5545 text with CRLF line ends:
    /// [`CalendarFeed::header`], the VEVENTs, then [`CALENDAR_END`]. Events
    /// the writer cannot express must be left out before (see
    /// [`super::inexpressible`]).
    pub fn calendar(&self, name: &str, events: &[&Event]) -> String {
        let mut ics = self.header(name);
        for event in events {
            ics.push_str(&self.vevent(event, &description(event)));
        }
        ics.push_str(CALENDAR_END);
        ics
    }

    /// The lines of a VCALENDAR named `name` before its first VEVENT, folded
    /// (RFC 5545 text, CRLF line ends): VERSION, PRODID, CALSCALE, NAME
    /// (RFC 7986), X-WR-CALNAME and X-WR-TIMEZONE.
    pub fn header(&self, name: &str) -> String {
        let name = one_line(name);
        let mut properties = vec![
            // The crate writes NAME (RFC 7986) unescaped, X-WR-CALNAME escaped.
            Property::new("NAME", escape_text(&name)),
            Property::new("X-WR-CALNAME", name),
        ];
        if let Some(zone) = self.time_zone {
            properties.push(Property::new("X-WR-TIMEZONE", zone.name()));
        }
        let mut lines = String::new();
        for property in properties {
            let line: String = property
                .try_into()
                .expect("a property writes into a string");
            lines.push_str(&line);
        }
        calendar_start().to_owned() + &refold(&lines)
    }

    /// The VEVENT of `event`, folded (RFC 5545 text, CRLF line ends), with
    /// `description` as its DESCRIPTION when not empty: the event's
    /// subtitle, abstract and description, each Markdown flattened to plain
    /// text, separated by blank lines. Times are UTC (never floating);
    /// DTSTAMP is the event's start, so the same logs give the same bytes;
    /// SEQUENCE counts the event's updates; STATUS is CONFIRMED when every
    /// requested resource is confirmed, TENTATIVE otherwise, CANCELLED for a
    /// deleted event. LOCATION is the event's room (its first place, see
    /// [`super::event_places`]), with GEO for a GPS place; RESOURCES lists
    /// the other requested resources that were not denied.
    pub fn vevent(&self, event: &Event, description: &str) -> String {
        let id = event.id.to_string();
        let mut vevent = VEvent::new();
        vevent
            .uid(&format!("{id}@pandafest"))
            .timestamp(event.start.with_timezone(&Utc))
            .starts(event.start.with_timezone(&Utc))
            .ends(event.end.with_timezone(&Utc))
            .sequence(event.version.sequence)
            .summary(&one_line(&event.title))
            .status(if event.version.deleted {
                EventStatus::Cancelled
            } else if event.confirmed_percent() == 100 {
                EventStatus::Confirmed
            } else {
                EventStatus::Tentative
            });
        if !description.is_empty() {
            vevent.description(description);
        }
        let tags: Vec<String> = event
            .tags
            .iter()
            .map(|t| one_line(t))
            .filter(|t| !t.is_empty())
            .collect();
        if !tags.is_empty() {
            vevent.categories(tags);
        }
        let places = event_places(self.model, event);
        if let Some(place) = places.first() {
            let name = self
                .rooms
                .get(&place.id)
                .cloned()
                .unwrap_or_else(|| one_line(&place.title));
            vevent.location(&name);
        }
        let place = places.first().map(|p| p.id);
        let resources: Vec<String> = event
            .requests
            .iter()
            .filter(|r| r.state != RequestState::Denied && Some(r.resource) != place)
            .filter_map(|r| self.model.resources.get(&r.resource))
            .map(|r| one_line(&r.title))
            .filter(|t| !t.is_empty())
            .collect();
        if !resources.is_empty() {
            vevent.resources(resources);
        }
        if let Some((lat, lon)) = places.first().and_then(|p| match p.location {
            Some(Location::Gps { lat, lon }) => Some((lat, lon)),
            _ => None,
        }) {
            vevent.add_property("GEO", format!("{lat:.6};{lon:.6}"));
        }
        if let Some(base) = self.base_url {
            vevent.url(&format!("{base}events/{id}/"));
        }
        refold(&Component::to_string(&vevent.done()))
    }
}

/// The lines every VCALENDAR starts with, folded: BEGIN, VERSION, PRODID
/// and CALSCALE.
fn calendar_start() -> &'static str {
    static START: OnceLock<String> = OnceLock::new();
    START.get_or_init(|| {
        let mut calendar = Calendar::empty();
        calendar.append_property(("VERSION", "2.0"));
        calendar.append_property(("PRODID", PRODID));
        calendar.append_property(("CALSCALE", "GREGORIAN"));
        let ics = calendar.done().to_string();
        refold(ics.strip_suffix(CALENDAR_END).unwrap_or(&ics))
    })
}

/// The plain-text DESCRIPTION of `event`: subtitle, abstract and
/// description, each Markdown flattened, separated by blank lines.
pub(super) fn description(event: &Event) -> String {
    let subtitle = event.subtitle.as_deref().map(one_line);
    let summary = event.summary.as_deref().map(markdown_to_text);
    join_description([
        subtitle.as_deref(),
        summary.as_deref(),
        Some(&markdown_to_text(&event.description)),
    ])
}

/// [`description`] from its parts already flattened (subtitle on one line,
/// abstract and description as plain text): the parts that are not empty,
/// separated by blank lines.
pub(super) fn join_description(parts: [Option<&str>; 3]) -> String {
    parts
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// RFC 5545 §3.3.11 TEXT escaping: backslash, comma, semicolon, newline.
pub fn escape_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
        .replace('\n', "\\n")
}

#[cfg(test)]
#[path = "ical_tests.rs"]
mod tests;
