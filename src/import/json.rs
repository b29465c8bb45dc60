//! frab and pretalx `schedule.json` (v1): `schedule.conference.days[].rooms`
//! maps room names to event lists. Unknown fields (such as pretalx's
//! `answers`) are ignored, and numbers or strings are taken where either
//! may appear.

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde_json::Value;

use super::ImportError;
use super::event::{Context, RawEvent};
use super::html::markdown;
use super::schedule::{Format, Schedule};
use super::text::one_line;
use super::time::{
    choose_zone, parse_bound, parse_clock, parse_date, parse_datetime, source_day_change,
};

/// Reads a frab or pretalx `schedule.json`. `zone` (from `--time-zone`)
/// overrides the conference's `time_zone_name`.
///
/// Errors: [`ImportError::Malformed`] if it is not JSON,
/// [`ImportError::NotASchedule`] if it has no `schedule.conference`.
/// Problems with single events are in the schedule.
pub fn parse_json(
    source_name: &str,
    text: &str,
    zone: Option<Tz>,
) -> Result<Schedule, ImportError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ImportError::Malformed {
        source_name: source_name.to_owned(),
        format: Format::Json,
        reason: e.to_string(),
    })?;
    let not_schedule = |reason: &str| ImportError::NotASchedule {
        source_name: source_name.to_owned(),
        reason: reason.to_owned(),
    };
    let schedule = value
        .get("schedule")
        .filter(|s| s.is_object())
        .ok_or_else(|| not_schedule("the JSON has no `schedule` object"))?;
    let conference = schedule
        .get("conference")
        .filter(|c| c.is_object())
        .ok_or_else(|| not_schedule("the JSON has no `schedule.conference` object"))?;
    let field = |name: &str| conference.get(name).and_then(string);

    let mut rooms: Vec<String> = list(conference.get("rooms"))
        .filter_map(|r| r.get("name").and_then(string).or_else(|| string(r)))
        .collect();
    let mut raw_events = Vec::new();
    let mut days = Vec::new();
    for day in list(conference.get("days")) {
        let date = day
            .get("date")
            .and_then(string)
            .as_deref()
            .and_then(parse_date);
        let bound = |name| {
            day.get(name)
                .and_then(string)
                .as_deref()
                .and_then(parse_datetime)
        };
        if let (Some(date), Some(start), Some(end)) = (date, bound("day_start"), bound("day_end"))
            && start < end
        {
            days.push((date, start, end));
        }
        let Some(day_rooms) = day.get("rooms").and_then(Value::as_object) else {
            continue;
        };
        for (room, events) in day_rooms {
            rooms.push(room.clone());
            for event in list(Some(events)) {
                let mut raw = raw_event(event);
                raw.day = date;
                raw.room = raw.room.or_else(|| Some(room.clone()));
                raw_events.push(raw);
            }
        }
    }

    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let offsets: Vec<_> = raw_events
        .iter()
        .filter_map(|r| r.date.as_deref().and_then(parse_datetime))
        .map(|d| *d.offset())
        .collect();
    let zone = choose_zone(
        zone,
        field("time_zone_name").as_deref(),
        "schedule.conference.time_zone_name",
        &offsets,
        &mut problems,
        &mut notes,
    );
    let day_change = field("day_change")
        .as_deref()
        .and_then(parse_clock)
        .or_else(|| source_day_change(&days, zone));
    let title = field("title").map(|t| one_line(&t)).unwrap_or_default();
    let acronym = field("acronym").map(|t| one_line(&t)).unwrap_or_default();
    let mut out = Schedule {
        acronym: Some(acronym.clone()).filter(|a| !a.is_empty()),
        days,
        format: Format::Json,
        key: format!(
            "frab:{}",
            if acronym.is_empty() { &title } else { &acronym }
        ),
        title,
        description: field("description")
            .map(|d| markdown(&d))
            .unwrap_or_default(),
        start: field("start").and_then(|s| parse_bound(&s, zone, false)),
        end: field("end").and_then(|s| parse_bound(&s, zone, true)),
        time_zone: zone,
        day_change,
        rooms: Vec::new(),
        room_at: Default::default(),
        events: Vec::new(),
        problems,
        notes,
    };
    for room in rooms.iter().map(|r| one_line(r)).filter(|r| !r.is_empty()) {
        out.add_room(&room, None);
    }
    let ctx = Context {
        zone,
        day_change: day_change.unwrap_or(NaiveTime::from_hms_opt(4, 0, 0).expect("valid")),
        base_url: schedule
            .get("base_url")
            .and_then(string)
            .or_else(|| field("url")),
    };
    for raw in raw_events {
        match raw.build(&ctx, &mut out.notes) {
            Ok(item) => {
                if let Some(room) = &item.room {
                    out.add_room(room, None);
                }
                out.events.push(item);
            }
            Err(problem) => out.problems.push(problem),
        }
    }
    Ok(out)
}

/// The raw fields of one event object.
fn raw_event(event: &Value) -> RawEvent {
    let text = |name: &str| {
        event
            .get(name)
            .and_then(string)
            .filter(|t| !t.trim().is_empty())
    };
    let mut links: Vec<(String, String)> = Vec::new();
    for name in ["links", "attachments"] {
        for link in list(event.get(name)) {
            let url = link.get("url").and_then(string).or_else(|| string(link));
            if let Some(url) = url {
                let title = link.get("title").and_then(string).unwrap_or_default();
                links.push((title, url));
            }
        }
    }
    RawEvent {
        guid: text("guid"),
        id: text("id").or_else(|| text("code")),
        title: text("title"),
        subtitle: text("subtitle"),
        summary: text("abstract"),
        description: text("description"),
        date: text("date"),
        start: text("start"),
        duration: text("duration"),
        end: text("end"),
        room: event.get("room").and_then(label),
        day: None,
        tags: [event.get("track"), event.get("type")]
            .into_iter()
            .flatten()
            .filter_map(label)
            .collect(),
        track: event.get("track").and_then(label),
        kind: event.get("type").and_then(label),
        url: text("url"),
        do_not_record: event.get("do_not_record").and_then(Value::as_bool) == Some(true),
        language: text("language"),
        persons: list(event.get("persons"))
            .filter_map(|p| {
                ["public_name", "name"]
                    .iter()
                    .find_map(|k| p.get(*k).and_then(string))
                    .or_else(|| string(p))
            })
            .collect(),
        links,
    }
}

/// The items of a JSON array; nothing for anything else.
fn list(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_array).into_iter().flatten()
}

/// A string, or a number written as one.
fn string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A name: a string, or an object's `name` (itself possibly a map of
/// translations, of which `en` or the first is taken).
fn label(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => map
            .get("name")
            .and_then(label)
            .or_else(|| map.get("en").and_then(string))
            .or_else(|| map.values().find_map(string)),
        other => string(other),
    }
    .filter(|s| !s.trim().is_empty())
}
