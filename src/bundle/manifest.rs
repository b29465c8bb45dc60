//! `logs/manifest.json`.

use serde::{Deserialize, Serialize};

use crate::entry::PublicKey;

/// The value of the manifest's `format` field.
pub const BUNDLE_FORMAT: &str = "pandafest-bundle/1";

/// The bundle's table of contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// The logs, ordered by author and log id.
    pub logs: Vec<LogFile>,
}

/// One log's file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogFile {
    /// The author.
    pub author: PublicKey,
    /// The log id.
    pub log_id: u64,
    /// The seq num of the last record.
    pub height: u64,
    /// The file, relative to `logs/`: always `<author>/<log id>.bamboo`.
    pub path: String,
    /// The file's size in bytes.
    pub size: u64,
    /// BLAKE3 of the file, 64 lowercase hex digits.
    pub blake3: String,
}

impl LogFile {
    /// The only path a log's file may have: `<author>/<log id>.bamboo`.
    pub fn expected_path(author: &PublicKey, log_id: u64) -> String {
        format!("{}/{log_id}.bamboo", author.to_hex())
    }
}
