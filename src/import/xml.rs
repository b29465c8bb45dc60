//! frab / hub `schedule.xml` (the C3VOC XSD) and the older Pentabarf
//! dialect, which has no `guid` and no `event/date`: its times are
//! `day@date` plus `start` in the conference's zone.

use chrono::NaiveTime;
use chrono_tz::Tz;
use roxmltree::{Document, Node, ParsingOptions};

use super::ImportError;
use super::event::{Context, RawEvent};
use super::html::markdown;
use super::schedule::{Format, Schedule};
use super::text::one_line;
use super::time::{
    choose_zone, parse_bound, parse_clock, parse_date, parse_datetime, source_day_change,
};

/// At most this many XML nodes are read (about 30 times 38C3's schedule).
const NODES_LIMIT: u32 = 20_000_000;

/// Reads a frab or Pentabarf `schedule.xml`. `zone` (from `--time-zone`)
/// overrides the conference's `time_zone_name`.
///
/// Errors: [`ImportError::Malformed`] if it is not well-formed XML,
/// [`ImportError::NotASchedule`] if its root is not `<schedule>` with a
/// `<conference>`. Problems with single events are in the schedule.
pub fn parse_xml(source_name: &str, text: &str, zone: Option<Tz>) -> Result<Schedule, ImportError> {
    // No DTD: its entities could expand a small file into gigabytes.
    let options = ParsingOptions {
        nodes_limit: NODES_LIMIT,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| ImportError::Malformed {
        source_name: source_name.to_owned(),
        format: Format::Xml,
        reason: e.to_string(),
    })?;
    let not_schedule = |reason: String| ImportError::NotASchedule {
        source_name: source_name.to_owned(),
        reason,
    };
    let root = doc.root_element();
    if root.tag_name().name() != "schedule" {
        return Err(not_schedule(format!(
            "the XML root element is <{}>, not <schedule>",
            root.tag_name().name()
        )));
    }
    let conference = child(root, "conference")
        .ok_or_else(|| not_schedule("<schedule> has no <conference>".into()))?;

    let mut raw_events = Vec::new();
    let mut days = Vec::new();
    let mut rooms = Vec::new();
    for day in children(root, "day") {
        let date = day.attribute("date").and_then(parse_date);
        let bound = |name| day.attribute(name).and_then(parse_datetime);
        if let (Some(date), Some(start), Some(end)) = (date, bound("start"), bound("end"))
            && start < end
        {
            days.push((date, start, end));
        }
        for room in children(day, "room") {
            let room_name = room
                .attribute("name")
                .map(one_line)
                .filter(|n| !n.is_empty());
            if let Some(name) = &room_name {
                rooms.push(name.clone());
            }
            for event in children(room, "event") {
                let mut raw = raw_event(event);
                raw.day = date;
                raw.room = room_name.clone().or(raw.room);
                // An unnamed <room> leaves the event's own <room>: it is a
                // room of the schedule too.
                if room_name.is_none() {
                    rooms.extend(raw.room.clone());
                }
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
        child_text(conference, "time_zone_name").as_deref(),
        "conference/time_zone_name",
        &offsets,
        &mut problems,
        &mut notes,
    );
    let day_change = child_text(conference, "day_change")
        .as_deref()
        .and_then(parse_clock)
        .or_else(|| source_day_change(&days, zone));
    let title = child_text(conference, "title")
        .map(|t| one_line(&t))
        .unwrap_or_default();
    let acronym = child_text(conference, "acronym")
        .map(|t| one_line(&t))
        .unwrap_or_default();
    let mut schedule = Schedule {
        acronym: Some(acronym.clone()).filter(|a| !a.is_empty()),
        days,
        format: Format::Xml,
        key: format!(
            "frab:{}",
            if acronym.is_empty() { &title } else { &acronym }
        ),
        title,
        description: [
            child_text(conference, "subtitle"),
            child_text(conference, "description"),
        ]
        .into_iter()
        .flatten()
        .map(|t| markdown(&t))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n"),
        start: child_text(conference, "start").and_then(|s| parse_bound(&s, zone, false)),
        end: child_text(conference, "end").and_then(|s| parse_bound(&s, zone, true)),
        time_zone: zone,
        day_change,
        rooms: Vec::new(),
        room_at: Default::default(),
        events: Vec::new(),
        problems,
        notes,
    };
    for room in rooms {
        schedule.add_room(&room, None);
    }
    let ctx = Context {
        zone,
        day_change: day_change.unwrap_or(NaiveTime::from_hms_opt(4, 0, 0).expect("valid")),
        base_url: child_text(conference, "base_url").or_else(|| child_text(conference, "url")),
    };
    for raw in raw_events {
        match raw.build(&ctx, &mut schedule.notes) {
            Ok(item) => schedule.events.push(item),
            Err(problem) => schedule.problems.push(problem),
        }
    }
    Ok(schedule)
}

/// The raw fields of an `<event>`.
fn raw_event(event: Node<'_, '_>) -> RawEvent {
    let text = |name: &'static str| child_text(event, name);
    let mut links: Vec<(String, String)> = Vec::new();
    for (list, item) in [("links", "link"), ("attachments", "attachment")] {
        for node in child(event, list)
            .into_iter()
            .flat_map(|l| children(l, item))
        {
            if let Some(href) = node.attribute("href") {
                links.push((all_text(node), href.to_owned()));
            }
        }
    }
    RawEvent {
        guid: event
            .attribute("guid")
            .map(str::to_owned)
            .or_else(|| text("guid")),
        id: event.attribute("id").map(str::to_owned),
        title: text("title"),
        subtitle: text("subtitle"),
        summary: text("abstract"),
        description: text("description"),
        date: text("date"),
        start: text("start"),
        duration: text("duration"),
        end: None,
        room: text("room"),
        day: None,
        tags: [text("track"), text("type")]
            .into_iter()
            .flatten()
            .collect(),
        track: text("track"),
        kind: text("type"),
        url: text("url"),
        do_not_record: child(event, "recording")
            .and_then(|r| child_text(r, "optout"))
            .is_some_and(|o| o.trim().eq_ignore_ascii_case("true")),
        language: text("language"),
        persons: child(event, "persons")
            .into_iter()
            .flat_map(|p| children(p, "person"))
            .map(all_text)
            .collect(),
        links,
    }
}

/// The child elements of `node` named `name`.
fn children<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The first child element named `name`.
fn child<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> Option<Node<'a, 'i>> {
    children(node, name).next()
}

/// The text of the first child element named `name`, if it has any that
/// is not blank.
fn child_text(node: Node<'_, '_>, name: &'static str) -> Option<String> {
    child(node, name)
        .map(all_text)
        .filter(|t| !t.trim().is_empty())
}

/// All text inside `node`, CDATA included.
fn all_text(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unnamed_room_leaves_the_events_own_room() {
        let xml = r#"<schedule>
  <conference><title>Camp</title><start>2027-07-16</start><end>2027-07-16</end></conference>
  <day date="2027-07-16" index="1">
    <room>
      <event id="1"><start>10:00</start><duration>01:00</duration><room>Boathouse</room><title>Rowing</title></event>
    </room>
  </day>
</schedule>"#;
        let schedule = parse_xml("schedule.xml", xml, Some(chrono_tz::UTC)).unwrap();
        let rooms: Vec<&str> = schedule.rooms.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(rooms, ["Boathouse"]);
        assert_eq!(schedule.events[0].room.as_deref(), Some("Boathouse"));
    }
}
