//! Writing a bundle from the store.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::{BUNDLE_FORMAT, BundleError, LogFile, Manifest};
use crate::store::Store;

/// Writes every log in `store` as a bundle into `dir` (created if missing):
/// one `.bamboo` file per log and `manifest.json`. The output depends only
/// on the stored entries, so the same logs give the same bytes.
///
/// Errors: [`BundleError::Io`] on I/O, [`BundleError::Store`] if the store fails.
pub fn write_bundle(store: &Store, dir: &Path) -> Result<Manifest, BundleError> {
    let reader = store.read();
    let mut logs = Vec::new();
    for log in reader.logs()? {
        let rel = LogFile::expected_path(&log.author, log.log_id);
        let path = dir.join(&rel);
        let io = |source| BundleError::Io {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(path.parent().expect("log files sit in an author directory"))
            .map_err(io)?;
        let mut out = BufWriter::new(fs::File::create(&path).map_err(io)?);
        let mut hasher = blake3::Hasher::new();
        let mut size = 0u64;
        let mut height = 0u64;
        reader
            .for_each_entry(&log.author, log.log_id, |entry, payload| {
                for part in [entry, payload] {
                    let len = (part.len() as u32).to_be_bytes();
                    out.write_all(&len)?;
                    out.write_all(part)?;
                    hasher.update(&len);
                    hasher.update(part);
                    size += 4 + part.len() as u64;
                }
                height += 1;
                Ok(())
            })?
            .map_err(io)?;
        out.flush().map_err(io)?;
        logs.push(LogFile {
            author: log.author,
            log_id: log.log_id,
            height,
            path: rel,
            size,
            blake3: hasher.finalize().to_hex().to_string(),
        });
    }
    let manifest = Manifest {
        format: BUNDLE_FORMAT.to_owned(),
        logs,
    };
    let path = dir.join("manifest.json");
    let mut text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    text.push('\n');
    fs::write(&path, text).map_err(|source| BundleError::Io { path, source })?;
    Ok(manifest)
}
