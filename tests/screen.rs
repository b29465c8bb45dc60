//! The now-and-next screen (`screen/`) in headless Chromium, served as a
//! static host would serve it, with a server clock set to festival times:
//! now and next per room in the festival's time zone on a device in
//! another zone, cancelled, moved and conflicting events, overtime, one
//! room with `?location=`, pages that rotate, the end of the day, and a
//! festival whose every text is an XSS vector. Each page must leave no
//! console message.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::cdp::{self, Browser};
use indicatif::ProgressBar;
use pandafest::festival_dir::FestivalDir;
use pandafest::pipeline::build_site;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

/// A static web host for `site` whose `Date` header says `date` (its
/// clock), whatever the machine's clock says.
struct Host {
    url: String,
    date: Arc<Mutex<String>>,
    server: Arc<tiny_http::Server>,
}

impl Host {
    fn start(site: PathBuf) -> Host {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let url = format!("http://{}/", server.server_addr().to_ip().unwrap());
        let date = Arc::new(Mutex::new(String::new()));
        let (s, d) = (server.clone(), date.clone());
        std::thread::spawn(move || {
            for request in s.incoming_requests() {
                let path = request.url().split('?').next().unwrap().to_owned();
                let mut file = site.join(path.trim_start_matches('/'));
                if path.ends_with('/') {
                    file = file.join("index.html");
                }
                let header = |name: &str, value: &str| {
                    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap()
                };
                let response = match std::fs::read(&file) {
                    Ok(bytes) => {
                        let kind = match file.extension().and_then(|e| e.to_str()) {
                            Some("html") => "text/html; charset=utf-8",
                            Some("js") => "text/javascript; charset=utf-8",
                            Some("css") => "text/css; charset=utf-8",
                            Some("json") => "application/json; charset=utf-8",
                            _ => "application/octet-stream",
                        };
                        tiny_http::Response::from_data(bytes)
                            .with_header(header("Content-Type", kind))
                    }
                    Err(_) => {
                        tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404)
                    }
                };
                let date = d.lock().unwrap().clone();
                let response = match date.is_empty() {
                    true => response,
                    false => response.with_header(header("Date", &date)),
                };
                let _ = request.respond(response);
            }
        });
        Host { url, date, server }
    }

    /// Sets the host's clock to `at` (RFC 3339).
    fn set_clock(&self, at: &str) {
        let at: DateTime<Utc> = DateTime::parse_from_rfc3339(at).unwrap().into();
        *self.date.lock().unwrap() = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// Builds the festival of the operations `script` into `<tmp>/site`.
fn build_script(tmp: &Path, script: &str) -> PathBuf {
    let festival = tmp.join("festival");
    std::fs::create_dir_all(&festival).unwrap();
    let mut store = pandafest::store::Store::in_memory().unwrap();
    pandafest::script::run_script(&mut store, script).unwrap();
    pandafest::bundle::write_bundle(&store, &festival.join("logs")).unwrap();
    let site = tmp.join("site");
    let mut dir = FestivalDir::open(&festival).unwrap();
    build_site(&mut dir, &site, |_| ProgressBar::hidden()).unwrap();
    site
}

const FESTIVAL: &str = r#"
[[op]]
do = "festival"
id = "f"
author = "ada"
name = "Screen Test Fest"
description = ""
start = "2027-07-16T09:00:00+02:00"
end = "2027-07-17T23:00:00+02:00"
time_zone = "Europe/Berlin"

[[op]]
do = "resource"
id = "a"
owner = "ada"
festival = "f"
title = "Hall A"
description = ""
kind = "room"
policy = "manual"
location = { mode = "address", address = "Lake Road 1" }

[[op]]
do = "resource"
id = "b"
owner = "ada"
festival = "f"
title = "Hall B"
description = ""
kind = "room"
policy = "manual"
location = { mode = "address", address = "Lake Road 2" }

[[op]]
do = "resource"
id = "pa"
owner = "ada"
festival = "f"
title = "PA system"
description = ""
kind = "thing"
policy = "manual"

[[op]]
do = "event"
id = "a1"
author = "ada"
festival = "f"
title = "Opening"
description = ""
start = "2027-07-16T10:00:00+02:00"
end = "2027-07-16T11:00:00+02:00"
resources = ["a"]
persons = ["Hedda", "Fen"]

[[op]]
do = "authorize"
event = "a1"
resource = "a"
decision = "confirmed"

[[op]]
do = "event"
id = "a2"
author = "ada"
festival = "f"
title = "Kite Building"
description = ""
start = "2027-07-16T11:00:00+02:00"
end = "2027-07-16T12:00:00+02:00"
resources = ["a"]

[[op]]
do = "delete_event"
event = "a2"

[[op]]
do = "event"
id = "a3"
author = "ada"
festival = "f"
title = "Lantern Walk"
description = ""
start = "2027-07-16T11:30:00+02:00"
end = "2027-07-16T12:30:00+02:00"
resources = ["a"]

[[op]]
do = "update_event"
event = "a3"
start = "2027-07-16T12:00:00+02:00"
end = "2027-07-16T13:00:00+02:00"

[[op]]
do = "event"
id = "b1"
author = "ada"
festival = "f"
title = "Soldering"
description = ""
start = "2027-07-16T10:15:00+02:00"
end = "2027-07-16T11:15:00+02:00"
resources = ["b", "pa"]

[[op]]
do = "authorize"
event = "b1"
resource = "b"
decision = "confirmed"

[[op]]
do = "event"
id = "b2"
author = "ada"
festival = "f"
title = "Radio Hour"
description = ""
start = "2027-07-16T10:30:00+02:00"
end = "2027-07-16T11:30:00+02:00"
resources = ["b"]

[[op]]
do = "authorize"
event = "b2"
resource = "b"
decision = "confirmed"

[[op]]
do = "event"
id = "c1"
author = "ada"
festival = "f"
title = "Breakfast Talk"
description = ""
start = "2027-07-17T09:30:00+02:00"
end = "2027-07-17T10:00:00+02:00"
resources = ["a"]
"#;

/// Each shown room: its name, then for the now and the next slot its
/// label, title and state line.
const ROOMS: &str = r#"JSON.stringify([...document.querySelectorAll('.room:not(.empty)')].map(r =>
  [r.querySelector('h2').textContent, ...[...r.querySelectorAll('.slot')].flatMap(s =>
    [s.querySelector('.label').textContent, s.querySelector('.title').textContent,
     s.querySelector('.state').textContent])]))"#;

fn rooms(browser: &mut Browser) -> Vec<Vec<String>> {
    serde_json::from_str(browser.eval(ROOMS).as_str().unwrap()).unwrap()
}

/// Loads `url` again (the host's clock may have moved) and waits for the
/// screen to have its data.
fn load(browser: &mut Browser, url: &str) {
    browser.navigate(url);
    browser.wait_for(
        "document.getElementById('state').textContent.startsWith('Updated')",
        WAIT,
        "the screen loads its data",
    );
}

#[test]
fn screen_shows_now_and_next_per_room_in_the_festival_zone() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build_script(tmp.path(), FESTIVAL);
    let data: Value =
        serde_json::from_slice(&std::fs::read(site.join("screen/data.json")).unwrap()).unwrap();
    assert_eq!(data["zone"], "Europe/Berlin");
    assert_eq!(data["locations"].as_array().unwrap().len(), 2, "{data}");
    if !cdp::available() {
        return;
    }
    let host = Host::start(site);
    let screen = format!("{}screen/", host.url);
    // The device is in New York and its clock is years off: the screen
    // takes the time from the host and shows it in Berlin.
    host.set_clock("2027-07-16T08:20:00Z");
    let mut browser = Browser::open(&screen, "America/New_York");
    load(&mut browser, &screen);
    assert_eq!(
        browser.eval("document.getElementById('time').textContent"),
        json!("10:20")
    );
    assert_eq!(
        browser.eval("document.getElementById('zone').textContent"),
        json!("Europe/Berlin")
    );
    assert_eq!(
        browser.eval("document.title"),
        json!("Screen Test Fest — now and next")
    );
    let state = "Updated 10:20";
    assert_eq!(
        browser.eval("document.getElementById('state').textContent"),
        json!(state)
    );
    assert_eq!(
        rooms(&mut browser),
        vec![
            vec![
                "Hall A",
                "Now · ends in 40 min",
                "Opening",
                "100 % confirmed",
                "Next · cancelled",
                "Kite Building",
                "",
            ],
            vec![
                "Hall B",
                "Now · ends in 55 min",
                "Soldering",
                "50 % confirmed",
                "Next · in 10 min",
                "Radio Hour",
                "0 % confirmed · 1 conflict",
            ],
        ]
    );
    assert_eq!(
        browser.eval("document.querySelector('.room .slot .meta').textContent"),
        json!("10:00–11:00 · Hedda, Fen")
    );
    // The progress bar of the opening: 20 of 60 minutes.
    let bar = browser.eval("document.querySelector('.room .slot .progress span').style.transform");
    let ratio: f64 = bar
        .as_str()
        .unwrap()
        .trim_start_matches("scaleX(")
        .trim_end_matches(')')
        .parse()
        .unwrap();
    assert!((0.333..=0.34).contains(&ratio), "{bar}");

    // 11:10: the cancelled event's slot says so; the moved one says from when.
    host.set_clock("2027-07-16T09:10:00Z");
    load(&mut browser, &screen);
    let a = &rooms(&mut browser)[0];
    assert_eq!(
        a[1..],
        [
            "Cancelled",
            "Kite Building",
            "",
            "Next · in 50 min",
            "Lantern Walk",
            "moved from 11:30 · 0 % confirmed"
        ]
    );
    assert_eq!(
        browser.eval("document.querySelector('.room .slot').className"),
        json!("slot now cancelled")
    );

    // 13:05: the walk ran over; nothing comes after it today.
    host.set_clock("2027-07-16T11:05:00Z");
    load(&mut browser, &screen);
    let a = &rooms(&mut browser)[0];
    assert_eq!(a[1..3], ["Overtime · +5 min", "Lantern Walk"]);
    assert_eq!(
        browser.eval("document.getElementById('message').hidden"),
        json!(true)
    );

    // 14:00: the day is over; tomorrow's first event is announced.
    host.set_clock("2027-07-16T12:00:00Z");
    load(&mut browser, &screen);
    assert_eq!(
        browser.eval("document.getElementById('message').textContent"),
        json!("That's all for today. Sat 17 Jul from 09:30: Breakfast Talk")
    );
    assert_eq!(
        browser.eval("document.body.classList.contains('ended')"),
        json!(true)
    );

    // After the last event: the festival is over.
    host.set_clock("2027-07-17T09:00:00Z");
    load(&mut browser, &screen);
    assert_eq!(
        browser.eval("document.getElementById('message').textContent"),
        json!("That was Screen Test Fest. Thank you!")
    );

    // One room, in big type.
    host.set_clock("2027-07-16T08:20:00Z");
    let hall_b = data["locations"][1]["id"].as_str().unwrap();
    assert_eq!(data["locations"][1]["name"], "Hall B");
    load(&mut browser, &format!("{screen}?location={hall_b}"));
    assert_eq!(
        browser.eval("document.body.classList.contains('single')"),
        json!(true)
    );
    let shown = rooms(&mut browser);
    assert_eq!(shown.len(), 1);
    assert_eq!(
        shown[0][..3],
        ["Hall B", "Now · ends in 55 min", "Soldering"]
    );
    let big =
        browser.eval("parseFloat(getComputedStyle(document.querySelector('.title')).fontSize)");
    assert!(
        big.as_f64().unwrap() > 720.0 * 0.07,
        "the title is big: {big}"
    );
    load(&mut browser, &format!("{screen}?location=0020nothere"));
    assert_eq!(
        browser.eval("document.getElementById('message').textContent"),
        json!("This festival has no location 0020nothere.")
    );
    assert!(browser.problems.is_empty(), "{:#?}", browser.problems);
}

#[test]
fn screen_rotates_through_pages_when_rooms_do_not_fit() {
    if !cdp::available() {
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
    let host = Host::start(site);
    host.set_clock("2027-07-16T10:00:00Z");
    let screen = format!("{}screen/", host.url);
    let mut browser = Browser::open(&screen, "UTC");
    load(&mut browser, &screen);
    // Five rooms fit on a wide screen (two columns of three).
    assert_eq!(rooms(&mut browser).len(), 5);
    assert_eq!(
        browser.eval("document.getElementById('page').textContent"),
        json!("")
    );
    // On an upright one, three per page, and the pages turn.
    browser.resize(720, 1280);
    browser.wait_for(
        "document.getElementById('page').textContent === 'Page 1 of 2'",
        WAIT,
        "the rooms split into two pages",
    );
    let first = rooms(&mut browser);
    assert_eq!(first.len(), 3);
    browser.wait_for(
        "document.getElementById('page').textContent === 'Page 2 of 2'",
        WAIT,
        "the second page comes",
    );
    let second = rooms(&mut browser);
    assert_eq!(second.len(), 2);
    assert!(first.iter().all(|room| !second.contains(room)));
    assert!(browser.problems.is_empty(), "{:#?}", browser.problems);
}

#[test]
fn hostile_festival_shows_as_text_on_the_screen() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build_script(tmp.path(), &common::hostile::script());
    if !cdp::available() {
        return;
    }
    let host = Host::start(site);
    host.set_clock("2027-07-16T16:40:00Z");
    let screen = format!("{}screen/", host.url);
    let mut browser = Browser::open(&screen, "UTC");
    load(&mut browser, &screen);
    let shown = rooms(&mut browser);
    assert!(!shown.is_empty());
    let short = common::hostile::SHORT.replace("\\\"", "\"");
    assert_eq!(
        browser.eval("document.getElementById('festival').textContent"),
        json!(short)
    );
    assert!(shown.iter().all(|room| room[0] == short), "{shown:?}");
    assert!(shown.iter().any(|room| room[2] == short), "{shown:?}");
    // The text is there as text: no element came from it, and nothing ran.
    for tag in ["img", "svg", "iframe", "a", "b"] {
        assert_eq!(
            browser.eval(&format!("document.querySelectorAll('#drift {tag}').length")),
            json!(0),
            "{tag}"
        );
    }
    assert_eq!(
        browser.eval("document.querySelectorAll('script').length"),
        json!(1)
    );
    assert!(browser.problems.is_empty(), "{:#?}", browser.problems);
}
