//! Writing a bundle from raw records, as they are, valid or not.

use std::collections::BTreeMap;
use std::path::Path;

use super::write::{LogFileWriter, write_manifest};
use super::{BundleError, LogFile, Manifest};
use crate::entry::PublicKey;

/// One record: the entry bytes and the payload bytes.
type Record = (Vec<u8>, Vec<u8>);

/// Collects raw (entry, payload) records per log and writes them as a
/// bundle with a manifest that matches the files. Unlike
/// [`super::write_bundle`] it checks nothing, so fixtures and benchmarks can
/// make bundles with forks, gaps and broken entries.
#[derive(Default)]
pub struct BundleBuilder {
    logs: BTreeMap<(PublicKey, u64), Vec<Record>>,
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
            let mut file = LogFileWriter::create(dir, *author, *log_id)?;
            for (entry, payload) in records {
                file.push(entry, payload)
                    .map_err(|source| BundleError::Io {
                        path: dir.join(LogFile::expected_path(author, *log_id)),
                        source,
                    })?;
            }
            logs.push(file.finish()?);
        }
        write_manifest(dir, logs, None)
    }
}
