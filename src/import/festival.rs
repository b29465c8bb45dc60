//! The festival around the imported events: its fields, its directory
//! (created with the schedule's day change), all-day events moved to the
//! day change, and notes about schedule days.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveTime;

use super::ImportError;
use super::schedule::Schedule;
use super::text::fit;
use super::time::{format_instant, local_instant};
use crate::days::schedule_day;
use crate::entry::key_path;
use crate::festival_dir::{CONFIG_FILE, DirError, FestivalDir};
use crate::operation::{FestivalFields, ScheduleDay, limits};
use crate::staging::Staging;

/// Moves all-day events from local midnight to the day-change time, so
/// each fills the schedule days of its dates.
pub(super) fn move_all_day_events(schedule: &mut Schedule, day_change: NaiveTime) {
    let zone = schedule.time_zone;
    let at = |t: chrono::DateTime<chrono::FixedOffset>| {
        local_instant(t.with_timezone(&zone).date_naive(), day_change, zone)
    };
    for item in schedule.events.iter_mut().filter(|e| e.all_day) {
        (item.start, item.end) = (at(item.start), at(item.end));
    }
}

/// The festival: its name, description, zone, and a span that holds the
/// conference's dates and every event. `None` without any date.
pub(super) fn festival_fields(schedule: &Schedule) -> Option<FestivalFields> {
    let starts = schedule
        .events
        .iter()
        .map(|e| e.start)
        .chain(schedule.start);
    let ends = schedule.events.iter().map(|e| e.end).chain(schedule.end);
    let start = starts.min()?;
    let end = ends.max().unwrap_or(start).max(start);
    Some(FestivalFields {
        name: fit(schedule.title.clone(), limits::NAME).0,
        description: fit(schedule.description.clone(), limits::DESCRIPTION).0,
        start: format_instant(start, schedule.time_zone),
        end: format_instant(end, schedule.time_zone),
        time_zone: schedule.time_zone.name().to_owned(),
        parent: None,
        forked_from: None,
        source: Some(schedule.key.clone()),
        acronym: schedule
            .acronym
            .as_ref()
            .map(|a| fit(a.clone(), limits::SHORT).0),
        days: Some(
            schedule
                .days
                .iter()
                .take(limits::DAYS)
                .map(|(date, start, end)| ScheduleDay {
                    date: date.format("%Y-%m-%d").to_string(),
                    start: format_instant(*start, schedule.time_zone),
                    end: format_instant(*end, schedule.time_zone),
                })
                .collect(),
        )
        .filter(|days: &Vec<ScheduleDay>| !days.is_empty()),
    })
}

/// Creates `dir` as a festival directory unless it is one, with the
/// schedule's day change in `pandafest.toml`. Returns whether it did.
/// A new directory is made whole beside `dir` and renamed into place, so
/// another import into the same new directory at the same moment finds
/// nothing or all of it (its key included), never half; the one that
/// loses the rename uses the winner's directory.
pub(super) fn create_dir(dir: &Path, schedule: &Schedule) -> Result<bool, ImportError> {
    let is_festival_dir = || dir.join(CONFIG_FILE).exists() || key_path(dir).exists();
    if is_festival_dir() {
        return Ok(false);
    }
    let Some(name) = dir.file_name().filter(|_| !dir.exists()) else {
        // An existing directory: `init` refuses it unless it is empty.
        make_dir(dir, schedule)?;
        return Ok(true);
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ImportError::Dir(DirError::Io { path, source })
    };
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    // What killed imports into the same new directory left, unless one
    // still running holds it.
    let prefix = format!(".{}.new-", name.to_string_lossy());
    crate::staging::sweep(&parent, &prefix, &[]);
    let mut staging = Staging::new(&parent, &prefix).map_err(io(&parent))?;
    staging.remove_on_drop();
    let placed = make_dir(staging.path(), schedule)
        .and_then(|()| fs::rename(staging.path(), dir).map_err(io(dir)));
    match placed {
        Ok(()) => Ok(true),
        Err(error) => {
            drop(staging);
            match is_festival_dir() {
                true => Ok(false),
                false => Err(error),
            }
        }
    }
}

/// Makes `dir` a new festival directory with the schedule's day change.
fn make_dir(dir: &Path, schedule: &Schedule) -> Result<(), ImportError> {
    FestivalDir::init(dir)?;
    if let Some(day_change) = schedule.day_change {
        let path = dir.join(CONFIG_FILE);
        let io = |source| DirError::Io {
            path: path.clone(),
            source,
        };
        let config = fs::read_to_string(&path).map_err(io)?;
        let line = format!("day_change = \"{}\"", day_change.format("%H:%M"));
        fs::write(&path, config.replace("day_change = \"04:00\"", &line)).map_err(io)?;
    }
    Ok(())
}

/// Notes about schedule days: events the day change puts on another day
/// than the source's, and a source day change the directory does not use.
pub(super) fn day_notes(
    schedule: &Schedule,
    day_change: NaiveTime,
    configured: &Option<String>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let moved: Vec<_> = schedule
        .events
        .iter()
        .filter(|e| {
            e.day
                .is_some_and(|d| d != schedule_day(e.start, schedule.time_zone, day_change))
        })
        .collect();
    if let Some(first) = moved.first() {
        notes.push(format!(
            "{} events fall on another schedule day than in the source with day_change {} (e.g. “{}” at {}, listed on {})",
            moved.len(),
            day_change.format("%H:%M"),
            first.title,
            format_instant(first.start, schedule.time_zone),
            first.day.expect("filtered")
        ));
    }
    if let Some(source) = schedule.day_change.filter(|d| *d != day_change) {
        let now = configured.as_deref().unwrap_or("04:00 (the default)");
        notes.push(format!(
            "the schedule's days change at {}, pandafest.toml says {now}: set day_change = \"{}\"",
            source.format("%H:%M"),
            source.format("%H:%M")
        ));
    }
    notes
}
