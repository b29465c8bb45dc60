//! `screen/data.json`: the compact subset of the model the screen needs.

use chrono::{DateTime, FixedOffset, NaiveTime, TimeZone};
use serde::Serialize;

use crate::days::days_between;
use crate::feeds::{event_places, festival_events, one_line, site_locations};
use crate::materialize::{Event, Festival, Model, RequestState};

/// The version of the data's layout; the screen's script reads this one.
pub const DATA_FORMAT: u32 = 1;

/// The most schedule days listed: a festival that claims to last for
/// years gets its first ones only.
pub const MAX_DAYS: usize = 400;

/// What `screen/data.json` holds. Every time is in Unix seconds (UTC); the
/// screen shows them in `zone`.
#[derive(Debug, Serialize)]
pub struct ScreenData {
    /// [`DATA_FORMAT`].
    pub format: u32,
    /// The festival's name, on one line.
    pub festival: String,
    /// The festival's IANA time zone.
    pub zone: String,
    /// The schedule days from the festival's start to its end, in order,
    /// at most [`MAX_DAYS`].
    pub days: Vec<ScreenDay>,
    /// The festival's locations, by name then id.
    pub locations: Vec<ScreenLocation>,
    /// The events that take place at one of `locations`, by start then id;
    /// cancelled ones included.
    pub events: Vec<ScreenEvent>,
}

/// One schedule day, from one day change to the next.
#[derive(Debug, Serialize)]
pub struct ScreenDay {
    /// `2027-07-16`.
    pub date: String,
    /// Its first instant.
    pub start: i64,
    /// The first instant of the next day.
    pub end: i64,
}

/// A location.
#[derive(Debug, Serialize)]
pub struct ScreenLocation {
    /// Its document id (what `?location=` names).
    pub id: String,
    /// Its title, on one line.
    pub name: String,
}

/// An event, as the screen shows it.
#[derive(Debug, Serialize)]
pub struct ScreenEvent {
    /// Its title, on one line.
    pub title: String,
    /// Start.
    pub start: i64,
    /// End.
    pub end: i64,
    /// Indexes into [`ScreenData::locations`].
    pub at: Vec<usize>,
    /// The hosts: the event's persons, else its author's name.
    pub people: Vec<String>,
    /// Confirmed requests in whole percent ([`Event::confirmed_percent`]).
    pub percent: u32,
    /// Requested resources.
    pub requested: usize,
    /// Requests in conflict with an earlier confirmed event.
    pub conflicts: usize,
    /// Whether it was cancelled (deleted).
    pub cancelled: bool,
    /// The start it was first announced with, when it moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<i64>,
}

/// The screen's data for the site of `festival`, with schedule days that
/// turn at `day_change` (local time).
pub fn screen_data(model: &Model, festival: &Festival, day_change: NaiveTime) -> ScreenData {
    let events = festival_events(model, festival.id);
    let mut locations = site_locations(model, festival.id, &events);
    locations.sort_by(|a, b| (&a.title, a.id).cmp(&(&b.title, b.id)));
    let index = |id| locations.iter().position(|l| l.id == id);
    let screen_events: Vec<ScreenEvent> = events
        .iter()
        .filter_map(|event| {
            let at: Vec<usize> = event_places(model, event)
                .iter()
                .filter_map(|place| index(place.id))
                .collect();
            (!at.is_empty()).then(|| screen_event(model, event, at))
        })
        .collect();
    let zone = festival.time_zone;
    let days = days_between(festival.start, festival.end, zone, day_change)
        .into_iter()
        .take(MAX_DAYS)
        .map(|date| {
            let bound = |date: chrono::NaiveDate| {
                let local = date.and_time(day_change);
                zone.from_local_datetime(&local)
                    .earliest()
                    .or_else(|| {
                        zone.from_local_datetime(&(local + chrono::Duration::hours(1)))
                            .earliest()
                    })
                    .map(|t| t.timestamp())
                    .unwrap_or_else(|| local.and_utc().timestamp())
            };
            ScreenDay {
                date: date.format("%Y-%m-%d").to_string(),
                start: bound(date),
                end: bound(date.succ_opt().unwrap_or(date)),
            }
        })
        .collect();
    ScreenData {
        format: DATA_FORMAT,
        festival: one_line(&festival.name),
        zone: zone.name().to_owned(),
        days,
        locations: locations
            .iter()
            .map(|l| ScreenLocation {
                id: l.id.to_string(),
                name: one_line(&l.title),
            })
            .collect(),
        events: screen_events,
    }
}

fn screen_event(model: &Model, event: &Event, at: Vec<usize>) -> ScreenEvent {
    let people = match event.persons.is_empty() {
        true => model
            .people
            .get(&event.author)
            .map(|p| vec![one_line(&p.name())])
            .unwrap_or_default(),
        false => event.persons.iter().map(|p| one_line(p)).collect(),
    };
    let seconds = |t: DateTime<FixedOffset>| t.timestamp();
    ScreenEvent {
        title: one_line(&event.title),
        start: seconds(event.start),
        end: seconds(event.end),
        at,
        people,
        percent: event.confirmed_percent(),
        requested: event.requests.len(),
        conflicts: event
            .requests
            .iter()
            .filter(|r| matches!(r.state, RequestState::Conflict { .. }))
            .count(),
        cancelled: event.version.deleted,
        moved_from: event.moved_from.map(seconds),
    }
}
