//! Staging directories beside a target (a site being built, a festival
//! directory being made), each with a lock file held while it is in use,
//! so that the next run can remove what a killed one left without
//! touching one that another process is still writing.
//!
//! A staging directory `PARENT/PREFIXxxxxxx` has its lock file
//! `PARENT/PREFIXxxxxxx.lock`, made and locked (fs4, exclusive) before the
//! directory, and removed after it. Anything else named
//! `PREFIXxxxxxx.SUFFIX` (such as a graveyard `….old`) belongs to the same
//! lock. [`sweep`] removes every entry starting with `PREFIX` whose lock
//! can be taken, or that has no lock file at all.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

/// A locked staging name beside a target. Dropping it removes the
/// directory (if [`Staging::remove_on_drop`] was asked for and it still
/// exists), then the lock file, then releases the lock.
#[derive(Debug)]
pub struct Staging {
    path: PathBuf,
    lock_path: PathBuf,
    /// The open, locked lock file; closing it releases the lock.
    _lock: File,
    remove_dir: bool,
}

impl Staging {
    /// Makes and locks a new lock file `PARENT/PREFIXxxxxxx.lock` (random
    /// `xxxxxx`) and returns the staging path `PARENT/PREFIXxxxxxx`, which
    /// is not made.
    ///
    /// Errors: the I/O error if the lock file cannot be made or locked.
    pub fn new(parent: &Path, prefix: &str) -> std::io::Result<Staging> {
        let (lock, lock_path) = tempfile::Builder::new()
            .prefix(prefix)
            .suffix(".lock")
            .tempfile_in(parent)?
            .keep()
            .map_err(|e| e.error)?;
        if let Err(error) = fs4::FileExt::try_lock(&lock) {
            let _ = fs::remove_file(&lock_path);
            return Err(match error {
                fs4::TryLockError::Error(e) => e,
                fs4::TryLockError::WouldBlock => std::io::ErrorKind::WouldBlock.into(),
            });
        }
        let name = lock_path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".lock"))
            .expect("the lock file name ends in .lock")
            .to_owned();
        Ok(Staging {
            path: parent.join(name),
            lock_path,
            _lock: lock,
            remove_dir: false,
        })
    }

    /// The staging path (`PARENT/PREFIXxxxxxx`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `PARENT/PREFIXxxxxxx.SUFFIX`: another name covered by the same lock.
    pub fn beside(&self, suffix: &str) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".");
        name.push(suffix);
        PathBuf::from(name)
    }

    /// Makes dropping this remove the staging directory if it still exists.
    pub fn remove_on_drop(&mut self) {
        self.remove_dir = true;
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.remove_dir {
            let _ = fs::remove_dir_all(&self.path);
        }
        let _ = fs::remove_file(&self.lock_path);
    }
}

/// Removes what killed runs left in `parent` under `prefix`: each entry
/// whose name starts with `prefix` and whose lock file
/// (`PREFIXxxxxxx.lock`) is missing or can be locked now; entries of a
/// lock another process holds are kept. Returns the paths removed.
/// `legacy` prefixes (names older versions used, without locks) are
/// removed whatever holds them.
///
/// Errors: none; a `parent` that cannot be read, or an entry that cannot
/// be removed, is only logged (the run goes on, and the next one tries
/// again).
pub fn sweep(parent: &Path, prefix: &str, legacy: &[&str]) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let entries = match fs::read_dir(parent) {
        Ok(entries) => entries,
        Err(error) => {
            tracing::debug!("{}: {error}", parent.display());
            return removed;
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix) || legacy.iter().any(|l| n.starts_with(l)))
        .collect();
    // Lock files last, so a lock is removed only after what it covers.
    names.sort_by_key(|n| n.ends_with(".lock"));
    for name in names {
        let path = parent.join(&name);
        if let Some(rest) = name.strip_prefix(prefix) {
            // The stem: `PREFIXxxxxxx` of `PREFIXxxxxxx[.SUFFIX]`.
            let stem = match rest.find('.') {
                Some(dot) => &name[..prefix.len() + dot],
                None => &name[..],
            };
            let lock_path = parent.join(format!("{stem}.lock"));
            // Held while removing, so a second sweeper skips it.
            let _held = match File::open(&lock_path) {
                Ok(lock) => match fs4::FileExt::try_lock(&lock) {
                    Ok(()) => Some(lock),
                    Err(_) => continue,
                },
                Err(_) => None,
            };
            if !remove(&path) {
                continue;
            }
        } else if !remove(&path) {
            continue;
        }
        tracing::info!("removed {}, left by an interrupted run", path.display());
        removed.push(path);
    }
    removed
}

/// Removes the file or directory at `path`; says whether it is gone.
fn remove(path: &Path) -> bool {
    let done = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(error) => {
            tracing::warn!("cannot remove {}: {error}", path.display());
            false
        }
    }
}

/// Rewrites the directory `dir` as a whole, so that a reader (or a kill)
/// finds the old one or the new one, never a mix: a locked staging copy
/// `.NAME.writing-xxxxxx` beside it gets hard links to every file of `dir`
/// (cheap, and what `write` leaves alone stays), `write` changes the copy,
/// and the copy then trades places with `dir`. `write` must replace a file
/// (remove it, then create it) rather than write into it, since the old
/// directory shares the file. What a killed rewrite left is removed by the
/// next one. Rewrites of one directory take turns (a lock on
/// `.NAME.writing.lock`, which stays).
///
/// Errors: what `write` returns; [`std::io::Error`] with the path
/// (through `io`) if the copy cannot be made or swapped in, and then `dir`
/// is as it was.
pub fn rewrite_dir<T, E>(
    dir: &Path,
    io: impl Fn(PathBuf, std::io::Error) -> E,
    write: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dir".into());
    fs::create_dir_all(&parent).map_err(|e| io(parent.clone(), e))?;
    // One rewrite at a time (two commands writing one festival's logs/):
    // the second reads what the first swapped in.
    let turn_path = parent.join(format!(".{name}.writing.lock"));
    let turn = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&turn_path)
        .map_err(|e| io(turn_path.clone(), e))?;
    fs4::FileExt::lock(&turn).map_err(|e| io(turn_path.clone(), e))?;
    let prefix = format!(".{name}.writing-");
    sweep(&parent, &prefix, &[]);
    let mut staging = Staging::new(&parent, &prefix).map_err(|e| io(parent.clone(), e))?;
    staging.remove_on_drop();
    let copy = staging.path().to_owned();
    match dir.is_dir() {
        true => link_tree(dir, &copy).map_err(|(path, e)| io(path, e))?,
        false => fs::create_dir(&copy).map_err(|e| io(copy.clone(), e))?,
    }
    let out = write(&copy)?;
    if dir.is_dir() {
        if exchange(&copy, dir).is_err() {
            let old = staging.beside("old");
            fs::rename(dir, &old).map_err(|e| io(dir.to_owned(), e))?;
            if let Err(e) = fs::rename(&copy, dir) {
                let _ = fs::rename(&old, dir);
                return Err(io(dir.to_owned(), e));
            }
            fs::remove_dir_all(&old).map_err(|e| io(old.clone(), e))?;
        }
        // `copy` now holds the old directory; dropping `staging` removes it.
    } else {
        fs::rename(&copy, dir).map_err(|e| io(dir.to_owned(), e))?;
    }
    Ok(out)
}

/// Makes `to` a copy of the tree at `from` with hard links to its files
/// (symbolic links are copied as links).
fn link_tree(from: &Path, to: &Path) -> Result<(), (PathBuf, std::io::Error)> {
    fs::create_dir(to).map_err(|e| (to.to_owned(), e))?;
    for entry in fs::read_dir(from).map_err(|e| (from.to_owned(), e))? {
        let entry = entry.map_err(|e| (from.to_owned(), e))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(|e| (source.clone(), e))?;
        if kind.is_dir() {
            link_tree(&source, &target)?;
        } else if kind.is_symlink() {
            copy_link(&source, &target).map_err(|e| (source.clone(), e))?;
        } else {
            fs::hard_link(&source, &target).map_err(|e| (target.clone(), e))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn copy_link(source: &Path, target: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(fs::read_link(source)?, target)
}

#[cfg(not(unix))]
fn copy_link(source: &Path, target: &Path) -> std::io::Result<()> {
    fs::copy(source, target).map(|_| ())
}

/// Removes the file at `path` if there is one, so that a new file made
/// there does not write into one that a hard link shares (see
/// [`rewrite_dir`]).
///
/// Errors: the I/O error, except for a missing file.
pub fn unlink(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Swaps the directories `a` and `b` atomically (Linux's
/// `renameat2(RENAME_EXCHANGE)`).
///
/// Errors: the OS error; `Unsupported` where there is no such call.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let path = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (path(a)?, path(b)?);
    // SAFETY: both are valid NUL-terminated paths that live through the call.
    let done = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    match done {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_removes_unlocked_leftovers_and_keeps_held_ones() {
        let root = tempfile::tempdir().unwrap();
        let parent = root.path();
        let held = Staging::new(parent, ".site.building-").unwrap();
        fs::create_dir(held.path()).unwrap();
        fs::write(held.path().join("index.html"), "x").unwrap();
        // A killed run: its lock file is there but nobody holds it.
        let killed_dir = parent.join(".site.building-dead");
        let killed_old = parent.join(".site.building-dead.old");
        let killed_lock = parent.join(".site.building-dead.lock");
        fs::create_dir(&killed_dir).unwrap();
        fs::create_dir(&killed_old).unwrap();
        fs::write(&killed_lock, "").unwrap();
        // A leftover without any lock, and one of an older version.
        fs::create_dir(parent.join(".site.building-nolock")).unwrap();
        fs::create_dir(parent.join(".old-site-abc")).unwrap();
        fs::create_dir(parent.join("site")).unwrap();
        let removed = sweep(parent, ".site.building-", &[".old-site-"]);
        assert!(held.path().join("index.html").exists(), "a held one stays");
        assert!(!killed_dir.exists() && !killed_old.exists() && !killed_lock.exists());
        assert!(!parent.join(".site.building-nolock").exists());
        assert!(!parent.join(".old-site-abc").exists());
        assert!(parent.join("site").exists());
        assert_eq!(removed.len(), 5, "{removed:?}");
    }
}
