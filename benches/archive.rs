//! Import of a 10,000-entry bundle from a local HTTP server, beside import
//! of the same bundle from a local directory, in the same run.
//!
//! `cargo bench --bench archive`; the last line reads
//! `http import: N entries/s; directory import: M entries/s; ratio: R`.
//! Target: ratio >= 0.8.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use pandafest::archive::{ArchiveSource, import_archive};
use pandafest::bundle::BundleBuilder;
use pandafest::entry::{Hash, KeyPair, LogChain};
use pandafest::operation::{EventFields, Fields, Operation, encode_operation};

/// A site directory holding a bundle of `total` entries over 20 authors.
fn make_site(root: &Path, total: usize) {
    let mut bundle = BundleBuilder::new();
    for author in 0..20 {
        let key = KeyPair::from_name(&format!("archive bench {author}"));
        let mut chain = LogChain::new(&key, 0);
        for n in 0..total / 20 {
            let payload = encode_operation(&Operation::create(Fields::Event(EventFields {
                festival: Hash::of(b"festival"),
                title: format!("Session {n} of author {author}"),
                description: "Some words about the session, as a description has them.".repeat(3),
                start: "2027-07-16T10:00:00+02:00".into(),
                end: "2027-07-16T11:00:00+02:00".into(),
                resources: vec![],
                tags: vec!["talk".into()],
                links: vec![],
                subtitle: None,
                summary: None,
                language: None,
                persons: None,
                derived_from: None,
                source: None,
                track: None,
                kind: None,
                url: None,
                do_not_record: None,
            })));
            let entry = chain.append(&payload).unwrap();
            bundle.push(key.public_key(), 0, entry.bytes, payload);
        }
    }
    bundle.write(&root.join("logs")).unwrap();
    std::fs::write(
        root.join("index.html"),
        "<!doctype html><title>bench</title>",
    )
    .unwrap();
}

fn serve(root: PathBuf) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", server.server_addr().to_ip().unwrap());
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let path = root.join(request.url().trim_start_matches('/'));
            let response = match std::fs::File::open(&path) {
                Ok(file) => tiny_http::Response::from_file(file).boxed(),
                Err(_) => tiny_http::Response::empty(404).boxed(),
            };
            let _ = request.respond(response);
        }
    });
    url
}

fn import(source: &str) -> Duration {
    let into = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let source = ArchiveSource::open(source).unwrap();
    let summary = import_archive(&source, into.path(), ProgressBar::hidden()).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        summary.report.ingested,
        10_000,
        "{:?}",
        summary.report.lines()
    );
    elapsed
}

fn main() {
    let site = tempfile::tempdir().unwrap();
    make_site(site.path(), 10_000);
    let url = serve(site.path().to_owned());
    let local = site.path().to_str().unwrap().to_owned();
    let mut http_best = Duration::MAX;
    let mut dir_best = Duration::MAX;
    for _ in 0..3 {
        dir_best = dir_best.min(import(&local));
        http_best = http_best.min(import(&url));
    }
    let http = 10_000.0 / http_best.as_secs_f64();
    let dir = 10_000.0 / dir_best.as_secs_f64();
    println!(
        "http import: {http:.0} entries/s; directory import: {dir:.0} entries/s; ratio: {:.2}",
        http / dir
    );
}
