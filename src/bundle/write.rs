//! Writing a bundle: log files record by record, then the manifest.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{
    BUNDLE_FORMAT, BUNDLE_FORMAT_2, BundleError, LogFile, Manifest, PartFile, PartKind, SiteRecord,
};
use crate::entry::PublicKey;
use crate::store::{ForkProof, Store};

/// Writes every log in `store` as a bundle into `dir` (created if missing):
/// one `.bamboo` file per log and `manifest.json`. The output depends only
/// on the stored entries, so the same logs give the same bytes.
///
/// Errors: [`BundleError::Io`] on I/O, [`BundleError::Store`] if the store fails.
pub fn write_bundle(store: &Store, dir: &Path) -> Result<Manifest, BundleError> {
    // As a whole: a kill leaves the old bundle or the new one.
    crate::staging::rewrite_dir(dir, bundle_io, |copy| write_site_bundle(store, copy, None))
}

pub(super) fn bundle_io(path: PathBuf, source: std::io::Error) -> BundleError {
    BundleError::Io { path, source }
}

/// Like [`write_bundle`], and records in the manifest how the site around
/// the bundle was built.
///
/// Errors: as [`write_bundle`].
pub fn write_site_bundle(
    store: &Store,
    dir: &Path,
    site: Option<SiteRecord>,
) -> Result<Manifest, BundleError> {
    let logs = write_log_files(store, dir)?;
    write_manifest(dir, logs, site)
}

/// The first half of [`write_site_bundle`]: writes every log file of the
/// bundle and returns them as the manifest lists them. [`write_manifest`]
/// finishes the bundle. Each log's trusted run goes into `<log id>.bamboo`;
/// its held entries that have their payloads into `<log id>.held.bamboo`
/// and its fork proofs into `<log id>.forks.bamboo`, when it has any.
///
/// Errors: as [`write_bundle`].
pub fn write_log_files(store: &Store, dir: &Path) -> Result<Vec<LogFile>, BundleError> {
    let reader = store.read();
    let mut proofs = proofs_by_log(&reader)?;
    let mut logs = Vec::new();
    for log in reader.logs()? {
        let proofs = proofs.remove(&(log.author, log.log_id)).unwrap_or_default();
        logs.push(write_log(&reader, dir, log.author, log.log_id, proofs)?);
    }
    Ok(logs)
}

/// The store's fork proofs, by (author, log id).
///
/// Errors: [`BundleError::Store`] if the store fails.
pub(super) fn proofs_by_log(
    reader: &crate::store::Reader<'_>,
) -> Result<BTreeMap<(PublicKey, u64), Vec<ForkProof>>, BundleError> {
    let mut proofs: BTreeMap<(PublicKey, u64), Vec<ForkProof>> = BTreeMap::new();
    for proof in reader.fork_proofs()? {
        proofs
            .entry((proof.author, proof.log_id))
            .or_default()
            .push(proof);
    }
    Ok(proofs)
}

/// Writes the files of one log (its trusted run, held entries and fork
/// proofs, as [`write_log_files`] does) and returns its manifest line.
///
/// Errors: as [`write_bundle`].
pub(super) fn write_log(
    reader: &crate::store::Reader<'_>,
    dir: &Path,
    author: PublicKey,
    log_id: u64,
    proofs: Vec<ForkProof>,
) -> Result<LogFile, BundleError> {
    let mut file = LogFileWriter::create(dir, author, log_id)?;
    reader
        .for_each_entry(&author, log_id, |entry, payload| file.push(entry, payload))?
        .map_err(|source| file.io(source))?;
    let mut listed = file.finish()?;
    let mut held = LogFileWriter::create_part(dir, author, log_id, PartKind::Held)?;
    reader
        .for_each_held(&author, log_id, |entry, payload| held.push(entry, payload))?
        .map_err(|source| held.io(source))?;
    listed.held = held.finish_part()?;
    let mut forks = LogFileWriter::create_part(dir, author, log_id, PartKind::Forks)?;
    for proof in proofs {
        forks
            .push(&proof.first_entry, &proof.second_entry)
            .map_err(|source| forks.io(source))?;
    }
    listed.forks = forks.finish_part()?;
    Ok(listed)
}

/// The size and BLAKE3 (64 hex digits) that the file of the first `records`
/// entries of a stored log would have, as [`write_log_files`] writes it:
/// an import skips a log whose file in the source is this.
///
/// Errors: [`BundleError::Store`] if the store fails.
pub fn log_file_prefix(
    store: &Store,
    author: &PublicKey,
    log_id: u64,
    records: u64,
) -> Result<(u64, String), BundleError> {
    let mut hasher = blake3::Hasher::new();
    let mut size = 0u64;
    let mut left = records;
    let enough = || std::io::Error::other("enough records");
    // Stopping early comes back as an error of the callback: not a failure.
    let _ = store
        .read()
        .for_each_entry(author, log_id, |entry, payload| {
            if left == 0 {
                return Err(enough());
            }
            left -= 1;
            for part in [entry, payload] {
                hasher.update(&(part.len() as u32).to_be_bytes());
                hasher.update(part);
                size += 4 + part.len() as u64;
            }
            Ok(())
        })?;
    Ok((size, hasher.finalize().to_hex().to_string()))
}

/// Writes one log file, hashing and counting as it goes.
pub(super) struct LogFileWriter {
    path: PathBuf,
    rel: String,
    author: PublicKey,
    log_id: u64,
    out: BufWriter<fs::File>,
    hasher: blake3::Hasher,
    size: u64,
    records: u64,
}

impl LogFileWriter {
    /// Creates `dir/<author>/<log id>.bamboo`.
    pub(super) fn create(
        dir: &Path,
        author: PublicKey,
        log_id: u64,
    ) -> Result<LogFileWriter, BundleError> {
        LogFileWriter::create_part(dir, author, log_id, PartKind::Entries)
    }

    /// Creates the file of a log of the given kind; see
    /// [`LogFile::part_path`].
    pub(super) fn create_part(
        dir: &Path,
        author: PublicKey,
        log_id: u64,
        kind: PartKind,
    ) -> Result<LogFileWriter, BundleError> {
        let rel = LogFile::part_path(&author, log_id, kind);
        let path = dir.join(&rel);
        let io = |source| BundleError::Io {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(path.parent().expect("log files sit in an author directory"))
            .map_err(io)?;
        crate::staging::unlink(&path).map_err(io)?;
        let out = BufWriter::new(fs::File::create(&path).map_err(io)?);
        Ok(LogFileWriter {
            path,
            rel,
            author,
            log_id,
            out,
            hasher: blake3::Hasher::new(),
            size: 0,
            records: 0,
        })
    }

    pub(super) fn io(&self, source: std::io::Error) -> BundleError {
        BundleError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Appends one record: the entry and the payload, each behind its
    /// length as a big-endian u32.
    pub(super) fn push(&mut self, entry: &[u8], payload: &[u8]) -> std::io::Result<()> {
        for part in [entry, payload] {
            let len = (part.len() as u32).to_be_bytes();
            self.out.write_all(&len)?;
            self.out.write_all(part)?;
            self.hasher.update(&len);
            self.hasher.update(part);
            self.size += 4 + part.len() as u64;
        }
        self.records += 1;
        Ok(())
    }

    /// Flushes the file and returns its manifest line.
    pub(super) fn finish(mut self) -> Result<LogFile, BundleError> {
        self.out.flush().map_err(|source| self.io(source))?;
        Ok(LogFile {
            author: self.author,
            log_id: self.log_id,
            height: self.records,
            path: self.rel,
            size: self.size,
            blake3: self.hasher.finalize().to_hex().to_string(),
            held: None,
            forks: None,
        })
    }

    /// Flushes a file of held entries or fork proofs and returns its
    /// manifest entry; a file with no records is removed, and is `None`.
    pub(super) fn finish_part(mut self) -> Result<Option<PartFile>, BundleError> {
        self.out.flush().map_err(|source| self.io(source))?;
        if self.records == 0 {
            drop(self.out);
            fs::remove_file(&self.path).map_err(|source| BundleError::Io {
                path: self.path.clone(),
                source,
            })?;
            return Ok(None);
        }
        Ok(Some(PartFile {
            path: self.rel,
            records: self.records,
            size: self.size,
            blake3: self.hasher.finalize().to_hex().to_string(),
        }))
    }
}

/// Writes `dir/manifest.json` listing `logs`, with `site` when the bundle
/// is part of a site, as pretty JSON with a final newline; returns the
/// manifest.
///
/// Errors: [`BundleError::Io`] if it cannot be written.
pub fn write_manifest(
    dir: &Path,
    logs: Vec<LogFile>,
    site: Option<SiteRecord>,
) -> Result<Manifest, BundleError> {
    let format = match logs.iter().any(|l| l.held.is_some() || l.forks.is_some()) {
        true => BUNDLE_FORMAT_2,
        false => BUNDLE_FORMAT,
    };
    let manifest = Manifest {
        format: format.to_owned(),
        logs,
        site,
    };
    fs::create_dir_all(dir).map_err(|source| BundleError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let path = dir.join("manifest.json");
    let mut text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    text.push('\n');
    crate::staging::unlink(&path).map_err(|source| BundleError::Io {
        path: path.clone(),
        source,
    })?;
    fs::write(&path, text).map_err(|source| BundleError::Io { path, source })?;
    Ok(manifest)
}
