//! The one output writer, with a mode: straight to a temporary directory
//! that replaces the site on [`Output::commit`], or into memory (for
//! `serve` and tests).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

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
    parent: PathBuf,
    temp: TempDir,
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
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}.building-"))
            .tempdir_in(&parent)
            .map_err(io(&parent))?;
        Ok(Output::Disk(DiskOutput {
            target: target.to_owned(),
            parent,
            temp,
        }))
    }

    /// The directory files are written into, for a disk output; writers that
    /// need a real directory (the log bundle) write there.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            Output::Disk(disk) => Some(disk.temp.path()),
            Output::Memory(_) => None,
        }
    }

    /// Writes one file at the relative path `path`.
    ///
    /// Errors: [`OutputError::BadPath`] for an absolute path or one with `..`;
    /// [`OutputError::Io`] if the file cannot be written.
    pub fn write(&mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Result<(), OutputError> {
        let bad = path.is_empty()
            || path.starts_with('/')
            || path.contains('\\')
            || path
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..");
        if bad {
            return Err(OutputError::BadPath(path.to_owned()));
        }
        match self {
            Output::Memory(files) => {
                files.insert(path.to_owned(), bytes.into());
            }
            Output::Disk(disk) => {
                let full = disk.temp.path().join(path);
                if let Some(parent) = full.parent() {
                    fs::create_dir_all(parent).map_err(io(parent))?;
                }
                fs::write(&full, bytes.into()).map_err(io(&full))?;
            }
        }
        Ok(())
    }

    /// Finishes the output. For a disk output, the temporary directory
    /// replaces the target: the old site is renamed into a temporary
    /// directory, the new one renamed in, then the old one removed. Returns the files in memory for a memory
    /// output, and an empty map for a disk output.
    ///
    /// Errors: [`OutputError::Io`] if a rename or the removal fails; the old
    /// site is put back when the new one cannot be moved in.
    pub fn commit(self) -> Result<BTreeMap<String, Vec<u8>>, OutputError> {
        let disk = match self {
            Output::Memory(files) => return Ok(files),
            Output::Disk(disk) => disk,
        };
        let new = disk.temp.keep();
        set_readable(&new)?;
        let target = disk.target;
        let old = if target.exists() {
            let graveyard = tempfile::Builder::new()
                .prefix(".old-site-")
                .tempdir_in(&disk.parent)
                .map_err(io(&disk.parent))?;
            let moved = graveyard.path().join("site");
            fs::rename(&target, &moved).map_err(io(&target))?;
            Some((graveyard, moved))
        } else {
            None
        };
        if let Err(source) = fs::rename(&new, &target) {
            if let Some((_, moved)) = &old {
                let _ = fs::rename(moved, &target);
            }
            let _ = fs::remove_dir_all(&new);
            return Err(OutputError::Io {
                path: target,
                source,
            });
        }
        if let Some((graveyard, _)) = old {
            let path = graveyard.path().to_owned();
            graveyard.close().map_err(io(&path))?;
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
    fn refuses_to_replace_a_directory_that_is_not_a_site() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("notes.txt"), "mine").unwrap();
        let err = Output::disk(root.path()).unwrap_err();
        assert!(err.to_string().contains("refusing to replace"));
    }
}
