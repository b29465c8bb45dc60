//! A full disk and unwritable paths (issue 15): `build`, `import` and
//! `import-schedule` onto a small tmpfs that fills up, or into a read-only
//! mount, each fail with an error naming the path, and leave the old site
//! and the store as they were. The mounts need root; without them the
//! tests say so and pass, unless CI is set.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use pandafest::store::Store;

/// A tmpfs mounted at a fresh directory, unmounted on drop.
struct Mount {
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Mount {
    /// Mounts a tmpfs of `size` (`mount -o size=`), or says why not: then
    /// `None`, and a panic when CI is set.
    fn tmpfs(size: &str) -> Option<Mount> {
        let tmp = tempfile::Builder::new().prefix("disk-").tempdir().unwrap();
        let dir = tmp.path().join("mnt");
        std::fs::create_dir(&dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Mount { dir, _tmp: tmp }),
            other => {
                let why = match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
                    Err(e) => e.to_string(),
                };
                let message = format!("cannot mount a tmpfs (root needed): {why}");
                assert!(std::env::var_os("CI").is_none(), "{message}");
                eprintln!("skipped: {message}");
                None
            }
        }
    }

    /// Remounts it read-only.
    fn read_only(&self) {
        let out = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

fn schedule() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/schedules/38c3-schedule.xml")
        .to_str()
        .unwrap()
        .to_owned()
}

fn pandafest(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pandafest"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// 38C3 imported and built once, on an ordinary disk: (directory, site).
fn festival() -> (&'static Path, &'static Path) {
    static FESTIVAL: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    let (_, dir, site) = FESTIVAL.get_or_init(|| {
        let tmp = tempfile::Builder::new()
            .prefix("disk-fest-")
            .tempdir()
            .unwrap();
        let dir = tmp.path().join("fest");
        let d = dir.to_str().unwrap();
        ok(pandafest(&["import-schedule", &schedule(), "--into", d]));
        ok(pandafest(&["build", d]));
        let site = dir.join("public");
        (tmp, dir, site)
    });
    (dir, site)
}

/// The store's entry count and `PRAGMA integrity_check`.
fn store_state(dir: &Path) -> (u64, String) {
    let path = dir.join(".pandafest/store.sqlite");
    let store = Store::open(&path).unwrap();
    let count = store.read().entry_count().unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    (count, check)
}

/// Asserts the command failed with an error naming a path under `dir`.
fn fails_naming(out: &Output, dir: &Path, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{what} succeeded: {stderr}");
    assert!(
        stderr.contains(dir.to_str().unwrap()),
        "{what}: the error names no path under {}: {stderr}",
        dir.display()
    );
    assert!(
        stderr.contains("No space left")
            || stderr.contains("full")
            || stderr.contains("Read-only")
            || stderr.contains("readonly")
            || stderr.contains("read-only"),
        "{what}: the error says nothing of a full disk or a read-only path: {stderr}"
    );
}

/// Names in `dir` other than `keep`: leftovers of a failed command.
fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

/// An old site: one page, as `build` would accept to replace.
fn old_site(at: &Path) {
    std::fs::create_dir_all(at).unwrap();
    std::fs::write(at.join("index.html"), "the old site").unwrap();
}

#[test]
fn build_onto_a_full_disk_keeps_the_old_site_and_the_store() {
    let (dir, _) = festival();
    let Some(mount) = Mount::tmpfs("2m") else {
        return;
    };
    let out_dir = mount.dir.join("public");
    old_site(&out_dir);
    let before = store_state(dir);
    let out = pandafest(&[
        "build",
        dir.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    fails_naming(&out, &mount.dir, "build onto a full disk");
    assert_eq!(
        std::fs::read_to_string(out_dir.join("index.html")).unwrap(),
        "the old site"
    );
    assert_eq!(store_state(dir), before);
    assert_eq!(before.1, "ok");
    assert!(
        others(&mount.dir, &["public"]).is_empty(),
        "{:?}",
        others(&mount.dir, &["public"])
    );
}

#[test]
fn build_into_a_read_only_directory_keeps_the_old_site() {
    let (dir, _) = festival();
    let Some(mount) = Mount::tmpfs("2m") else {
        return;
    };
    let out_dir = mount.dir.join("public");
    old_site(&out_dir);
    mount.read_only();
    let before = store_state(dir);
    let out = pandafest(&[
        "build",
        dir.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    fails_naming(&out, &mount.dir, "build into a read-only directory");
    assert_eq!(
        std::fs::read_to_string(out_dir.join("index.html")).unwrap(),
        "the old site"
    );
    assert_eq!(store_state(dir), before);
}

#[test]
fn import_onto_a_full_disk_keeps_the_store() {
    let (_, site) = festival();
    let Some(mount) = Mount::tmpfs("1m") else {
        return;
    };
    let into = mount.dir.join("imp");
    ok(pandafest(&["init", into.to_str().unwrap()]));
    let out = pandafest(&[
        "import",
        site.to_str().unwrap(),
        "--into",
        into.to_str().unwrap(),
    ]);
    fails_naming(&out, &mount.dir, "import onto a full disk");
    // Room again: the store is whole, and the import can be done.
    let out = Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(&mount.dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let (_, check) = store_state(&into);
    assert_eq!(check, "ok");
    ok(pandafest(&[
        "import",
        site.to_str().unwrap(),
        "--into",
        into.to_str().unwrap(),
    ]));
    ok(pandafest(&["check", into.to_str().unwrap()]));
}

#[test]
fn import_into_a_read_only_directory_keeps_the_store() {
    let (_, site) = festival();
    let Some(mount) = Mount::tmpfs("8m") else {
        return;
    };
    let into = mount.dir.join("imp");
    ok(pandafest(&["init", into.to_str().unwrap()]));
    ok(pandafest(&["check", into.to_str().unwrap()]));
    let store = into.join(".pandafest/store.sqlite");
    let before = std::fs::read(&store).unwrap();
    mount.read_only();
    let out = pandafest(&[
        "import",
        site.to_str().unwrap(),
        "--into",
        into.to_str().unwrap(),
    ]);
    fails_naming(&out, &mount.dir, "import into a read-only directory");
    assert_eq!(std::fs::read(&store).unwrap(), before);
}

#[test]
fn import_schedule_onto_a_full_disk_names_the_path() {
    let Some(mount) = Mount::tmpfs("1m") else {
        return;
    };
    let into = mount.dir.join("fest");
    let out = pandafest(&[
        "import-schedule",
        &schedule(),
        "--into",
        into.to_str().unwrap(),
    ]);
    fails_naming(&out, &mount.dir, "import-schedule onto a full disk");
    assert!(
        others(&mount.dir, &["fest"]).is_empty(),
        "{:?}",
        others(&mount.dir, &["fest"])
    );
    if into.join(".pandafest/store.sqlite").exists() {
        assert_eq!(store_state(&into).1, "ok");
    }
}

#[test]
fn import_schedule_into_a_read_only_directory_names_the_path() {
    let Some(mount) = Mount::tmpfs("1m") else {
        return;
    };
    mount.read_only();
    let into = mount.dir.join("fest");
    let out = pandafest(&[
        "import-schedule",
        &schedule(),
        "--into",
        into.to_str().unwrap(),
    ]);
    fails_naming(
        &out,
        &mount.dir,
        "import-schedule into a read-only directory",
    );
    assert!(!into.exists());
}
