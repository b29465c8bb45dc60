//! `import-schedule`: the three real schedules in `../shared/data/schedules`
//! (38C3 frab XML, rC3 pretalx JSON, Kieler Linuxtage iCalendar) import with
//! the source's counts and local times, re-import is idempotent and
//! incremental, the result builds into a site; each bad input in
//! `tests/fixtures/import/<case>` gets its error text.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime, Timelike};
use indicatif::ProgressBar;
use pandafest::days::schedule_day;
use pandafest::festival_dir::FestivalDir;
use pandafest::import::{
    ImportOptions, ImportSummary, import_schedule, parse_schedule, read_source,
};
use pandafest::materialize::{Model, materialize};
use pandafest::pipeline::build_site;

fn real(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/schedules")
        .join(name);
    path.to_str().unwrap().to_owned()
}

fn import(source: &str, into: &Path, zone: Option<&str>) -> ImportSummary {
    let options = ImportOptions {
        time_zone: zone.map(str::to_owned),
        ..ImportOptions::new(source, into)
    };
    import_schedule(&options, |_| ProgressBar::hidden()).unwrap()
}

fn model(dir: &Path) -> Model {
    materialize(&FestivalDir::open(dir).unwrap().store).unwrap()
}

fn entry_count(dir: &Path) -> u64 {
    FestivalDir::open(dir)
        .unwrap()
        .store
        .read()
        .entry_count()
        .unwrap()
}

/// (live events, rooms, schedule days with the directory's day change).
fn counts(dir: &Path, model: &Model) -> (usize, usize, usize) {
    let fest = FestivalDir::open(dir).unwrap();
    let day_change = fest.config.day_change(&fest.config_path()).unwrap();
    let festival = model.festivals.values().next().unwrap();
    let live: Vec<_> = model
        .events
        .values()
        .filter(|e| !e.version.deleted)
        .collect();
    let days: std::collections::BTreeSet<_> = live
        .iter()
        .map(|e| schedule_day(e.start, festival.time_zone, day_change))
        .collect();
    let rooms = model
        .resources
        .values()
        .filter(|r| r.location.is_some())
        .count();
    (live.len(), rooms, days.len())
}

fn build(dir: &Path) -> (tempfile::TempDir, PathBuf, usize) {
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let mut fest = FestivalDir::open(dir).unwrap();
    let summary = build_site(&mut fest, &site, |_| ProgressBar::hidden()).unwrap();
    assert!(summary.report.is_clean(), "{:?}", summary.report.lines());
    (out, site, summary.pages)
}

/// Speakers who opted out of recording stay opted out: frab's
/// `recording/optout` and schedule.json's `do_not_record` come back out.
#[test]
fn recording_opt_outs_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("38c3");
    import(&real("38c3-schedule.xml"), &dir, None);
    let source = std::fs::read_to_string(real("38c3-schedule.xml")).unwrap();
    let opted_out = source.matches("<optout>true</optout>").count();
    assert_eq!(opted_out, 25);
    assert_eq!(
        model(&dir)
            .events
            .values()
            .filter(|e| e.do_not_record)
            .count(),
        opted_out
    );
    let (_out, site, _) = build(&dir);
    let xml = std::fs::read_to_string(site.join("schedule.xml")).unwrap();
    assert_eq!(xml.matches("<optout>true</optout>").count(), opted_out);
    let json = std::fs::read_to_string(site.join("schedule.json")).unwrap();
    assert_eq!(json.matches("\"do_not_record\": true").count(), opted_out);

    let dir = tmp.path().join("rc3");
    import(&real("rc3-2020-pretalx.json"), &dir, None);
    let (_out, site, _) = build(&dir);
    let json = std::fs::read_to_string(site.join("schedule.json")).unwrap();
    assert_eq!(json.matches("\"do_not_record\": true").count(), 3);
}

#[test]
fn imports_38c3_with_its_counts_times_and_days() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("38c3");
    let summary = import(&real("38c3-schedule.xml"), &dir, None);
    assert_eq!(
        (summary.events, summary.rooms, summary.days),
        (1007, 72, 4),
        "{:?}",
        summary.lines()
    );
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    assert_eq!(
        (summary.created, summary.operations),
        (1007, 1 + 72 + 2 * 1007)
    );
    assert_eq!(
        summary.day_change,
        NaiveTime::from_hms_opt(6, 0, 0).unwrap()
    );
    let model = model(&dir);
    assert_eq!(counts(&dir, &model), (1007, 72, 4));

    // The opening: the source's instant and local time.
    let opening = model
        .events
        .values()
        .find(|e| e.title == "38C3: Opening Ceremony")
        .unwrap();
    assert_eq!(opening.start.to_rfc3339(), "2024-12-27T10:30:00+01:00");
    assert_eq!(
        opening.persons,
        ["Gabriela Bogk", "Senficon", "Aline Blankertz"]
    );
    assert!(
        opening.tags.contains(&"CCC".to_owned()) && opening.tags.contains(&"Ceremony".to_owned())
    );
    // Every request is confirmed by the bridge; the source itself has two
    // overlapping events in one room, which stay conflicts.
    let states: Vec<_> = model
        .events
        .values()
        .flat_map(|e| &e.requests)
        .map(|r| r.state.as_str())
        .collect();
    assert_eq!(states.len(), 1007);
    assert_eq!(states.iter().filter(|s| **s == "confirmed").count(), 1005);
    assert_eq!(states.iter().filter(|s| **s == "conflict").count(), 2);

    // 58 talks after midnight belong to the previous day, as in the source.
    let text = read_source(&real("38c3-schedule.xml"), u64::MAX).unwrap();
    let schedule = parse_schedule("38c3", &text, None, None).unwrap();
    let zone = schedule.time_zone;
    let late = schedule
        .events
        .iter()
        .filter(|e| e.start.with_timezone(&zone).hour() < 6);
    assert_eq!(late.count(), 58);
    for item in &schedule.events {
        assert_eq!(
            Some(schedule_day(item.start, zone, summary.day_change)),
            item.day,
            "{}",
            item.title
        );
    }
    let (_out, site, pages) = build(&dir);
    assert!(pages > 1007 + 72);
    for day in ["2024-12-27", "2024-12-28", "2024-12-29", "2024-12-30"] {
        assert!(
            site.join("schedule").join(day).join("index.html").exists(),
            "{day}"
        );
    }
    assert!(!site.join("schedule/2024-12-31").exists());
}

#[test]
fn reimport_adds_nothing_and_a_newer_version_updates_and_deletes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("38c3");
    import(&real("38c3-schedule.xml"), &dir, None);
    let entries = entry_count(&dir);
    let again = import(&real("38c3-schedule.xml"), &dir, None);
    assert_eq!(
        (again.operations, again.unchanged, again.created),
        (0, 1007, 0)
    );
    assert_eq!(entry_count(&dir), entries);
    // logs/ is enough: without the local store nothing is published twice.
    for entry in std::fs::read_dir(dir.join(".pandafest")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("store")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    assert_eq!(import(&real("38c3-schedule.xml"), &dir, None).operations, 0);
    assert_eq!(entry_count(&dir), entries);

    // A newer version: one title changed, one event removed.
    let text = std::fs::read_to_string(real("38c3-schedule.xml")).unwrap();
    let changed = text.replacen(
        "<title>38C3: Opening Ceremony</title>",
        "<title>38C3: Opening Ceremony (moved up)</title>",
        1,
    );
    let guid = "78910469-adfa-5c79-8529-1a9d66ef9e6a";
    let start = changed.find(&format!("<event guid=\"{guid}\"")).unwrap();
    let end = start + changed[start..].find("</event>").unwrap() + "</event>".len();
    let removed_title = between(&changed[start..end], "<title>", "</title>").to_owned();
    let newer = format!("{}{}", &changed[..start], &changed[end..]);
    let newer_path = tmp.path().join("schedule-v2.xml");
    std::fs::write(&newer_path, newer).unwrap();

    let update = import(newer_path.to_str().unwrap(), &dir, None);
    assert_eq!(
        (
            update.created,
            update.updated,
            update.deleted,
            update.operations
        ),
        (0, 1, 1, 2),
        "{:?}",
        update.lines()
    );
    assert_eq!(update.unchanged, 1005);
    let model = model(&dir);
    let renamed = model
        .events
        .values()
        .find(|e| e.title == "38C3: Opening Ceremony (moved up)")
        .unwrap();
    assert_eq!(renamed.version.sequence, 1);
    assert_eq!(renamed.confirmed_percent(), 100);
    let gone = model
        .events
        .values()
        .find(|e| e.title == removed_title)
        .unwrap();
    assert!(gone.version.deleted);
    assert_eq!(counts(&dir, &model), (1006, 72, 4));
    assert_eq!(
        import(newer_path.to_str().unwrap(), &dir, None).operations,
        0
    );
}

fn between<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text.find(from).unwrap() + from.len();
    &text[start..start + text[start..].find(to).unwrap()]
}

#[test]
fn imports_rc3_pretalx_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rc3");
    let summary = import(&real("rc3-2020-pretalx.json"), &dir, Some("Europe/Berlin"));
    assert_eq!(
        (summary.events, summary.rooms, summary.days),
        (48, 5, 4),
        "{:?}",
        summary.lines()
    );
    assert!(summary.skipped.is_empty());
    let model = model(&dir);
    assert_eq!(counts(&dir, &model), (48, 5, 4));
    let talk = model
        .events
        .values()
        .find(|e| e.title == "Der faule Admin automatisiert: Gluon auf echter Hardware testen")
        .unwrap();
    assert_eq!(talk.start.to_rfc3339(), "2020-12-27T11:30:00+01:00");
    assert_eq!(talk.end.to_rfc3339(), "2020-12-27T12:10:00+01:00");
    assert_eq!(talk.persons, ["Chris Fiege", "Kasa"]);
    assert_eq!(talk.language.as_deref(), Some("de"));
    assert!(model.events.values().all(|e| e.confirmed_percent() == 100));
    // HTML paragraphs in pretalx descriptions become Markdown.
    assert!(
        model
            .events
            .values()
            .all(|e| !e.description.contains("<p>"))
    );
    assert_eq!(
        import(&real("rc3-2020-pretalx.json"), &dir, Some("Europe/Berlin")).operations,
        0
    );
    build(&dir);
}

#[test]
fn imports_kieler_linuxtage_icalendar() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kielux");
    let summary = import(&real("kielux2020.ics"), &dir, Some("Europe/Berlin"));
    assert_eq!(
        (summary.events, summary.rooms, summary.days),
        (24, 4, 2),
        "{:?}",
        summary.lines()
    );
    assert!(summary.skipped.is_empty());
    let model = model(&dir);
    assert_eq!(counts(&dir, &model), (24, 4, 2));
    let festival = model.festivals.values().next().unwrap();
    assert_eq!(festival.name, "18. Kieler Open Source und Linux Tage");
    // DTSTART:20200918T110000Z is 13:00 in Kiel.
    let talk = model
        .events
        .values()
        .find(|e| e.title == "OpenCelium - Der generische OpenSoure API-Hub")
        .unwrap();
    assert_eq!(talk.start.to_rfc3339(), "2020-09-18T13:00:00+02:00");
    assert_eq!(talk.persons, ["Jakob Semere"]);
    let xen = model
        .events
        .values()
        .find(|e| e.title == "Xen - ist das nicht tot?")
        .unwrap();
    assert!(
        xen.description.contains("*die* Plattform"),
        "{}",
        xen.description
    );
    assert!(
        xen.description.contains("Entwicklungen"),
        "folded lines join: {}",
        xen.description
    );
    assert!(model.events.values().all(|e| e.confirmed_percent() == 100));
    assert_eq!(
        import(&real("kielux2020.ics"), &dir, Some("Europe/Berlin")).operations,
        0
    );
    let (_out, site, _) = build(&dir);
    assert!(site.join("schedule/2020-09-18/index.html").exists());
}

fn fixture(case: &str, file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(case)
        .join(file);
    path.to_str().unwrap().to_owned()
}

fn import_error(options: ImportOptions) -> String {
    let error = import_schedule(&options, |_| ProgressBar::hidden()).unwrap_err();
    assert!(!options.into.exists(), "nothing is written on an error");
    error.to_string()
}

#[test]
fn rejects_what_is_no_schedule_with_the_file_named() {
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("out");
    for (case, file, expected) in [
        (
            "not-a-schedule",
            "schedule.txt",
            "schedule.txt: not a schedule (frab/Pentabarf XML, schedule.json or iCalendar): it starts with `This is a README",
        ),
        (
            "malformed-xml",
            "schedule.xml",
            "schedule.xml: malformed frab/Pentabarf schedule.xml: expected 'title' tag, not 'room' at 8:5",
        ),
        (
            "malformed-json",
            "schedule.json",
            "schedule.json: malformed frab/pretalx schedule.json: expected value at line 1 column 75",
        ),
        (
            "entity-expansion",
            "schedule.xml",
            "schedule.xml: malformed frab/Pentabarf schedule.xml: XML with DTD detected",
        ),
        (
            "wrong-root",
            "schedule.xml",
            "schedule.xml: not a schedule (frab/Pentabarf XML, schedule.json or iCalendar): the XML root element is <rss>, not <schedule>",
        ),
    ] {
        let message = import_error(ImportOptions::new(fixture(case, file), &into));
        assert!(message.contains(expected), "{case}: {message}");
    }
    let huge = ImportOptions {
        max_size: 100,
        ..ImportOptions::new(fixture("pentabarf", "schedule.xml"), &into)
    };
    assert!(
        import_error(huge)
            .ends_with("schedule.xml: the schedule is larger than the limit of 100 bytes")
    );
    let zone = ImportOptions {
        time_zone: Some("Mars/Olympus_Mons".into()),
        ..ImportOptions::new(fixture("pentabarf", "schedule.xml"), &into)
    };
    assert_eq!(
        import_error(zone),
        "--time-zone `Mars/Olympus_Mons` is not an IANA time zone such as Europe/Berlin"
    );
    let message = import_error(ImportOptions::new(
        fixture("all-events-bad", "schedule.xml"),
        &into,
    ));
    assert!(
        message.contains("no event could be imported")
            && message.contains("event `eeeeeeee-0000-4000-8000-000000000001` (“Never ends”): field `duration`: `soon` is not a duration"),
        "{message}"
    );
}

/// Imports a fixture into a fresh directory; returns the summary and model.
fn import_fixture(case: &str, file: &str, zone: Option<&str>) -> (ImportSummary, Model) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(case);
    let summary = import(&fixture(case, file), &dir, zone);
    let model = model(&dir);
    build(&dir);
    (summary, model)
}

#[test]
fn a_bad_optional_field_is_left_out_and_the_event_imported() {
    let event = "event `aaaaaaaa-0000-4000-8000-000000000001` (“Kept with its good fields”)";
    for (case, note) in [
        (
            "link-empty-host",
            "event `frab:aaaaaaaa-0000-4000-8000-000000000001` (“Kept with its good fields”): field `links.url`: `https://` is not an http or https URL; left out, the event imported".to_owned(),
        ),
        (
            "javascript-link",
            format!("{event}: field `links.url`: `javascript:alert(1)` is not an http or https URL; the link is left out, the event imported"),
        ),
        (
            "long-link",
            format!("{event}: field `links.url`: `https://example.org/aaaaaaaaaaaaaaaaaaaa…` is 2120 bytes, the limit is 2048; the link is left out, the event imported"),
        ),
        (
            "empty-person",
            format!("{event}: field `persons`: 1 empty, left out; the event imported"),
        ),
        ("long-track", format!("{event}: track cut to the field limit")),
    ] {
        let (summary, model) = import_fixture(case, "schedule.xml", None);
        assert!(summary.skipped.is_empty(), "{case}: {:?}", summary.skipped);
        assert!(
            summary.notes.contains(&note),
            "{case}: no note {note:?} in {:?}",
            summary.notes
        );
        let events: Vec<_> = model.events.values().collect();
        assert_eq!(events.len(), 1, "{case}: the event is there");
        let kept = events[0];
        assert_eq!(kept.title, "Kept with its good fields");
        assert_eq!(kept.persons, ["Ada"], "{case}");
        match case {
            "link-empty-host" => assert_eq!(
                kept.links.iter().map(|l| l.url.as_str()).collect::<Vec<_>>(),
                ["https://example.org/slides"]
            ),
            "long-track" => assert_eq!(kept.track.as_deref().map(str::len), Some(100)),
            _ => assert!(kept.links.is_empty(), "{case}"),
        }
        if case != "long-track" {
            assert_eq!(kept.track.as_deref(), Some("Hardware"), "{case}");
        }
    }
}

#[test]
fn skips_bad_events_by_name_and_field_and_imports_the_rest() {
    for (case, file, expected) in [
        (
            "event-without-start",
            "schedule.xml",
            "event `aaaaaaaa-0000-4000-8000-000000000002` (“Talk without a start”): field `start`: the event has no start",
        ),
        (
            "bad-duration",
            "schedule.xml",
            "event `aaaaaaaa-0000-4000-8000-000000000003` (“Unreadable duration”): field `duration`: `1h30` is not a duration such as 01:30 or 1:30:00",
        ),
        (
            "duplicate-guids",
            "schedule.json",
            "event `dddddddd-0000-4000-8000-000000000001` (“Second with the same guid”): field `guid`: `dddddddd-0000-4000-8000-000000000001` is used by an earlier event (“First”) already",
        ),
        (
            "unknown-time-zone",
            "schedule.xml",
            "field `conference/time_zone_name`: `Mars/Olympus_Mons` is not an IANA time zone",
        ),
    ] {
        let (summary, model) = import_fixture(case, file, None);
        assert_eq!(summary.skipped.len(), 1, "{case}: {:?}", summary.skipped);
        let line = &summary.skipped[0];
        assert!(
            line.contains(&format!("{case}/{file}: {expected}")),
            "{case}: {line}"
        );
        assert_eq!(
            model.events.len(),
            1,
            "{case}: the valid event is imported, nothing else"
        );
        assert_eq!(summary.events, 1);
    }
    let (summary, model) = import_fixture("unknown-time-zone", "schedule.xml", None);
    assert_eq!(
        model.festivals.values().next().unwrap().time_zone.name(),
        "Etc/GMT-2"
    );
    assert!(
        summary.notes.iter().any(|n| n.contains("Etc/GMT-2")),
        "{:?}",
        summary.notes
    );
}

#[test]
fn pentabarf_times_come_from_the_day_and_the_given_zone() {
    let (summary, model) = import_fixture("pentabarf", "schedule.xml", Some("Europe/Brussels"));
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    assert_eq!((summary.events, summary.rooms, summary.days), (3, 2, 2));
    let event = |title: &str| model.events.values().find(|e| e.title == title).unwrap();
    assert_eq!(
        event("Welcome").start.to_rfc3339(),
        "2010-02-06T09:30:00+01:00"
    );
    assert_eq!(
        event("Welcome").end.to_rfc3339(),
        "2010-02-06T11:00:00+01:00"
    );
    assert_eq!(
        event("Welcome").summary.as_deref(),
        Some("Opening words & **news**.")
    );
    assert_eq!(
        event("Welcome").links[0].url,
        "http://example.org/slides.pdf"
    );
    // 01:00 on the first day is after midnight: the next calendar date, the
    // same schedule day (day_change 04:00).
    let late = event("After midnight");
    assert_eq!(late.start.to_rfc3339(), "2010-02-07T01:00:00+01:00");
    assert_eq!(late.end.to_rfc3339(), "2010-02-07T02:30:00+01:00");
    let zone = chrono_tz::Europe::Brussels;
    let day = schedule_day(late.start, zone, NaiveTime::from_hms_opt(4, 0, 0).unwrap());
    assert_eq!(day, NaiveDate::from_ymd_opt(2010, 2, 6).unwrap());
    assert_eq!(
        event("Sunday talk").end.to_rfc3339(),
        "2010-02-07T11:45:00+01:00"
    );
    assert_eq!(event("Sunday talk").language.as_deref(), Some("fr"));

    let (summary, model) = import_fixture("pentabarf", "schedule.xml", None);
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("no time zone in the source: using UTC"))
    );
    let welcome = model
        .events
        .values()
        .find(|e| e.title == "Welcome")
        .unwrap();
    assert_eq!(welcome.start.to_rfc3339(), "2010-02-06T09:30:00+00:00");
}

#[test]
fn icalendar_events_that_reuse_a_uid_at_other_starts_are_each_imported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("camp");
    let source = fixture("ical-reused-uids", "calendar.ics");
    let summary = import(&source, &dir, Some("Europe/Berlin"));
    assert_eq!(
        summary.created, 3,
        "{:?} {:?}",
        summary.notes, summary.skipped
    );
    assert!(
        summary.notes.contains(
            &"3 events share a UID (1 UIDs) with events at other starts and no RECURRENCE-ID: each is imported as an event of its own, known by its UID and start".to_owned()
        ),
        "{:?}",
        summary.notes
    );
    // The fourth has the UID and the start of the first: a repeat.
    assert_eq!(summary.skipped.len(), 1, "{:?}", summary.skipped);
    assert!(
        summary.skipped[0].contains("“Morning again”"),
        "{:?}",
        summary.skipped
    );
    let titles: std::collections::BTreeSet<String> = model(&dir)
        .events
        .values()
        .map(|e| e.title.clone())
        .collect();
    assert_eq!(
        titles,
        ["Morning", "Next morning", "Noon"]
            .map(str::to_owned)
            .into()
    );
    // A re-import with one title changed updates that one event.
    let changed = tmp.path().join("changed.ics");
    std::fs::write(
        &changed,
        std::fs::read_to_string(&source)
            .unwrap()
            .replace("SUMMARY:Noon", "SUMMARY:Noon, moved to the lake"),
    )
    .unwrap();
    let again = import(changed.to_str().unwrap(), &dir, Some("Europe/Berlin"));
    assert_eq!(
        (again.created, again.updated, again.deleted, again.unchanged),
        (0, 1, 0, 2)
    );
}

#[test]
fn icalendar_zones_floating_times_and_bad_events() {
    let (summary, model) = import_fixture("ical-edge-cases", "calendar.ics", None);
    let event = |title: &str| model.events.values().find(|e| e.title == title).unwrap();
    let berlin = event("TZID without VTIMEZONE");
    assert_eq!(berlin.start.to_rfc3339(), "2027-07-16T10:00:00+02:00");
    assert_eq!(berlin.tags, ["Talk", "Science, Tech"]);
    assert_eq!(
        berlin.description,
        "Line one\nline two with a folded long line"
    );
    assert_eq!(berlin.persons, ["Ada Lovelace"]);
    // Floating times are in the festival's zone, the first TZID here.
    assert_eq!(
        event("Floating time").start.to_rfc3339(),
        "2027-07-16T12:00:00+02:00"
    );
    assert_eq!(
        event("Floating time").end.to_rfc3339(),
        "2027-07-16T13:30:00+02:00"
    );
    assert_eq!(
        event("UTC time").start.to_rfc3339(),
        "2027-07-16T16:00:00+02:00"
    );
    assert_eq!(
        event("All-day workshop").start.to_rfc3339(),
        "2027-07-17T04:00:00+02:00"
    );
    assert_eq!(
        event("All-day workshop").end.to_rfc3339(),
        "2027-07-18T04:00:00+02:00"
    );
    let garden = model
        .resources
        .values()
        .find(|r| r.title == "Garden")
        .unwrap();
    assert_eq!(
        garden.location,
        Some(pandafest::operation::Location::Gps {
            lat: 54.32,
            lon: 10.13
        })
    );
    // All-day events fill their schedule day: day change to day change.
    assert_eq!((summary.events, summary.days), (4, 2));
    let skipped = summary.skipped.join("\n");
    assert!(skipped.contains("event `mars@test` (“Unknown zone”): field `DTSTART`: TZID `Mars/Olympus_Mons` is not an IANA time zone"), "{skipped}");
    assert!(
        skipped
            .contains("event `nostart@test` (“No start”): field `DTSTART`: the event has no start"),
        "{skipped}"
    );
    assert!(summary.notes.iter().any(|n| n.contains("cancelled")));

    // The same calendar with --time-zone: floating times move, others keep
    // their instant.
    let (_, model) = import_fixture("ical-edge-cases", "calendar.ics", Some("America/New_York"));
    let event = |title: &str| model.events.values().find(|e| e.title == title).unwrap();
    assert_eq!(
        event("Floating time").start.to_rfc3339(),
        "2027-07-16T12:00:00-04:00"
    );
    assert_eq!(
        event("TZID without VTIMEZONE").start.to_rfc3339(),
        "2027-07-16T04:00:00-04:00"
    );
}

#[test]
fn the_binary_imports_and_exits_2_when_events_were_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |file: &str, dir: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pandafest"))
            .args(["import-schedule", file, "--into"])
            .arg(tmp.path().join(dir))
            .output()
            .unwrap()
    };
    let ok = run(&fixture("pentabarf", "schedule.xml"), "ok");
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        stdout.contains(
            "Pentabarf Days (frab/Pentabarf schedule.xml): 2 days, 2 rooms, 3 events: 3 imported"
        ),
        "{stdout}"
    );
    let partial = run(&fixture("bad-duration", "schedule.xml"), "partial");
    assert_eq!(partial.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&partial.stderr).contains("skipped: "));
    let failed = run(&fixture("not-a-schedule", "schedule.txt"), "failed");
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).starts_with("error: "));
}

#[test]
fn publish_batch_continues_a_log_and_stores_nothing_when_invalid() {
    use pandafest::entry::KeyPair;
    use pandafest::operation::{Fields, Operation, ProfileFields};
    use pandafest::publish::{PublishError, Publisher};

    let mut store = pandafest::store::Store::in_memory().unwrap();
    let key = KeyPair::from_name("bridge");
    let profile = |name: String| {
        Operation::create(Fields::Profile(ProfileFields {
            display_name: name,
            bio: String::new(),
        }))
    };
    let mut publisher = Publisher::new(&mut store, &key);
    for n in 0..5 {
        publisher.publish(0, &profile(format!("v{n}"))).unwrap();
    }
    // Seq 6 to 40 link back into the store and into the batch (lipmaa
    // links of 13 and 40 reach seq 4 and 13).
    let batch: Vec<_> = (5..40).map(|n| profile(format!("v{n}"))).collect();
    assert_eq!(publisher.publish_batch(0, &batch).unwrap().len(), 35);
    let error = publisher
        .publish_batch(0, &[profile("fine".into()), profile(" ".into())])
        .unwrap_err();
    assert!(
        matches!(error, PublishError::Invalid { index: 1, .. }),
        "{error}"
    );
    assert_eq!(store.read().entry_count().unwrap(), 40);

    // The optional `source` key: at most 200 bytes, not empty.
    let festival = |source: &str| {
        Operation::create(Fields::Festival(pandafest::operation::FestivalFields {
            name: "Camp".into(),
            description: String::new(),
            start: "2027-07-16T10:00:00+02:00".into(),
            end: "2027-07-18T18:00:00+02:00".into(),
            time_zone: "Europe/Berlin".into(),
            parent: None,
            forked_from: None,
            source: Some(source.to_owned()),
            acronym: None,
            days: None,
        }))
    };
    let mut publisher = Publisher::new(&mut store, &key);
    for (source, reason) in [
        (
            &"x".repeat(201)[..],
            "festival_v1 field `source`: 201 bytes, the limit is 200",
        ),
        (" ", "festival_v1 field `source`: must not be empty"),
    ] {
        let error = publisher.publish_batch(1, &[festival(source)]).unwrap_err();
        assert!(error.to_string().ends_with(reason), "{error}");
    }
    publisher
        .publish_batch(1, &[festival(&"x".repeat(200))])
        .unwrap();
}

#[test]
fn imports_from_an_http_url_within_the_size_limit() {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let body = std::fs::read(fixture("pentabarf", "schedule.xml")).unwrap();
    let serve = std::thread::spawn(move || {
        for _ in 0..2 {
            let request = server.recv().unwrap();
            // The second client hangs up once the body passes its limit, so
            // this reply may meet a closed socket.
            let _ = request.respond(tiny_http::Response::from_data(body.clone()));
        }
    });
    let url = format!("http://127.0.0.1:{port}/schedule.xml");
    let tmp = tempfile::tempdir().unwrap();
    let summary = import(&url, &tmp.path().join("fest"), Some("Europe/Brussels"));
    assert_eq!(summary.events, 3);
    let small = ImportOptions {
        max_size: 100,
        ..ImportOptions::new(url.clone(), tmp.path().join("other"))
    };
    assert_eq!(
        import_error(small),
        format!("{url}: the schedule is larger than the limit of 100 bytes")
    );
    serve.join().unwrap();
}

#[test]
fn an_import_into_a_new_directory_removes_what_a_killed_one_left() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fest");
    // A killed import-schedule: its half-made directory and unheld lock.
    let dead = tmp.path().join(".fest.new-dead");
    std::fs::create_dir_all(dead.join(".pandafest")).unwrap();
    std::fs::write(tmp.path().join(".fest.new-dead.lock"), "").unwrap();
    import(&real("38c3-schedule.xml"), &dir, None);
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["fest"]);
    assert!(entry_count(&dir) > 0);
}
