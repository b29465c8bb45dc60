use proptest::prelude::*;

use super::*;
use crate::feeds::fixture::{add_event, id, model};
use crate::materialize::RequestState;

const BERLIN: Tz = chrono_tz::Europe::Berlin;

fn feed(model: &Model) -> CalendarFeed<'_> {
    CalendarFeed {
        model,
        base_url: Some("https://camp.example/"),
        time_zone: Some(BERLIN),
        rooms: Default::default(),
    }
}

/// The calendar of one event titled `title`.
fn one_event(title: &str) -> String {
    let mut m = model(
        BERLIN,
        "2027-07-16T10:00:00+02:00",
        "2027-07-18T23:00:00+02:00",
    );
    add_event(
        &mut m,
        9,
        title,
        "2027-07-16T18:00:00+02:00",
        "2027-07-16T19:30:00+02:00",
    );
    let event = &m.events[&id(9)];
    feed(&m).calendar("Camp", &[event])
}

/// Content lines with folds undone (RFC 5545 §3.1).
fn unfold(ics: &str) -> Vec<String> {
    ics.replace("\r\n ", "")
        .split("\r\n")
        .map(str::to_owned)
        .collect()
}

fn value<'a>(lines: &'a [String], name: &str) -> &'a str {
    let prefix = format!("{name}:");
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in {lines:?}"))
}

/// The inverse of TEXT escaping.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// Every physical line is at most 75 octets and ends in CRLF.
fn assert_folded(ics: &str) {
    assert!(ics.ends_with("\r\n"));
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
    }
}

#[test]
fn folds_on_octets_never_inside_a_character() {
    // "SUMMARY:" is 8 octets; the padding moves each multi-octet character
    // across the 75-octet fold point.
    let pieces = ["🎪", "e\u{301}", "👩\u{200d}🔧", "中", "ü"];
    for piece in pieces {
        for pad in 60..70 {
            let title = format!("{}{}", "a".repeat(pad), piece.repeat(8));
            let ics = one_event(&title);
            assert_folded(&ics);
            let lines = unfold(&ics);
            assert_eq!(value(&lines, "SUMMARY"), title);
            let parsed = ical::IcalParser::new(ics.as_bytes())
                .next()
                .unwrap()
                .unwrap();
            let summary = parsed.events[0]
                .properties
                .iter()
                .find(|p| p.name == "SUMMARY")
                .and_then(|p| p.value.clone());
            assert_eq!(summary.as_deref(), Some(title.as_str()));
        }
    }
}

#[test]
fn escapes_text_values() {
    let ics = one_event("Tea, cake; and \\ more\nnext line");
    let lines = unfold(&ics);
    assert_eq!(
        value(&lines, "SUMMARY"),
        "Tea\\, cake\\; and \\\\ more next line"
    );
    assert_eq!(value(&lines, "CATEGORIES"), "Workshop,hard\\, ware");
    let description = unescape(value(&lines, "DESCRIPTION"));
    assert_eq!(
        description,
        "a subtitle\n\nShort abstract.\n\nBring tools; tea, too.\nSee notes <https://notes.example/a>."
    );
    assert!(value(&lines, "DESCRIPTION").contains("tools\\; tea\\, too.\\nSee"));
    // The calendar name is TEXT too, in both properties.
    let m = model(
        BERLIN,
        "2027-07-16T10:00:00+02:00",
        "2027-07-18T23:00:00+02:00",
    );
    let lines = unfold(&feed(&m).calendar("A, B; C\\D\nE", &[]));
    assert_eq!(value(&lines, "NAME"), "A\\, B\\; C\\\\D E");
    assert_eq!(value(&lines, "X-WR-CALNAME"), "A\\, B\\; C\\\\D E");
}

#[test]
fn writes_place_url_status_and_sequence() {
    let ics = one_event("Soldering");
    let lines = unfold(&ics);
    assert_eq!(value(&lines, "LOCATION"), "Big Tent");
    assert_eq!(value(&lines, "GEO"), "52.500000;13.250000");
    assert_eq!(
        value(&lines, "URL"),
        format!("https://camp.example/events/{}/", id(9))
    );
    assert_eq!(value(&lines, "UID"), format!("{}@pandafest", id(9)));
    assert_eq!(value(&lines, "STATUS"), "CONFIRMED");
    assert_eq!(value(&lines, "SEQUENCE"), "2");
    assert_eq!(value(&lines, "DTSTAMP"), "20270716T160000Z");
    assert_eq!(value(&lines, "X-WR-TIMEZONE"), "Europe/Berlin");

    let mut m = model(
        BERLIN,
        "2027-07-16T10:00:00+02:00",
        "2027-07-18T23:00:00+02:00",
    );
    add_event(
        &mut m,
        9,
        "Pending",
        "2027-07-16T18:00:00+02:00",
        "2027-07-16T19:00:00+02:00",
    );
    let event = m.events.get_mut(&id(9)).unwrap();
    event.requests[0].state = RequestState::Pending;
    event.requests.push(crate::materialize::Request {
        resource: id(3),
        state: RequestState::Confirmed,
        note: None,
    });
    let lines = unfold(&feed(&m).calendar("x", &[&m.events[&id(9)]]));
    assert_eq!(value(&lines, "STATUS"), "TENTATIVE");
    assert_eq!(value(&lines, "LOCATION"), "Boathouse");
    assert_eq!(value(&lines, "RESOURCES"), "Big Tent");
    assert!(!lines.iter().any(|l| l.starts_with("GEO")));
    let event = m.events.get_mut(&id(9)).unwrap();
    event.version.deleted = true;
    event.requests[1].state = RequestState::Denied;
    let lines = unfold(&feed(&m).calendar("x", &[&m.events[&id(9)]]));
    assert_eq!(value(&lines, "STATUS"), "CANCELLED");
    assert_eq!(value(&lines, "LOCATION"), "Big Tent");
}

#[test]
fn writes_utc_times_across_a_dst_change() {
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
    let lines = unfold(&feed(&m).calendar("x", &[&m.events[&id(9)]]));
    assert_eq!(value(&lines, "DTSTART"), "20271030T233000Z");
    assert_eq!(value(&lines, "DTEND"), "20271031T023000Z");
}

#[test]
fn writes_an_event_across_midnight_in_utc() {
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
    let ics = feed(&m).calendar("x", &[&m.events[&id(9)]]);
    let lines = unfold(&ics);
    assert_eq!(value(&lines, "DTSTART"), "20270716T213000Z");
    assert_eq!(value(&lines, "DTEND"), "20270717T003000Z");
    // No floating or TZID times anywhere.
    for line in lines.iter().filter(|l| l.starts_with("DT")) {
        assert!(line.ends_with('Z') && !line.contains("TZID"), "{line}");
    }
}

proptest! {
    #[test]
    fn any_title_folds_and_unfolds_to_itself(
        title in "[a ,;\\\\é\u{301}🎪中\u{200d}x]{1,120}"
    ) {
        let ics = one_event(&title);
        assert_folded(&ics);
        let lines = unfold(&ics);
        prop_assert_eq!(unescape(value(&lines, "SUMMARY")), one_line(&title));
    }
}
