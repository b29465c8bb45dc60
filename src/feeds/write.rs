//! Writes every feed of a site into the output.

use std::collections::{BTreeMap, BTreeSet};

use super::ical::CalendarFeed;
use super::plan::Plan;
use super::schedule_json::schedule_json;
use super::schedule_xml::schedule_xml;
use super::select::{
    event_places, festival_events, inexpressible, inexpressible_time, site_locations,
};
use super::text::http_base;
use crate::entry::{DocumentId, PublicKey};
use crate::materialize::{Event, Model};
use crate::render::{Output, OutputError, RenderSettings};

/// Writes the feeds of `settings.festival` (with its nested festivals) into
/// `output`:
///
/// - `calendar.ics`: every live event (RFC 5545, times in UTC);
/// - `events/<id>.ics` for every event, deleted ones as STATUS CANCELLED;
/// - `locations/<id>.ics` for every location of the site: the live events
///   that take place there (requested and not denied);
/// - `people/<public key>.ics` for everyone who created an event: the live
///   events they host;
/// - `schedule.xml` (frab, C3VOC XSD) and `schedule.json` (v1 JSON schema),
///   with days from `settings.day_change` in the festival's time zone.
///
/// `settings.base_url`, when an http(s) URL, makes event URLs absolute;
/// without it the iCalendar URL property is left out. An event whose times
/// a feed cannot express is left out of every feed, with a warning naming
/// it. Nothing is written when the festival is unknown.
///
/// Errors: [`OutputError`] if a file cannot be written.
pub fn write_feeds(
    model: &Model,
    settings: &RenderSettings,
    output: &mut Output,
) -> Result<(), OutputError> {
    let started = std::time::Instant::now();
    let Some(root) = model.festivals.get(&settings.festival) else {
        return Ok(());
    };
    let zone = root.time_zone;
    let base = http_base(settings.base_url.as_deref());
    let events: Vec<&Event> = festival_events(model, root.id)
        .into_iter()
        .filter(|event| match inexpressible(event, zone) {
            None => true,
            Some(why) => {
                tracing::warn!(
                    "feeds: left out event {} (“{}”): {why}",
                    event.id,
                    event.title
                );
                false
            }
        })
        .collect();
    let live: Vec<&Event> = events
        .iter()
        .copied()
        .filter(|e| !e.version.deleted)
        .collect();
    let unplaceable = [root.start, root.end]
        .into_iter()
        .find_map(|at| inexpressible_time(at, zone));
    let plan = match (live.is_empty(), unplaceable) {
        (true, Some(why)) => {
            tracing::warn!(
                "feeds: no schedule.xml or schedule.json for festival {}: {why}",
                root.id
            );
            None
        }
        _ => Some(Plan::new(
            model,
            root,
            &live,
            settings.day_change,
            base.as_deref(),
        )),
    };
    let feed = CalendarFeed {
        model,
        base_url: base.as_deref(),
        time_zone: Some(zone),
        rooms: plan
            .iter()
            .flat_map(|p| &p.rooms)
            .filter_map(|r| Some((r.location?, r.name.clone())))
            .collect(),
    };
    output.write("calendar.ics", feed.calendar(&root.name, &live))?;
    for event in &events {
        output.write(
            &format!("events/{}.ics", event.id),
            feed.calendar(&event.title, &[event]),
        )?;
    }
    let mut at: BTreeMap<DocumentId, Vec<&Event>> = BTreeMap::new();
    let mut by: BTreeMap<PublicKey, Vec<&Event>> = BTreeMap::new();
    for event in &live {
        for place in event_places(model, event) {
            at.entry(place.id).or_default().push(event);
        }
        by.entry(event.author).or_default().push(event);
    }
    for location in site_locations(model, root.id, &live) {
        let here = at.get(&location.id).map_or(&[][..], Vec::as_slice);
        let path = format!("locations/{}.ics", location.id);
        output.write(&path, feed.calendar(&location.title, here))?;
    }
    // Everyone with an event gets a feed, even if it cannot hold that event.
    let hosts: BTreeSet<PublicKey> = festival_events(model, root.id)
        .iter()
        .map(|e| e.author)
        .collect();
    for host in hosts {
        let name = model
            .people
            .get(&host)
            .map_or_else(|| host.short(), |p| p.name());
        let hosted = by.get(&host).map_or(&[][..], Vec::as_slice);
        let path = format!("people/{}.ics", host.to_hex());
        output.write(&path, feed.calendar(&name, hosted))?;
    }
    if let Some(plan) = &plan {
        output.write("schedule.xml", schedule_xml(plan))?;
        output.write("schedule.json", schedule_json(plan))?;
    }
    tracing::debug!(elapsed = ?started.elapsed(), "feeds");
    Ok(())
}
