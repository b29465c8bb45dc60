//! The authoring commands end to end, through the binary: what they
//! publish, what they print, and each bad input's error (nothing is
//! published then).

use std::path::{Path, PathBuf};
mod common;

use common::pandafest_in as pandafest;

/// Runs a command that must succeed; returns its stdout, trimmed.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = pandafest(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Runs a command that must fail; returns its stderr. It must not have
/// changed the directory's logs.
fn fails(dir: &Path, args: &[&str]) -> String {
    let before = logs_of(dir);
    let out = pandafest(dir, args);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    assert_eq!(logs_of(dir), before, "{args:?} changed logs/");
    String::from_utf8(out.stderr).unwrap()
}

fn logs_of(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let logs = dir.join("logs");
    if !logs.exists() {
        return Vec::new();
    }
    walkdir::WalkDir::new(&logs)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_owned(), std::fs::read(e.path()).unwrap()))
        .collect()
}

/// A new directory with a key and a festival in Europe/Berlin, 10–12 July
/// 2027; returns the festival id.
fn festival(dir: &Path) -> String {
    ok(dir, &["init"]);
    ok(
        dir,
        &[
            "festival",
            "create",
            "--name",
            "Camp",
            "--start",
            "2027-07-10 10:00",
            "--end",
            "2027-07-12 18:00",
            "--time-zone",
            "Europe/Berlin",
        ],
    )
}

fn is_id(text: &str) -> bool {
    text.len() == 68 && text.starts_with("0020") && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn json(dir: &Path, what: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(&ok(dir, &["ls", what, "--json"])).unwrap()
}

#[test]
fn festival_create_prints_only_its_id_and_names_it_in_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let id = festival(dir.path());
    assert!(is_id(&id), "{id}");
    let config = std::fs::read_to_string(dir.path().join("pandafest.toml")).unwrap();
    assert!(config.contains(&format!("festival = \"{id}\"")), "{config}");
    // The comments `init` wrote are kept.
    assert!(config.contains("# base_url"), "{config}");
    let festivals = json(dir.path(), "festivals");
    assert_eq!(festivals.len(), 1);
    assert_eq!(festivals[0]["id"], id);
    assert_eq!(festivals[0]["title"], "Camp");
    assert_eq!(festivals[0]["start"], "2027-07-10T10:00:00+02:00");
}

#[test]
fn an_event_requests_resources_and_shows_how_far_it_is_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    festival(d);
    let room = ok(
        d,
        &[
            "resource",
            "add",
            "--title",
            "Tent",
            "--kind",
            "room",
            "--gps",
            "54.3,10.1",
        ],
    );
    let rooms: Vec<String> = (0..3)
        .map(|n| {
            ok(
                d,
                &[
                    "resource",
                    "add",
                    "--title",
                    &format!("Tool {n}"),
                    "--kind",
                    "tool",
                ],
            )
        })
        .collect();
    let event = ok(
        d,
        &[
            "event",
            "add",
            "--title",
            "Soldering",
            "--start",
            "2027-07-10 14:00",
            "--duration",
            "1h30m",
            "--request",
            &room,
            "--request",
            &rooms[0],
            "--request",
            &rooms[1],
            "--request",
            &rooms[2][..16],
            "--tag",
            "hardware",
        ],
    );
    assert!(is_id(&event), "{event}");
    let pending = ok(d, &["pending"]);
    assert_eq!(pending.lines().count(), 4, "{pending}");
    assert!(pending.contains("Sat 10 Jul, 14:00–15:30"), "{pending}");
    for resource in [&room, &rooms[0], &rooms[1]] {
        let auth = ok(d, &["confirm", &event[..14], resource]);
        assert!(is_id(&auth), "{auth}");
    }
    let events = json(d, "events");
    assert_eq!(events[0]["confirmed_percent"], 75, "{events:?}");
    assert_eq!(events[0]["end"], "2027-07-10T15:30:00+02:00");
    ok(d, &["deny", &event, &rooms[2], "--note", "broken"]);
    assert_eq!(ok(d, &["pending"]), "");
    // Moving the event lapses the confirmations: they wait again.
    ok(
        d,
        &["event", "update", &event, "--start", "2027-07-11 09:00"],
    );
    let pending = ok(d, &["pending"]);
    assert_eq!(pending.lines().count(), 4, "{pending}");
    assert!(pending.contains("Sun 11 Jul, 09:00–10:30"), "{pending}");
    assert!(
        pending.contains("moved since your last decision"),
        "{pending}"
    );
    // A title-only update keeps them.
    for resource in [&room, &rooms[0]] {
        ok(d, &["confirm", &event, resource]);
    }
    ok(d, &["event", "update", &event, "--title", "Soldering 101"]);
    let events = json(d, "events");
    assert_eq!(events[0]["title"], "Soldering 101");
    assert_eq!(events[0]["confirmed_percent"], 50, "{events:?}");
    // The bundle holds what the store holds: a fresh directory builds the same.
    let copy = tempfile::tempdir().unwrap();
    ok(copy.path(), &["import", d.to_str().unwrap()]);
    assert_eq!(json(copy.path(), "events"), json(d, "events"));
}

#[test]
fn a_first_come_resource_is_decided_by_its_owners_node() {
    let owner = tempfile::tempdir().unwrap();
    let guest = tempfile::tempdir().unwrap();
    let (o, g) = (owner.path(), guest.path());
    festival(o);
    let room = ok(
        o,
        &[
            "resource",
            "add",
            "--title",
            "Hackcenter",
            "--kind",
            "room",
            "--address",
            "Main street 1",
            "--policy",
            "first_come_first_served",
        ],
    );
    ok(g, &["init"]);
    ok(g, &["import", o.to_str().unwrap()]);
    let first = ok(
        g,
        &[
            "event",
            "add",
            "--title",
            "First",
            "--start",
            "2027-07-10 12:00",
            "--end",
            "2027-07-10 13:00",
            "--request",
            &room,
        ],
    );
    let second = ok(
        g,
        &[
            "event",
            "add",
            "--title",
            "Second",
            "--start",
            "2027-07-10 12:30",
            "--duration",
            "1h",
            "--request",
            &room,
        ],
    );
    // Nothing is decided on the guest's machine.
    let events = json(g, "events");
    assert!(
        events.iter().all(|e| e["confirmed_percent"] == 0),
        "{events:?}"
    );
    // The owner's node decides as the requests arrive.
    let out = pandafest(o, &["import", g.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("confirmed `Hackcenter` for `First`"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "denied `Hackcenter` for `Second` ({second}): held by `First` ({first})"
        )),
        "{stderr}"
    );
    assert_eq!(ok(o, &["pending"]), "");
    ok(g, &["import", o.to_str().unwrap()]);
    let events = json(g, "events");
    let percent = |title: &str| {
        events.iter().find(|e| e["title"] == title).unwrap()["confirmed_percent"].clone()
    };
    assert_eq!(percent("First"), 100);
    assert_eq!(percent("Second"), 0);
    // `decide` has nothing left to do.
    let out = pandafest(o, &["decide"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to decide"));
}

#[test]
fn a_directory_with_no_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(dir.path(), &["profile", "set", "--name", "Ada"]);
    assert!(
        err.contains(".pandafest/key: no author key here; make one with `pandafest key new`"),
        "{err}"
    );
}

#[test]
fn bad_times_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    festival(d);
    let add = |start: &str, end: &str| {
        fails(
            d,
            &[
                "event", "add", "--title", "T", "--start", start, "--end", end,
            ],
        )
    };
    let err = add("2027-07-10 14:00", "2027-07-10 13:00");
    assert!(
        err.contains(
            "the end 2027-07-10T13:00:00+02:00 is before the start 2027-07-10T14:00:00+02:00"
        ),
        "{err}"
    );
    let err = add("2027-03-28 02:30", "2027-03-28 04:00");
    assert!(
        err.contains(
            "--start `2027-03-28 02:30` does not exist in Europe/Berlin: the clocks skip that hour"
        ),
        "{err}"
    );
    let err = add("2027-10-31 01:30", "2027-10-31 02:30");
    assert!(
        err.contains("2027-10-31T02:30:00+02:00 or 2027-10-31T02:30:00+01:00"),
        "{err}"
    );
    let err = fails(
        d,
        &[
            "festival",
            "create",
            "--name",
            "X",
            "--start",
            "2027-01-01 10:00",
            "--end",
            "2027-01-02 10:00",
            "--time-zone",
            "Mars/Olympus",
        ],
    );
    assert!(err.contains("unknown time zone `Mars/Olympus`"), "{err}");
}

#[test]
fn a_field_over_its_limit_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    festival(d);
    let title = "x".repeat(201);
    let err = fails(d, &["resource", "add", "--title", &title, "--kind", "room"]);
    assert!(
        err.contains("resource_v1 field `title`: 201 bytes, the limit is 200"),
        "{err}"
    );
}

#[test]
fn unknown_and_short_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let festival_id = festival(d);
    let err = fails(d, &["event", "cancel", "0020ffffffffffffffff"]);
    assert!(
        err.contains("no event has the id `0020ffffffffffffffff`"),
        "{err}"
    );
    let err = fails(d, &["event", "cancel", "0020ab"]);
    assert!(err.contains("at least 12 of its digits"), "{err}");
    let err = fails(d, &["event", "cancel", &festival_id[..20]]);
    assert!(err.contains(", but a festival has"), "{err}");
}

#[test]
fn only_the_owner_decides_and_only_the_author_updates() {
    let owner = tempfile::tempdir().unwrap();
    let guest = tempfile::tempdir().unwrap();
    let (o, g) = (owner.path(), guest.path());
    festival(o);
    let room = ok(o, &["resource", "add", "--title", "Tent", "--kind", "room"]);
    let mine = ok(
        o,
        &[
            "event",
            "add",
            "--title",
            "Opening",
            "--start",
            "2027-07-10 10:00",
            "--duration",
            "2h",
            "--request",
            &room,
        ],
    );
    ok(o, &["confirm", &mine, &room]);
    ok(g, &["init"]);
    ok(g, &["import", o.to_str().unwrap()]);
    let theirs = ok(
        g,
        &[
            "event",
            "add",
            "--title",
            "Talk",
            "--start",
            "2027-07-10 11:00",
            "--duration",
            "1h",
            "--request",
            &room,
        ],
    );
    let owner_key = ok(o, &["key", "show"]);
    let err = fails(g, &["confirm", &theirs, &room]);
    assert!(
        err.contains(&format!(
            "resource `Tent` ({room}) is owned by {owner_key}; only its owner can confirm or deny"
        )),
        "{err}"
    );
    let err = fails(g, &["deny", &theirs, &room]);
    assert!(err.contains("only its owner can confirm or deny"), "{err}");
    let err = fails(g, &["event", "update", &mine, "--title", "Mine now"]);
    assert!(
        err.contains(&format!(
            "event `Opening` ({mine}) belongs to {owner_key}; only its author can change it"
        )),
        "{err}"
    );
    // The overlap is named when the owner confirms the second event.
    ok(o, &["import", g.to_str().unwrap()]);
    let err = fails(o, &["confirm", &theirs, &room]);
    assert!(
        err.contains(&format!("cannot confirm: `Talk` (Sat 10 Jul, 11:00–12:00) overlaps `Opening` ({mine}, Sat 10 Jul, 10:00–12:00), which is already confirmed for `Tent`")),
        "{err}"
    );
    let pending = ok(o, &["pending"]);
    assert!(
        pending.contains(&format!("overlaps confirmed `Opening` ({mine})")),
        "{pending}"
    );
    assert!(pending.contains("requested by"), "{pending}");
}

#[test]
fn a_removed_resource_cannot_be_requested() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    festival(d);
    let room = ok(
        d,
        &["resource", "add", "--title", "Old barn", "--kind", "room"],
    );
    assert_eq!(ok(d, &["resource", "remove", &room]), room);
    let err = fails(
        d,
        &[
            "event",
            "add",
            "--title",
            "Party",
            "--start",
            "2027-07-10 20:00",
            "--duration",
            "3h",
            "--request",
            &room,
        ],
    );
    assert!(
        err.contains(&format!("resource `Old barn` ({room}) was removed")),
        "{err}"
    );
    assert!(json(d, "resources").is_empty());
}

#[test]
fn profile_set_updates_the_name_people_see() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    festival(d);
    let first = ok(d, &["profile", "set", "--name", "Ada"]);
    let second = ok(
        d,
        &[
            "profile",
            "set",
            "--name",
            "Ada L.",
            "--bio",
            "builds things",
        ],
    );
    assert_eq!(
        first, second,
        "the profile document is updated, not made anew"
    );
    let people = json(d, "people");
    assert_eq!(people.len(), 1);
    assert_eq!(people[0]["display_name"], "Ada L.");
}
