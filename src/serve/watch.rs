//! What makes serve rebuild: file changes under `pandafest.toml`,
//! `templates/`, the theme and `logs/` (notify, debounced, editors'
//! temporary and backup files ignored, the output never watched), and new
//! entries in the store, whoever wrote them: the store announces them
//! through `PRAGMA data_version` ([`Store::data_version`]), which changes
//! when another connection commits and not for the builder's own writes.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

#[cfg(doc)]
use crate::store::Store;

/// How long the files must be quiet before a rebuild starts.
pub const QUIET: Duration = Duration::from_millis(150);
/// The longest a rebuild waits for the files to be quiet.
pub const MOST: Duration = Duration::from_secs(1);

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// `pandafest.toml`.
    Config,
    /// The festival directory's `templates/`.
    Templates,
    /// The theme directory.
    Theme,
    /// `logs/`.
    Logs,
    /// The store: entries committed by another connection.
    Store,
}

/// Whether `name` is an editor's temporary or backup file: `.name`,
/// `name~`, `#name#`, `*.swp`, `*.swx`, `*.tmp`, `*.bak`, `*.orig`,
/// `*.kate-swp` or vim's `4913` probe.
pub fn is_scratch(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
        || [".swp", ".swx", ".tmp", ".bak", ".orig", ".kate-swp"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// The kind of change a path of the festival directory `root` is, if it
/// is one serve watches (`theme` is the theme directory, when there is
/// one): not scratch files, nothing under `out` or `.pandafest/`.
pub fn classify(root: &Path, theme: Option<&Path>, out: &Path, path: &Path) -> Option<Change> {
    if path.starts_with(out) {
        return None;
    }
    let rel = path.strip_prefix(root).ok()?;
    if rel
        .components()
        .any(|c| c.as_os_str().to_str().is_some_and(is_scratch))
    {
        return None;
    }
    if theme.is_some_and(|theme| path.starts_with(theme)) {
        return Some(Change::Theme);
    }
    if rel == Path::new(crate::festival_dir::CONFIG_FILE) {
        return Some(Change::Config);
    }
    match rel.components().next()?.as_os_str().to_str()? {
        "templates" => Some(Change::Templates),
        "logs" => Some(Change::Logs),
        _ => None,
    }
}

/// The watcher: file events and store polls, sorted into [`Change`]s.
pub struct Watch {
    watcher: notify::RecommendedWatcher,
    events: Receiver<Change>,
    /// The directories watched recursively, and those that may appear.
    dirs: Vec<(PathBuf, bool)>,
}

impl Watch {
    /// Watches the festival directory `root` (its theme directory `theme`,
    /// its site `out` left out).
    ///
    /// Errors: notify's.
    pub fn start(root: &Path, theme: Option<&Path>, out: &Path) -> anyhow::Result<Watch> {
        let (send, events) = channel();
        let root = root.canonicalize()?;
        let out = out
            .canonicalize()
            .unwrap_or_else(|_| root.join(out.file_name().unwrap_or_default()));
        let theme = theme.and_then(|t| t.canonicalize().ok());
        let files = {
            let (send, root, theme, out) = (send.clone(), root.clone(), theme.clone(), out.clone());
            move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else { return };
                if matches!(event.kind, notify::EventKind::Access(_)) {
                    return;
                }
                for path in &event.paths {
                    if let Some(change) = classify(&root, theme.as_deref(), &out, path) {
                        let _ = send.send(change);
                    }
                }
            }
        };
        let mut watcher = notify::recommended_watcher(files)?;
        // The directory itself only for pandafest.toml (and for
        // templates/ or logs/ appearing); the output is never watched.
        watcher.watch(&root, RecursiveMode::NonRecursive)?;
        let mut watch = Watch {
            watcher,
            events,
            dirs: [root.join("templates"), root.join("logs")]
                .into_iter()
                .chain(theme.clone())
                .map(|d| (d, false))
                .collect(),
        };
        watch.watch_new_dirs()?;
        Ok(watch)
    }

    /// Watches the directories of [`Watch::dirs`] that exist now and are
    /// not watched yet (`templates/` made while serve runs).
    fn watch_new_dirs(&mut self) -> notify::Result<()> {
        for (dir, watched) in &mut self.dirs {
            if !*watched && dir.is_dir() {
                self.watcher.watch(dir, RecursiveMode::Recursive)?;
                *watched = true;
            }
        }
        Ok(())
    }

    /// Waits up to `timeout` for a file change, then for the files to be quiet
    /// ([`QUIET`], at most [`MOST`]); returns the kinds that changed,
    /// sorted, or an empty list on a timeout.
    pub fn next(&mut self, timeout: Duration) -> Vec<Change> {
        let mut changes = match self.events.recv_timeout(timeout) {
            Ok(change) => vec![change],
            Err(RecvTimeoutError::Timeout) => return Vec::new(),
            Err(RecvTimeoutError::Disconnected) => {
                std::thread::sleep(timeout);
                return Vec::new();
            }
        };
        let started = Instant::now();
        while started.elapsed() < MOST {
            match self.events.recv_timeout(QUIET) {
                Ok(change) => changes.push(change),
                Err(_) => break,
            }
        }
        while let Ok(change) = self.events.try_recv() {
            changes.push(change);
        }
        changes.sort();
        changes.dedup();
        if changes.contains(&Change::Logs) {
            // A rewrite swaps a new logs/ in whole (see
            // `staging::rewrite_dir`): watch the new directory.
            for (dir, watched) in &mut self.dirs {
                if *watched && dir.ends_with("logs") {
                    let _ = self.watcher.unwatch(dir);
                    *watched = false;
                }
            }
        }
        if let Err(e) = self.watch_new_dirs() {
            tracing::warn!("watching a new directory: {e}");
        }
        changes
    }
}

/// The paths a [`Watch`] looks at, for messages: `root`'s settings,
/// templates and logs, and the theme.
pub fn watched(root: &Path, theme: Option<&Path>) -> Vec<PathBuf> {
    let mut paths = vec![
        root.join(crate::festival_dir::CONFIG_FILE),
        root.join("templates"),
        root.join("logs"),
    ];
    paths.extend(theme.map(Path::to_path_buf));
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_paths_into_changes_and_ignores_scratch_and_output() {
        let root = Path::new("/f");
        let theme = Path::new("/f/themes/dark");
        let out = Path::new("/f/public");
        let kind = |p: &str| classify(root, Some(theme), out, Path::new(p));
        assert_eq!(kind("/f/pandafest.toml"), Some(Change::Config));
        assert_eq!(kind("/f/templates/event.html"), Some(Change::Templates));
        assert_eq!(kind("/f/themes/dark/style.css"), Some(Change::Theme));
        assert_eq!(kind("/f/logs/ab/0/1.entry"), Some(Change::Logs));
        for ignored in [
            "/f/public/index.html",
            "/f/.public.building-x/index.html",
            "/f/.pandafest/store.sqlite",
            "/f/templates/.event.html.swp",
            "/f/templates/event.html~",
            "/f/templates/#event.html#",
            "/f/templates/4913",
            "/f/templates/event.html.bak",
            "/f/pandafest.toml.tmp",
            "/f/notes.txt",
            "/f/themes/other/style.css",
        ] {
            assert_eq!(kind(ignored), None, "{ignored}");
        }
    }
}
