//! README's "Plan a festival with friends" runs as written: its shell block
//! is taken from README.md and run with bash, with the built `pandafest`
//! on PATH, so the README and the product cannot drift apart.

use std::path::Path;
use std::process::Command;

/// The first ```sh block after the heading `## Plan a festival with friends`.
fn walkthrough() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("## Plan a festival with friends")
        .nth(1)
        .expect("README has the walkthrough section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .expect("the section has a sh block");
    block.split("```").next().unwrap().to_owned()
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let script = walkthrough();
    assert!(script.contains("pandafest --dir ada confirm"), "{script}");
    let work = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_pandafest")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(work.path())
        .env("PATH", path)
        .env_remove("PANDAFEST_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the walkthrough failed:\n{stdout}\n{stderr}"
    );
    // `pending` showed Ada the request, with its time and who asks.
    assert!(
        stdout.contains("Sat 10 Jul, 15:00–16:30  Seed swap  requested by Bea  for `Greenhouse`"),
        "{stdout}"
    );
    // The last line: Bea's `ls events`.
    let last = stdout.lines().last().unwrap();
    assert!(last.ends_with("Seed swap  100 % confirmed"), "{last}");
    // Both sites show the event at 100 %.
    for who in ["ada", "bea"] {
        let events = work.path().join(who).join("public/events");
        let pages: Vec<_> = std::fs::read_dir(&events)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        assert_eq!(pages.len(), 1, "{who}: {pages:?}");
        let page = std::fs::read_to_string(pages[0].join("index.html")).unwrap();
        assert!(page.contains("Seed swap"), "{who}");
        assert!(page.contains("100 % confirmed"), "{who}");
    }
}
