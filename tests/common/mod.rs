//! Helpers shared by the integration tests.

use std::path::Path;

/// Copies the directory tree `from` to `to`, leaving out a festival
/// directory's local state (`.pandafest/`) and built site (`public/`).
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
