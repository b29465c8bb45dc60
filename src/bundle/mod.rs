//! The log bundle: the portable form of a festival's logs, in `logs/` of a
//! festival directory and of every published site.
//!
//! ```text
//! logs/
//!   manifest.json              the logs, their heights, sizes and hashes
//!   <author>/<log id>.bamboo   one file per log: its records in seq order
//! ```
//!
//! A record is an entry and its payload, each behind its length as a 4-byte
//! big-endian unsigned integer: `len(entry) entry len(payload) payload`.
//! A log may also have `<log id>.held.bamboo` (entries outside its trusted
//! run, records as above) and `<log id>.forks.bamboo` (fork proofs, a record
//! per proof: `len(first) first len(second) second`).
//! `<author>` is the author's public key as 64 lowercase hex digits. The
//! manifest gives, per log, the author, log id, height (the last seq num),
//! the file's path relative to `logs/`, its size in bytes and its BLAKE3
//! hash as 64 hex digits. `docs/bundle.md` describes how to check a bundle by
//! hand.

mod builder;
mod manifest;
mod read;
mod update;
mod write;

pub use builder::BundleBuilder;
pub use manifest::{
    BUNDLE_FORMAT, BUNDLE_FORMAT_2, LogFile, LogPart, Manifest, PartFile, PartKind, SiteRecord,
};
pub(crate) use read::read_log_part;
pub use read::{BundleLocation, BundleReader, MAX_FETCHED_LOG_FILE, MAX_MANIFEST_SIZE};
pub use update::{update_bundle, write_changed_logs};
pub use write::{
    log_file_prefix, write_bundle, write_log_files, write_manifest, write_site_bundle,
};

use std::path::PathBuf;

/// Errors about a bundle as a whole. Problems with single logs or records
/// are reported through ingest as rejections, so the valid rest is kept.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The manifest is not valid.
    #[error("{path}: {reason}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The manifest could not be fetched.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// The store failed while exporting.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}
