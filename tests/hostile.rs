//! A stranger's logs against a site: a festival that tries to take the site
//! over, and floods of bad records that must stay within bounded memory and
//! output; and the limits on what an import fetches.

mod common;

use std::path::Path;
use std::process::Output;

use indicatif::ProgressBar;
use pandafest::archive::{ArchiveSource, import_archive};
use pandafest::bundle::BundleBuilder;
use pandafest::entry::KeyPair;
use pandafest::fetch::FetchLimits;
use pandafest::ingest::{KEPT_REJECTIONS, REPORT_LINES};

/// The sample festival's root festival, which its `pandafest.toml` names.
const SAMPLE_FESTIVAL: &str =
    "0020e967f1be613ea152ad637f2b6dc98de828e944d0ab3e19a0164ca7b5070d911b";

use common::pandafest_in as pandafest;

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sample_copy(to: &Path) {
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-festival"),
        to,
    );
}

fn named_festival(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("pandafest.toml")).unwrap_or_default();
    let config: toml::Table = text.parse().unwrap();
    config
        .get("festival")
        .map(|v| v.as_str().unwrap().to_owned())
}

/// Takes the `festival` line out of `dir`'s `pandafest.toml`.
fn unname(dir: &Path) {
    let text = std::fs::read_to_string(dir.join("pandafest.toml")).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("festival"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("pandafest.toml"), text).unwrap();
}

/// A stranger's directory with one root festival that starts a year before
/// the sample festival.
fn stranger(root: &Path) -> std::path::PathBuf {
    let dir = root.join("stranger");
    ok(pandafest(root, &["init", "stranger"]));
    ok(pandafest(
        &dir,
        &[
            "festival",
            "create",
            "--name",
            "Not Your Festival",
            "--start",
            "2026-07-01 10:00",
            "--end",
            "2026-07-02 10:00",
            "--time-zone",
            "Europe/Berlin",
        ],
    ));
    dir
}

#[test]
fn the_sample_names_its_festival() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-festival");
    assert_eq!(named_festival(&sample).as_deref(), Some(SAMPLE_FESTIVAL));
}

#[test]
fn an_earlier_festival_of_a_stranger_does_not_take_the_site_over() {
    let root = tempfile::tempdir().unwrap();
    let site = root.path().join("camp");
    sample_copy(&site);
    let stranger = stranger(root.path());
    ok(pandafest(&site, &["import", stranger.to_str().unwrap()]));
    assert_eq!(
        named_festival(&site).as_deref(),
        Some(SAMPLE_FESTIVAL),
        "import keeps the festival pandafest.toml names"
    );
    ok(pandafest(&site, &["build"]));
    let index = std::fs::read_to_string(site.join("public/index.html")).unwrap();
    assert!(index.contains("Lanternwick Lake Camp 2027"));
    assert!(!index.contains("Not Your Festival"));

    // With the line taken out, build refuses and lists both.
    unname(&site);
    let out = pandafest(&site, &["build"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let stranger_key = ok(pandafest(&stranger, &["key", "show"]));
    let stranger_festival = named_festival(&stranger).unwrap();
    for line in [
        "  caused by: the logs hold 2 root festivals and pandafest.toml names none, so the site's festival is not clear:".to_owned(),
        format!("  Not Your Festival by {} (id {stranger_festival})", stranger_key.trim()),
        format!("  Lanternwick Lake Camp 2027 by 8cdde4e369539cb8e512dfc2346ebd1d0247ca122a001f7a0f1a5bbaa6c5bb9c (id {SAMPLE_FESTIVAL})"),
        "choose one with a line `festival = \"ID\"` in pandafest.toml".to_owned(),
    ] {
        assert!(err.lines().any(|l| l == line), "no line {line:?} in:\n{err}");
    }
}

#[test]
fn importing_a_site_does_not_rename_a_directory_with_its_own_festival() {
    let root = tempfile::tempdir().unwrap();
    let stranger = stranger(root.path());
    ok(pandafest(&stranger, &["build"]));
    // A directory with a festival of its own, from before festivals were
    // named in pandafest.toml.
    let own = root.path().join("own");
    sample_copy(&own);
    unname(&own);
    ok(pandafest(
        &own,
        &["import", stranger.join("public").to_str().unwrap()],
    ));
    assert_eq!(
        named_festival(&own),
        None,
        "the stranger's site is not named"
    );
    let out = pandafest(&own, &["build"]);
    assert!(!out.status.success(), "two root festivals: build refuses");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Not Your Festival by"));
}

#[test]
fn commands_that_bring_in_a_festival_name_it() {
    let root = tempfile::tempdir().unwrap();
    // festival create
    let stranger = stranger(root.path());
    let created = named_festival(&stranger).expect("festival create names it");
    assert_eq!(created.len(), 68);
    // import of a bare bundle with one root festival
    let bare = root.path().join("bare");
    ok(pandafest(
        root.path(),
        &["import", "stranger/logs", "--into", "bare"],
    ));
    assert_eq!(named_festival(&bare), Some(created.clone()));
    // import of a bundle with two root festivals names neither
    let two = root.path().join("two");
    sample_copy(&root.path().join("sample"));
    ok(pandafest(
        root.path(),
        &["import", "sample", "--into", "two"],
    ));
    assert_eq!(named_festival(&two).as_deref(), Some(SAMPLE_FESTIVAL));
    ok(pandafest(
        root.path(),
        &["import", "stranger", "--into", "two"],
    ));
    assert_eq!(named_festival(&two).as_deref(), Some(SAMPLE_FESTIVAL));
    let mixed = root.path().join("mixed");
    std::fs::create_dir(&mixed).unwrap();
    ok(pandafest(
        root.path(),
        &["import", "stranger", "--into", "mixed"],
    ));
    std::fs::remove_file(mixed.join("pandafest.toml")).unwrap();
    let out = pandafest(root.path(), &["import", "sample/logs", "--into", "mixed"]);
    assert!(out.status.success());
    assert_eq!(
        named_festival(&mixed),
        None,
        "two root festivals: the import does not guess"
    );
    // import of a built site: the festival its manifest names
    ok(pandafest(&root.path().join("sample"), &["build"]));
    std::fs::remove_file(root.path().join("sample/pandafest.toml")).unwrap();
    ok(pandafest(
        root.path(),
        &["import", "sample/public", "--into", "from-site"],
    ));
    assert_eq!(
        named_festival(&root.path().join("from-site")).as_deref(),
        Some(SAMPLE_FESTIVAL)
    );
    // import-schedule
    let schedule =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/schedules/kielux2020.ics");
    ok(pandafest(
        root.path(),
        &[
            "import-schedule",
            schedule.to_str().unwrap(),
            "--into",
            "klt",
        ],
    ));
    let listed = ok(pandafest(
        &root.path().join("klt"),
        &["ls", "festivals", "--json"],
    ));
    let id = named_festival(&root.path().join("klt")).expect("import-schedule names it");
    assert!(listed.contains(&id));
}

/// A log file of `records` one-byte entries that are no Bamboo entry.
fn garbage_bundle(dir: &Path, records: usize, alternate: bool) {
    let author = KeyPair::from_name("stranger").public_key();
    let mut bundle = BundleBuilder::new();
    for n in 0..records {
        let byte = if alternate && n % 2 == 1 { 0xfe } else { 0xff };
        bundle.push(author, 1, vec![byte], Vec::new());
    }
    bundle.write(&dir.join("logs")).unwrap();
}

#[test]
fn a_flood_of_bad_records_is_one_line() {
    let root = tempfile::tempdir().unwrap();
    garbage_bundle(root.path(), 5000, false);
    let out = pandafest(root.path(), &["check"]);
    assert!(!out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let author = KeyPair::from_name("stranger").public_key();
    assert_eq!(
        text,
        format!(
            "rejected: logs/{author}/1.bamboo records 1\u{2013}5000: non-canonical or malformed entry encoding: tag byte is 0xff, must be 0x00 or 0x01\n\
             ingested 0, duplicates 0, rejected 5000, forks 0, held 0\n"
        )
    );
}

#[test]
fn rejections_past_the_kept_ones_are_counted() {
    let root = tempfile::tempdir().unwrap();
    let records = KEPT_REJECTIONS + 500;
    garbage_bundle(root.path(), records, true);
    let out = pandafest(root.path(), &["check"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), REPORT_LINES + 2, "{}", &text[..2000]);
    assert_eq!(
        lines[REPORT_LINES],
        format!("rejected: {} more, not listed", records - REPORT_LINES)
    );
    assert_eq!(
        lines[REPORT_LINES + 1],
        format!("ingested 0, duplicates 0, rejected {records}, forks 0, held 0")
    );
}

#[test]
fn an_import_fetches_no_more_than_its_limit_in_all() {
    let root = tempfile::tempdir().unwrap();
    garbage_bundle(root.path(), 2000, false);
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", server.server_addr().to_ip().unwrap());
    let files = root.path().to_owned();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let path = request.url().trim_start_matches('/').to_owned();
            let response = match std::fs::read(files.join(&path)) {
                Ok(bytes) if !path.contains("..") => tiny_http::Response::from_data(bytes),
                _ => tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404),
            };
            let _ = request.respond(response);
        }
    });
    let limits = FetchLimits {
        total_bytes: 4096,
        ..FetchLimits::default()
    };
    let source = ArchiveSource::open_with(&url, limits).unwrap();
    let manifest_size = std::fs::metadata(root.path().join("logs/manifest.json"))
        .unwrap()
        .len();
    assert!(manifest_size < 4096);
    let into = root.path().join("into");
    let summary = import_archive(&source, &into, ProgressBar::hidden()).unwrap();
    let text = summary.report.lines().join("\n");
    let author = KeyPair::from_name("stranger").public_key();
    assert!(
        text.contains(&format!(
            "rejected: logs/{author}/1.bamboo: author {author} log 1: the responses fetched so far are larger than 4096 bytes in all (the limit)"
        )),
        "{text}"
    );
    assert!(summary.report.rejected.len() < 2000, "{text}");
}

#[test]
fn a_server_that_trickles_is_cut_off_at_the_deadline() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/logs/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
                // One byte every 100 ms: never slow enough for the read
                // timeout.
                for _ in 0..1000 {
                    if stream.write_all(b" ").is_err() {
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            });
        }
    });
    let limits = FetchLimits {
        read: std::time::Duration::from_secs(5),
        deadline: std::time::Duration::from_secs(1),
        ..FetchLimits::default()
    };
    let started = std::time::Instant::now();
    let error = ArchiveSource::open_with(&url, limits)
        .err()
        .expect("the manifest never comes");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let text = format!("{error:#}");
    assert!(
        text.contains("the requests so far took longer than 1 s in all (the limit)"),
        "{text}"
    );
}
