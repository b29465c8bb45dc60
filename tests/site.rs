//! Builds `sample-festival` (and a hostile festival) into temporary
//! directories and checks the site: every page kind, links, determinism,
//! and that no script from log content survives.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use pandafest::festival_dir::FestivalDir;
use pandafest::pipeline::{BuildSummary, build_site};
use tempfile::TempDir;

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-festival")
}

fn build(festival: &Path, out: &Path) -> BuildSummary {
    let mut dir = FestivalDir::open(festival).unwrap();
    build_site(&mut dir, out, |_| ProgressBar::hidden()).unwrap()
}

/// A fresh copy of the sample festival built into `<tmp>/site`.
fn build_sample() -> (TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let festival = tmp.path().join("festival");
    common::copy_dir(&sample_dir(), &festival);
    let site = tmp.path().join("site");
    let summary = build(&festival, &site);
    assert!(
        summary.report.rejected.is_empty(),
        "{:?}",
        summary.report.lines()
    );
    (tmp, site)
}

/// Every file of a site by its `/`-separated relative path.
fn read_site(site: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(site)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                common::relative_path(site, e.path()),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn html_files(files: &BTreeMap<String, Vec<u8>>) -> impl Iterator<Item = (&String, String)> {
    files
        .iter()
        .filter(|(path, _)| path.ends_with(".html"))
        .map(|(path, bytes)| (path, String::from_utf8(bytes.clone()).unwrap()))
}

fn dirs_under(site: &Path, dir: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(site.join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn builds_every_page_kind() {
    let (_tmp, site) = build_sample();
    for file in [
        "index.html",
        "style.css",
        "schedule/index.html",
        "schedule/2027-07-16/index.html",
        "schedule/2027-07-17/index.html",
        "schedule/2027-07-18/index.html",
        "people/index.html",
        "resources/index.html",
        "logs/manifest.json",
    ] {
        assert!(site.join(file).is_file(), "{file} is missing");
    }
    for (dir, count) in [
        ("events", 33),
        ("resources", 13),
        ("locations", 5),
        ("people", 8),
        ("festivals", 2),
    ] {
        let pages = dirs_under(&site, dir);
        assert!(pages.len() >= count, "{dir}: {} pages", pages.len());
        for page in pages {
            assert!(page.join("index.html").is_file(), "{}", page.display());
        }
    }
    let files = read_site(&site);
    let all: String = html_files(&files).map(|(_, text)| text).collect();
    for needle in [
        "Lanternwick Lake Camp 2027",
        "Little Tinkerers&#39; Corner",
        "state-confirmed",
        "state-pending",
        "state-denied",
        "state-conflict",
        "state-lapsed",
        "https://www.openstreetmap.org/?mlat=",
        "Am Schilfufer 7",
        "https://stream.example.org/lanternwick",
        "Add to calendar",
        "logs/manifest.json",
    ] {
        assert!(all.contains(needle), "no page contains {needle}");
    }
    let index = String::from_utf8(files["index.html"].clone()).unwrap();
    assert!(index.contains("<html lang=\"en\">"));
    assert!(index.contains("33</span> <span class=\"stat-label\">events"));
    let day = String::from_utf8(files["schedule/2027-07-16/index.html"].clone()).unwrap();
    assert!(
        day.contains("Owl Shift"),
        "the 01:00 Saturday event belongs to Friday's grid"
    );
}

#[test]
fn internal_links_resolve() {
    let (_tmp, site) = build_sample();
    let checked = common::check_internal_links(&site);
    assert!(checked > 1000, "only {checked} links checked");
}

#[test]
fn same_logs_give_identical_bytes() {
    let (tmp, site) = build_sample();
    let first = read_site(&site);
    // Again from the same directory, whose store already holds the logs.
    build(&tmp.path().join("festival"), &site);
    assert!(first == read_site(&site), "a rebuild changed the site");
    // And from a fresh copy with a fresh store.
    let (_tmp2, other) = build_sample();
    let second = read_site(&other);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &first {
        assert!(second[path] == *bytes, "{path} differs between builds");
    }
}

/// The tags of `html` (from `<` to the matching `>`, quotes respected).
fn tags(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let start = i;
            let mut quote = None;
            while i < bytes.len() {
                match (quote, bytes[i]) {
                    (None, b'"' | b'\'') => quote = Some(bytes[i]),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                i += 1;
            }
            out.push(&html[start..i.min(bytes.len())]);
        }
        i += 1;
    }
    out
}

#[test]
fn hostile_logs_give_no_script() {
    let tmp = tempfile::tempdir().unwrap();
    let festival = tmp.path().join("festival");
    fs::create_dir_all(&festival).unwrap();
    let mut store = pandafest::store::Store::in_memory().unwrap();
    pandafest::script::run_script(&mut store, &common::hostile::script()).unwrap();
    pandafest::bundle::write_bundle(&store, &festival.join("logs")).unwrap();
    let site = tmp.path().join("site");
    let summary = build(&festival, &site);
    assert!(
        summary.report.rejected.is_empty(),
        "{:?}",
        summary.report.lines()
    );
    let files = read_site(&site);
    let mut seen_escaped = 0;
    for (path, html) in html_files(&files) {
        // The screen's page is fixed: its data comes as JSON, and its
        // script puts the text in through textContent (tests/screen.rs).
        if path == "screen/index.html" {
            assert_eq!(html, pandafest::screen::INDEX_HTML);
            continue;
        }
        for tag in tags(&html) {
            let lower = tag.to_ascii_lowercase();
            let name: String = lower
                .trim_start_matches(['<', '/'])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(
                ![
                    "script", "iframe", "svg", "img", "object", "embed", "style", "form", "base",
                    "math"
                ]
                .contains(&name.as_str()),
                "{path}: tag {tag}"
            );
            for bad in [
                "javascript:",
                "vbscript:",
                "data:",
                "onerror",
                "onload",
                "onclick",
            ] {
                assert!(!lower.contains(bad), "{path}: `{bad}` in tag {tag}");
            }
            assert!(
                !lower.split_whitespace().any(|attr| attr.starts_with("on")),
                "{path}: event handler in {tag}"
            );
        }
        if html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        {
            seen_escaped += 1;
        }
    }
    assert!(
        seen_escaped > 5,
        "the hostile text shows, escaped, on the pages"
    );
    // Files that are not pages and not the raw logs hold nothing executable.
    for (path, bytes) in &files {
        // Feeds are data: they hold the text, escaped for their format.
        let feed = path.ends_with(".ics")
            || path.starts_with("schedule.")
            || path == pandafest::screen::DATA_PATH;
        if path.ends_with(".html") || path.starts_with("logs/") || feed {
            continue;
        }
        let lower = String::from_utf8_lossy(bytes).to_ascii_lowercase();
        for bad in ["<script", "onerror=", "onload=", "javascript:"] {
            assert!(!lower.contains(bad), "{path} contains {bad}");
        }
    }
    // The cancelled event still has a page that says so.
    let cancelled = html_files(&files)
        .filter(|(_, html)| html.contains("This event was cancelled."))
        .count();
    assert_eq!(cancelled, 1);
}

/// The sample event with a confirmed room and a double-booked PA system.
const SNAPSHOT_EVENT: &str =
    "events/0020ede05bf25c4b8e35a273e291a485b4c4e545fd30babc5c0893b1ffc766c5efc7/index.html";

#[test]
fn event_page_snapshot() {
    let (_tmp, site) = build_sample();
    let html = fs::read_to_string(site.join(SNAPSHOT_EVENT)).unwrap();
    assert!(html.contains("<h1>Boathouse Karaoke</h1>"));
    insta::assert_snapshot!("event_page", html);
}

#[test]
fn calendar_snapshot() {
    let (_tmp, site) = build_sample();
    let ics = fs::read_to_string(site.join("calendar.ics")).unwrap();
    // insta compares with line endings normalised; RFC 5545 wants CRLF.
    assert!(ics.ends_with("\r\n"));
    assert!(!ics.replace("\r\n", "").contains('\n'), "a bare LF");
    insta::assert_snapshot!("calendar_ics", ics);
}

#[test]
fn a_location_has_one_page_and_its_resource_url_points_there() {
    let (_tmp, site) = build_sample();
    let locations = dirs_under(&site, "locations");
    assert!(locations.len() >= 4);
    for dir in locations {
        let id = dir.file_name().unwrap().to_string_lossy().into_owned();
        let page = format!("../../locations/{id}/index.html");
        let full = fs::read_to_string(dir.join("index.html")).unwrap();
        assert!(
            full.contains("id=\"requests-heading\">Requests</h2>"),
            "{id}: the location page"
        );
        let pointer =
            fs::read_to_string(site.join("resources").join(&id).join("index.html")).unwrap();
        assert!(
            pointer.contains(&format!(
                "<meta http-equiv=\"refresh\" content=\"0; url={page}\">"
            )) && pointer.contains(&format!("<a href=\"{page}\">")),
            "{id}: resources/{id}/ points to the location page"
        );
        assert!(
            !pointer.contains("requests-heading"),
            "{id}: not a second copy"
        );
    }
}

#[test]
fn schedule_pills_round_and_name_what_stands_in_the_way() {
    let (_tmp, site) = build_sample();
    let schedule = fs::read_to_string(site.join("schedule/index.html")).unwrap();
    // The row of an event, from its title to the end of its list item.
    let row = |title: &str| {
        let at = schedule.find(title).unwrap_or_else(|| panic!("{title}"));
        let end = at + schedule[at..].find("</li>").unwrap();
        schedule[at..end].to_owned()
    };
    let pill = |title: &str| {
        let row = row(title);
        let at = row
            .find("class=\"pill")
            .unwrap_or_else(|| panic!("{title}: {row}"));
        let text = &row[row[at..].find('>').unwrap() + at + 1..];
        text.replace("<span class=\"visually-hidden\"> confirmed</span>", "")
            .split("</span>")
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(pill("Boathouse Karaoke"), "50 % · conflict");
    assert_eq!(pill("Sensor Buoy Launch"), "0 % · lapsed");
    assert_eq!(pill("Confetti Cannon 2.0"), "50 % · denied");
    assert_eq!(pill("Rust on the Water"), "67 %");
    assert_eq!(pill("Print a Boat Hull"), "100 %");
}

#[test]
fn a_grid_shows_an_event_in_full_under_its_first_place() {
    let (_tmp, site) = build_sample();
    let day = fs::read_to_string(site.join("schedule/2027-07-17/index.html")).unwrap();
    // "Mesh Networks Between Tents" asks for Lakeside Stage, then Lake
    // Radio, whose column comes first by title.
    // The `grid-column: N` or `grid-column: N / span M` of each matching
    // div, as the columns it covers.
    let columns_of = |class: &str, text: &str| -> Vec<std::ops::Range<u32>> {
        day.split("<div class=\"")
            .filter(|d| d.starts_with(class) && d.contains(text))
            .map(|d| {
                let at = d.find("grid-column: ").unwrap() + "grid-column: ".len();
                let value = d[at..].split(';').next().unwrap();
                let mut parts = value.split(" / span ");
                let first: u32 = parts.next().unwrap().parse().unwrap();
                let span: u32 = parts.next().map_or(1, |s| s.parse().unwrap());
                first..first + span
            })
            .collect()
    };
    let head = |name: &str| {
        let found = columns_of("grid-head", &format!(">{name}<"));
        assert_eq!(found.len(), 1, "one column for {name}");
        found[0].clone()
    };
    let card = |class: &str| {
        let found = columns_of(class, "Mesh Networks Between Tents");
        assert_eq!(found.len(), 1, "one {class} card");
        found[0].start
    };
    let (stage, radio) = (head("Lakeside Stage"), head("Lake Radio (online stream)"));
    assert!(radio.end <= stage.start, "Lake Radio's column comes first");
    assert!(stage.contains(&card("grid-item status-confirmed\"")));
    assert!(radio.contains(&card("grid-item status-confirmed grid-repeat")));
    // Screen readers and the tab order meet the full card only.
    let item = |class: &str| {
        day.split("<div class=\"")
            .find(|d| d.starts_with(class) && d.contains("Mesh Networks Between Tents"))
            .unwrap()
            .to_owned()
    };
    let (full, repeat) = (
        item("grid-item status-confirmed\""),
        item("grid-item status-confirmed grid-repeat"),
    );
    assert!(repeat.contains("aria-hidden=\"true\"") && repeat.contains("tabindex=\"-1\""));
    assert!(!full.contains("aria-hidden") && !full.contains("tabindex"));
}
