//! Helpers shared by the integration tests.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the `pandafest` binary with `--dir dir` and `args`.
#[allow(dead_code)] // not every test crate runs the binary
pub fn pandafest_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pandafest"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

#[allow(dead_code)] // not every test crate drives Chromium
pub mod cdp;
#[allow(dead_code)] // not every test crate builds the hostile festival
pub mod hostile;

/// Copies the directory tree `from` to `to`, leaving out a festival
/// directory's local state (`.pandafest/`) and built site (`public/`).
#[allow(dead_code)] // not every test crate copies a directory
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let first = rel.components().next().map(|c| c.as_os_str().to_owned());
        if first.is_some_and(|c| c == ".pandafest" || c == "public") {
            continue;
        }
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Checks that every internal `href` and `src` of every HTML page under
/// `site` names a file of the site (a directory stands for its
/// `index.html`) without leaving it; panics naming the page and link.
/// Returns how many links were checked.
#[allow(dead_code)] // not every test crate checks a site's links
pub fn check_internal_links(site: &Path) -> usize {
    let mut files = std::collections::BTreeSet::new();
    let mut pages = Vec::new();
    for entry in walkdir::WalkDir::new(site).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = relative_path(site, entry.path());
        if rel.ends_with(".html") {
            pages.push((rel.clone(), std::fs::read_to_string(entry.path()).unwrap()));
        }
        files.insert(rel);
    }
    let mut checked = 0;
    for (path, html) in &pages {
        let dir = Path::new(path).parent().unwrap().to_owned();
        for target in link_targets(html) {
            let external = ["http://", "https://", "mailto:"]
                .iter()
                .any(|s| target.starts_with(s));
            let target = target.split(['#', '?']).next().unwrap().to_owned();
            if external || target.is_empty() || target.ends_with(".ics") {
                continue;
            }
            assert!(!target.contains(':'), "{path}: odd link {target}");
            let mut resolved: Vec<String> = Vec::new();
            for part in dir.join(&target).components() {
                match part {
                    std::path::Component::ParentDir => {
                        assert!(resolved.pop().is_some(), "{path}: {target} leaves the site");
                    }
                    std::path::Component::Normal(p) => {
                        resolved.push(p.to_string_lossy().into_owned())
                    }
                    _ => {}
                }
            }
            let mut resolved = resolved.join("/");
            if target.ends_with('/') || site.join(&resolved).is_dir() {
                resolved = format!("{}/index.html", resolved.trim_end_matches('/'));
            }
            assert!(
                files.contains(&resolved),
                "{path}: link {target} -> {resolved} is broken"
            );
            checked += 1;
        }
    }
    checked
}

/// `path` relative to `site`, `/`-separated.
#[allow(dead_code)] // not every test crate walks a site
pub fn relative_path(site: &Path, path: &Path) -> String {
    path.strip_prefix(site)
        .unwrap()
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The `href` and `src` values of every tag in `html`.
fn link_targets(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in [" href=\"", " src=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            let end = rest.find('"').expect("attribute closes");
            out.push(rest[..end].replace("&amp;", "&"));
            rest = &rest[end..];
        }
    }
    out
}
