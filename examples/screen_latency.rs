//! The screen-latency benchmark behind `bash benches/screen.sh`: runs
//! `pandafest serve` (the binary given as the first argument) on a new
//! festival, opens `/screen/` in headless Chromium, then publishes an
//! event beside serve with `pandafest event add` TRIALS times (default
//! 20). Each trial is timed from the start of the command to the moment
//! the open screen shows the event as the room's next one. Last line:
//! `screen latency: p50 X ms, p95 Y ms over N updates`.

#[path = "../tests/common/cdp.rs"]
#[allow(dead_code)]
mod cdp;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Duration as Span, Utc};

fn run(bin: &Path, cwd: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pandafest {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn berlin(minutes: i64) -> String {
    let at = (Utc::now() + Span::minutes(minutes)).with_timezone(&chrono_tz::Europe::Berlin);
    at.format("%Y-%m-%d %H:%M").to_string()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let bin = std::fs::canonicalize(args.next().expect("the pandafest binary")).unwrap();
    let trials: usize = args.next().map_or(20, |t| t.parse().expect("TRIALS"));
    let tmp = tempfile::tempdir().unwrap();
    run(&bin, tmp.path(), &["init", "fest"]);
    let dir = tmp.path().join("fest");
    run(
        &bin,
        &dir,
        &[
            "festival",
            "create",
            "--name",
            "Latency Fest",
            "--start",
            &berlin(-60),
            "--end",
            &berlin(48 * 60),
            "--time-zone",
            "Europe/Berlin",
        ],
    );
    let room = run(
        &bin,
        &dir,
        &[
            "resource",
            "add",
            "--title",
            "Hall",
            "--kind",
            "room",
            "--address",
            "Road 1",
        ],
    );
    let mut serve = Command::new(&bin)
        .args(["serve", ".", "--port", "0"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .nth(1)
        .expect("serve's URL")
        .to_owned();
    let mut browser = cdp::Browser::open(&format!("{url}screen/"), "UTC");
    browser.wait_for(
        "!!document.getElementById('state') && document.getElementById('state').textContent.startsWith('Updated')",
        Duration::from_secs(30),
        "the screen loads",
    );
    let next = "document.querySelectorAll('.room .slot .title')[1].textContent";
    let mut times = Vec::new();
    for trial in 0..trials {
        let title = format!("Trial {trial}");
        // Each event is earlier than the ones before it: it becomes next.
        let start = berlin(6 * 60 - 10 * trial as i64);
        let started = Instant::now();
        run(
            &bin,
            &dir,
            &[
                "event",
                "add",
                "--title",
                &title,
                "--start",
                &start,
                "--duration",
                "5m",
                "--request",
                &room,
            ],
        );
        browser.wait_for(
            &format!("{next} === {}", serde_json::json!(title)),
            Duration::from_secs(30),
            "the event shows",
        );
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        println!("trial {trial}: {ms:.0} ms");
        times.push(ms);
    }
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(browser.problems.is_empty(), "{:#?}", browser.problems);
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    println!(
        "screen latency: p50 {:.0} ms, p95 {:.0} ms over {} updates",
        at(0.5),
        at(0.95),
        times.len()
    );
}
