//! Replication throughput beside a directory import of the same bundle,
//! the cost of an up-to-date resync, and B's peak memory while syncing
//! 100,000 entries.
//!
//! `cargo bench --bench replicate`. Node A (a `pandafest node` process)
//! holds a generated bundle of 10,000 entries in 20 logs; a fresh B syncs
//! it over loopback TCP with noise and yamux (`pandafest sync`), and
//! `pandafest import` brings the same bundle in from a directory. The
//! last two lines read
//! `replicate: N entries/s; directory import: M entries/s; ratio: R`
//! (target R >= 0.5) and
//! `resync when up to date: T ms, K round trips` (targets T <= 50, K = 1;
//! measured in this process through `pandafest::replicate::run`, without a
//! process start). Target for the peak memory: 150 MiB.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{bench_festival, make_bundle};
use pandafest::replicate::{Mode, Options, run};

fn pandafest() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pandafest"))
}

/// Starts `pandafest node` in `dir` on 127.0.0.1 and returns it with its
/// address.
fn node(dir: &Path) -> (Child, String) {
    let mut child = pandafest()
        .arg("--dir")
        .arg(dir)
        .args(["node", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the node says where it listens")
            .unwrap();
        if let Some(addr) = line.strip_prefix("listening on ") {
            break addr.to_string();
        }
    };
    // Keep reading its stderr so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// A directory holding `total` generated entries, in its logs/ and in its
/// store (checked once, so the node starts warm).
fn festival_dir(parent: &Path, total: usize) -> PathBuf {
    let dir = parent.join(format!("a{total}"));
    make_bundle(&dir.join("logs"), total);
    let out = pandafest().arg("check").arg(&dir).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// Runs `pandafest sync` into `dir` from `addr`, sampling its peak
/// memory; returns the time, the peak (KiB) and its stdout.
fn sync_process(dir: &Path, addr: &str) -> (Duration, u64, String) {
    let started = Instant::now();
    let mut child = pandafest()
        .arg("--dir")
        .arg(dir)
        .args(["sync", "--peer", addr, "--timeout", "10m", "--festival"])
        .arg(bench_festival().to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Some(peak_now) = std::fs::read_to_string(&status_path).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak = peak.max(peak_now);
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(child.wait().unwrap().success(), "{out}");
    (elapsed, peak, out)
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let total = 10_000;
    let a = festival_dir(tmp.path(), total);
    let (node_a, addr) = node(&a);

    let b = tmp.path().join("b");
    let (replicate_time, _, out) = sync_process(&b, &addr);
    assert!(out.contains(&format!("received {total},")), "{out}");

    let c = tmp.path().join("c");
    let started = Instant::now();
    let import = pandafest()
        .arg("import")
        .arg(a.join("logs"))
        .arg("--into")
        .arg(&c)
        .output()
        .unwrap();
    let import_time = started.elapsed();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );

    // The up-to-date resync, in this process: best of five.
    let mut best = Duration::MAX;
    let mut round_trips = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let summaries = run(
            Options {
                root: b.clone(),
                key_path: b.join(".pandafest/key"),
                listen: Vec::new(),
                peers: vec![addr.parse().unwrap()],
                mdns: false,
                festival: Some(bench_festival()),
                mode: Mode::Sync {
                    timeout: Duration::from_secs(30),
                },
            },
            &mut |_| {},
        )
        .unwrap();
        best = best.min(started.elapsed());
        assert!(summaries[0].failed.is_none(), "{:?}", summaries[0]);
        assert_eq!(summaries[0].received, 0);
        round_trips = summaries[0].requests + summaries[0].served;
    }
    stop(node_a);

    let big = festival_dir(tmp.path(), 100_000);
    let (node_big, big_addr) = node(&big);
    let (big_time, peak_kib, out) = sync_process(&tmp.path().join("big-b"), &big_addr);
    assert!(out.contains("received 100000,"), "{out}");
    stop(node_big);

    let replicate_rate = total as f64 / replicate_time.as_secs_f64();
    let import_rate = total as f64 / import_time.as_secs_f64();
    println!(
        "100,000 entries: synced in {:.1} s; peak memory of B {:.1} MiB (target <= 150 MiB)",
        big_time.as_secs_f64(),
        peak_kib as f64 / 1024.0
    );
    println!(
        "replicate: {replicate_rate:.0} entries/s; directory import: {import_rate:.0} entries/s; ratio: {:.2}",
        replicate_rate / import_rate
    );
    println!(
        "resync when up to date: {} ms, {round_trips} round trips",
        best.as_millis()
    );
}
