//! `schedule.json` (v1) in the frab/pretalx shape, valid against the C3VOC
//! JSON schema (`schedule.schema.json`, draft-06).

use std::io::{self, BufWriter, Write};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::ser::{Formatter, PrettyFormatter};

use super::plan::{Day, Plan};
use super::slot::Slot;

/// The plan as `schedule.json` v1 (pretty-printed, keys in the order frab
/// writes them, `<>&` as `\u` escapes, a newline at the end). Times carry
/// the festival zone's offset; `start` is local `HH:MM`; `duration` is
/// `HH:MM`, and the exact `end` is given too. Without a base URL, an
/// event's `url` (required, an absolute URI) is the `urn:uuid:` of its
/// guid. `time_zone_name` is left out when the zone's name does not match
/// the schema's pattern (e.g. `Etc/GMT+5`).
pub fn schedule_json(plan: &Plan) -> String {
    let mut text = Vec::new();
    write_schedule_json(plan, &mut text).expect("a schedule serializes into memory");
    String::from_utf8(text).expect("serde_json writes UTF-8")
}

/// Writes [`schedule_json`] of `plan` into `out` as it goes, so that the
/// document is never held in memory whole.
///
/// Errors: those of `out`.
pub fn write_schedule_json(plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
    let document = Document {
        schema: "https://c3voc.de/schedule/schema.json",
        generator: Generator {
            name: "pandafest",
            version: env!("CARGO_PKG_VERSION"),
        },
        schedule: Schedule {
            version: &plan.version,
            base_url: plan.base_url.as_deref(),
            conference: Conference {
                acronym: &plan.acronym,
                title: &plan.title,
                start: Plan::stamp(plan.start),
                end: Plan::stamp(plan.end),
                days_count: plan.days.len(),
                timeslot_duration: format!(
                    "{:02}:{:02}",
                    plan.timeslot_minutes / 60,
                    plan.timeslot_minutes % 60
                ),
                time_zone_name: zone_name(plan),
                url: plan.base_url.as_deref(),
                tracks: plan.tracks.iter().map(|name| Track { name }).collect(),
                rooms: plan
                    .rooms
                    .iter()
                    .map(|r| Room {
                        name: &r.name,
                        guid: r.guid.to_string(),
                    })
                    .collect(),
                days: plan.days.iter().map(|d| JsonDay { plan, day: d }).collect(),
            },
        },
    };
    // serde_json writes many small pieces: buffered here, they reach `out`
    // in large ones.
    let mut buffered = BufWriter::with_capacity(64 * 1024, out);
    let formatter = HtmlSafe(PrettyFormatter::new());
    let mut serializer = serde_json::Serializer::with_formatter(&mut buffered, formatter);
    document.serialize(&mut serializer)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

/// serde_json's pretty printer with `<`, `>` and `&` in strings (keys too)
/// written as `\u` escapes: the JSON is safe to inline into HTML and
/// decodes to the same text.
struct HtmlSafe<'a>(PrettyFormatter<'a>);

impl Formatter for HtmlSafe<'_> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let bytes = fragment.as_bytes();
        let mut done = 0;
        for (at, byte) in bytes.iter().enumerate() {
            let escape: &[u8] = match byte {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                b'&' => b"\\u0026",
                _ => continue,
            };
            writer.write_all(&bytes[done..at])?;
            writer.write_all(escape)?;
            done = at + 1;
        }
        writer.write_all(&bytes[done..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

/// The zone's name when it matches the schema's
/// `^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$`.
fn zone_name(plan: &Plan) -> Option<&'static str> {
    let name = plan.time_zone.name();
    let word = |w: &str| {
        let mut chars = w.chars();
        chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && chars.next().is_some_and(|c| c.is_ascii_lowercase())
    };
    let mut parts = name.splitn(2, '/');
    let matches = matches!((parts.next(), parts.next()), (Some(a), Some(b)) if word(a) && a.chars().skip(1).all(|c| c.is_ascii_lowercase()) && word(b))
        || name.ends_with("UTC");
    if !matches {
        tracing::warn!(
            "schedule.json: time_zone_name {name} left out: the schema accepts only names like Europe/Berlin or UTC"
        );
    }
    matches.then_some(name)
}

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    generator: Generator,
    schedule: Schedule<'a>,
}

#[derive(Serialize)]
struct Generator {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Schedule<'a> {
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    base_url: Option<&'a str>,
    conference: Conference<'a>,
}

#[derive(Serialize)]
struct Conference<'a> {
    acronym: &'a str,
    title: &'a str,
    start: String,
    end: String,
    #[serde(rename = "daysCount")]
    days_count: usize,
    timeslot_duration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_zone_name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    tracks: Vec<Track<'a>>,
    rooms: Vec<Room<'a>>,
    days: Vec<JsonDay<'a>>,
}

#[derive(Serialize)]
struct Track<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Room<'a> {
    name: &'a str,
    guid: String,
}

/// A day; its `rooms` is an object from room name to events, in plan order.
struct JsonDay<'a> {
    plan: &'a Plan,
    day: &'a Day,
}

impl Serialize for JsonDay<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let day = self.day;
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("index", &day.index)?;
        map.serialize_entry("date", &day.date.format("%Y-%m-%d").to_string())?;
        map.serialize_entry("day_start", &Plan::stamp(day.start))?;
        map.serialize_entry("day_end", &Plan::stamp(day.end))?;
        map.serialize_entry("rooms", &Rooms(self.plan, day))?;
        map.end()
    }
}

struct Rooms<'a>(&'a Plan, &'a Day);

impl Serialize for Rooms<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.1.rooms.len()))?;
        for (room, slots) in &self.1.rooms {
            let events: Vec<JsonEvent> = slots.iter().map(JsonEvent::new).collect();
            map.serialize_entry(&self.0.rooms[*room].name, &events)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct JsonEvent<'a> {
    guid: String,
    id: u32,
    date: String,
    start: String,
    end: String,
    duration: String,
    room: &'a str,
    slug: &'a str,
    url: String,
    title: &'a str,
    subtitle: Option<&'a str>,
    track: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'a str,
    language: Option<&'a str>,
    #[serde(rename = "abstract")]
    summary: Option<&'a str>,
    description: Option<&'a str>,
    persons: Vec<Person<'a>>,
    links: Vec<Reference<'a>>,
    /// Only when the speakers opted out of recording.
    #[serde(skip_serializing_if = "Option::is_none")]
    do_not_record: Option<bool>,
}

/// A pretalx-style person (`name`); `public_name` too for older apps. With
/// no `id` it matches only the schema's PretalxPerson, as its `oneOf` wants.
#[derive(Serialize)]
struct Person<'a> {
    name: &'a str,
    public_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    guid: Option<String>,
}

#[derive(Serialize)]
struct Reference<'a> {
    url: &'a str,
    title: &'a str,
}

impl<'a> JsonEvent<'a> {
    fn new(slot: &'a Slot) -> JsonEvent<'a> {
        let minutes = (slot.end - slot.start).num_minutes();
        JsonEvent {
            guid: slot.guid.to_string(),
            id: slot.id,
            date: Plan::stamp(slot.start),
            start: crate::days::time_of_day(slot.start),
            end: Plan::stamp(slot.end),
            duration: format!("{:02}:{:02}", minutes / 60, minutes % 60),
            room: &slot.room,
            slug: &slot.slug,
            url: slot
                .url
                .clone()
                .unwrap_or_else(|| format!("urn:uuid:{}", slot.guid)),
            title: &slot.title,
            subtitle: slot.subtitle.as_deref(),
            track: slot.track.as_deref(),
            kind: &slot.kind,
            language: slot.language.as_deref(),
            summary: slot.summary.as_deref(),
            description: Some(slot.description.as_str()).filter(|d| !d.is_empty()),
            persons: slot
                .persons
                .iter()
                .map(|p| Person {
                    name: &p.name,
                    public_name: &p.name,
                    guid: p.guid.map(|g| g.to_string()),
                })
                .collect(),
            links: slot
                .links
                .iter()
                .map(|l| Reference {
                    url: &l.url,
                    title: &l.title,
                })
                .collect(),
            do_not_record: slot.do_not_record.then_some(true),
        }
    }
}
