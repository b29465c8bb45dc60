//! iCalendar (RFC 5545) calendars, parsed with the `ical` crate: CRLF or LF
//! line endings, UTC times, TZID parameters with or without a VTIMEZONE
//! (IANA names are resolved), floating times in the festival's zone, and
//! all-day dates.

use std::io::BufReader;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use ical::parser::ical::component::IcalEvent;
use ical::property::Property;

use super::ImportError;
use super::event::{fit_item, links, short};
use super::html::markdown;
use super::properties::{file_stem, param, prop, resolve, split_list, unfold};
use super::schedule::{Format, Item, Problem, Schedule, event_name, limit_key};
use super::text::{one_line, unescape_ical};
use super::time::{choose_zone, local_instant, parse_duration, parse_zone};

/// Reads an iCalendar file: each VEVENT is an event, its LOCATION a room.
/// `zone` (from `--time-zone`) overrides `X-WR-TIMEZONE` and resolves
/// floating times.
///
/// Errors: [`ImportError::Malformed`] if the `ical` crate cannot parse it.
/// Problems with single events are in the schedule.
pub fn parse_ical(
    source_name: &str,
    text: &str,
    zone: Option<Tz>,
) -> Result<Schedule, ImportError> {
    let unfolded = unfold(text);
    let malformed = |reason: String| ImportError::Malformed {
        source_name: source_name.to_owned(),
        format: Format::Ical,
        reason,
    };
    let calendar = ical::IcalParser::new(BufReader::new(unfolded.as_bytes()))
        .next()
        .ok_or_else(|| malformed("no VCALENDAR".into()))?
        .map_err(|e| malformed(e.to_string()))?;
    let value = |props: &[Property], name: &str| {
        prop(props, name)
            .and_then(|p| p.value.as_deref())
            .map(unescape_ical)
            .filter(|v| !v.trim().is_empty())
    };
    let props = &calendar.properties;
    // VTIMEZONE TZIDs that name an IANA zone in X-LIC-LOCATION.
    let aliases: Vec<(String, Tz)> = calendar
        .timezones
        .iter()
        .filter_map(|tz| {
            let id = value(&tz.properties, "TZID")?;
            let zone = value(&tz.properties, "X-LIC-LOCATION")
                .and_then(|l| parse_zone(&l))
                .or_else(|| parse_zone(&id))?;
            Some((id, zone))
        })
        .collect();
    let first_tzid_zone = calendar
        .events
        .iter()
        .find_map(|e| param(prop(&e.properties, "DTSTART")?, "TZID"))
        .and_then(|tzid| resolve(&aliases, &tzid));
    let named =
        value(props, "X-WR-TIMEZONE").or_else(|| first_tzid_zone.map(|z| z.name().to_owned()));
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let utc_offsets: Vec<FixedOffset> = calendar
        .events
        .iter()
        .filter(|e| {
            prop(&e.properties, "DTSTART")
                .and_then(|p| p.value.as_deref())
                .is_some_and(|v| v.ends_with(['Z', 'z']))
        })
        .map(|_| FixedOffset::east_opt(0).expect("valid"))
        .collect();
    let zone = choose_zone(
        zone,
        named.as_deref(),
        "X-WR-TIMEZONE",
        &utc_offsets,
        &mut problems,
        &mut notes,
    );
    let title = value(props, "X-WR-CALNAME")
        .or_else(|| value(props, "NAME"))
        .map(|t| one_line(&t))
        .unwrap_or_else(|| file_stem(source_name));
    let id = value(props, "X-WR-RELCALID").unwrap_or_else(|| title.clone());
    let mut schedule = Schedule {
        acronym: None,
        days: Vec::new(),
        format: Format::Ical,
        key: limit_key(format!("ical:{id}")),
        title,
        description: value(props, "X-WR-CALDESC")
            .or_else(|| value(props, "DESCRIPTION"))
            .map(|d| markdown(&d))
            .unwrap_or_default(),
        start: None,
        end: None,
        time_zone: zone,
        day_change: None,
        rooms: Vec::new(),
        room_at: Default::default(),
        events: Vec::new(),
        problems,
        notes,
    };
    let reader = Reader { zone, aliases };
    for event in &calendar.events {
        match reader.item(event, &mut schedule.notes) {
            Ok(Some((item, gps))) => {
                if let Some(room) = &item.room {
                    schedule.add_room(room, gps);
                }
                schedule.events.push(item);
            }
            Ok(None) => {}
            Err(problem) => schedule.problems.push(problem),
        }
    }
    Ok(schedule)
}

/// A GEO position: latitude, longitude.
type Gps = (f64, f64);

struct Reader {
    zone: Tz,
    aliases: Vec<(String, Tz)>,
}

impl Reader {
    /// One VEVENT as an item with its GEO position; `None` if cancelled.
    fn item(
        &self,
        event: &IcalEvent,
        notes: &mut Vec<String>,
    ) -> Result<Option<(Item, Option<Gps>)>, Problem> {
        let props = &event.properties;
        let text = |name: &str| {
            prop(props, name)
                .and_then(|p| p.value.as_deref())
                .map(unescape_ical)
                .filter(|v| !v.trim().is_empty())
        };
        let uid = text("UID");
        let summary = text("SUMMARY").map(|s| one_line(&s));
        let name = event_name(uid.as_deref(), summary.as_deref());
        let mut problem = Problem {
            event: Some(name.clone()),
            key: None,
            field: "UID".into(),
            message: "the event has no UID".into(),
        };
        let Some(uid) = uid else {
            return Err(problem);
        };
        let key = match text("RECURRENCE-ID") {
            Some(recurrence) => format!("ical:{uid}/{recurrence}"),
            None => format!("ical:{uid}"),
        };
        problem.key = Some(limit_key(key));
        let fail = |field: &str, message: String| Problem {
            field: field.to_owned(),
            message,
            ..problem.clone()
        };
        if text("STATUS").is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED")) {
            notes.push(format!(
                "event {name} is cancelled (STATUS:CANCELLED) and left out"
            ));
            return Ok(None);
        }
        let title = summary.ok_or_else(|| fail("SUMMARY", "the event has no SUMMARY".into()))?;
        let dtstart = prop(props, "DTSTART")
            .ok_or_else(|| fail("DTSTART", "the event has no start".into()))?;
        let (start, all_day) = self.time(dtstart).map_err(|m| fail("DTSTART", m))?;
        let end = if let Some(dtend) = prop(props, "DTEND") {
            self.time(dtend).map_err(|m| fail("DTEND", m))?.0
        } else if let Some(duration) = text("DURATION") {
            start
                + parse_duration(&duration).ok_or_else(|| {
                    fail(
                        "DURATION",
                        format!("`{}` is not an RFC 5545 duration", short(&duration)),
                    )
                })?
        } else if all_day {
            start + Duration::days(1)
        } else {
            return Err(fail(
                "DTEND",
                "the event has neither DTEND nor DURATION".into(),
            ));
        };
        if end <= start {
            return Err(fail(
                "DTEND",
                format!("the event must end after its start {}", start.to_rfc3339()),
            ));
        }
        if prop(props, "RRULE").is_some() {
            notes.push(format!(
                "event {name} repeats (RRULE): only its first occurrence is imported"
            ));
        }
        let gps = text("GEO").and_then(|g| {
            let (lat, lon) = g.split_once([';', ','])?;
            let (lat, lon) = (
                lat.trim().parse::<f64>().ok()?,
                lon.trim().parse::<f64>().ok()?,
            );
            ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
        });
        let tags = props
            .iter()
            .filter(|p| p.name.eq_ignore_ascii_case("CATEGORIES"))
            .filter_map(|p| p.value.as_deref())
            .flat_map(split_list)
            .collect();
        let persons = props
            .iter()
            .filter(|p| p.name.eq_ignore_ascii_case("ATTENDEE"))
            .filter_map(|p| param(p, "CN"))
            .collect();
        let mut item = Item {
            key: problem.key.clone().expect("set above"),
            title,
            subtitle: None,
            summary: None,
            description: text("DESCRIPTION")
                .map(|d| markdown(&d))
                .unwrap_or_default(),
            start,
            end,
            room: text("LOCATION")
                .map(|l| one_line(&l))
                .filter(|l| !l.is_empty()),
            tags,
            track: None,
            kind: None,
            do_not_record: false,
            url: text("URL")
                .and_then(|u| links(vec![(String::new(), u)], None).pop())
                .map(|l| l.url),
            language: None,
            persons,
            links: Vec::new(),
            day: None,
            all_day,
        };
        fit_item(&mut item, &name, notes);
        Ok(Some((item, gps)))
    }

    /// A DTSTART or DTEND: UTC (`Z`), local with TZID, floating (in the
    /// festival's zone) or a DATE (local midnight, `true`).
    fn time(&self, property: &Property) -> Result<(DateTime<FixedOffset>, bool), String> {
        let raw = property.value.as_deref().unwrap_or("").trim();
        if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y%m%d") {
            return Ok((local_instant(date, NaiveTime::MIN, self.zone), true));
        }
        let (text, utc) = match raw.strip_suffix(['Z', 'z']) {
            Some(text) => (text, true),
            None => (raw, false),
        };
        let naive = NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%S")
            .map_err(|_| format!("`{}` is not an RFC 5545 DATE or DATE-TIME", short(raw)))?;
        if utc {
            return Ok((Utc.from_utc_datetime(&naive).fixed_offset(), false));
        }
        let zone = match param(property, "TZID") {
            Some(tzid) => resolve(&self.aliases, &tzid).ok_or_else(|| {
                format!(
                    "TZID `{}` is not an IANA time zone and has no VTIMEZONE naming one",
                    short(&tzid)
                )
            })?,
            None => self.zone,
        };
        Ok((local_instant(naive.date(), naive.time(), zone), false))
    }
}
