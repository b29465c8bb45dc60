//! `pandafest import`: an archive's logs into a festival directory.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use indicatif::ProgressBar;

use super::{ArchiveError, ArchiveSource};
use crate::bundle::{LogFile, log_file_prefix, write_bundle};
use crate::festival_dir::FestivalDir;
use crate::ingest::{IngestReport, ingest};
use crate::materialize::materialize;
use crate::render::root_festivals;

/// What an import did.
#[derive(Debug)]
pub struct ImportSummary {
    /// The ingest report: bad entries and forks are here.
    pub report: IngestReport,
    /// Logs fetched because the store had fewer entries than the manifest.
    pub fetched: usize,
    /// Logs skipped because the store had all their entries.
    pub skipped: usize,
}

/// The ids of the root festivals in `dir`'s store.
fn root_ids(dir: &FestivalDir) -> Result<Vec<crate::entry::DocumentId>, ArchiveError> {
    let model = materialize(&dir.store)?;
    Ok(root_festivals(&model).iter().map(|f| f.id).collect())
}

/// Imports the logs of `source` into the festival directory `into`
/// (created if missing) through ingest, then writes the directory's
/// `logs/` bundle from its store. Only logs the store lacks entries of are
/// fetched (a log file whose records are the store's first ones is
/// skipped), so running it again resumes or does nothing. Nothing is written
/// outside `into`. When `pandafest.toml` names no festival, it then names
/// the one the source's site record names if the directory held no other
/// root festival before, else the only root festival the directory now
/// holds, else none (and `build` lists them).
///
/// Errors: [`ArchiveError`] if the directory or store fails; problems with
/// the source's logs are in the report, and the valid logs are kept.
pub fn import_archive(
    source: &ArchiveSource,
    into: &Path,
    progress: ProgressBar,
) -> Result<ImportSummary, ArchiveError> {
    fs::create_dir_all(into).map_err(|source| ArchiveError::Io {
        path: into.to_owned(),
        source,
    })?;
    let mut dir = FestivalDir::open(into)?;
    // The directory's own bundle goes into the store first, so rewriting
    // the bundle from the store below loses nothing.
    dir.ingest_logs(ProgressBar::hidden())?;
    // The root festivals the directory held before, when its settings name
    // none: an import must not make a stranger's festival the site's.
    let roots_before = match dir.config.festival {
        Some(_) => Vec::new(),
        None => root_ids(&dir)?,
    };
    let heights: BTreeMap<_, _> = dir
        .store
        .read()
        .logs()?
        .into_iter()
        .map(|log| ((log.author, log.log_id), log.height))
        .collect();
    let mut missing: Vec<&LogFile> = Vec::new();
    for log in &source.bundle.manifest().logs {
        // Held entries and fork proofs are few: a log with them is read
        // again, and ingest skips what the store has. A log file is skipped
        // only if the store's first records of that log are the file, byte
        // for byte: another entry at a seq the store has may be a fork.
        let known = log.held.is_none()
            && log.forks.is_none()
            && heights
                .get(&(log.author, log.log_id))
                .is_some_and(|h| *h >= log.height)
            && log_file_prefix(&dir.store, &log.author, log.log_id, log.height)?
                == (log.size, log.blake3.clone());
        if !known {
            missing.push(log);
        }
    }
    let skipped = source.bundle.manifest().logs.len() - missing.len();
    progress.set_length(
        missing
            .iter()
            .fold(0, |n: u64, log| n.saturating_add(log.entry_count())),
    );
    let fetched = missing.len();
    let report = ingest(
        &mut dir.store,
        source.bundle.entries_of(missing.into_iter()),
        |done| progress.set_position(done),
    )?;
    progress.finish_and_clear();
    write_bundle(&dir.store, &dir.logs_dir())?;
    if dir.config.festival.is_none() {
        // A site's manifest names its festival, which becomes this
        // directory's if it held no other; else the only root festival
        // there is now is named. With several, build lists them.
        let site = source.bundle.manifest().site.as_ref().map(|s| s.festival);
        let roots = root_ids(&dir)?;
        let named = match (site, roots.as_slice()) {
            (Some(id), _) if roots_before.iter().all(|r| *r == id) && roots.contains(&id) => {
                Some(id)
            }
            (_, [only]) => Some(*only),
            _ => None,
        };
        if let Some(id) = named {
            dir.name_festival_if_unset(id)?;
        }
    }
    Ok(ImportSummary {
        report,
        fetched,
        skipped,
    })
}
