//! Pieces of a [`super::Plan`]: room names, event ids, event types, day
//! boundaries and the time slot.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;

use super::plan::Room;
use super::select::event_places;
use super::slot::{Slot, guid};
use super::text::one_line;
use crate::entry::DocumentId;
use crate::materialize::{Event, Model};

/// The room of events without a location.
pub const ELSEWHERE: &str = "Elsewhere";

/// Event types apps know (C3VOC examples, frab and pretalx defaults); a
/// tag naming one of them, in any case, becomes the event's type.
const KINDS: &[&str] = &[
    "talk",
    "lecture",
    "workshop",
    "hands-on",
    "meeting",
    "discussion",
    "game",
    "panel",
    "keynote",
    "lightning talk",
    "performance",
    "concert",
    "music",
    "film",
    "movie",
    "podcast",
    "party",
    "sport",
    "contest",
    "tour",
    "other",
];

/// The rooms `events` use, by name: a location is named after its title
/// (made unique with its short id when two share one), events without a
/// location meet in [`ELSEWHERE`], last. `None` stands for that room.
pub fn room_names(
    model: &Model,
    festival: DocumentId,
    events: &[&Event],
) -> Vec<(Option<DocumentId>, Room)> {
    let used: BTreeSet<Option<DocumentId>> = events
        .iter()
        .map(|e| event_places(model, e).first().map(|p| p.id))
        .collect();
    let mut rooms: Vec<(Option<DocumentId>, String)> = used
        .iter()
        .map(|place| {
            let name = match place.and_then(|id| model.resources.get(&id)) {
                Some(resource) => one_line(&resource.title),
                None => ELSEWHERE.to_owned(),
            };
            let name = if name.is_empty() {
                format!("Location {}", place.map(|p| p.short()).unwrap_or_default())
            } else {
                name
            };
            (*place, name)
        })
        .collect();
    rooms.sort_by(|a, b| (a.0.is_none(), &a.1, a.0).cmp(&(b.0.is_none(), &b.1, b.0)));
    let names: Vec<String> = rooms.iter().map(|(_, name)| name.clone()).collect();
    rooms
        .into_iter()
        .map(|(place, name)| {
            let shared = names.iter().filter(|n| **n == name).count() > 1;
            let name = match (place, shared) {
                (Some(id), true) => format!("{name} ({})", id.short()),
                (None, true) => format!("{name} (no location)"),
                (_, false) => name,
            };
            let guid = match place {
                Some(id) => guid("location", &id.to_hex()),
                None => guid("elsewhere", &festival.to_hex()),
            };
            let room = Room {
                name,
                guid,
                location: place,
            };
            (place, room)
        })
        .collect()
}

/// A positive id below 2^31 for each event, in the order given: the first
/// four bytes of its document id; on a clash, the next free number (events
/// taken by document id, so the same events always get the same ids).
pub fn event_ids(events: &[&Event]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|i| events[*i].id);
    let mut taken = BTreeSet::new();
    let mut ids = vec![0; events.len()];
    for i in order {
        let bytes = events[i].id.0;
        let mut id =
            (u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) & 0x7fff_ffff).max(1);
        while !taken.insert(id) {
            id = id % 0x7fff_ffff + 1;
        }
        ids[i] = id;
    }
    ids
}

/// The event's type and track from its tags: the type is the first tag that
/// names a known kind (else `other`), the track the first other tag.
pub fn event_kind(tags: &[String]) -> (String, Option<String>) {
    let tags: Vec<String> = tags
        .iter()
        .map(|t| one_line(t))
        .filter(|t| !t.is_empty())
        .collect();
    let kind = tags
        .iter()
        .position(|t| KINDS.contains(&t.to_lowercase().as_str()));
    let track = tags
        .iter()
        .enumerate()
        .find(|(i, _)| Some(*i) != kind)
        .map(|(_, t)| t.clone());
    (
        kind.map_or_else(|| "other".to_owned(), |i| tags[i].clone()),
        track,
    )
}

/// The instant of the local `time` on `date` in `zone`: the earlier one
/// when clocks go back, the first valid minute after it when they skip it.
pub fn local_instant(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Tz> {
    let local = date.and_time(time);
    (0..=180)
        .find_map(|minutes| {
            zone.from_local_datetime(&(local + Duration::minutes(minutes)))
                .earliest()
        })
        .unwrap_or_else(|| zone.from_utc_datetime(&local))
}

/// The largest of 60, 30, 15, 10, 5 and 1 minutes that divides the local
/// minute of every start and every duration; 15 without events.
pub fn timeslot_minutes(slots: &[&Slot]) -> i64 {
    if slots.is_empty() {
        return 15;
    }
    [60, 30, 15, 10, 5]
        .into_iter()
        .find(|step| {
            slots.iter().all(|s| {
                i64::from(s.start.minute()) % step == 0
                    && (s.end - s.start).num_minutes() % step == 0
            })
        })
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::fixture::{add_event, id, model};

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn takes_type_and_track_from_tags() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            event_kind(&tags(&["Security", "Talk"])),
            ("Talk".into(), Some("Security".into()))
        );
        assert_eq!(
            event_kind(&tags(&["outdoors", "safety"])),
            ("other".into(), Some("outdoors".into()))
        );
        assert_eq!(event_kind(&tags(&["workshop"])), ("workshop".into(), None));
        assert_eq!(event_kind(&[]), ("other".into(), None));
    }

    #[test]
    fn day_boundaries_follow_dst() {
        let four = NaiveTime::from_hms_opt(4, 0, 0).unwrap();
        let day = |d: &str| local_instant(BERLIN, d.parse().unwrap(), four).to_rfc3339();
        assert_eq!(day("2027-10-30"), "2027-10-30T04:00:00+02:00");
        assert_eq!(day("2027-10-31"), "2027-10-31T04:00:00+01:00");
        // 02:30 does not exist on 28 March 2027; 02:30 on 31 October twice.
        let half_two = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        let at = |d: &str| local_instant(BERLIN, d.parse().unwrap(), half_two).to_rfc3339();
        assert_eq!(at("2027-03-28"), "2027-03-28T03:00:00+02:00");
        assert_eq!(at("2027-10-31"), "2027-10-31T02:30:00+02:00");
    }

    #[test]
    fn names_rooms_uniquely_with_elsewhere_last() {
        let mut m = model(
            BERLIN,
            "2027-07-16T10:00:00+02:00",
            "2027-07-18T23:00:00+02:00",
        );
        m.resources.get_mut(&id(3)).unwrap().title = "Big Tent".into();
        add_event(
            &mut m,
            9,
            "a",
            "2027-07-16T18:00:00+02:00",
            "2027-07-16T19:00:00+02:00",
        );
        add_event(
            &mut m,
            10,
            "b",
            "2027-07-16T18:00:00+02:00",
            "2027-07-16T19:00:00+02:00",
        );
        add_event(
            &mut m,
            11,
            "c",
            "2027-07-16T18:00:00+02:00",
            "2027-07-16T19:00:00+02:00",
        );
        m.events.get_mut(&id(10)).unwrap().requests[0].resource = id(3);
        m.events.get_mut(&id(11)).unwrap().requests.clear();
        let events: Vec<&Event> = m.events.values().collect();
        let names: Vec<String> = room_names(&m, id(1), &events)
            .into_iter()
            .map(|(_, r)| r.name)
            .collect();
        assert_eq!(
            names,
            ["Big Tent (02020202)", "Big Tent (03030303)", "Elsewhere"]
        );
    }

    #[test]
    fn gives_unique_stable_ids() {
        let mut m = model(
            BERLIN,
            "2027-07-16T10:00:00+02:00",
            "2027-07-18T23:00:00+02:00",
        );
        add_event(
            &mut m,
            9,
            "a",
            "2027-07-16T18:00:00+02:00",
            "2027-07-16T19:00:00+02:00",
        );
        add_event(
            &mut m,
            10,
            "b",
            "2027-07-16T18:00:00+02:00",
            "2027-07-16T19:00:00+02:00",
        );
        let mut clash = m.events[&id(10)].clone();
        clash.id.0[31] = 0;
        let events = vec![&m.events[&id(9)], &m.events[&id(10)], &clash];
        assert_eq!(event_ids(&events), [0x0909_0909, 0x0a0a_0a0b, 0x0a0a_0a0a]);
    }
}
