//! Feeds of a built site: every calendar, location, person and event feed
//! exists and parses back with the `ical` crate; schedule.xml, schedule.json
//! and calendar.ics agree with each other and import back with
//! `import-schedule` to the same events (titles, instants, durations,
//! rooms); hostile logs give clean feeds and leave out, with a warning,
//! events no feed can express. When `xmllint`, `check-jsonschema` and
//! Python's `icalendar` are installed (CI sets PANDAFEST_REQUIRE_VALIDATORS
//! to demand them), `scripts/validate-feeds.sh` checks each site too.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use pandafest::festival_dir::FestivalDir;
use pandafest::import::{ImportOptions, import_schedule, parse_schedule};
use pandafest::pipeline::build_site;
use tempfile::TempDir;

/// A built site in a temporary directory.
struct Site {
    _tmp: TempDir,
    dir: PathBuf,
}

impl Site {
    fn text(&self, path: &str) -> String {
        fs::read_to_string(self.dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The site's files under `folder` whose names end in `suffix`.
    fn files(&self, folder: &str, suffix: &str) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.dir.join(folder))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(suffix))
            .collect();
        names.sort();
        names
    }
}

fn build(festival: &Path) -> Site {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    let mut fest = FestivalDir::open(festival).unwrap();
    let summary = build_site(&mut fest, &dir, |_| ProgressBar::hidden()).unwrap();
    assert!(summary.report.is_clean(), "{:?}", summary.report.lines());
    Site { _tmp: tmp, dir }
}

fn build_sample() -> (TempDir, Site) {
    let tmp = tempfile::tempdir().unwrap();
    let festival = tmp.path().join("festival");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-festival");
    common::copy_dir(&sample, &festival);
    let site = build(&festival);
    (tmp, site)
}

/// Runs `scripts/validate-feeds.sh` on the site when its tools are
/// installed; with PANDAFEST_REQUIRE_VALIDATORS set they must be.
fn validate_externally(site: &Site) {
    let tools = ["xmllint", "check-jsonschema", "python3"];
    let have = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !tools.iter().all(|t| have(t)) {
        assert!(
            std::env::var_os("PANDAFEST_REQUIRE_VALIDATORS").is_none(),
            "PANDAFEST_REQUIRE_VALIDATORS is set but one of {tools:?} is missing"
        );
        eprintln!("skipping external validation: {tools:?} not all installed");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/validate-feeds.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&site.dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "validate-feeds.sh failed:\n{text}");
}

/// Checks RFC 5545 framing and parses `ics` with the `ical` crate; returns
/// (UID, SUMMARY, DTSTART, DTEND) of each VEVENT.
fn parse_ics(name: &str, ics: &str) -> Vec<[String; 4]> {
    assert!(ics.ends_with("\r\n"), "{name}: no CRLF at the end");
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{name}: {} octets: {line}", line.len());
        assert!(!line.contains('\n'), "{name}: bare LF in {line}");
    }
    let mut calendars = ical::IcalParser::new(ics.as_bytes());
    let calendar = calendars
        .next()
        .unwrap()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        calendars.next().is_none(),
        "{name}: more than one VCALENDAR"
    );
    calendar
        .events
        .iter()
        .map(|event| {
            let get = |key: &str| {
                event
                    .properties
                    .iter()
                    .find(|p| p.name == key)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_else(|| panic!("{name}: a VEVENT without {key}"))
            };
            for key in ["DTSTART", "DTEND", "DTSTAMP"] {
                assert!(
                    get(key).ends_with('Z'),
                    "{name}: {key} {} is not UTC",
                    get(key)
                );
            }
            get("SEQUENCE");
            assert!(["CONFIRMED", "TENTATIVE", "CANCELLED"].contains(&get("STATUS").as_str()));
            [get("UID"), get("SUMMARY"), get("DTSTART"), get("DTEND")]
        })
        .collect()
}

#[test]
fn sample_site_has_a_feed_for_every_event_location_and_host() {
    let (_tmp, site) = build_sample();
    let pages = |folder: &str| -> Vec<String> {
        fs::read_dir(site.dir.join(folder))
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    for (folder, pages) in [
        ("events", pages("events")),
        ("locations", pages("locations")),
    ] {
        assert!(!pages.is_empty(), "no {folder} pages");
        for page in pages {
            let name = format!("{folder}/{page}.ics");
            parse_ics(&name, &site.text(&name));
        }
    }
    let mut hosts = 0;
    for page in pages("people") {
        let html = site.text(&format!("people/{page}/index.html"));
        if html.contains(&format!("people/{page}.ics")) {
            hosts += 1;
            let name = format!("people/{page}.ics");
            assert!(
                !parse_ics(&name, &site.text(&name)).is_empty(),
                "{name} is empty"
            );
        }
    }
    assert!(hosts > 3, "only {hosts} people link their feed");
    assert_eq!(site.files("people", ".ics").len(), hosts);
    let schedule = site.text("schedule/index.html");
    for feed in ["calendar.ics", "schedule.xml", "schedule.json"] {
        assert!(
            schedule.contains(&format!("href=\"../{feed}\"")),
            "no link to {feed}"
        );
    }
    validate_externally(&site);
}

/// (title, start, end, room) of each event in schedule.json, sorted.
fn json_events(json: &str) -> Vec<(String, DateTime<Utc>, DateTime<Utc>, String)> {
    let json: serde_json::Value = serde_json::from_str(json).unwrap();
    let time = |v: &serde_json::Value| {
        DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .to_utc()
    };
    let mut events = Vec::new();
    for day in json["schedule"]["conference"]["days"].as_array().unwrap() {
        for (room, list) in day["rooms"].as_object().unwrap() {
            for e in list.as_array().unwrap() {
                assert_eq!(e["room"].as_str(), Some(room.as_str()));
                events.push((
                    e["title"].as_str().unwrap().to_owned(),
                    time(&e["date"]),
                    time(&e["end"]),
                    room.clone(),
                ));
            }
        }
    }
    events.sort();
    events
}

#[test]
fn exports_agree_and_import_back_to_the_same_events() {
    let (_tmp, site) = build_sample();
    let ours = json_events(&site.text("schedule.json"));
    assert!(ours.len() > 20, "{} events", ours.len());
    // calendar.ics holds the same events at the same instants.
    let at = |t: &str| {
        DateTime::parse_from_str(&format!("{t}+0000"), "%Y%m%dT%H%M%SZ%z")
            .unwrap()
            .to_utc()
    };
    let mut ics: Vec<_> = parse_ics("calendar.ics", &site.text("calendar.ics"))
        .into_iter()
        .map(|[_, title, start, end]| (title, at(&start), at(&end)))
        .collect();
    ics.sort();
    let without_rooms: Vec<_> = ours
        .iter()
        .map(|(t, s, e, _)| (t.clone(), *s, *e))
        .collect();
    assert_eq!(ics.len(), ours.len());
    let unescape = |t: &str| {
        t.replace("\\,", ",")
            .replace("\\;", ";")
            .replace("\\\\", "\\")
    };
    let ics: Vec<_> = ics
        .into_iter()
        .map(|(t, s, e)| (unescape(&t), s, e))
        .collect();
    assert_eq!(ics, without_rooms);
    // Each export, read by the importer, gives the same events.
    for file in ["schedule.xml", "schedule.json", "calendar.ics"] {
        let schedule = parse_schedule(file, &site.text(file), None, None).unwrap();
        assert!(
            schedule.problems.is_empty(),
            "{file}: {:?}",
            schedule.problems
        );
        assert_eq!(
            imported_events(file, &site.text(file)),
            ours,
            "{file} imports differently"
        );
    }
    // And a festival imported from our schedule.xml builds the same schedule.
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("imported");
    let source = site.dir.join("schedule.xml");
    import_schedule(&ImportOptions::new(source.to_str().unwrap(), &into), |_| {
        ProgressBar::hidden()
    })
    .unwrap();
    let again = build(&into);
    assert_eq!(json_events(&again.text("schedule.json")), ours);
    validate_externally(&again);
}

/// (title, start, end, room) of every event `file` holds, as the importer
/// reads it; no room counts as [`pandafest::feeds::ELSEWHERE`].
fn imported_events(name: &str, text: &str) -> Vec<(String, DateTime<Utc>, DateTime<Utc>, String)> {
    let schedule = parse_schedule(name, text, None, None).unwrap();
    let mut events: Vec<_> = schedule
        .events
        .iter()
        .map(|e| {
            let room = e
                .room
                .clone()
                .unwrap_or_else(|| pandafest::feeds::ELSEWHERE.to_owned());
            (e.title.clone(), e.start.to_utc(), e.end.to_utc(), room)
        })
        .collect();
    events.sort();
    events
}

#[test]
fn real_schedules_come_back_the_same_through_our_exports() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/schedules");
    for name in [
        "38c3-schedule.xml",
        "rc3-2020-pretalx.json",
        "kielux2020.ics",
    ] {
        let source = shared.join(name);
        let original = imported_events(name, &fs::read_to_string(&source).unwrap());
        let tmp = tempfile::tempdir().unwrap();
        let into = tmp.path().join("festival");
        import_schedule(&ImportOptions::new(source.to_str().unwrap(), &into), |_| {
            ProgressBar::hidden()
        })
        .unwrap();
        let site = build(&into);
        for file in ["schedule.xml", "schedule.json", "calendar.ics"] {
            let again = imported_events(file, &site.text(file));
            assert_eq!(again.len(), original.len(), "{name} -> {file}");
            for (a, b) in original.iter().zip(&again) {
                assert_eq!(a, b, "{name} -> {file}");
            }
        }
    }
}

/// A `Write` into a shared buffer, for capturing warnings.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const LONG_TITLE: &str = "Bells, \\\\; tea \\u0007\\u001b[31m 🎪👩‍🔧 e\\u0301 Ünïcödé, and a title that goes on and on and on and on and on and on and on and on and on and on and on and on ";

fn hostile_script() -> String {
    let event = |id: &str, title: &str, start: &str, end: &str| {
        format!(
            "[[op]]\ndo = \"event\"\nid = \"{id}\"\nauthor = \"mallory\"\nfestival = \"f\"\ntitle = \"{title}\"\ndescription = \"line\\r\\nbreak \\u0001x\"\nstart = \"{start}\"\nend = \"{end}\"\nresources = [\"tent\"]\ntags = [\"a,b;c\\\\\\\\d\"]\nlinks = [[\"x\", \"https://ex.org/a?b=\\\"<>ü\"]]\n\n"
        )
    };
    let mut script = String::from(
        "[[op]]\ndo = \"festival\"\nid = \"f\"\nauthor = \"mallory\"\nname = \"C\\u0007amp; \\\"x\\\"\"\ndescription = \"\"\nstart = \"2027-10-29T10:00:00+02:00\"\nend = \"2027-11-02T18:00:00+01:00\"\ntime_zone = \"Europe/Berlin\"\n\n[[op]]\ndo = \"resource\"\nid = \"tent\"\nowner = \"mallory\"\nfestival = \"f\"\ntitle = \"Tent, \\\"big\\\" <1>\"\ndescription = \"\"\nkind = \"room\"\npolicy = \"manual\"\nlocation = { mode = \"gps\", lat = 52.5, lon = 13.4 }\n\n",
    );
    script += &event(
        "long",
        LONG_TITLE,
        "2027-10-31T01:30:00+02:00",
        "2027-10-31T03:30:00+01:00",
    );
    script += &event(
        "lmt",
        "Local mean time",
        "1850-07-16T18:00:00+01:00",
        "1850-07-16T19:00:00+01:00",
    );
    script += &event(
        "y10k",
        "Year ten thousand",
        "9999-12-31T20:00:00-05:00",
        "9999-12-31T23:30:00-05:00",
    );
    script += &event(
        "days",
        "Five days",
        "2027-10-29T12:00:00+02:00",
        "2027-11-03T12:00:00+01:00",
    );
    script
}

#[test]
fn hostile_feeds_are_clean_and_leave_out_what_they_cannot_express() {
    let tmp = tempfile::tempdir().unwrap();
    let festival = tmp.path().join("festival");
    fs::create_dir_all(&festival).unwrap();
    let mut store = pandafest::store::Store::in_memory().unwrap();
    let outcome = pandafest::script::run_script(&mut store, &hostile_script()).unwrap();
    pandafest::bundle::write_bundle(&store, &festival.join("logs")).unwrap();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || writer.clone())
        .finish();
    let site = tracing::subscriber::with_default(subscriber, || build(&festival));
    let warnings = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let id = |name: &str| outcome.documents[name].to_string();
    for (name, why) in [
        ("lmt", "not a whole number of minutes"),
        ("y10k", "outside 0001-9999"),
    ] {
        let line = warnings
            .lines()
            .find(|l| l.contains(&id(name)))
            .unwrap_or_else(|| panic!("no warning for {name}:\n{warnings}"));
        assert!(
            line.contains("left out event") && line.contains(why),
            "{line}"
        );
        assert!(!site.dir.join(format!("events/{}.ics", id(name))).exists());
    }
    assert!(
        warnings.contains(&format!("schedule.xml: left out event {}", id("days"))),
        "{warnings}"
    );
    let calendar = site.text("calendar.ics");
    let events = parse_ics("calendar.ics", &calendar);
    assert_eq!(events.len(), 2);
    assert!(
        !calendar
            .chars()
            .any(|c| c.is_control() && c != '\r' && c != '\n')
    );
    let xml = site.text("schedule.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let titles: BTreeSet<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("title"))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Bells, \\; tea [31m 🎪👩‍🔧 e\u{301} Ünïcödé")),
        "{titles:?}"
    );
    assert!(!titles.contains("Five days"));
    let json = json_events(&site.text("schedule.json"));
    assert_eq!(json.len(), 2);
    assert!(json.iter().any(|(t, ..)| t == "Five days"));
    for name in site.files("people", ".ics") {
        parse_ics(&name, &site.text(&format!("people/{name}")));
    }
    validate_externally(&site);
}
