//! The one output writer, with a mode: straight to a temporary directory
//! that replaces the site on [`Output::commit`], or into memory (for
//! `serve` and tests). [`Output::shared`] lends it to many threads at once.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::staging::{Staging, exchange, sweep};

/// Errors from writing the site.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file or directory could not be written, moved or removed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A page path is not relative, or leaves the site.
    #[error("`{0}` is not a relative path inside the site")]
    BadPath(String),
    /// The target exists and does not look like a site pandafest built.
    #[error("refusing to replace {0}: it is not empty and has no index.html of an earlier build")]
    NotASite(PathBuf),
}

/// Where the site goes. Paths are relative and `/`-separated, such as
/// `events/<id>/index.html`.
#[derive(Debug)]
pub enum Output {
    /// Files go into a temporary directory next to `target`; [`Output::commit`]
    /// swaps it in, so a failed build leaves the old site as it was.
    Disk(DiskOutput),
    /// Files are kept in memory, by path.
    Memory(BTreeMap<String, Vec<u8>>),
}

/// The state of [`Output::Disk`].
#[derive(Debug)]
pub struct DiskOutput {
    target: PathBuf,
    files: DirWriter,
    /// `.NAME.building-xxxxxx` beside the target, locked while this lives.
    staging: Staging,
}

/// Writes files under a directory, making each directory once.
#[derive(Debug)]
struct DirWriter {
    dir: PathBuf,
    /// The directories made so far, relative to `dir`.
    made: Mutex<HashSet<String>>,
}

impl DirWriter {
    fn new(dir: PathBuf) -> DirWriter {
        DirWriter {
            dir,
            made: Mutex::new(HashSet::new()),
        }
    }

    /// Writes one file at the checked relative path `path`.
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let full = self.prepare(path)?;
        fs::write(&full, bytes).map_err(io(&full))
    }

    /// The full path of the checked relative path `path`, after making its
    /// directory unless this writer made it already.
    fn prepare(&self, path: &str) -> Result<PathBuf, OutputError> {
        if let Some((dir, _)) = path.rsplit_once('/') {
            let known = self.made.lock().expect("not poisoned").contains(dir);
            if !known {
                let full = self.dir.join(dir);
                fs::create_dir_all(&full).map_err(io(&full))?;
                self.made
                    .lock()
                    .expect("not poisoned")
                    .insert(dir.to_owned());
            }
        }
        Ok(self.dir.join(path))
    }
}

/// An output that many threads may write to at once: see
/// [`Output::shared`].
#[derive(Debug)]
pub struct SharedOutput<'o>(Shared<'o>);

#[derive(Debug)]
enum Shared<'o> {
    Dir(&'o DirWriter),
    Memory(Mutex<&'o mut BTreeMap<String, Vec<u8>>>),
}

impl SharedOutput<'_> {
    /// Writes one file at the relative path `path` from what `fill` writes
    /// into the writer it gets: straight into the file for a directory, so
    /// that a large page is never held in memory whole.
    ///
    /// Errors: what `fill` returns, or [`OutputError`] (converted) as
    /// [`Output::write`].
    pub fn write_with<E: From<OutputError>>(
        &self,
        path: &str,
        fill: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    ) -> Result<(), E> {
        check_path(path)?;
        match &self.0 {
            Shared::Dir(dir) => {
                let full = dir.prepare(path)?;
                let file = fs::File::create(&full).map_err(io(&full))?;
                let mut out = BufWriter::with_capacity(64 * 1024, file);
                fill(&mut out)?;
                out.flush().map_err(io(&full))?;
                Ok(())
            }
            Shared::Memory(files) => {
                let mut bytes = Vec::new();
                fill(&mut bytes)?;
                files
                    .lock()
                    .expect("not poisoned")
                    .insert(path.to_owned(), bytes);
                Ok(())
            }
        }
    }

    /// Writes one file at the relative path `path`, as [`Output::write`].
    ///
    /// Errors: as [`Output::write`].
    pub fn write(&self, path: &str, bytes: impl Into<Vec<u8>>) -> Result<(), OutputError> {
        check_path(path)?;
        match &self.0 {
            Shared::Dir(dir) => dir.write(path, &bytes.into()),
            Shared::Memory(files) => {
                files
                    .lock()
                    .expect("not poisoned")
                    .insert(path.to_owned(), bytes.into());
                Ok(())
            }
        }
    }
}

/// Only relative `/`-separated paths that stay inside the site.
fn check_path(path: &str) -> Result<(), OutputError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    match bad {
        true => Err(OutputError::BadPath(path.to_owned())),
        false => Ok(()),
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_owned(),
        source,
    }
}

impl Output {
    /// An empty in-memory output.
    pub fn memory() -> Output {
        Output::Memory(BTreeMap::new())
    }

    /// A disk output for the site at `target`: makes a temporary directory in
    /// `target`'s parent (created if missing).
    ///
    /// Errors: [`OutputError::NotASite`] if `target` exists, is not empty and
    /// has no `index.html` (so a wrong `-o` never replaces a directory that is
    /// not a site); [`OutputError::Io`] if the directory cannot be made.
    pub fn disk(target: &Path) -> Result<Output, OutputError> {
        if target.exists() {
            let empty = fs::read_dir(target).map_err(io(target))?.next().is_none();
            if !empty && !target.join("index.html").is_file() {
                return Err(OutputError::NotASite(target.to_owned()));
            }
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "site".into());
        // What killed builds of this output left: their staging
        // directories and old sites, unless a build still running holds
        // them (and `.old-site-*` of versions before the locks).
        let prefix = format!(".{name}.building-");
        sweep(&parent, &prefix, &[".old-site-"]);
        let mut staging = Staging::new(&parent, &prefix).map_err(io(&parent))?;
        fs::create_dir(staging.path()).map_err(io(staging.path()))?;
        staging.remove_on_drop();
        let files = DirWriter::new(staging.path().to_owned());
        Ok(Output::Disk(DiskOutput {
            target: target.to_owned(),
            files,
            staging,
        }))
    }

    /// The directory files are written into, for a disk output; writers that
    /// need a real directory (the log bundle) write there.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            Output::Disk(disk) => Some(disk.staging.path()),
            Output::Memory(_) => None,
        }
    }

    /// Writes one file at the relative path `path`.
    ///
    /// Errors: [`OutputError::BadPath`] for an absolute path or one with `..`;
    /// [`OutputError::Io`] if the file cannot be written.
    pub fn write(&mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Result<(), OutputError> {
        check_path(path)?;
        match self {
            Output::Memory(files) => {
                files.insert(path.to_owned(), bytes.into());
                Ok(())
            }
            Output::Disk(disk) => disk.files.write(path, &bytes.into()),
        }
    }

    /// The output as many threads may write to it at once.
    pub fn shared(&mut self) -> SharedOutput<'_> {
        match self {
            Output::Disk(disk) => SharedOutput(Shared::Dir(&disk.files)),
            Output::Memory(files) => SharedOutput(Shared::Memory(Mutex::new(files))),
        }
    }

    /// Finishes the output. For a disk output, the temporary directory
    /// replaces the target: on Linux the two trade places atomically and
    /// the old one is removed; elsewhere the old site is renamed into a
    /// temporary directory, the new one renamed in, then the old one
    /// removed. Returns the files in memory for a memory
    /// output, and an empty map for a disk output.
    ///
    /// Errors: [`OutputError::Io`] if a rename or the removal fails; the old
    /// site is put back when the new one cannot be moved in.
    pub fn commit(self) -> Result<BTreeMap<String, Vec<u8>>, OutputError> {
        let disk = match self {
            Output::Memory(files) => return Ok(files),
            Output::Disk(disk) => disk,
        };
        let DiskOutput {
            target, staging, ..
        } = disk;
        // The staging lock stays held until `staging` drops, so a build
        // starting now leaves the old site being removed alone.
        let new = staging.path().to_owned();
        set_readable(&new)?;
        // Where it can, the new site and the old one trade places in one
        // step, so that a server reading the site never finds it missing.
        if target.exists() && exchange(&new, &target).is_ok() {
            fs::remove_dir_all(&new).map_err(io(&new))?;
            return Ok(BTreeMap::new());
        }
        let old = if target.exists() {
            let moved = staging.beside("old");
            fs::rename(&target, &moved).map_err(io(&target))?;
            Some(moved)
        } else {
            None
        };
        if let Err(source) = fs::rename(&new, &target) {
            if let Some(moved) = &old {
                let _ = fs::rename(moved, &target);
            }
            return Err(OutputError::Io {
                path: target,
                source,
            });
        }
        if let Some(moved) = old {
            fs::remove_dir_all(&moved).map_err(io(&moved))?;
        }
        Ok(BTreeMap::new())
    }
}

/// Temporary directories are private (0700); a published site is not.
#[cfg(unix)]
fn set_readable(dir: &Path) -> Result<(), OutputError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).map_err(io(dir))
}

#[cfg(not(unix))]
fn set_readable(_dir: &Path) -> Result<(), OutputError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_paths_that_leave_the_site() {
        let mut out = Output::memory();
        for bad in ["/etc/passwd", "../x", "a//b", "a/./b", ""] {
            let err = out.write(bad, "x").unwrap_err();
            assert!(err.to_string().contains("not a relative path"), "{bad}");
        }
        out.write("events/a/index.html", "ok").unwrap();
        assert_eq!(out.commit().unwrap().len(), 1);
    }

    #[test]
    fn threads_write_through_a_shared_output() {
        let root = tempfile::tempdir().unwrap();
        let mut disk = Output::disk(&root.path().join("site")).unwrap();
        let mut memory = Output::memory();
        for out in [&mut disk, &mut memory] {
            let shared = out.shared();
            std::thread::scope(|scope| {
                for t in 0..4 {
                    let shared = &shared;
                    scope.spawn(move || {
                        for n in 0..50 {
                            let path = format!("events/{t}-{n}/index.html");
                            shared
                                .write_with(&path, |w| {
                                    w.write_all(path.as_bytes()).map_err(io(Path::new(&path)))
                                })
                                .unwrap();
                        }
                    });
                }
            });
            assert!(shared.write("../x", "no").is_err());
        }
        let site = disk.dir().unwrap().to_owned();
        assert_eq!(
            fs::read_to_string(site.join("events/3-49/index.html")).unwrap(),
            "events/3-49/index.html"
        );
        let files = memory.commit().unwrap();
        assert_eq!(files.len(), 200);
        assert_eq!(files["events/0-7/index.html"], b"events/0-7/index.html");
    }

    #[test]
    fn commit_replaces_the_old_site() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("public");
        fs::create_dir_all(target.join("stale")).unwrap();
        fs::write(target.join("index.html"), "old").unwrap();
        let mut out = Output::disk(&target).unwrap();
        out.write("index.html", "new").unwrap();
        assert_eq!(
            fs::read_to_string(target.join("index.html")).unwrap(),
            "old"
        );
        out.commit().unwrap();
        assert_eq!(
            fs::read_to_string(target.join("index.html")).unwrap(),
            "new"
        );
        assert!(!target.join("stale").exists());
        let left: Vec<_> = fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary or old directories are left");
    }

    #[test]
    fn dropped_output_leaves_the_old_site() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("public");
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("index.html"), "old").unwrap();
        let mut out = Output::disk(&target).unwrap();
        out.write("index.html", "half").unwrap();
        drop(out);
        assert_eq!(
            fs::read_to_string(target.join("index.html")).unwrap(),
            "old"
        );
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_build_removes_what_a_killed_build_left_but_not_a_running_one() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("public");
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("index.html"), "old").unwrap();
        // A killed build: its staging directory and unlocked lock file,
        // and an old site of an earlier version.
        fs::create_dir(root.path().join(".public.building-dead")).unwrap();
        fs::write(root.path().join(".public.building-dead.lock"), "").unwrap();
        fs::create_dir(root.path().join(".old-site-x")).unwrap();
        let mut running = Output::disk(&target).unwrap();
        running.write("index.html", "running").unwrap();
        let mut out = Output::disk(&target).unwrap();
        out.write("index.html", "new").unwrap();
        assert!(running.dir().unwrap().join("index.html").exists());
        out.commit().unwrap();
        running.commit().unwrap();
        assert_eq!(
            fs::read_to_string(target.join("index.html")).unwrap(),
            "running"
        );
        let left: Vec<_> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["public"]);
    }

    #[test]
    fn refuses_to_replace_a_directory_that_is_not_a_site() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("notes.txt"), "mine").unwrap();
        let err = Output::disk(root.path()).unwrap_err();
        assert!(err.to_string().contains("refusing to replace"));
    }
}
