//! The `pandafest` binary: init, key, check and their exit codes.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn pandafest(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pandafest"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn init_makes_a_key_that_key_show_prints() {
    let dir = tempfile::tempdir().unwrap();
    let festival = dir.path().join("camp");
    let out = pandafest(&["init", festival.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(festival.join("pandafest.toml").exists());
    let shown = pandafest(&["key", "show", festival.to_str().unwrap()]);
    let key = String::from_utf8(shown.stdout).unwrap();
    assert_eq!(key.trim().len(), 64);
    assert!(String::from_utf8_lossy(&out.stdout).contains(key.trim()));

    let again = pandafest(&["key", "new", festival.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
}

#[test]
fn key_show_without_key_prints_the_cause_chain() {
    let dir = tempfile::tempdir().unwrap();
    let out = pandafest(&["key", "show", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error: no key in"), "{err}");
    assert!(err.contains("caused by: key file"), "{err}");
}

#[test]
fn check_passes_the_sample_and_fails_a_fork() {
    let dir = tempfile::tempdir().unwrap();
    let sample = dir.path().join("sample");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-festival/logs"),
        &sample.join("logs"),
    );
    let out = pandafest(&["check", sample.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("rejected 0, forks 0"));

    let forked = dir.path().join("forked");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid/fork-same-seq/logs"),
        &forked.join("logs"),
    );
    let out = pandafest(&["check", forked.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("two entries at the same seq num"), "{text}");
    assert!(
        text.contains("ingested 3, duplicates 0, rejected 0, forks 1"),
        "{text}"
    );
    // Checked again, the store's fork is still reported.
    let out = pandafest(&["check", forked.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("two entries at the same seq num"), "{text}");
    assert!(
        text.contains("ingested 0, duplicates 4, rejected 0, forks 1"),
        "{text}"
    );
}

#[test]
fn check_reports_a_broken_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    std::fs::write(dir.path().join("logs/manifest.json"), "{ not json").unwrap();
    let out = pandafest(&["check", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("manifest.json: not a bundle manifest"),
        "{err}"
    );
}
