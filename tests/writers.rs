//! One writer per key, through the real binary: processes that publish
//! with one key at once, into one directory or into several, take turns
//! and never fork the key's logs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pandafest::entry::{KeyPair, PublicKey, key_path};
use pandafest::store::{LogState, Store, store_path};

fn pandafest(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pandafest"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs pandafest and panics with its stderr unless it exits 0; returns
/// its stdout.
fn ok(args: &[&str]) -> String {
    let out = pandafest(args);
    assert!(
        out.status.success(),
        "pandafest {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn schedule(name: &str) -> String {
    path(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/schedules")
            .join(name),
    )
    .to_owned()
}

fn public_key(key: &Path) -> PublicKey {
    KeyPair::load(key).unwrap().public_key()
}

/// The logs of `author` in the store of `dir`.
fn logs_of(dir: &Path, author: PublicKey) -> Vec<LogState> {
    let store = Store::open(&store_path(dir)).unwrap();
    let logs = store.read().logs().unwrap();
    logs.into_iter().filter(|l| l.author == author).collect()
}

/// `pandafest check DIR` ingests `logs/` again (so the bundle holds what
/// the store holds) and reports no rejection and no fork.
fn assert_clean(dir: &Path, entries: u64) {
    let report = ok(&["check", path(dir)]);
    assert!(
        report.contains(&format!(
            "ingested 0, duplicates {entries}, rejected 0, forks 0"
        )),
        "{}: {report}",
        dir.display()
    );
    let store = Store::open(&store_path(dir)).unwrap();
    assert!(store.read().fork_proofs().unwrap().is_empty());
    assert_eq!(store.read().entry_count().unwrap(), entries);
}

#[test]
fn eight_processes_publishing_with_one_key_into_one_directory_do_not_fork() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fest");
    ok(&["init", path(&dir)]);
    ok(&[
        "-C",
        path(&dir),
        "festival",
        "create",
        "--name",
        "Lanternwick",
        "--start",
        "2027-07-16 10:00",
        "--end",
        "2027-07-18 18:00",
        "--time-zone",
        "Europe/Berlin",
    ]);
    let started = std::time::Instant::now();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                for n in 0..50 {
                    let name = format!("writer {w}, take {n}");
                    ok(&["-C", path(&dir), "profile", "set", "--name", &name]);
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    eprintln!("8 × 50 profile set: {:?}", started.elapsed());
    // The festival and 400 profile versions, all in the key's festival log.
    let logs = logs_of(&dir, public_key(&key_path(&dir)));
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!((logs[0].height, logs[0].forked_at), (401, None));
    assert_clean(&dir, 401);
}

#[test]
fn one_key_in_two_directories_gives_two_festivals_two_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    ok(&["init", path(&keys)]);
    let key = key_path(&keys);
    let (one, two, three) = (
        tmp.path().join("one"),
        tmp.path().join("two"),
        tmp.path().join("three"),
    );
    // Both imports make their directory and publish with the shared key
    // at once.
    let imports: Vec<_> = [(&one, "rc3-2020-pretalx.json"), (&two, "kielux2020.ics")]
        .into_iter()
        .map(|(dir, source)| {
            let args = [
                "import-schedule".to_owned(),
                schedule(source),
                "--into".to_owned(),
                path(dir).to_owned(),
                "--key".to_owned(),
                path(&key).to_owned(),
            ];
            std::thread::spawn(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let out = pandafest(&args);
                // 2: some events were skipped (they are listed), not an error.
                assert!(
                    matches!(out.status.code(), Some(0 | 2)),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            })
        })
        .collect();
    for import in imports {
        import.join().unwrap();
    }
    // And each directory publishes more with the same key afterwards.
    ok(&[
        "-C",
        path(&one),
        "--key",
        path(&key),
        "resource",
        "add",
        "--title",
        "Extra room",
        "--kind",
        "room",
    ]);
    ok(&[
        "-C",
        path(&two),
        "--key",
        path(&key),
        "profile",
        "set",
        "--name",
        "Bridge",
    ]);

    let author = public_key(&key);
    let in_one = logs_of(&one, author);
    let in_two = logs_of(&two, author);
    assert_eq!(
        (in_one.len(), in_two.len()),
        (1, 1),
        "{in_one:?} {in_two:?}"
    );
    assert_ne!(in_one[0].log_id, in_two[0].log_id);
    assert_ne!(in_one[0].festival, in_two[0].festival);

    ok(&["import", path(&one), "--into", path(&three)]);
    ok(&["import", path(&two), "--into", path(&three)]);
    let in_three = logs_of(&three, author);
    let mut ids: Vec<u64> = in_three.iter().map(|l| l.log_id).collect();
    ids.sort();
    let mut expected = vec![in_one[0].log_id, in_two[0].log_id];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(
        in_three.iter().all(|l| l.forked_at.is_none()),
        "{in_three:?}"
    );
    let entries = in_one[0].height + in_two[0].height;
    assert_clean(&three, entries);
    let record = std::fs::read_to_string(pandafest::entry::key_logs_path(&key)).unwrap();
    for log in in_one.iter().chain(&in_two) {
        let festival = log.festival.unwrap().to_string();
        assert!(
            record.contains(&format!("{} {festival} {}\n", log.log_id, log.height)),
            "{record}"
        );
    }
}

#[test]
fn two_schedule_imports_into_one_new_directory_at_once_both_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().join("fest");
    let imports: Vec<_> = ["38c3-schedule.xml", "rc3-2020-pretalx.json"]
        .into_iter()
        .map(|source| {
            let (source, dir) = (schedule(source), dir.clone());
            std::thread::spawn(move || {
                ok(&["import-schedule", &source, "--into", path(&dir)]);
            })
        })
        .collect();
    for import in imports {
        import.join().unwrap();
    }
    let logs = logs_of(&dir, public_key(&key_path(&dir)));
    assert_eq!(logs.len(), 2, "{logs:?}");
    assert!(logs.iter().all(|l| l.forked_at.is_none()), "{logs:?}");
    // 38C3: 2087 operations, rC3: 102.
    assert_clean(&dir, 2087 + 102);
}
