//! The festivals a directory is joining: what a first sync learned a peer
//! holds, kept in `.pandafest/joining` until each has arrived, so that an
//! interrupted join goes on with the rest the next time.

use std::path::{Path, PathBuf};

use super::ReplicateError;
use crate::entry::DocumentId;

/// `.pandafest/joining`: one festival id a line, in the printed form.
pub fn joining_path(root: &Path) -> PathBuf {
    super::state_dir(root).join("joining")
}

fn error(path: &Path, reason: impl std::fmt::Display) -> ReplicateError {
    ReplicateError::Joining {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// The festivals `root` is joining; none when there is no file.
///
/// Errors: [`ReplicateError::Joining`] if the file cannot be read or a
/// line is not a festival id (naming the line).
pub fn load(root: &Path) -> Result<Vec<DocumentId>, ReplicateError> {
    let path = joining_path(root);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(error(&path, e)),
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(at, line)| {
            line.trim().parse().map_err(|e| {
                error(
                    &path,
                    format!(
                        "line {}: {e} (delete the file to join afresh from the peers)",
                        at + 1
                    ),
                )
            })
        })
        .collect()
}

/// Writes `festivals` as the ones `root` is joining (written whole, then
/// renamed into place); removes the file when the list is empty.
///
/// Errors: [`ReplicateError::Joining`] if it cannot be written.
pub fn save(root: &Path, festivals: &[DocumentId]) -> Result<(), ReplicateError> {
    let path = joining_path(root);
    if festivals.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(error(&path, e)),
            _ => Ok(()),
        };
    }
    let text: String = festivals.iter().map(|f| format!("{f}\n")).collect();
    let temp = path.with_extension("writing");
    std::fs::write(&temp, text)
        .and_then(|()| std::fs::rename(&temp, &path))
        .map_err(|e| error(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Hash;

    #[test]
    fn round_trips_and_goes_once_empty() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".pandafest")).unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
        let festivals = vec![Hash([1; 32]), Hash([2; 32])];
        save(dir.path(), &festivals).unwrap();
        assert_eq!(load(dir.path()).unwrap(), festivals);
        save(dir.path(), &[]).unwrap();
        assert!(!joining_path(dir.path()).exists());
    }

    #[test]
    fn names_a_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".pandafest")).unwrap();
        std::fs::write(joining_path(dir.path()), "nonsense\n").unwrap();
        let error = load(dir.path()).unwrap_err().to_string();
        assert!(
            error.ends_with(
                "joining: line 1: `nonsense` is not a hash id: expected 68 hex digits starting with 0020 (delete the file to join afresh from the peers)"
            ),
            "{error}"
        );
    }
}
