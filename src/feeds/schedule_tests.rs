use chrono_tz::Tz;

use super::*;
use crate::feeds::fixture::{add_event, at, four, id, model};
use crate::feeds::{Plan, schedule_json};
use crate::materialize::{Event, Model};

const BERLIN: Tz = chrono_tz::Europe::Berlin;

fn plan(m: &Model) -> Plan {
    let events: Vec<&Event> = m.events.values().collect();
    Plan::new(
        m,
        &m.festivals[&id(1)],
        &events,
        four(),
        Some("https://camp.example/"),
    )
}

fn parse(xml: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"))
}

fn texts(doc: &roxmltree::Document<'_>, name: &str) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name(name))
        .map(|n| n.text().unwrap_or("").to_owned())
        .collect()
}

fn attrs(doc: &roxmltree::Document<'_>, name: &str, attr: &str) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name(name))
        .filter_map(|n| n.attribute(attr).map(str::to_owned))
        .collect()
}

#[test]
fn days_follow_the_day_change_across_dst() {
    // Clocks go back from 03:00 CEST to 02:00 CET on 31 October 2027.
    let mut m = model(
        BERLIN,
        "2027-10-30T10:00:00+02:00",
        "2027-11-01T12:00:00+01:00",
    );
    add_event(
        &mut m,
        9,
        "Night",
        "2027-10-31T01:30:00+02:00",
        "2027-10-31T03:30:00+01:00",
    );
    add_event(
        &mut m,
        10,
        "Morning",
        "2027-10-31T10:00:00+01:00",
        "2027-10-31T11:00:00+01:00",
    );
    let xml = schedule_xml(&plan(&m));
    let doc = parse(&xml);
    assert_eq!(
        attrs(&doc, "day", "date"),
        ["2027-10-30", "2027-10-31", "2027-11-01"]
    );
    assert_eq!(
        attrs(&doc, "day", "start"),
        [
            "2027-10-30T04:00:00+02:00",
            "2027-10-31T04:00:00+01:00",
            "2027-11-01T04:00:00+01:00"
        ]
    );
    assert_eq!(attrs(&doc, "day", "end")[0], "2027-10-31T04:00:00+01:00");
    // The night event belongs to the 30th and lasts three real hours.
    assert_eq!(
        texts(&doc, "date"),
        ["2027-10-31T01:30:00+02:00", "2027-10-31T10:00:00+01:00"]
    );
    assert_eq!(texts(&doc, "start")[1..], ["01:30", "10:00"]);
    assert_eq!(texts(&doc, "duration"), ["03:00", "01:00"]);
    let first_day = doc.descendants().find(|n| n.has_tag_name("day")).unwrap();
    assert_eq!(
        first_day
            .descendants()
            .filter(|n| n.has_tag_name("event"))
            .count(),
        1
    );
}

#[test]
fn an_event_across_midnight_stays_on_its_day() {
    let mut m = model(
        BERLIN,
        "2027-07-16T10:00:00+02:00",
        "2027-07-18T23:00:00+02:00",
    );
    add_event(
        &mut m,
        9,
        "Late",
        "2027-07-16T23:30:00+02:00",
        "2027-07-17T02:30:00+02:00",
    );
    add_event(
        &mut m,
        10,
        "Later",
        "2027-07-17T01:00:00+02:00",
        "2027-07-17T01:45:00+02:00",
    );
    let plan = plan(&m);
    assert_eq!(plan.days.len(), 3);
    let day = &plan.days[0];
    let titles: Vec<&str> = day
        .rooms
        .iter()
        .flat_map(|(_, s)| s)
        .map(|s| s.title.as_str())
        .collect();
    assert_eq!(titles, ["Late", "Later"]);
    let json: serde_json::Value = serde_json::from_str(&schedule_json(&plan)).unwrap();
    let event = &json["schedule"]["conference"]["days"][0]["rooms"]["Big Tent"][0];
    assert_eq!(event["date"], "2027-07-16T23:30:00+02:00");
    assert_eq!(event["end"], "2027-07-17T02:30:00+02:00");
    assert_eq!(event["duration"], "03:00");
    assert_eq!(event["start"], "23:30");
    assert_eq!(plan.timeslot_minutes, 15);
}

#[test]
fn writes_conference_event_fields_and_escapes() {
    let mut m = model(
        BERLIN,
        "2027-07-16T10:00:00+02:00",
        "2027-07-18T23:00:00+02:00",
    );
    add_event(
        &mut m,
        9,
        "Fish & <Chips> \"now\"\u{7}",
        "2027-07-16T18:00:00+02:00",
        "2027-07-16T19:30:00+02:00",
    );
    let plan = plan(&m);
    let xml = schedule_xml(&plan);
    let doc = parse(&xml);
    assert_eq!(texts(&doc, "acronym"), ["lake_camp_2027_the_best"]);
    assert_eq!(texts(&doc, "time_zone_name"), ["Europe/Berlin"]);
    assert_eq!(texts(&doc, "title")[1], "Fish & <Chips> \"now\"");
    assert_eq!(
        texts(&doc, "slug"),
        [format!(
            "lake_camp_2027_the_best-{}-fish-chips-now",
            0x0909_0909
        )]
    );
    assert_eq!(texts(&doc, "type"), ["Workshop"]);
    assert_eq!(texts(&doc, "track")[1..], ["hard, ware"]);
    assert_eq!(attrs(&doc, "track", "name"), ["hard, ware"]);
    assert_eq!(texts(&doc, "person"), ["Ada"]);
    assert_eq!(
        attrs(&doc, "link", "href"),
        ["https://slides.example/x?a=1&b=%3C2%3E"]
    );
    assert_eq!(
        texts(&doc, "url")[2],
        format!("https://camp.example/events/{}/", id(9))
    );
    let guid = attrs(&doc, "event", "guid");
    assert_eq!(
        guid,
        [uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("pandafest:event:{}", id(9)).as_bytes()
        )
        .to_string()]
    );
    assert!(xml.contains("<title>Fish &amp; &lt;Chips&gt; \"now\"</title>"));
    let json: serde_json::Value = serde_json::from_str(&schedule_json(&plan)).unwrap();
    let conference = &json["schedule"]["conference"];
    assert_eq!(conference["daysCount"], 3);
    assert_eq!(conference["rooms"][0]["name"], "Big Tent");
    let event = &conference["days"][0]["rooms"]["Big Tent"][0];
    assert_eq!(event["guid"], guid[0]);
    assert_eq!(event["persons"][0]["name"], "Ada");
    assert_eq!(
        event["abstract"], "Short *abstract*.",
        "Markdown without raw HTML goes out as it is"
    );
    assert_eq!(event["title"], "Fish & <Chips> \"now\"");
    let text = schedule_json(&plan);
    assert!(
        text.contains(r#""Fish \u0026 \u003cChips\u003e \"now\"""#),
        "{text}"
    );
    assert_eq!(event["language"], "en");
}

#[test]
fn leaves_out_what_the_formats_cannot_hold() {
    let mut m = model(
        chrono_tz::Etc::GMTPlus5,
        "2027-07-16T10:00:00+02:00",
        "2027-07-28T23:00:00+02:00",
    );
    add_event(
        &mut m,
        9,
        "Long",
        "2027-07-16T18:00:00+02:00",
        "2027-07-21T19:30:00+02:00",
    );
    add_event(
        &mut m,
        10,
        "🎪",
        "2027-07-16T18:00:00+02:00",
        "2027-07-16T19:00:00+02:00",
    );
    let plan = plan(&m);
    let doc_text = schedule_xml(&plan);
    let doc = parse(&doc_text);
    assert_eq!(texts(&doc, "duration"), ["01:00"]);
    assert_eq!(
        texts(&doc, "slug"),
        [format!("lake_camp_2027_the_best-{}-event", 0x0a0a_0a0a)]
    );
    let json: serde_json::Value = serde_json::from_str(&schedule_json(&plan)).unwrap();
    assert!(
        json["schedule"]["conference"]
            .get("time_zone_name")
            .is_none()
    );
    let rooms = &json["schedule"]["conference"]["days"][1]["rooms"]["Big Tent"];
    // 10:00+02:00 is 03:00 in Etc/GMT+5: before the day change, so the
    // festival starts on the day before.
    assert_eq!(
        json["schedule"]["conference"]["days"][0]["date"],
        "2027-07-15"
    );
    assert_eq!(rooms[0]["duration"], "121:30");
    assert_eq!(
        plan.start.to_rfc3339(),
        at("2027-07-16T03:00:00-05:00").to_rfc3339()
    );
}

#[test]
fn escapes_xml_and_drops_what_xml_cannot_hold() {
    assert_eq!(
        escape("a&b<c>\"\u{1}\u{FFFF}\n", false),
        "a&amp;b&lt;c&gt;\"\n"
    );
    assert_eq!(escape("\"x\"\n\t", true), "&quot;x&quot;&#10;&#9;");
}

proptest::proptest! {
    #[test]
    fn escapes_character_by_character(
        text in "[a&<>\"\n\t\r\u{0}\u{1f}\u{7f}\u{85}é\u{fffd}\u{fffe}\u{ffff}]{0,24}",
        attribute: bool,
    ) {
        let mut expected = String::new();
        for c in text.chars() {
            match c {
                '&' => expected.push_str("&amp;"),
                '<' => expected.push_str("&lt;"),
                '>' => expected.push_str("&gt;"),
                '"' if attribute => expected.push_str("&quot;"),
                '\n' if attribute => expected.push_str("&#10;"),
                '\t' if attribute => expected.push_str("&#9;"),
                '\r' => expected.push_str("&#13;"),
                '\n' | '\t' => expected.push(c),
                c if c.is_control() && (c as u32) < 0x20 => {}
                '\u{FFFE}' | '\u{FFFF}' => {}
                c => expected.push(c),
            }
        }
        proptest::prop_assert_eq!(escape(&text, attribute), expected);
    }
}

#[test]
fn the_version_changes_with_what_the_schedule_shows() {
    let mut m = model(
        BERLIN,
        "2027-07-16T10:00:00+02:00",
        "2027-07-18T22:00:00+02:00",
    );
    let talk = add_event(
        &mut m,
        9,
        "Talk",
        "2027-07-16T12:00:00+02:00",
        "2027-07-16T13:00:00+02:00",
    );
    let first = plan(&m).version;
    assert_eq!(plan(&m).version, first, "the same model, the same version");
    // The room is renamed: no event changes, the schedule does.
    m.resources.get_mut(&id(2)).unwrap().title = "Circus Tent".into();
    let renamed = plan(&m).version;
    assert_ne!(renamed, first);
    // A decision moves the event to the boathouse.
    m.events.get_mut(&talk).unwrap().requests[0].resource = id(3);
    let moved = plan(&m).version;
    assert_ne!(moved, renamed);
    // Another base URL.
    let events: Vec<&Event> = m.events.values().collect();
    let elsewhere = Plan::new(
        &m,
        &m.festivals[&id(1)],
        &events,
        four(),
        Some("https://elsewhere.example/"),
    );
    assert_ne!(elsewhere.version, moved);
}
