//! A festival's schedule in the shape of the frab/pretalx "Fahrplan":
//! conference, days with day-change boundaries, rooms and events. Both
//! `schedule.xml` and `schedule.json` are written from it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Offset, Timelike};
use chrono_tz::Tz;
use rayon::prelude::*;
use uuid::Uuid;

use super::parts::{event_ids, local_instant, room_names, timeslot_minutes};
use super::select::{event_places, inexpressible_time};
use super::slot::{Slot, slot};
use super::text::{one_line, slugify};
#[cfg(test)]
use crate::days::time_of_day;
use crate::days::{days_between, schedule_day};
use crate::entry::DocumentId;
use crate::materialize::{Event, Festival, Model};

/// Festival days are listed even without events when the festival spans at
/// most this many days; longer festivals list only the days with events.
const MAX_LISTED_DAYS: usize = 366;

/// A schedule ready to be written as `schedule.xml` or `schedule.json`.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The festival's name, on one line.
    pub title: String,
    /// A slug of the name, `[a-z0-9_]{4,}`: it passes both schemas and
    /// starts every event slug.
    pub acronym: String,
    /// The festival start in its time zone (see [`Plan::stamp`]).
    pub start: DateTime<Tz>,
    /// The festival end.
    pub end: DateTime<Tz>,
    /// The festival's IANA time zone: local times and days follow it.
    pub time_zone: Tz,
    /// The largest of 60, 30, 15, 10, 5 or 1 minutes that divides every
    /// start (local) and duration.
    pub timeslot_minutes: i64,
    /// The site's http(s) base URL ending in `/`, when known.
    pub base_url: Option<String>,
    /// A digest of what the schedule shows (see [`schedule_version`]): it
    /// changes whenever the schedule does, so apps know to reload.
    pub version: String,
    /// Every room used, by name; the room of events without a location last.
    pub rooms: Vec<Room>,
    /// The tracks used, sorted.
    pub tracks: Vec<String>,
    /// The schedule days, by date.
    pub days: Vec<Day>,
}

/// A room: a location, or the room of events without one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Room {
    /// Its name, unique in the plan.
    pub name: String,
    /// UUIDv5 of `pandafest:location:<id>`.
    pub guid: Uuid,
    /// The location, `None` for the room of events without one.
    pub location: Option<DocumentId>,
}

/// One schedule day: from the day change (local) to the next one.
#[derive(Clone, Debug)]
pub struct Day {
    /// 1 for the first day.
    pub index: u32,
    /// The local date the day starts on.
    pub date: NaiveDate,
    /// The day change that starts it.
    pub start: DateTime<Tz>,
    /// The next day change.
    pub end: DateTime<Tz>,
    /// Rooms with events that day, in plan order: index into
    /// [`Plan::rooms`], and the events by start then id.
    pub rooms: Vec<(usize, Vec<Slot>)>,
}

/// Each event's slot of an earlier plan, with the number and room name it
/// was made with, by event id.
pub type SlotCache = std::collections::HashMap<DocumentId, (u32, String, Slot)>;

impl Plan {
    /// The plan of `festival` from `events` (live events the feeds can
    /// express, see [`super::inexpressible`]); days start at `day_change`
    /// local time; `base_url` is an http(s) URL ending in `/`.
    pub fn new(
        model: &Model,
        festival: &Festival,
        events: &[&Event],
        day_change: NaiveTime,
        base_url: Option<&str>,
    ) -> Plan {
        Plan::new_cached(model, festival, events, day_change, base_url, None)
    }

    /// [`Plan::new`], taking each event's slot from `cache` when its
    /// number and room are the same and it is not in the set of events to
    /// make again, and leaving this plan's slots in the cache. The caller
    /// names every event whose slot may differ; a change of the festival
    /// or the base URL needs an empty cache.
    pub fn new_cached(
        model: &Model,
        festival: &Festival,
        events: &[&Event],
        day_change: NaiveTime,
        base_url: Option<&str>,
        mut cache: Option<(&mut SlotCache, &BTreeSet<DocumentId>)>,
    ) -> Plan {
        let zone = festival.time_zone;
        let title = one_line(&festival.name);
        let acronym = festival
            .acronym
            .as_deref()
            .map(one_line)
            .filter(|a| fits_acronym_patterns(a))
            .unwrap_or_else(|| {
                acronym(
                    &title,
                    festival.start.with_timezone(&zone).format("%Y").to_string(),
                )
            });
        // An imported schedule's own days, with their boundaries.
        let source_days: BTreeMap<NaiveDate, (DateTime<Tz>, DateTime<Tz>)> = festival
            .days
            .iter()
            .map(|d| {
                (
                    d.date,
                    (d.start.with_timezone(&zone), d.end.with_timezone(&zone)),
                )
            })
            .collect();
        let day_of = |at: DateTime<chrono::FixedOffset>| {
            source_days
                .iter()
                .find(|(_, (start, end))| *start <= at && at < *end)
                .map(|(date, _)| *date)
                .unwrap_or_else(|| schedule_day(at, zone, day_change))
        };
        let rooms = room_names(model, festival.id, events);
        let ids = event_ids(events);
        let mut day_dates: BTreeSet<NaiveDate> = if source_days.is_empty() {
            festival_days(festival, day_change).into_iter().collect()
        } else {
            source_days.keys().copied().collect()
        };
        let cached = cache.as_ref().map(|(slots, remake)| (&**slots, *remake));
        // Slots are made on all threads, then kept in the order of `events`.
        let placed: Vec<(NaiveDate, usize, Slot)> = events
            .par_iter()
            .zip(&ids)
            .map(|(event, id)| {
                let day = day_of(event.start);
                let place = event_places(model, event).first().map(|p| p.id);
                let room = rooms
                    .iter()
                    .position(|(location, _)| *location == place)
                    .expect("every place has a room");
                let name = &rooms[room].1.name;
                let kept = cached.and_then(|(slots, remake)| {
                    let (number, room, slot) = slots.get(&event.id)?;
                    (!remake.contains(&event.id) && number == id && room == name)
                        .then(|| slot.clone())
                });
                let slot =
                    kept.unwrap_or_else(|| slot(model, event, *id, &acronym, name, base_url, zone));
                (day, room, slot)
            })
            .collect();
        if let Some((slots, _)) = cache.as_mut() {
            **slots = placed
                .par_iter()
                .zip(events)
                .zip(&ids)
                .map(|(((_, room, slot), event), id)| {
                    (event.id, (*id, rooms[*room].1.name.clone(), slot.clone()))
                })
                .collect();
        }
        // Each day's slots by room (an index into `rooms`), in the order of
        // `events` (start, then id).
        let mut by_day: BTreeMap<NaiveDate, Vec<Vec<Slot>>> = BTreeMap::new();
        for (day, room, slot) in placed {
            day_dates.insert(day);
            by_day
                .entry(day)
                .or_insert_with(|| rooms.iter().map(|_| Vec::new()).collect())[room]
                .push(slot);
        }
        if day_dates.is_empty() {
            day_dates.insert(schedule_day(festival.start, zone, day_change));
        }
        let days = day_dates
            .into_iter()
            .enumerate()
            .map(|(i, date)| Day {
                index: i as u32 + 1,
                date,
                start: source_days
                    .get(&date)
                    .map_or_else(|| local_instant(zone, date, day_change), |d| d.0),
                end: source_days.get(&date).map_or_else(
                    || local_instant(zone, date.succ_opt().unwrap_or(date), day_change),
                    |d| d.1,
                ),
                rooms: by_day
                    .remove(&date)
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                    .filter(|(_, slots)| !slots.is_empty())
                    .collect(),
            })
            .collect::<Vec<_>>();
        let all: Vec<&Slot> = days
            .iter()
            .flat_map(|d| d.rooms.iter().flat_map(|(_, s)| s))
            .collect();
        let tracks: BTreeSet<&str> = all.iter().filter_map(|s| s.track.as_deref()).collect();
        let version = schedule_version(festival, events, &rooms, &days);
        let start = match inexpressible_time(festival.start, zone) {
            None => festival.start.with_timezone(&zone),
            Some(_) => days[0].start,
        };
        let end = match inexpressible_time(festival.end, zone) {
            None => festival.end.with_timezone(&zone),
            Some(_) => days[days.len() - 1].end,
        };
        Plan {
            title,
            acronym,
            start,
            end,
            time_zone: zone,
            timeslot_minutes: timeslot_minutes(&all),
            base_url: base_url.map(str::to_owned),
            version,
            rooms: rooms.into_iter().map(|(_, room)| room).collect(),
            tracks: tracks.into_iter().map(str::to_owned).collect(),
            days,
        }
    }

    /// `at` as an ISO 8601 / RFC 3339 time with its offset in the festival
    /// zone (`2027-07-16T18:00:00+02:00`), or in UTC (`…Z`) when that
    /// offset is not a whole number of minutes.
    pub fn stamp(at: DateTime<Tz>) -> String {
        if inexpressible_time(at.fixed_offset(), at.timezone()).is_some() {
            return at.to_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        }
        // As `%Y-%m-%dT%H:%M:%S%:z` writes it (a four-digit year and an
        // offset in whole minutes, as checked), without parsing the format.
        let offset = at.offset().fix().local_minus_utc();
        let minutes = offset.unsigned_abs() / 60;
        let mut stamp = String::with_capacity(25);
        push_digits(&mut stamp, at.year() as u32, 4);
        stamp.push('-');
        push_digits(&mut stamp, at.month(), 2);
        stamp.push('-');
        push_digits(&mut stamp, at.day(), 2);
        stamp.push('T');
        push_digits(&mut stamp, at.hour(), 2);
        stamp.push(':');
        push_digits(&mut stamp, at.minute(), 2);
        stamp.push(':');
        push_digits(&mut stamp, at.second() + at.nanosecond() / 1_000_000_000, 2);
        stamp.push(if offset < 0 { '-' } else { '+' });
        push_digits(&mut stamp, minutes / 60, 2);
        stamp.push(':');
        push_digits(&mut stamp, minutes % 60, 2);
        stamp
    }

    /// Every event of the plan, by day, room, then start.
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.days
            .iter()
            .flat_map(|d| d.rooms.iter().flat_map(|(_, slots)| slots))
    }
}

/// Appends the last `width` decimal digits of `n`, zero-padded.
fn push_digits(out: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        out.push(char::from(b'0' + (n / 10u32.pow(place) % 10) as u8));
    }
}

/// `[a-z0-9_]` only, 4 to 40 characters: the name's slug, with the year
/// appended when it is shorter than 4.
fn acronym(title: &str, year: String) -> String {
    let slug = slugify(title, '_', 40);
    match slug.len() {
        0 => format!("festival_{year}"),
        1..=3 => format!("{slug}_{year}"),
        _ => slug,
    }
}

/// Whether `acronym` passes both schemas' patterns: the XSD's
/// `[a-z0-9_-]{4,}` and schedule.json's
/// `^[a-z0-9_-][a-z0-9_]{3,}(-2[0-9]{3}-[a-z]+)?$`.
fn fits_acronym_patterns(acronym: &str) -> bool {
    let word = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
    let body_fits = |body: &str| {
        let mut chars = body.chars();
        chars.next().is_some_and(|c| word(c) || c == '-') && body.len() >= 4 && chars.all(word)
    };
    if body_fits(acronym) {
        return true;
    }
    // The optional `-2NNN-word` suffix, as in `divoc-2020-ptt`.
    let mut parts = acronym.rsplitn(3, '-');
    let (Some(word_part), Some(year), Some(body)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    body_fits(body)
        && year.len() == 4
        && year.starts_with('2')
        && year.chars().all(|c| c.is_ascii_digit())
        && !word_part.is_empty()
        && word_part.chars().all(|c| c.is_ascii_lowercase())
}

/// The festival's schedule days, unless it spans more than
/// [`MAX_LISTED_DAYS`] or a time the feeds cannot express.
fn festival_days(festival: &Festival, day_change: NaiveTime) -> Vec<NaiveDate> {
    let zone = festival.time_zone;
    if inexpressible_time(festival.start, zone).is_some()
        || inexpressible_time(festival.end, zone).is_some()
    {
        return Vec::new();
    }
    if (festival.end - festival.start).num_days() > MAX_LISTED_DAYS as i64 {
        return Vec::new();
    }
    days_between(festival.start, festival.end, zone, day_change)
}

/// The schedule's version: 16 hex digits of a BLAKE3 digest over the
/// festival's and events' versions and over what comes from elsewhere: the
/// rooms and each event's room (renamed resources, decisions that move an
/// event), the people's names, the event URLs (the base URL) and the day
/// boundaries (the day change). Each field is length-prefixed.
fn schedule_version(
    festival: &Festival,
    events: &[&Event],
    rooms: &[(Option<DocumentId>, Room)],
    days: &[Day],
) -> String {
    let mut digest = blake3::Hasher::new();
    let mut put = |bytes: &[u8]| {
        digest.update(&(bytes.len() as u64).to_le_bytes());
        digest.update(bytes);
    };
    put(&festival.version.id.0);
    for event in events {
        put(&event.version.id.0);
    }
    for (_, room) in rooms {
        put(room.name.as_bytes());
    }
    for day in days {
        put(day.start.to_rfc3339().as_bytes());
        for slot in day.rooms.iter().flat_map(|(_, slots)| slots) {
            put(&slot.event.0);
            put(slot.room.as_bytes());
            put(slot.url.as_deref().unwrap_or("").as_bytes());
            for person in &slot.persons {
                put(person.name.as_bytes());
            }
        }
    }
    digest.finalize().to_hex()[..16].to_owned()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn stamps_as_chrono_formats_them(
            seconds in -2_208_988_800i64..4_102_444_800,
            zone in prop::sample::select(vec![
                chrono_tz::UTC,
                chrono_tz::Europe::Berlin,
                chrono_tz::Asia::Kolkata,
                chrono_tz::America::St_Johns,
                chrono_tz::Pacific::Chatham,
                chrono_tz::America::Caracas,
                chrono_tz::Europe::Amsterdam,
            ]),
        ) {
            let at = zone.timestamp_opt(seconds, 0).unwrap();
            let expected = match inexpressible_time(at.fixed_offset(), zone) {
                None => at.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                Some(_) => at.to_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            };
            prop_assert_eq!(Plan::stamp(at), expected);
            prop_assert_eq!(time_of_day(at), at.format("%H:%M").to_string());
        }
    }
}
