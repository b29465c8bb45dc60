//! The shape every schedule format is read into before it is mapped to
//! operations: a conference, its rooms and its events, plus what could not
//! be read.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use chrono_tz::Tz;

use crate::operation::{Link, limits};

/// The schedule formats pandafest reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// frab / hub `schedule.xml` (C3VOC XSD), and the older Pentabarf XML
    /// dialect without `guid` and `event/date`.
    Xml,
    /// frab and pretalx `schedule.json` (v1).
    Json,
    /// iCalendar (RFC 5545).
    Ical,
}

impl Format {
    /// The name used by `--format`: `xml`, `json` or `ical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xml => "xml",
            Format::Json => "json",
            Format::Ical => "ical",
        }
    }

    /// A readable name for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Format::Xml => "frab/Pentabarf schedule.xml",
            Format::Json => "frab/pretalx schedule.json",
            Format::Ical => "iCalendar",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    /// Parses `xml` (also `frab`, `pentabarf`), `json` (also `pretalx`) or
    /// `ical` (also `ics`, `icalendar`), in any case.
    fn from_str(text: &str) -> Result<Format, String> {
        match text.to_ascii_lowercase().as_str() {
            "xml" | "frab" | "pentabarf" => Ok(Format::Xml),
            "json" | "pretalx" => Ok(Format::Json),
            "ical" | "ics" | "icalendar" => Ok(Format::Ical),
            other => Err(format!(
                "unknown schedule format `{other}`: expected xml, json or ical"
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A schedule as read from its source, in source order.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// The format it was read as.
    pub format: Format,
    /// The festival's import key, e.g. `frab:38c3` or `ical:<calendar name>`.
    pub key: String,
    /// The conference title.
    pub title: String,
    /// The conference acronym, as the source gives it.
    pub acronym: Option<String>,
    /// The source's days: date, start and end (after the start), in source
    /// order.
    pub days: Vec<(NaiveDate, DateTime<FixedOffset>, DateTime<FixedOffset>)>,
    /// Markdown; may be empty.
    pub description: String,
    /// The conference start, when the source gives one (a date counts as
    /// local midnight).
    pub start: Option<DateTime<FixedOffset>>,
    /// The conference end, when the source gives one (a date counts as the
    /// end of that local day).
    pub end: Option<DateTime<FixedOffset>>,
    /// The time zone local times are read in and the festival follows.
    pub time_zone: Tz,
    /// The local time at which one schedule day turns into the next, when
    /// the source says.
    pub day_change: Option<NaiveTime>,
    /// Rooms by name, in order of first appearance, without repeats (add
    /// them with [`Schedule::add_room`]).
    pub rooms: Vec<Room>,
    /// Where each room name is in `rooms`.
    pub(crate) room_at: HashMap<String, usize>,
    /// The events that could be read.
    pub events: Vec<Item>,
    /// Events that were skipped and file-level errors.
    pub problems: Vec<Problem>,
    /// Warnings: things changed to fit, guesses made.
    pub notes: Vec<String>,
}

impl Schedule {
    /// Adds a room unless one of that name is known already.
    pub(crate) fn add_room(&mut self, name: &str, gps: Option<(f64, f64)>) {
        match self.room_at.get(name) {
            Some(&at) => self.rooms[at].gps = self.rooms[at].gps.or(gps),
            None => {
                self.room_at.insert(name.to_owned(), self.rooms.len());
                self.rooms.push(Room {
                    name: name.to_owned(),
                    gps,
                });
            }
        }
    }
}

/// A room or location.
#[derive(Clone, Debug, PartialEq)]
pub struct Room {
    /// Its name, as the events refer to it.
    pub name: String,
    /// A GPS position (latitude, longitude) when the source gives one.
    pub gps: Option<(f64, f64)>,
}

/// One event, read and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// The import key: `frab:<guid>`, `frab-id:<id>` or `ical:<UID>`.
    pub key: String,
    /// Title (not empty).
    pub title: String,
    /// Subtitle.
    pub subtitle: Option<String>,
    /// Abstract, Markdown.
    pub summary: Option<String>,
    /// Description, Markdown.
    pub description: String,
    /// The exact start.
    pub start: DateTime<FixedOffset>,
    /// The exact end, after `start`.
    pub end: DateTime<FixedOffset>,
    /// The room's name.
    pub room: Option<String>,
    /// Track, type or categories.
    pub tags: Vec<String>,
    /// The track, as the source names it.
    pub track: Option<String>,
    /// The type (frab's `type`), as the source names it.
    pub kind: Option<String>,
    /// The event's own page in the source (an http or https URL).
    pub url: Option<String>,
    /// The speakers opted out of recording (frab's `recording/optout`,
    /// schedule.json's `do_not_record`).
    pub do_not_record: bool,
    /// Language tag.
    pub language: Option<String>,
    /// Speaker or host names.
    pub persons: Vec<String>,
    /// Links (http or https).
    pub links: Vec<Link>,
    /// The schedule day the source puts it on, if it says.
    pub day: Option<NaiveDate>,
    /// An all-day event (an iCalendar DATE): it starts and ends at local
    /// midnight here, and the import moves both to the day-change time so
    /// it fills its schedule days.
    pub all_day: bool,
}

/// Something in the source that could not be imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The event: its guid, id or UID and title, when it is about one.
    pub event: Option<String>,
    /// The key of the skipped event, so a re-import keeps its earlier
    /// version rather than deleting it.
    pub key: Option<String>,
    /// The field at fault, e.g. `duration` or `DTSTART`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(event) = &self.event {
            write!(f, "event {event}: ")?;
        }
        write!(f, "field `{}`: {}", self.field, self.message)
    }
}

/// Names an event in messages: "`<id>` (“title”)", or either alone.
pub(crate) fn event_name(id: Option<&str>, title: Option<&str>) -> String {
    // Names go to the terminal: no control characters from the source.
    let (id, title) = (
        id.map(super::text::one_line),
        title.map(super::text::one_line),
    );
    let (id, title) = (id.as_deref(), title.as_deref());
    let title = title.map(str::trim).filter(|t| !t.is_empty());
    let short = |t: &str| -> String {
        let mut s: String = t.chars().take(60).collect();
        if s.len() < t.len() {
            s.push('…');
        }
        s
    };
    match (id.filter(|i| !i.is_empty()), title) {
        (Some(id), Some(title)) => format!("`{}` (“{}”)", short(id), short(title)),
        (Some(id), None) => format!("`{}`", short(id)),
        (None, Some(title)) => format!("“{}”", short(title)),
        (None, None) => "(without id or title)".to_owned(),
    }
}

/// An import key within [`limits::SOURCE`]: a longer one keeps its prefix
/// (up to the first `:`) and replaces the rest with its BLAKE3 hash.
pub(crate) fn limit_key(key: String) -> String {
    if key.len() <= limits::SOURCE {
        return key;
    }
    let prefix = key
        .split(':')
        .next()
        .unwrap_or("")
        .chars()
        .take(40)
        .collect::<String>();
    format!("{prefix}:blake3:{}", blake3::hash(key.as_bytes()).to_hex())
}
