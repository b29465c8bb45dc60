//! `logs/manifest.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::BundleError;
use crate::entry::PublicKey;

/// The value of the manifest's `format` field for a bundle whose logs hold
/// no entries outside their trusted runs and no fork proofs.
pub const BUNDLE_FORMAT: &str = "pandafest-bundle/1";

/// The value of the manifest's `format` field for a bundle with held
/// entries or fork proofs (the `held` and `forks` fields of a log). A
/// reader that knows only [`BUNDLE_FORMAT`] refuses it by its format
/// rather than by an unknown field.
pub const BUNDLE_FORMAT_2: &str = "pandafest-bundle/2";

/// The bundle's table of contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`BUNDLE_FORMAT`], or [`BUNDLE_FORMAT_2`] when a log has held
    /// entries or fork proofs.
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
    /// The log's entries outside its trusted run (above a gap, or from its
    /// fork point on) with their payloads, in (seq num, hash) order; format
    /// 2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<PartFile>,
    /// The log's fork proofs, a record per proof: the two entries, each
    /// behind its length; format 2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forks: Option<PartFile>,
}

/// A log's file of held entries or of fork proofs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartFile {
    /// The file, relative to `logs/`: always `<author>/<log id>.held.bamboo`
    /// or `<author>/<log id>.forks.bamboo`.
    pub path: String,
    /// The number of records.
    pub records: u64,
    /// The file's size in bytes.
    pub size: u64,
    /// BLAKE3 of the file, 64 lowercase hex digits.
    pub blake3: String,
}

/// Which file of a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartKind {
    /// `<log id>.bamboo`: the trusted run, (entry, payload) records.
    Entries,
    /// `<log id>.held.bamboo`: held entries, (entry, payload) records.
    Held,
    /// `<log id>.forks.bamboo`: fork proofs, (entry, entry) records.
    Forks,
}

impl PartKind {
    /// The file name's ending after the log id.
    pub fn suffix(self) -> &'static str {
        match self {
            PartKind::Entries => ".bamboo",
            PartKind::Held => ".held.bamboo",
            PartKind::Forks => ".forks.bamboo",
        }
    }
}

/// One file of a log as the manifest lists it.
#[derive(Clone, Copy, Debug)]
pub struct LogPart<'a> {
    /// Which file.
    pub kind: PartKind,
    /// Its path in the manifest, relative to `logs/`.
    pub path: &'a str,
    /// The number of records.
    pub records: u64,
    /// Its size in bytes.
    pub size: u64,
    /// Its BLAKE3, 64 hex digits.
    pub blake3: &'a str,
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
        if manifest.format != BUNDLE_FORMAT && manifest.format != BUNDLE_FORMAT_2 {
            return Err(bad(format!(
                "format is `{}`, expected `{BUNDLE_FORMAT}` or `{BUNDLE_FORMAT_2}`",
                manifest.format
            )));
        }
        if manifest.format == BUNDLE_FORMAT
            && let Some(log) = manifest
                .logs
                .iter()
                .find(|l| l.held.is_some() || l.forks.is_some())
        {
            return Err(bad(format!(
                "log {} of author {} has held entries or fork proofs, which need format `{BUNDLE_FORMAT_2}`",
                log.log_id, log.author
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
        LogFile::part_path(author, log_id, PartKind::Entries)
    }

    /// The only path a file of a log may have: `<author>/<log id>` and
    /// the kind's suffix.
    pub fn part_path(author: &PublicKey, log_id: u64, kind: PartKind) -> String {
        format!("{}/{log_id}{}", author.to_hex(), kind.suffix())
    }

    /// The log's files: its entries, then its held entries and its fork
    /// proofs when it has them.
    pub fn parts(&self) -> Vec<LogPart<'_>> {
        let mut parts = vec![LogPart {
            kind: PartKind::Entries,
            path: &self.path,
            records: self.height,
            size: self.size,
            blake3: &self.blake3,
        }];
        for (kind, file) in [(PartKind::Held, &self.held), (PartKind::Forks, &self.forks)] {
            if let Some(file) = file {
                parts.push(LogPart {
                    kind,
                    path: &file.path,
                    records: file.records,
                    size: file.size,
                    blake3: &file.blake3,
                });
            }
        }
        parts
    }

    /// How many entries the log's files hold: records of entries and of
    /// held entries, and two entries per fork proof.
    pub fn entry_count(&self) -> u64 {
        let held = self.held.as_ref().map_or(0, |f| f.records);
        let forks = self.forks.as_ref().map_or(0, |f| f.records);
        self.height
            .saturating_add(held)
            .saturating_add(forks.saturating_mul(2))
    }
}
