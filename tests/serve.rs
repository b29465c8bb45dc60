//! `pandafest serve` as a process on a free port: it rebuilds when an
//! authoring command beside it writes into the store, answers with the
//! right headers (charset, ETag and 304, Last-Modified, HEAD, Cache-Control,
//! CSP), refuses every path that would leave the site, adds the live hook
//! to what it serves but never to the built files, and pushes new data to
//! an open `/screen/` in headless Chromium.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Duration as Span, Utc};
use common::cdp::{self, Browser};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_pandafest");

/// Runs `pandafest ARGS` in `cwd` and returns its stdout, trimmed.
fn pandafest(cwd: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("PANDAFEST_KEY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pandafest {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A local time in Berlin `minutes` from now, as the commands take it.
fn berlin(minutes: i64) -> String {
    let at = (Utc::now() + Span::minutes(minutes)).with_timezone(&chrono_tz::Europe::Berlin);
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// A festival directory `<tmp>/ada` with a festival that runs now, a
/// room, and one event in it; returns the directory, the room's and the
/// event's ids.
fn festival(tmp: &Path) -> (PathBuf, String, String) {
    pandafest(tmp, &["init", "ada"]);
    let dir = tmp.join("ada");
    pandafest(
        &dir,
        &[
            "festival",
            "create",
            "--name",
            "Live Fest",
            "--start",
            &berlin(-120),
            "--end",
            &berlin(24 * 60),
            "--time-zone",
            "Europe/Berlin",
        ],
    );
    let room = pandafest(
        &dir,
        &[
            "resource",
            "add",
            "--title",
            "Greenhouse",
            "--kind",
            "room",
            "--address",
            "Allotment 7",
        ],
    );
    let event = pandafest(
        &dir,
        &[
            "event",
            "add",
            "--title",
            "Seed swap",
            "--start",
            &berlin(-30),
            "--duration",
            "90m",
            "--request",
            &room,
        ],
    );
    (dir, room, event)
}

/// A running `pandafest serve DIR --port 0`, stopped on drop.
struct Serve {
    child: Child,
    url: String,
    addr: String,
}

impl Serve {
    fn start(dir: &Path) -> Serve {
        Serve::start_with(dir, &[])
    }

    /// `pandafest serve . --port 0 EXTRA` in `dir`.
    fn start_with(dir: &Path, extra: &[&str]) -> Serve {
        let mut child = Command::new(BIN)
            .args(["serve", ".", "--port", "0"])
            .args(extra)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_else(|| panic!("serve printed {line:?}"))
            .to_owned();
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        Serve { child, url, addr }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer: status, headers (names lowercased), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `method target` as written (no client normalizes it) with
/// `headers`, and reads the answer to the end.
fn request(addr: &str, method: &str, target: &str, headers: &[(&str, &str)]) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8(bytes[..split].to_vec()).unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: bytes[split + 4..].to_vec(),
    }
}

fn get(addr: &str, target: &str) -> Answer {
    request(addr, "GET", target, &[])
}

/// Fetches `target` until its body holds `text`; returns how long it took.
fn wait_for_text(addr: &str, target: &str, text: &str) -> Duration {
    let started = Instant::now();
    loop {
        let answer = get(addr, target);
        if answer.status == 200 && answer.text().contains(text) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{target} never showed {text:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn serve_rebuilds_when_an_event_changes_beside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _room, event) = festival(tmp.path());
    let serve = Serve::start(&dir);
    let page = format!("/events/{event}/");
    let first = get(&serve.addr, &page);
    assert_eq!(first.status, 200);
    assert!(first.text().contains("Seed swap"));
    // The served page has the live hook; the built file does not.
    assert!(first.text().contains("/_pandafest/live.js"));
    let built =
        std::fs::read_to_string(dir.join("public/events").join(&event).join("index.html")).unwrap();
    assert!(built.contains("Seed swap") && !built.contains("_pandafest"));
    let style = get(&serve.addr, "/style.css");
    let style_tag = style.header("etag").unwrap().to_owned();
    // An authoring command beside serve writes into the store; serve
    // hears of it and rebuilds.
    pandafest(&dir, &["event", "update", &event, "--title", "Seed party"]);
    let took = wait_for_text(&serve.addr, &page, "Seed party");
    // A file the rebuild did not change keeps its ETag: still a 304.
    let again = request(
        &serve.addr,
        "GET",
        "/style.css",
        &[("If-None-Match", &style_tag)],
    );
    assert_eq!(again.status, 304);
    eprintln!("the new title was served {took:?} after the command ended");
    assert!(!get(&serve.addr, &page).text().contains("Seed swap"));
    wait_for_text(&serve.addr, "/screen/data.json", "Seed party");
    // What serve wrote verifies as a cold build would.
    let verified = pandafest(&dir, &["verify", "public"]);
    assert!(
        verified.is_empty() || !verified.contains("NOT"),
        "{verified}"
    );
    let out = Command::new(BIN)
        .args(["verify", "public"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let report =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && report.contains("verified: every entry"),
        "{report}"
    );
    // A template that does not parse: the last good site stays, and the
    // failure is pushed to open pages as a status.
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    let mut events = TcpStream::connect(&serve.addr).unwrap();
    events
        .write_all(b"GET /_pandafest/events HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(dir.join("templates/event.html"), "{% if %}").unwrap();
    let mut seen = String::new();
    let mut buffer = [0; 4096];
    while !seen.contains("\"kind\":\"status\",\"error\":\"") {
        let n = events
            .read(&mut buffer)
            .expect("the failure comes as an event");
        assert!(n > 0, "the stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    assert!(seen.contains("text/event-stream"), "{seen}");
    assert!(
        seen.contains("event.html"),
        "the error names the template: {seen}"
    );
    assert!(get(&serve.addr, &page).text().contains("Seed party"));
    // Fixed again: the banner's status clears.
    std::fs::remove_file(dir.join("templates/event.html")).unwrap();
    while !seen.contains("{\"kind\":\"status\",\"error\":null}") {
        let n = events.read(&mut buffer).unwrap();
        assert!(n > 0);
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
}

#[test]
fn serve_replicate_builds_what_a_peer_sends() {
    let tmp = tempfile::tempdir().unwrap();
    let (ada, _room, event) = festival(tmp.path());
    pandafest(tmp.path(), &["--dir", "bea", "import", "../ada"]);
    let mut node = Command::new(BIN)
        .args(["node", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"])
        .current_dir(&ada)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(node.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("the node prints its address").unwrap();
        if let Some(addr) = line.strip_prefix("listening on ") {
            break addr.to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    let mut serve = Serve::start_with(
        &tmp.path().join("bea"),
        &[
            "--replicate",
            "--no-mdns",
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--peer",
            &addr,
        ],
    );
    let page = format!("/events/{event}/");
    wait_for_text(&serve.addr, &page, "Seed swap");
    // Written in Ada's directory beside her node; it reaches Bea's node
    // inside serve, and serve builds it.
    pandafest(&ada, &["event", "update", &event, "--title", "Seed party"]);
    let took = wait_for_text(&serve.addr, &page, "Seed party");
    eprintln!("a peer's change was served {took:?} after the command ended");
    // SIGTERM stops the node inside serve, and serve with it.
    let status = Command::new("kill")
        .args(["-TERM", &serve.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = serve.child.wait().unwrap();
    assert!(
        exit.success(),
        "serve --replicate exits cleanly on SIGTERM: {exit}"
    );
    let _ = node.kill();
    let _ = node.wait();
    // Without --replicate, node options are an error.
    let out = Command::new(BIN)
        .args(["serve", ".", "--port", "0", "--peer", &addr])
        .current_dir(&ada)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--listen, --peer, --no-mdns and --festival go with --replicate"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn serve_watches_the_theme_that_pandafest_toml_names_now() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _room, _event) = festival(tmp.path());
    let serve = Serve::start(&dir);
    let dark = dir.join("themes/dark");
    std::fs::create_dir_all(&dark).unwrap();
    std::fs::write(dark.join("style.css"), "body { color: #eee; }\n").unwrap();
    let config = std::fs::read_to_string(dir.join("pandafest.toml")).unwrap();
    let config: String = config
        .lines()
        .filter(|l| !l.starts_with("theme"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        dir.join("pandafest.toml"),
        format!("theme = \"dark\"\n{config}"),
    )
    .unwrap();
    wait_for_text(&serve.addr, "/style.css", "#eee");
    // An edit of the new theme is seen too.
    std::fs::write(dark.join("style.css"), "body { color: #fff; }\n").unwrap();
    wait_for_text(&serve.addr, "/style.css", "#fff");
}

#[test]
fn serve_answers_with_the_headers_a_client_needs() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _room, event) = festival(tmp.path());
    let serve = Serve::start(&dir);
    let addr = serve.addr.as_str();
    for (target, kind, cache) in [
        ("/", "text/html; charset=utf-8", "no-cache"),
        ("/style.css", "text/css; charset=utf-8", "no-cache"),
        (
            "/schedule.xml",
            "application/xml; charset=utf-8",
            "no-cache",
        ),
        (
            "/schedule.json",
            "application/json; charset=utf-8",
            "no-cache",
        ),
        ("/calendar.ics", "text/calendar; charset=utf-8", "no-cache"),
        (
            "/screen/screen.js",
            "text/javascript; charset=utf-8",
            "no-cache",
        ),
        (
            "/screen/data.json",
            "application/json; charset=utf-8",
            "no-store",
        ),
        (
            "/screen/version.json",
            "application/json; charset=utf-8",
            "no-store",
        ),
    ] {
        let answer = get(addr, target);
        assert_eq!(answer.status, 200, "{target}");
        assert_eq!(answer.header("content-type"), Some(kind), "{target}");
        assert_eq!(answer.header("cache-control"), Some(cache), "{target}");
        let csp = answer.header("content-security-policy").unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("object-src 'none'"),
            "{csp}"
        );
        assert!(answer.header("last-modified").unwrap().ends_with(" GMT"));
        // An app that has the file gets a 304, with no body.
        let etag = answer.header("etag").unwrap().to_owned();
        let again = request(addr, "GET", target, &[("If-None-Match", &etag)]);
        assert_eq!(again.status, 304, "{target}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        let other = request(addr, "GET", target, &[("If-None-Match", "\"other\"")]);
        assert_eq!(other.status, 200);
        // HEAD: the same head, no body.
        let head = request(addr, "HEAD", target, &[]);
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty(), "{target}");
        assert_eq!(
            head.header("content-length"),
            Some(answer.body.len().to_string().as_str())
        );
    }
    // A directory without its slash is sent to it.
    let moved = get(addr, &format!("/events/{event}"));
    assert_eq!(moved.status, 301);
    assert_eq!(
        moved.header("location"),
        Some(format!("/events/{event}/").as_str())
    );
    let missing = get(addr, "/no/such/page/");
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains("<h1>Not found</h1>"));
    assert_eq!(request(addr, "POST", "/", &[]).status, 405);
    // No path leads outside the site: not by dots, escaped dots, escaped
    // separators, nor a symlink in the site.
    std::os::unix::fs::symlink(dir.join("pandafest.toml"), dir.join("public/leak.txt")).unwrap();
    std::os::unix::fs::symlink(dir.join(".pandafest"), dir.join("public/state")).unwrap();
    for target in [
        "/../pandafest.toml",
        "/events/../../pandafest.toml",
        "/%2e%2e/pandafest.toml",
        "/%2E%2E/pandafest.toml",
        "/.%2e/pandafest.toml",
        "/events/..%2f..%2fpandafest.toml",
        "/..%5cpandafest.toml",
        "/index.html%00.txt",
        "//etc/passwd",
        "/leak.txt",
        "/state/key",
        "/state/store.sqlite",
    ] {
        let answer = get(addr, target);
        assert!(
            answer.status == 400 || answer.status == 404,
            "{target}: {}",
            answer.status
        );
        let body = answer.text();
        assert!(
            !body.contains("base_url") && !body.contains("festival") || body.contains("Not found"),
            "{target} leaked: {body}"
        );
        assert!(!body.contains("SQLite"), "{target} leaked the store");
    }
    // The live hook's own files, and nothing else under its prefix.
    let hook = get(addr, "/_pandafest/live.js");
    assert_eq!(hook.status, 200);
    assert!(hook.text().contains("EventSource"));
    assert_eq!(get(addr, "/_pandafest/other").status, 404);
}

#[test]
fn screen_updates_without_a_reload_when_an_event_is_added() {
    if !cdp::available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (dir, room, _event) = festival(tmp.path());
    let serve = Serve::start(&dir);
    let mut browser = Browser::open(&format!("{}screen/", serve.url), "America/New_York");
    let loaded = "!!document.getElementById('state') && document.getElementById('state').textContent.startsWith('Updated')";
    browser.wait_for(loaded, Duration::from_secs(30), "the screen loads");
    let next = "document.querySelectorAll('.room .slot .title')[1].textContent";
    assert_eq!(
        browser.eval("document.querySelectorAll('.room .slot .title')[0].textContent"),
        json!("Seed swap")
    );
    assert_eq!(browser.eval(next), json!("Nothing more here"));
    browser.eval("window.__same_page = true");
    pandafest(
        &dir,
        &[
            "event",
            "add",
            "--title",
            "Compost talk",
            "--start",
            &berlin(40),
            "--duration",
            "30m",
            "--request",
            &room,
        ],
    );
    let took = browser.wait_for(
        &format!("{next} === 'Compost talk'"),
        Duration::from_secs(10),
        "the new event shows as next",
    );
    eprintln!("the screen showed the new event {took:?} after the command ended");
    assert_eq!(
        browser.eval("window.__same_page === true"),
        json!(true),
        "no reload"
    );
    assert!(browser.problems.is_empty(), "{:#?}", browser.problems);
}

/// The serve process's thread count.
fn threads(child: &Child) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn idle_and_slow_clients_cannot_stop_serve() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _room, _event) = festival(tmp.path());
    let serve = Serve::start(&dir);
    assert_eq!(get(&serve.addr, "/").status, 200);
    let before = threads(&serve.child);
    // 300 connections that say nothing, and 20 that start a request and
    // never end it.
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(&serve.addr).unwrap())
        .collect();
    let mut slow: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut s = TcpStream::connect(&serve.addr).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let answer = get(&serve.addr, "/screen/version.json");
    assert_eq!(answer.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Idle clients hold no thread; the slow ones at most one each.
    let during = threads(&serve.child);
    assert!(
        during <= before + 25,
        "{before} threads before, {during} with 320 clients"
    );
    // A request that never ends is closed after the answer time-out.
    let closed_at = Instant::now();
    slow[0]
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut byte = [0; 1];
    let n = slow[0].read(&mut byte).unwrap_or(0);
    assert_eq!(n, 0, "the slow client is closed, not answered");
    let waited = closed_at.elapsed();
    assert!(waited < Duration::from_secs(15), "{waited:?}");
    drop((idle, slow));
    assert_eq!(get(&serve.addr, "/").status, 200);
}

/// Runs `pandafest ARGS` in `cwd`; its stdout when it worked.
fn try_pandafest(cwd: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap().trim().to_owned())
}

/// Every file under `site`, by relative path.
fn site_files(site: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(site)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let bytes = std::fs::read(e.path()).ok()?;
            Some((common::relative_path(site, e.path()), bytes))
        })
        .collect()
}

/// A small xorshift generator: the same seed gives the same edits.
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn after_each_of_50_seeded_edits_serve_shows_a_cold_build() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, room, event) = festival(tmp.path());
    pandafest(tmp.path(), &["init", "bob"]);
    let _serve = Serve::start(&dir);
    let cold = tmp.path().join("cold");
    let mut rng = Seeded(0x5eed_2027);
    let (mut rooms, mut events) = (vec![room], vec![event]);
    let event_template = pandafest::render::BUILTIN
        .iter()
        .find(|(name, _)| *name == "event.html")
        .unwrap()
        .1;
    let mut kinds = Vec::new();
    for edit in 0..50 {
        let time = berlin(30 * rng.below(40) as i64 - 60);
        let kind = rng.below(9);
        let pick = |rng: &mut Seeded, v: &Vec<String>| v[rng.below(v.len())].clone();
        let done = match kind {
            0 => {
                let at = pick(&mut rng, &rooms);
                let title = format!("Event {edit}");
                let args = [
                    "event",
                    "add",
                    "--title",
                    &title,
                    "--start",
                    &time,
                    "--duration",
                    "45m",
                    "--request",
                    &at,
                ];
                try_pandafest(&dir, &args)
                    .map(|id| events.push(id))
                    .is_some()
            }
            1 if !events.is_empty() => {
                let e = pick(&mut rng, &events);
                try_pandafest(&dir, &["event", "update", &e, "--start", &time]).is_some()
            }
            2 if !events.is_empty() => {
                let e = pick(&mut rng, &events);
                let title = format!("Renamed {edit}");
                try_pandafest(&dir, &["event", "update", &e, "--title", &title]).is_some()
            }
            3 if events.len() > 1 => {
                let e = events.remove(rng.below(events.len()));
                try_pandafest(&dir, &["event", "cancel", &e]).is_some()
            }
            4 | 5 if !events.is_empty() => {
                let (e, r) = (pick(&mut rng, &events), pick(&mut rng, &rooms));
                let verb = if kind == 4 { "confirm" } else { "deny" };
                try_pandafest(&dir, &[verb, &e, &r]).is_some()
            }
            6 => {
                let title = format!("Room {edit}");
                let args = [
                    "resource",
                    "add",
                    "--title",
                    &title,
                    "--kind",
                    "room",
                    "--address",
                    "Lane 1",
                ];
                try_pandafest(&dir, &args)
                    .map(|id| rooms.push(id))
                    .is_some()
            }
            7 => {
                let name = format!("Person {edit}");
                let key = tmp.path().join("bob/.pandafest/key");
                let key = key.to_str().unwrap();
                try_pandafest(&dir, &["--key", key, "profile", "set", "--name", &name]).is_some()
            }
            _ => {
                std::fs::create_dir_all(dir.join("templates")).unwrap();
                let end = event_template.rfind("{% endblock content %}").unwrap();
                let text = format!(
                    "{}<p>edit {edit}</p>\n{}",
                    &event_template[..end],
                    &event_template[end..]
                );
                std::fs::write(dir.join("templates/event.html"), text).unwrap();
                true
            }
        };
        kinds.push((kind, done));
        // The same logs and templates built cold, beside serve.
        let _ = std::fs::remove_dir_all(&cold);
        pandafest(&dir, &["build", ".", "-o", cold.to_str().unwrap()]);
        let want = site_files(&cold);
        let started = Instant::now();
        loop {
            let have = site_files(&dir.join("public"));
            if have == want {
                break;
            }
            if started.elapsed() > Duration::from_secs(20) {
                let differing: Vec<&String> = want
                    .keys()
                    .chain(have.keys())
                    .filter(|p| want.get(*p) != have.get(*p))
                    .collect();
                panic!(
                    "edit {edit} (kind {kind}): serve's site differs from a cold build in {differing:?}"
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    // The sequence tried every kind of edit, and most of them took.
    for kind in 0..9 {
        assert!(
            kinds.iter().any(|&(k, done)| k == kind && done),
            "kind {kind} never done: {kinds:?}"
        );
    }
}
