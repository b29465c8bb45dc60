//! Bringing a directory's bundle up to date after a few entries were
//! published: only the logs that changed are written again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::write::{bundle_io, proofs_by_log, write_log};
use super::{BundleError, BundleReader, LogFile, Manifest, write_manifest};
use crate::entry::PublicKey;
use crate::store::Store;

/// Rewrites the log files of `changed` (author, log id) in the bundle at
/// `dir`, and every log whose height in the store differs from the one
/// `dir/manifest.json` lists, then the manifest. The other log files are
/// kept as they are. The result is the bundle [`super::write_bundle`]
/// writes; with no readable manifest in `dir` it is written whole.
///
/// Errors: [`BundleError::Io`] on I/O, [`BundleError::Store`] if the store
/// fails.
pub fn update_bundle(
    store: &Store,
    dir: &Path,
    changed: &BTreeSet<(PublicKey, u64)>,
) -> Result<Manifest, BundleError> {
    // As a whole (the files kept are hard links): a kill leaves the old
    // bundle or the new one, never a manifest that disagrees with a file.
    crate::staging::rewrite_dir(dir, bundle_io, |copy| update_in(store, copy, changed))
}

/// [`update_bundle`] in place, in the copy.
fn update_in(
    store: &Store,
    dir: &Path,
    changed: &BTreeSet<(PublicKey, u64)>,
) -> Result<Manifest, BundleError> {
    let listed: BTreeMap<(PublicKey, u64), LogFile> = match BundleReader::open(dir) {
        Ok(bundle) if bundle.manifest().site.is_none() => bundle
            .manifest()
            .logs
            .iter()
            .map(|log| ((log.author, log.log_id), log.clone()))
            .collect(),
        _ => BTreeMap::new(),
    };
    let reader = store.read();
    // Logs with held entries or fork proofs are few: they are always
    // written again, so their parts follow the store.
    let held: BTreeSet<(PublicKey, u64)> = reader
        .held_logs()?
        .into_iter()
        .map(|log| (log.author, log.log_id))
        .collect();
    let mut proofs = proofs_by_log(&reader)?;
    let mut logs = Vec::new();
    for log in reader.logs()? {
        let key = (log.author, log.log_id);
        let unchanged = listed.get(&key).filter(|line| {
            !changed.contains(&key)
                && !held.contains(&key)
                && !proofs.contains_key(&key)
                && line.held.is_none()
                && line.forks.is_none()
                && line.height == log.height
                && dir.join(&line.path).is_file()
        });
        if let Some(line) = unchanged {
            logs.push(line.clone());
            continue;
        }
        let log_proofs = proofs.remove(&key).unwrap_or_default();
        logs.push(write_log(&reader, dir, log.author, log.log_id, log_proofs)?);
    }
    write_manifest(dir, logs, None)
}

/// For a site's bundle, which [`update_bundle`] leaves alone: writes into
/// `dir` the files of every log in the store whose line in `listed` (the
/// manifest lines of the bundle as it was) is missing or out of date, and
/// of every log with held entries or fork proofs, as
/// [`super::write_log_files`] writes them. Returns the lines of every log,
/// kept or written, in the order [`super::write_log_files`] returns them,
/// and the paths written, relative to `dir`. [`write_manifest`] finishes
/// the bundle.
///
/// Errors: [`BundleError::Io`] on I/O, [`BundleError::Store`] if the store
/// fails.
pub fn write_changed_logs(
    store: &Store,
    dir: &Path,
    listed: &[LogFile],
) -> Result<(Vec<LogFile>, Vec<String>), BundleError> {
    let listed: BTreeMap<(PublicKey, u64), &LogFile> = listed
        .iter()
        .map(|line| ((line.author, line.log_id), line))
        .collect();
    let reader = store.read();
    let held: BTreeSet<(PublicKey, u64)> = reader
        .held_logs()?
        .into_iter()
        .map(|log| (log.author, log.log_id))
        .collect();
    let mut proofs = proofs_by_log(&reader)?;
    let (mut logs, mut written) = (Vec::new(), Vec::new());
    for log in reader.logs()? {
        let key = (log.author, log.log_id);
        let unchanged = listed.get(&key).filter(|line| {
            !held.contains(&key)
                && !proofs.contains_key(&key)
                && line.held.is_none()
                && line.forks.is_none()
                && line.height == log.height
        });
        if let Some(line) = unchanged {
            logs.push((*line).clone());
            continue;
        }
        let log_proofs = proofs.remove(&key).unwrap_or_default();
        let line = write_log(&reader, dir, log.author, log.log_id, log_proofs)?;
        written.push(line.path.clone());
        written.extend(line.held.iter().map(|p| p.path.clone()));
        written.extend(line.forks.iter().map(|p| p.path.clone()));
        logs.push(line);
    }
    Ok((logs, written))
}
