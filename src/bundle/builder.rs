//! Writing a bundle from raw records, as they are, valid or not.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::{BUNDLE_FORMAT, BundleError, LogFile, Manifest};
use crate::entry::PublicKey;

/// Collects raw (entry, payload) records per log and writes them as a
/// bundle with a manifest that matches the files. Unlike
/// [`super::write_bundle`] it checks nothing, so fixtures and benchmarks can
/// make bundles with forks, gaps and broken entries.
#[derive(Default)]
pub struct BundleBuilder {
    logs: BTreeMap<(PublicKey, u64), Vec<(Vec<u8>, Vec<u8>)>>,
}

impl BundleBuilder {
    /// An empty bundle.
    pub fn new() -> BundleBuilder {
        BundleBuilder::default()
    }

    /// Appends a record to the file of log (`author`, `log_id`).
    pub fn push(
        &mut self,
        author: PublicKey,
        log_id: u64,
        entry: Vec<u8>,
        payload: Vec<u8>,
    ) -> &mut Self {
        self.logs
            .entry((author, log_id))
            .or_default()
            .push((entry, payload));
        self
    }

    /// Writes the log files and `manifest.json` into `dir`. Each log's height
    /// is its number of records.
    ///
    /// Errors: [`BundleError::Io`] on I/O.
    pub fn write(&self, dir: &Path) -> Result<Manifest, BundleError> {
        let mut logs = Vec::new();
        for ((author, log_id), records) in &self.logs {
            let rel = LogFile::expected_path(author, *log_id);
            let path = dir.join(&rel);
            let mut bytes = Vec::new();
            for (entry, payload) in records {
                for part in [entry, payload] {
                    bytes.extend_from_slice(&(part.len() as u32).to_be_bytes());
                    bytes.extend_from_slice(part);
                }
            }
            let io = |source| BundleError::Io {
                path: path.clone(),
                source,
            };
            fs::create_dir_all(path.parent().expect("log files sit in an author directory"))
                .map_err(io)?;
            fs::write(&path, &bytes).map_err(io)?;
            logs.push(LogFile {
                author: *author,
                log_id: *log_id,
                height: records.len() as u64,
                path: rel,
                size: bytes.len() as u64,
                blake3: blake3::hash(&bytes).to_hex().to_string(),
            });
        }
        let manifest = Manifest {
            format: BUNDLE_FORMAT.to_owned(),
            logs,
        };
        let path = dir.join("manifest.json");
        let mut text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
        text.push('\n');
        fs::create_dir_all(dir).map_err(|source| BundleError::Io {
            path: dir.to_owned(),
            source,
        })?;
        fs::write(&path, text).map_err(|source| BundleError::Io { path, source })?;
        Ok(manifest)
    }
}
