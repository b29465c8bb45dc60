//! From source text to a [`Schedule`]: the format (detected or given),
//! the format's reader, then the checks every format shares.

use std::collections::BTreeMap;

use chrono_tz::Tz;

use super::schedule::{Format, Problem, Schedule};
use super::source::detect_format;
use super::{ImportError, parse_ical, parse_json, parse_xml};

/// Reads `text` from `source_name` as a schedule of `format`, or of the
/// format detected from the content. `zone` (from `--time-zone`) overrides
/// the source's zone. A second event with the same key is skipped.
///
/// Errors: [`ImportError::NotASchedule`] or [`ImportError::Malformed`];
/// problems with single events are in the schedule.
pub fn parse_schedule(
    source_name: &str,
    text: &str,
    format: Option<Format>,
    zone: Option<Tz>,
) -> Result<Schedule, ImportError> {
    let format = match format {
        Some(format) => format,
        None => detect_format(source_name, text)?,
    };
    let started = std::time::Instant::now();
    let mut schedule = match format {
        Format::Xml => parse_xml(source_name, text, zone)?,
        Format::Json => parse_json(source_name, text, zone)?,
        Format::Ical => parse_ical(source_name, text, zone)?,
    };
    if format == Format::Ical {
        key_reused_uids_by_start(&mut schedule);
    }
    skip_repeated_keys(&mut schedule);
    if schedule.title.is_empty() {
        schedule.title = schedule
            .key
            .split_once(':')
            .map_or("Imported schedule", |(_, rest)| rest)
            .to_owned();
    }
    if schedule.title.is_empty() {
        schedule.title = "Imported schedule".to_owned();
    }
    tracing::debug!(
        elapsed = ?started.elapsed(),
        events = schedule.events.len(),
        skipped = schedule.problems.len(),
        "parsed {}",
        format.describe()
    );
    Ok(schedule)
}

/// VEVENTs that share a UID but start at different times, with no
/// RECURRENCE-ID, are separate events that a publisher gave one UID (RFC
/// 5545 wants a UID per event; only RECURRENCE-ID makes instances of one,
/// §3.8.4.4). Each is keyed by its UID and its start instead, `ical:<UID>@
/// <start in UTC>`, so a re-import finds each again; one note counts them.
fn key_reused_uids_by_start(schedule: &mut Schedule) {
    let mut starts: BTreeMap<&str, std::collections::BTreeSet<_>> = BTreeMap::new();
    for item in &schedule.events {
        starts.entry(&item.key).or_default().insert(item.start);
    }
    let shared: BTreeMap<String, usize> = starts
        .into_iter()
        .filter(|(_, starts)| starts.len() > 1)
        .map(|(key, starts)| (key.to_owned(), starts.len()))
        .collect();
    if shared.is_empty() {
        return;
    }
    // Events, not VEVENTs: one at the same UID and start is a repeat.
    let rekeyed: usize = shared.values().sum();
    for item in schedule
        .events
        .iter_mut()
        .filter(|e| shared.contains_key(&e.key))
    {
        let start = item
            .start
            .with_timezone(&chrono::Utc)
            .format("%Y%m%dT%H%M%SZ");
        item.key = super::schedule::limit_key(format!("{}@{start}", item.key));
    }
    schedule.notes.push(format!(
        "{rekeyed} events share a UID ({} UIDs) with events at other starts and no RECURRENCE-ID: each is imported as an event of its own, known by its UID and start",
        shared.len()
    ));
}

/// Keeps the first event of each key and skips the others.
fn skip_repeated_keys(schedule: &mut Schedule) {
    let mut first: BTreeMap<String, String> = BTreeMap::new();
    let mut kept = Vec::with_capacity(schedule.events.len());
    for item in schedule.events.drain(..) {
        match first.get(&item.key) {
            Some(title) => {
                let id = item.key.split_once(':').map_or(&*item.key, |(_, id)| id);
                let field = match schedule.format {
                    Format::Ical => "UID",
                    _ if item.key.starts_with("frab-id:") => "id",
                    _ => "guid",
                };
                schedule.problems.push(Problem {
                    event: Some(super::schedule::event_name(Some(id), Some(&item.title))),
                    key: None,
                    field: field.to_owned(),
                    message: format!("`{id}` is used by an earlier event (“{title}”) already"),
                });
            }
            None => {
                first.insert(item.key.clone(), item.title.clone());
                kept.push(item);
            }
        }
    }
    schedule.events = kept;
}
