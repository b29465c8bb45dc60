//! Loads pages of the built sample festival in Debian's headless Chromium
//! and fails on console messages (script errors included), on resources
//! that do not load, and on pages without their main heading.
//!
//! Without `/usr/bin/chromium` the test prints a note and passes, except on
//! CI (the `CI` variable is set), where it fails.

mod common;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use pandafest::festival_dir::FestivalDir;
use pandafest::pipeline::build_site;

const CHROMIUM: &str = "/usr/bin/chromium";

/// How long one page may take.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Lines of Chromium's log that mean a page did something wrong: console
/// messages (`console.error`, uncaught exceptions) and failed loads.
const BAD_MARKERS: &[&str] = &[
    "CONSOLE",
    "Uncaught",
    "ERR_FILE_NOT_FOUND",
    "ERR_ACCESS_DENIED",
    "Failed to load resource",
    "Refused to",
];

/// Chromium logs every file it loads on this line (with
/// `--vmodule=file_url_loader_factory=1`); a missing file is not logged as
/// an error, so each one is checked on disk.
const LOAD_MARKER: &str = "FileURLLoader::Start: ";

/// What Chromium printed for one page.
struct Visit {
    dom: String,
    log: String,
}

/// Loads `page` in a fresh headless Chromium and returns the DOM after
/// load and the log.
fn visit(page: &Path) -> Visit {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--vmodule=file_url_loader_factory=1",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(file_url(page))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).unwrap();
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium took longer than {TIMEOUT:?} on {}",
                page.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let visit = Visit {
        dom: out.join().unwrap(),
        log: err.join().unwrap(),
    };
    assert!(
        status.success(),
        "chromium failed on {}: {status}\n{}",
        page.display(),
        visit.log
    );
    visit
}

fn file_url(path: &Path) -> String {
    let path = path.canonicalize().unwrap();
    let mut url = String::from("file://");
    for byte in path.to_str().expect("a UTF-8 path").bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(byte as char)
            }
            _ => url.push_str(&format!("%{byte:02X}")),
        }
    }
    url
}

/// Decodes a `file://` URL (without query or fragment) to a path.
fn url_path(url: &str) -> PathBuf {
    let rest = url.strip_prefix("file://").expect("a file URL");
    let rest = rest.split(['?', '#']).next().unwrap();
    let bytes = rest.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    PathBuf::from(String::from_utf8(out).unwrap())
}

/// The problems in a visit's log: bad lines, and loaded files that do not
/// exist or lie outside `site`.
fn problems(visit: &Visit, site: &Path) -> Vec<String> {
    let site = site.canonicalize().unwrap();
    let mut found = Vec::new();
    for line in visit.log.lines() {
        if BAD_MARKERS.iter().any(|m| line.contains(m)) {
            found.push(line.to_owned());
        }
        if let Some(at) = line.find(LOAD_MARKER) {
            let url = line[at + LOAD_MARKER.len()..].trim();
            let path = url_path(url);
            if !path.starts_with(&site) {
                found.push(format!("loads a file outside the site: {url}"));
            } else if !path.is_file() {
                found.push(format!("loads a missing file: {url}"));
            }
        }
    }
    found
}

/// The text of the first `<h1>` of `dom`, without inner tags.
fn main_heading(dom: &str) -> Option<String> {
    let start = dom.find("<h1")?;
    let open = start + dom[start..].find('>')? + 1;
    let close = open + dom[open..].find("</h1>")?;
    let mut text = String::new();
    let mut in_tag = false;
    for c in dom[open..close].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    Some(text.trim().to_owned())
}

/// Whether Chromium is here; on CI it must be.
fn have_chromium() -> bool {
    if Path::new(CHROMIUM).is_file() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{CHROMIUM} is missing (apt-get install chromium); CI needs it");
    }
    eprintln!("note: {CHROMIUM} is missing, so the browser test is skipped");
    false
}

#[test]
fn pages_load_without_errors() {
    if !have_chromium() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let festival = tmp.path().join("festival");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-festival"),
        &festival,
    );
    let site = tmp.path().join("site");
    let mut dir = FestivalDir::open(&festival).unwrap();
    build_site(&mut dir, &site, |_| ProgressBar::hidden()).unwrap();

    // The checks see a broken page, so that a change in Chromium's log
    // format cannot make this test pass on broken pages.
    fs::write(
        site.join("broken.html"),
        "<!DOCTYPE html><title>x</title><h1>Broken</h1>\
         <img src=\"missing.png\" alt=\"\"><script>undefinedFunction();</script>",
    )
    .unwrap();
    let broken = problems(&visit(&site.join("broken.html")), &site);
    assert!(
        broken.iter().any(|p| p.contains("Uncaught")),
        "the script error is seen: {broken:?}"
    );
    assert!(
        broken.iter().any(|p| p.contains("missing.png")),
        "the missing image is seen: {broken:?}"
    );
    fs::remove_file(site.join("broken.html")).unwrap();

    for (page, heading) in [
        ("index.html", "Lanternwick Lake Camp 2027"),
        ("schedule/2027-07-16/index.html", "Friday 16 July 2027"),
        (
            "events/0020ede05bf25c4b8e35a273e291a485b4c4e545fd30babc5c0893b1ffc766c5efc7/index.html",
            "Boathouse Karaoke",
        ),
    ] {
        let visit = visit(&site.join(page));
        let found = problems(&visit, &site);
        assert!(found.is_empty(), "{page}:\n{}", found.join("\n"));
        assert!(
            visit.log.contains("style.css"),
            "{page}: the stylesheet is loaded"
        );
        assert_eq!(
            main_heading(&visit.dom).as_deref(),
            Some(heading),
            "{page}: the main heading in the DOM"
        );
    }
}
