//! Archives end to end: a built site served over HTTP from inside the test,
//! imported, rebuilt, verified, tampered with and forked; and every kind of
//! bad archive, locally and over HTTP.

use std::io::{Read, Write};
use std::net::TcpListener;
mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::ProgressBar;
use pandafest::archive::{
    ArchiveSource, fork_archive, import_archive, parse_shift, verify_archive,
};
use pandafest::festival_dir::FestivalDir;
use pandafest::fetch::FetchLimits;
use pandafest::materialize::materialize;
use pandafest::pipeline::build_site;

/// Builds the sample festival into `root/site` and returns that path.
fn built_sample(root: &Path) -> PathBuf {
    let festival = root.join("sample");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-festival"),
        &festival,
    );
    let mut dir = FestivalDir::open(&festival).unwrap();
    let site = root.join("site");
    build_site(&mut dir, &site, |_| ProgressBar::hidden()).unwrap();
    site
}

/// Serves the files under `root` on 127.0.0.1; returns the base URL.
fn serve(root: PathBuf) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", server.server_addr().to_ip().unwrap());
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let path = request.url().trim_start_matches('/').to_owned();
            let file = root.join(&path);
            let response = if !path.contains("..") && file.is_file() {
                tiny_http::Response::from_data(std::fs::read(&file).unwrap())
            } else {
                tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404)
            };
            let _ = request.respond(response);
        }
    });
    url
}

fn quick() -> FetchLimits {
    FetchLimits {
        connect: Duration::from_secs(2),
        read: Duration::from_millis(500),
        total: Duration::from_secs(5),
        redirects: 3,
        ..FetchLimits::default()
    }
}

#[test]
fn full_cycle_over_http() {
    let root = tempfile::tempdir().unwrap();
    let site = built_sample(root.path());
    let url = serve(site.clone());

    // 1. Import from the URL into a fresh directory.
    let into = root.path().join("imported");
    let source = ArchiveSource::open(&url).unwrap();
    let summary = import_archive(&source, &into, ProgressBar::hidden()).unwrap();
    assert!(summary.report.is_clean(), "{:?}", summary.report.lines());
    assert_eq!(summary.report.ingested, 115);
    assert_eq!(
        FestivalDir::open(&into).unwrap().config.festival,
        source.bundle.manifest().site.as_ref().map(|s| s.festival),
        "the import names the festival of the site's manifest"
    );
    let again = import_archive(&source, &into, ProgressBar::hidden()).unwrap();
    assert_eq!(
        (again.fetched, again.report.ingested),
        (0, 0),
        "a second import fetches nothing"
    );

    // 2. Build it.
    let mut dir = FestivalDir::open(&into).unwrap();
    let built = build_site(&mut dir, &into.join("public"), |_| ProgressBar::hidden()).unwrap();
    assert!(built.pages > 30);

    // 3. Verify the original.
    let report = verify_archive(&source, ProgressBar::hidden()).unwrap();
    assert!(report.is_verified(), "{}", report.lines().join("\n"));
    assert!(report.compared > 100);
    assert_eq!(
        report.lines().last().unwrap(),
        &format!(
            "verified: every entry, and all {} files match the rebuild byte for byte; files that exist only on the server were not checked",
            report.compared
        ),
        "a web server cannot list its files, and the summary says so"
    );

    // 4. Tamper with one HTML file: verify fails and names it.
    let page = site.join("schedule/index.html");
    let mut text = std::fs::read_to_string(&page).unwrap();
    text = text.replacen("Schedule", "Schedul3", 1);
    std::fs::write(&page, text).unwrap();
    let report =
        verify_archive(&ArchiveSource::open(&url).unwrap(), ProgressBar::hidden()).unwrap();
    assert!(!report.is_verified());
    assert_eq!(report.differing, vec!["schedule/index.html".to_owned()]);
    assert!(
        report
            .lines()
            .iter()
            .any(|l| l == "differs: schedule/index.html")
    );

    // 5. Fork with --shift 365d and build the fork.
    let fork_dir = root.path().join("fork");
    let fork = fork_archive(
        &source,
        &fork_dir,
        "Lanternwick Lake Camp 2028",
        parse_shift("365d").unwrap(),
        ProgressBar::hidden(),
    )
    .unwrap();
    let mut dir = FestivalDir::open(&fork_dir).unwrap();
    build_site(&mut dir, &fork_dir.join("public"), |_| {
        ProgressBar::hidden()
    })
    .unwrap();
    let model = materialize(&dir.store).unwrap();
    let festival = &model.festivals[&fork.festival];
    assert_eq!(festival.name, "Lanternwick Lake Camp 2028");
    let forked_from = festival.forked_from.as_ref().unwrap();
    assert_eq!(forked_from.festival, fork.source_festival);
    assert_eq!(forked_from.archive_url.as_deref(), Some(url.as_str()));
    let original = &model.festivals[&fork.source_festival];
    assert_eq!(festival.start - original.start, chrono::Duration::days(365));
    let clones: Vec<_> = model
        .events
        .values()
        .filter(|e| e.derived_from.is_some())
        .collect();
    assert_eq!(clones.len(), 33);
    for clone in &clones {
        let source_event = &model.events[&clone.derived_from.unwrap()];
        assert_eq!(
            clone.start - source_event.start,
            chrono::Duration::days(365)
        );
        assert_eq!(clone.author, dir_key(&fork_dir));
    }
    // The original logs are kept: every original event is still there.
    assert_eq!(model.events.len(), 66);
    let index = std::fs::read_to_string(fork_dir.join("public/index.html")).unwrap();
    assert!(index.contains("Lanternwick Lake Camp 2028"));
    // The site says where it came from, and the original's pages stay
    // reachable inside it, outside the new schedule.
    let original_page = format!("festivals/{}/index.html", fork.source_festival);
    assert!(index.contains("Forked from"), "{index}");
    assert!(index.contains(&original_page));
    assert!(index.contains(&format!("{url}\" rel=")) || index.contains("original archive"));
    assert!(fork_dir.join("public").join(&original_page).is_file());
    let original_event = model
        .events
        .values()
        .find(|e| e.derived_from.is_none() && e.festival == fork.source_festival)
        .unwrap();
    assert!(
        fork_dir
            .join(format!("public/events/{}/index.html", original_event.id))
            .is_file()
    );
    let schedule = std::fs::read_to_string(fork_dir.join("public/schedule/index.html")).unwrap();
    assert!(
        !schedule.contains("schedule/2027-"),
        "the original's days are not in the new schedule"
    );
    // The original's events name the resources they asked for, though
    // only the clones have pages.
    let page = |id: &pandafest::entry::DocumentId| {
        std::fs::read_to_string(fork_dir.join(format!("public/events/{id}/index.html"))).unwrap()
    };
    let mut originals = vec![fork.source_festival];
    let mut at = 0;
    while let Some(festival) = originals.get(at) {
        originals.extend(model.festivals[festival].children.iter().copied());
        at += 1;
    }
    assert!(originals.len() > 1, "the sample nests a festival");
    let mut checked = 0;
    for event in model
        .events
        .values()
        .filter(|e| originals.contains(&e.festival) && !e.requests.is_empty())
    {
        let html = page(&event.id);
        assert!(!html.contains("unknown resource"), "{}: {html}", event.id);
        for request in &event.requests {
            let title =
                pandafest::render::markdown::escape(&model.resources[&request.resource].title);
            assert!(html.contains(&title), "{}: {title}", event.id);
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} requests checked");
    assert!(common::check_internal_links(&fork_dir.join("public")) > 1000);
}

fn dir_key(dir: &Path) -> pandafest::entry::PublicKey {
    pandafest::entry::KeyPair::load(&pandafest::entry::key_path(dir))
        .unwrap()
        .public_key()
}

/// Copies the sample site's bundle into a fresh directory and lets `spoil`
/// break it; returns the import's report lines and the number ingested.
fn import_spoiled(spoil: impl FnOnce(&Path)) -> (String, u64, PathBuf, tempfile::TempDir) {
    let root = tempfile::tempdir().unwrap();
    let site = built_sample(root.path());
    spoil(&site.join("logs"));
    let into = root.path().join("into");
    let source = ArchiveSource::open(site.to_str().unwrap()).unwrap();
    let summary = import_archive(&source, &into, ProgressBar::hidden()).unwrap();
    (
        summary.report.lines().join("\n"),
        summary.report.ingested,
        into,
        root,
    )
}

fn manifest(logs: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(logs.join("manifest.json")).unwrap()).unwrap()
}

fn write_manifest(logs: &Path, value: &serde_json::Value) {
    std::fs::write(
        logs.join("manifest.json"),
        serde_json::to_vec_pretty(value).unwrap(),
    )
    .unwrap();
}

fn first_log(logs: &Path) -> PathBuf {
    logs.join(manifest(logs)["logs"][1]["path"].as_str().unwrap())
}

#[test]
fn truncated_bundle_file_keeps_the_rest() {
    let (text, ingested, _, _root) = import_spoiled(|logs| {
        let file = first_log(logs);
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() - 7]).unwrap();
    });
    assert!(
        text.contains("announces") && text.contains("that are not there"),
        "{text}"
    );
    assert!(ingested > 100, "the other logs are kept: {ingested}");
}

#[test]
fn lying_manifest_is_named() {
    let (text, ingested, _, _root) = import_spoiled(|logs| {
        let mut value = manifest(logs);
        value["logs"][1]["height"] = 99.into();
        value["logs"][2]["size"] = 5.into();
        value["logs"][3]["blake3"] = "00".repeat(32).into();
        write_manifest(logs, &value);
    });
    assert!(
        text.contains("the manifest says height 99, the file has"),
        "{text}"
    );
    assert!(
        text.contains("the manifest says 5 bytes, the file has"),
        "{text}"
    );
    assert!(text.contains("the manifest's BLAKE3 0000"), "{text}");
    assert_eq!(ingested, 115, "every entry still verifies on its own");
}

#[test]
fn missing_log_file_is_named() {
    let (text, ingested, _, _root) =
        import_spoiled(|logs| std::fs::remove_file(first_log(logs)).unwrap());
    assert!(
        text.contains(".bamboo") && text.contains("the log file is missing"),
        "{text}"
    );
    assert!(ingested > 100);
}

#[test]
fn tampered_payload_is_rejected() {
    let (text, _, _, _root) = import_spoiled(|logs| {
        let file = first_log(logs);
        let mut bytes = std::fs::read(&file).unwrap();
        let last = bytes.len() - 3;
        bytes[last] ^= 0x20;
        std::fs::write(&file, bytes).unwrap();
    });
    assert!(
        text.contains("payload does not match the entry's payload hash"),
        "{text}"
    );
}

#[test]
fn manifest_paths_cannot_escape() {
    let root = tempfile::tempdir().unwrap();
    let outside = root.path().join("outside.bamboo");
    std::fs::write(&outside, b"secret").unwrap();
    let (text, _, into, _keep) = import_spoiled(|logs| {
        let mut value = manifest(logs);
        value["logs"][1]["path"] = "../../../outside.bamboo".into();
        value["logs"][2]["path"] = outside.to_str().unwrap().into();
        write_manifest(logs, &value);
        let target = first_log(logs);
        let third = logs.join(manifest(logs)["logs"][3]["path"].as_str().unwrap());
        std::fs::remove_file(&third).unwrap();
        std::os::unix::fs::symlink(&target, &third).unwrap();
    });
    assert!(
        text.contains("path `../../../outside.bamboo` leaves the bundle directory"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "path `{}` leaves the bundle directory",
            outside.display()
        )),
        "{text}"
    );
    assert!(text.contains("is a symbolic link"), "{text}");
    assert_eq!(std::fs::read(&outside).unwrap(), b"secret");
    for entry in walkdir::WalkDir::new(into.parent().unwrap()).max_depth(1) {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            ["into", "sample", "site"].contains(&name.as_str())
                || name.starts_with('.')
                || name.len() > 20,
            "unexpected {name}"
        );
    }
}

#[test]
fn forked_log_is_reported_and_the_rest_kept() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid/fork-same-seq");
    let into = tempfile::tempdir().unwrap();
    let source = ArchiveSource::open(fixture.to_str().unwrap()).unwrap();
    let summary = import_archive(&source, into.path(), ProgressBar::hidden()).unwrap();
    assert_eq!(summary.report.forks.len(), 1);
    assert!(
        summary
            .report
            .lines()
            .iter()
            .any(|l| l.contains("two entries at the same seq num"))
    );
    assert_eq!(summary.report.ingested, 3);
}

/// A server that accepts connections and answers with `reply` for each.
fn raw_server(reply: impl Fn(std::net::TcpStream) + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            reply(stream);
        }
    });
    url
}

/// Reads a request's head, up to the blank line. All of it: a socket closed
/// with unread bytes sends a reset, which the client would see in place of the
/// reply the test means to give.
fn read_request(stream: &mut std::net::TcpStream) -> String {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[test]
fn stalling_server_times_out() {
    let url = raw_server(|mut stream| {
        read_request(&mut stream);
        std::thread::sleep(Duration::from_secs(10));
    });
    let started = std::time::Instant::now();
    let err = ArchiveSource::open_with(&url, quick()).err().unwrap();
    assert!(started.elapsed() < Duration::from_secs(6));
    let text = err.to_string();
    assert!(text.contains(&format!("{url}logs/manifest.json")), "{text}");
    assert!(
        text.to_lowercase().contains("timeout") || text.to_lowercase().contains("timed out"),
        "{text}"
    );
}

#[test]
fn redirect_loop_is_refused() {
    let url = raw_server(|mut stream| {
        let request = read_request(&mut stream);
        let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let _ = write!(
            stream,
            "HTTP/1.1 302 Found\r\nLocation: {path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    });
    let err = ArchiveSource::open_with(&url, quick()).err().unwrap();
    let text = err.to_string();
    assert!(
        text.contains("manifest.json") && text.to_lowercase().contains("redirect"),
        "{text}"
    );
}

#[test]
fn never_ending_body_is_cut_off() {
    let root = tempfile::tempdir().unwrap();
    let site = built_sample(root.path());
    let manifest_bytes = std::fs::read(site.join("logs/manifest.json")).unwrap();
    let url = raw_server(move |mut stream| {
        let request = read_request(&mut stream);
        if request.contains("manifest.json") {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                manifest_bytes.len()
            );
            let _ = stream.write_all(&manifest_bytes);
        } else {
            // Empty records (a zero length, then a zero length) that would
            // never end: only the body limit stops them.
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let chunk = [0u8; 65536];
            while stream.write_all(&chunk).is_ok() {}
        }
    });
    let into = tempfile::tempdir().unwrap();
    let source = ArchiveSource::open_with(&url, quick()).unwrap();
    let started = std::time::Instant::now();
    let summary = import_archive(&source, into.path(), ProgressBar::hidden()).unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    let text = summary.report.lines().join("\n");
    assert!(
        text.contains(".bamboo") && text.contains("the response is larger than"),
        "{text}"
    );
    assert_eq!(summary.report.ingested, 0);
}

#[test]
fn a_shift_past_the_calendar_is_an_error_and_publishes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let site = built_sample(root.path());
    let source = ArchiveSource::open_with(site.to_str().unwrap(), quick()).unwrap();
    for (shift, expected) in [
        // Past what a time can hold.
        ("20000000w", "shifted by --shift is out of range"),
        // A time, but past year 9999: the festival's start is refused.
        (
            "2000000w",
            "operation 0 of the batch is invalid: festival_v1 field `start`: `+40358-03-28T10:00:00+02:00` is not an RFC 3339 time",
        ),
    ] {
        let fork_dir = root.path().join(format!("fork-{shift}"));
        let error = fork_archive(
            &source,
            &fork_dir,
            "Far future",
            parse_shift(shift).unwrap(),
            ProgressBar::hidden(),
        )
        .unwrap_err();
        let text = format!("{error:#}");
        assert!(text.contains(expected), "{shift}: {text}");
        let dir = FestivalDir::open(&fork_dir).unwrap();
        let model = materialize(&dir.store).unwrap();
        assert!(
            model.festivals.values().all(|f| f.forked_from.is_none()),
            "{shift}: a part of the fork was published"
        );
    }
}

#[test]
fn a_log_file_that_is_a_fifo_is_named_not_waited_for() {
    let (text, ingested, _, _root) = import_spoiled(|logs| {
        let file = first_log(logs);
        std::fs::remove_file(&file).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(&file)
            .status()
            .unwrap();
        assert!(made.success());
    });
    assert!(
        text.contains(".bamboo") && text.contains("the log file is not a regular file"),
        "{text}"
    );
    assert!(ingested > 100, "the other logs are kept: {ingested}");
}

#[test]
fn a_manifest_that_is_a_device_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("festival");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-festival"),
        &dir,
    );
    let manifest = dir.join("logs/manifest.json");
    std::fs::remove_file(&manifest).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &manifest).unwrap();
    let mut festival = FestivalDir::open(&dir).unwrap();
    let error = festival.ingest_logs(ProgressBar::hidden()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("{}: not a regular file", manifest.display())
    );
}

#[test]
fn a_fork_on_the_same_dates_keeps_the_original_programme() {
    let root = tempfile::tempdir().unwrap();
    let site = built_sample(root.path());
    let source = ArchiveSource::open_with(site.to_str().unwrap(), quick()).unwrap();
    let fork_dir = root.path().join("fork");
    let fork = fork_archive(
        &source,
        &fork_dir,
        "Lanternwick Lake Camp, again",
        parse_shift("0d").unwrap(),
        ProgressBar::hidden(),
    )
    .unwrap();
    let mut dir = FestivalDir::open(&fork_dir).unwrap();
    let public = fork_dir.join("public");
    build_site(&mut dir, &public, |_| ProgressBar::hidden()).unwrap();
    let page = std::fs::read_to_string(
        public
            .join("festivals")
            .join(fork.source_festival.to_hex())
            .join("index.html"),
    )
    .unwrap();
    let model = materialize(&dir.store).unwrap();
    let tree = pandafest::feeds::festival_tree(&model, fork.source_festival);
    let originals = model
        .events
        .values()
        .filter(|e| tree.contains(&e.festival) && !e.version.deleted)
        .count();
    assert!(originals > 10);
    assert_eq!(
        page.matches("class=\"event-title\"").count(),
        originals,
        "every event of the original is on its page"
    );
    // An original event's page links only to pages and files that exist.
    let event = model
        .events
        .values()
        .find(|e| e.festival == fork.source_festival && !e.version.deleted)
        .unwrap();
    let page_dir = public.join("events").join(event.id.to_hex());
    let html = std::fs::read_to_string(page_dir.join("index.html")).unwrap();
    for href in html
        .split("href=\"")
        .skip(1)
        .filter_map(|h| h.split('"').next())
    {
        if href.starts_with("http") || href.starts_with("mailto:") || href.starts_with('#') {
            continue;
        }
        let target = page_dir.join(href);
        let target = if href.ends_with('/') {
            target.join("index.html")
        } else {
            target
        };
        assert!(target.is_file(), "{href} on {}", page_dir.display());
    }
}

#[test]
fn a_fork_of_a_festival_the_logs_do_not_hold_names_it() {
    let root = tempfile::tempdir().unwrap();
    let site = built_sample(root.path());
    let logs = site.join("logs");
    let mut value = manifest(&logs);
    let unknown = "0020".to_owned() + &"ab".repeat(32);
    value["site"]["festival"] = unknown.clone().into();
    write_manifest(&logs, &value);
    let source = ArchiveSource::open_with(site.to_str().unwrap(), quick()).unwrap();
    let error = fork_archive(
        &source,
        &root.path().join("fork"),
        "Elsewhere",
        parse_shift("0d").unwrap(),
        ProgressBar::hidden(),
    )
    .unwrap_err();
    assert_eq!(
        format!("{error:#}"),
        format!("festival {unknown} is not in the logs")
    );
}

#[test]
fn logs_without_a_manifest_are_an_error_not_an_empty_festival() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("festival");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-festival"),
        &dir,
    );
    let logs = dir.join("logs");
    std::fs::remove_file(logs.join("manifest.json")).unwrap();
    let mut festival = FestivalDir::open(&dir).unwrap();
    let error = festival.ingest_logs(ProgressBar::hidden()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{} holds files but no manifest.json: its logs cannot be read",
            logs.display()
        )
    );
}

#[test]
fn logs_with_only_dot_files_are_an_empty_festival() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("festival");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(dir.join("pandafest.toml"), "").unwrap();
    std::fs::write(logs.join(".gitkeep"), "").unwrap();
    let mut festival = FestivalDir::open(&dir).unwrap();
    let report = festival.ingest_logs(ProgressBar::hidden()).unwrap();
    assert_eq!(report.ingested, 0);
    assert!(report.is_clean());
}

#[test]
fn a_logs_path_that_is_no_directory_is_an_error_not_an_empty_festival() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("festival");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pandafest.toml"), "").unwrap();
    std::fs::write(dir.join("logs"), "not a directory").unwrap();
    let mut festival = FestivalDir::open(&dir).unwrap();
    let err = festival.ingest_logs(ProgressBar::hidden()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&dir.join("logs").display().to_string()),
        "{text}"
    );
    assert!(text.contains("Not a directory"), "{text}");
}
