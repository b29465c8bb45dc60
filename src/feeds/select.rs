//! Which events each feed holds, and which events a feed cannot express.

use chrono::{DateTime, Datelike, FixedOffset, Offset, Utc};
use chrono_tz::Tz;

use crate::entry::{DocumentId, PublicKey};
use crate::materialize::{Event, Model, RequestState, Resource};

/// The festival `festival` and its nested festivals, parents first.
pub fn festival_tree(model: &Model, festival: DocumentId) -> Vec<DocumentId> {
    let mut festivals = vec![festival];
    let mut next = 0;
    while next < festivals.len() {
        if let Some(f) = model.festivals.get(&festivals[next]) {
            for child in &f.children {
                if !festivals.contains(child) {
                    festivals.push(*child);
                }
            }
        }
        next += 1;
    }
    festivals
}

/// The live and deleted events of `festival` and its nested festivals, by
/// start then id.
pub fn festival_events(model: &Model, festival: DocumentId) -> Vec<&Event> {
    let festivals = festival_tree(model, festival);
    let mut events: Vec<&Event> = model
        .events
        .values()
        .filter(|e| festivals.contains(&e.festival))
        .collect();
    events.sort_by_key(|e| (e.start, e.id));
    events
}

/// The locations an event takes place at: the resources with a place it
/// requests and was not denied, confirmed ones first, then in request
/// order, each once.
pub fn event_places<'m>(model: &'m Model, event: &Event) -> Vec<&'m Resource> {
    let mut requests: Vec<_> = event
        .requests
        .iter()
        .filter(|r| r.state != RequestState::Denied)
        .collect();
    requests.sort_by_key(|r| r.state != RequestState::Confirmed);
    let mut places: Vec<&Resource> = Vec::new();
    for resource in requests
        .into_iter()
        .filter_map(|r| model.resources.get(&r.resource))
    {
        if resource.location.is_some() && !places.iter().any(|p| p.id == resource.id) {
            places.push(resource);
        }
    }
    places
}

/// The locations of a site: resources with a place that are offered at the
/// festival tree or requested by one of `events`, by id.
pub fn site_locations<'m>(
    model: &'m Model,
    festival: DocumentId,
    events: &[&Event],
) -> Vec<&'m Resource> {
    let festivals = festival_tree(model, festival);
    model
        .resources
        .values()
        .filter(|r| r.location.is_some())
        .filter(|r| {
            festivals.contains(&r.festival)
                || events
                    .iter()
                    .any(|e| e.requests.iter().any(|q| q.resource == r.id))
        })
        .collect()
}

/// The events of `events` that take place at `location` (see
/// [`event_places`]).
pub fn location_events<'e>(
    model: &Model,
    location: DocumentId,
    events: &[&'e Event],
) -> Vec<&'e Event> {
    events
        .iter()
        .copied()
        .filter(|e| event_places(model, e).iter().any(|p| p.id == location))
        .collect()
}

/// The events of `events` that `host` created.
pub fn person_events<'e>(host: &PublicKey, events: &[&'e Event]) -> Vec<&'e Event> {
    events
        .iter()
        .copied()
        .filter(|e| e.author == *host)
        .collect()
}

/// Why `event` cannot be written to a feed, if it cannot: RFC 5545
/// DATE-TIME and RFC 3339 need four-digit years (in UTC and in `zone`), and
/// the frab XSD and RFC 3339 need UTC offsets in whole minutes (historic
/// local mean times have seconds).
pub fn inexpressible(event: &Event, zone: Tz) -> Option<String> {
    for (name, at) in [("start", event.start), ("end", event.end)] {
        if let Some(why) = inexpressible_time(at, zone) {
            return Some(format!("its {name} {}: {why}", at.to_rfc3339()));
        }
    }
    None
}

/// [`inexpressible`] for one instant.
pub fn inexpressible_time(at: DateTime<FixedOffset>, zone: Tz) -> Option<String> {
    let utc = at.with_timezone(&Utc);
    let local = at.with_timezone(&zone);
    if !(1..=9999).contains(&utc.year()) || !(1..=9999).contains(&local.year()) {
        return Some("the year is outside 0001-9999 in UTC or in the festival's time zone".into());
    }
    let offset = local.offset().fix().local_minus_utc();
    if offset % 60 != 0 {
        return Some(format!(
            "{zone} is {offset} seconds from UTC then, not a whole number of minutes"
        ));
    }
    None
}
