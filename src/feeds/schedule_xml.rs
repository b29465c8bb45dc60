//! `schedule.xml` in the frab format, valid against the C3VOC XSD
//! (`schedule.xml.xsd`, voc/schedule).

use std::io::{self, Write};

use super::plan::Plan;
use super::slot::Slot;

/// How many bytes of `schedule.xml` are put together before they are
/// written out.
const CHUNK: usize = 64 * 1024;

/// The longest duration the XSD's `duration` type (`HH:MM`, at most two
/// digits of hours) can hold: 99:59.
pub const MAX_XML_DURATION_MINUTES: i64 = 99 * 60 + 59;

/// The plan as a frab `schedule.xml` (UTF-8, LF line ends). Times carry the
/// festival zone's offset; `start` is local `HH:MM`; `duration` is
/// `HH:MM` (`HH:MM:SS` when it has seconds). An event longer than
/// [`MAX_XML_DURATION_MINUTES`] cannot be written: it is left out with a
/// warning that names it.
pub fn schedule_xml(plan: &Plan) -> String {
    let mut text = Vec::new();
    write_schedule_xml(plan, &mut text).expect("a schedule is written into memory");
    String::from_utf8(text).expect("the XML writer writes UTF-8")
}

/// Writes [`schedule_xml`] of `plan` into `out` as it goes, so that the
/// document is never held in memory whole.
///
/// Errors: those of `out`.
pub fn write_schedule_xml(plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
    let mut xml = Xml::default();
    xml.out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.open("schedule", &[]);
    xml.empty(
        "generator",
        &[
            ("name", "pandafest"),
            ("version", env!("CARGO_PKG_VERSION")),
        ],
    );
    if let Some(base) = &plan.base_url {
        xml.leaf("url", &[], &format!("{base}schedule.xml"));
    }
    xml.leaf("version", &[], &plan.version);
    xml.open("conference", &[]);
    xml.leaf("acronym", &[], &plan.acronym);
    xml.leaf("title", &[], &plan.title);
    xml.leaf("start", &[], &Plan::stamp(plan.start));
    xml.leaf("end", &[], &Plan::stamp(plan.end));
    xml.leaf("days", &[], &plan.days.len().to_string());
    xml.leaf("timeslot_duration", &[], &clock(plan.timeslot_minutes * 60));
    if let Some(base) = &plan.base_url {
        xml.leaf("base_url", &[], base);
        xml.leaf("url", &[], base);
    }
    xml.leaf("time_zone_name", &[], plan.time_zone.name());
    for track in &plan.tracks {
        xml.empty("track", &[("name", track)]);
    }
    xml.close("conference");
    for day in &plan.days {
        let index = day.index.to_string();
        let date = day.date.format("%Y-%m-%d").to_string();
        let (start, end) = (Plan::stamp(day.start), Plan::stamp(day.end));
        let attrs = [
            ("index", index.as_str()),
            ("date", &date),
            ("start", &start),
            ("end", &end),
        ];
        xml.open("day", &attrs);
        for (room, slots) in &day.rooms {
            let room = &plan.rooms[*room];
            xml.open(
                "room",
                &[("name", &room.name), ("guid", &room.guid.to_string())],
            );
            for slot in slots {
                let seconds = (slot.end - slot.start).num_seconds();
                if seconds > MAX_XML_DURATION_MINUTES * 60 + 59 {
                    tracing::warn!(
                        "schedule.xml: left out event {} (“{}”): it lasts {} hours, the format holds at most 99:59",
                        slot.event,
                        slot.title,
                        seconds / 3600
                    );
                    continue;
                }
                event(&mut xml, slot);
                if xml.out.len() >= CHUNK {
                    out.write_all(xml.out.as_bytes())?;
                    xml.out.clear();
                }
            }
            xml.close("room");
        }
        xml.close("day");
    }
    xml.close("schedule");
    out.write_all(xml.out.as_bytes())
}

fn event(xml: &mut Xml, slot: &Slot) {
    let (guid, id) = (slot.guid.to_string(), slot.id.to_string());
    xml.open("event", &[("guid", &guid), ("id", &id)]);
    xml.leaf("date", &[], &Plan::stamp(slot.start));
    xml.leaf("start", &[], &crate::days::time_of_day(slot.start));
    xml.leaf(
        "duration",
        &[],
        &clock((slot.end - slot.start).num_seconds()),
    );
    xml.leaf("room", &[], &slot.room);
    xml.leaf("slug", &[], &slot.slug);
    if let Some(url) = &slot.url {
        xml.leaf("url", &[], url);
    }
    xml.leaf("title", &[], &slot.title);
    if let Some(subtitle) = &slot.subtitle {
        xml.leaf("subtitle", &[], subtitle);
    }
    xml.leaf("track", &[], slot.track.as_deref().unwrap_or(""));
    xml.leaf("type", &[], &slot.kind);
    if let Some(language) = &slot.language {
        xml.leaf("language", &[], language);
    }
    xml.leaf("abstract", &[], slot.summary.as_deref().unwrap_or(""));
    if !slot.description.is_empty() {
        xml.leaf("description", &[], &slot.description);
    }
    xml.open("persons", &[]);
    for person in &slot.persons {
        let guid = person.guid.map(|g| g.to_string());
        let attrs: Vec<(&str, &str)> = guid.iter().map(|g| ("guid", g.as_str())).collect();
        xml.leaf("person", &attrs, &person.name);
    }
    xml.close("persons");
    if slot.do_not_record {
        xml.open("recording", &[]);
        xml.leaf("license", &[], "");
        xml.leaf("optout", &[], "true");
        xml.close("recording");
    }
    xml.open("links", &[]);
    for link in &slot.links {
        xml.leaf("link", &[("href", &link.url)], &link.title);
    }
    xml.close("links");
    xml.close("event");
}

/// `HH:MM`, or `HH:MM:SS` when `seconds` is not whole minutes.
fn clock(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match s {
        0 => format!("{h:02}:{m:02}"),
        _ => format!("{h:02}:{m:02}:{s:02}"),
    }
}

/// A small indenting XML writer; every text goes through [`escape`].
#[derive(Default)]
struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn start_tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attrs {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.end_tag(name);
    }

    fn end_tag(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push_str("/>\n");
    }

    fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start_tag(name, attrs);
        self.out.push('>');
        escape_into(&mut self.out, text, false);
        self.end_tag(name);
    }
}

/// `text` escaped as [`escape_into`] does it.
#[cfg(test)]
pub(super) fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text, attribute);
    out
}

/// Appends `text` to `out` as XML 1.0 character data: `&`, `<`, `>` (and
/// in attributes `"`, newline, tab, CR) escaped; characters XML 1.0 does
/// not allow are dropped. Runs that need no escape are copied whole.
fn escape_into(out: &mut String, text: &str, attribute: bool) {
    // Every byte that needs a change is ASCII, or starts U+FFFE or U+FFFF.
    let bytes = text.as_bytes();
    let (mut done, mut at) = (0, 0);
    while at < bytes.len() {
        let (escaped, len) = match bytes[at] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' if attribute => ("&quot;", 1),
            b'\n' if attribute => ("&#10;", 1),
            b'\t' if attribute => ("&#9;", 1),
            b'\r' => ("&#13;", 1),
            b'\n' | b'\t' => {
                at += 1;
                continue;
            }
            0..0x20 => ("", 1),
            0xEF if matches!(bytes[at + 1..], [0xBF, 0xBE | 0xBF, ..]) => ("", 3),
            _ => {
                at += 1;
                continue;
            }
        };
        out.push_str(&text[done..at]);
        out.push_str(escaped);
        at += len;
        done = at;
    }
    out.push_str(&text[done..]);
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
