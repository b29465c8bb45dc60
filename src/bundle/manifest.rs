//! `logs/manifest.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::BundleError;
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
    /// How the site around this bundle was built; only in published sites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteRecord>,
}

/// What `pandafest verify` needs to rebuild a published site byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteRecord {
    /// The program that built it, e.g. `pandafest 0.1.0`.
    pub generator: String,
    /// The festival the site is about.
    pub festival: crate::entry::DocumentId,
    /// The theme's name.
    pub theme: String,
    /// BLAKE3 of the theme's templates and stylesheet, 64 hex digits (see
    /// [`crate::render::theme_fingerprint`]).
    pub theme_blake3: String,
    /// The `base_url` setting, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The day-change time, `HH:MM`.
    pub day_change: String,
}

impl SiteRecord {
    /// The generator string of this build of pandafest.
    pub fn this_generator() -> String {
        concat!("pandafest ", env!("CARGO_PKG_VERSION")).to_owned()
    }
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

impl Manifest {
    /// Parses and checks a manifest; `path` names it in errors.
    ///
    /// Errors: [`BundleError::Manifest`] if it is not JSON of the bundle
    /// format, or lists a log twice.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Manifest, BundleError> {
        let bad = |reason: String| BundleError::Manifest {
            path: path.to_owned(),
            reason,
        };
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("not a bundle manifest: {e}")))?;
        if manifest.format != BUNDLE_FORMAT {
            return Err(bad(format!(
                "format is `{}`, expected `{BUNDLE_FORMAT}`",
                manifest.format
            )));
        }
        let mut seen = std::collections::BTreeSet::new();
        for log in &manifest.logs {
            if !seen.insert((log.author, log.log_id)) {
                return Err(bad(format!(
                    "log {} of author {} is listed twice",
                    log.log_id, log.author
                )));
            }
        }
        Ok(manifest)
    }
}

impl LogFile {
    /// The only path a log's file may have: `<author>/<log id>.bamboo`.
    pub fn expected_path(author: &PublicKey, log_id: u64) -> String {
        format!("{}/{log_id}.bamboo", author.to_hex())
    }
}
