//! `pandafest import-schedule` as a library function: read -> parse ->
//! open (or create) the festival directory -> compare with earlier imports
//! -> sign one batch -> ingest -> write the log bundle.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::NaiveTime;
use indicatif::ProgressBar;

use super::apply::apply;
use super::existing::scan;
use super::festival::{create_dir, day_notes, festival_fields, move_all_day_events};
use super::schedule::Format;
use super::source::{MAX_SOURCE_SIZE, read_source};
use super::time::parse_zone;
use super::{ImportError, parse_schedule};
use crate::bundle::write_bundle;
use crate::days::schedule_day;
use crate::entry::{DocumentId, KeyPair, key_path};
use crate::festival_dir::FestivalDir;
use crate::publish::{KeyLock, Publisher};

/// What to import, from where, into where.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The schedule: a file path or an http(s) URL.
    pub source: String,
    /// The festival directory; created if missing.
    pub into: PathBuf,
    /// The format; detected from the content when `None`.
    pub format: Option<Format>,
    /// An IANA time zone name that overrides the source's.
    pub time_zone: Option<String>,
    /// The bridge's key file; default `INTO/.pandafest/key`.
    pub key: Option<PathBuf>,
    /// The largest source accepted, in bytes ([`MAX_SOURCE_SIZE`]).
    pub max_size: u64,
}

impl ImportOptions {
    /// Options to import `source` into `into`, with the defaults.
    pub fn new(source: impl Into<String>, into: impl Into<PathBuf>) -> ImportOptions {
        ImportOptions {
            source: source.into(),
            into: into.into(),
            format: None,
            time_zone: None,
            key: None,
            max_size: MAX_SOURCE_SIZE,
        }
    }
}

/// What an import did.
#[derive(Clone, Debug)]
pub struct ImportSummary {
    /// The festival's document id.
    pub festival: DocumentId,
    /// Its name.
    pub name: String,
    /// The format read.
    pub format: Format,
    /// Whether the festival directory was created.
    pub created_dir: bool,
    /// Schedule days of the imported events (with the directory's day change).
    pub days: usize,
    /// Rooms in the schedule.
    pub rooms: usize,
    /// Events in the schedule that could be read.
    pub events: usize,
    /// Events published for the first time.
    pub created: usize,
    /// Events updated.
    pub updated: usize,
    /// Events deleted because they left the schedule.
    pub deleted: usize,
    /// Events already published as they are.
    pub unchanged: usize,
    /// One line per skipped event or file-level error, naming the source.
    pub skipped: Vec<String>,
    /// Warnings, one per line.
    pub notes: Vec<String>,
    /// Operations published, all kinds.
    pub operations: usize,
    /// The directory's day-change time.
    pub day_change: NaiveTime,
}

impl ImportSummary {
    /// The report: skipped events, notes, then the one-line summary.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .skipped
            .iter()
            .map(|s| format!("skipped: {s}"))
            .collect();
        lines.extend(self.notes.iter().map(|n| format!("note: {n}")));
        lines.push(format!(
            "{} ({}): {} days, {} rooms, {} events: {} imported, {} updated, {} deleted, {} unchanged, {} skipped; {} operations",
            self.name,
            self.format.describe(),
            self.days,
            self.rooms,
            self.events,
            self.created,
            self.updated,
            self.deleted,
            self.unchanged,
            self.skipped.len(),
            self.operations
        ));
        lines
    }
}

/// Imports a schedule into a festival directory, signed by the bridge key.
/// Nothing is stored until every operation is signed and valid; then one
/// ingest stores them and `INTO/logs/` is rewritten from the store.
/// `progress` makes a progress bar for a stage (`"importing"`).
///
/// Errors: [`ImportError`]: the source cannot be read or is no schedule,
/// `--time-zone` is unknown, no event could be read, or the directory,
/// key or store fail. Skipped events are not errors: they are listed in
/// the summary.
pub fn import_schedule(
    options: &ImportOptions,
    progress: impl Fn(&'static str) -> ProgressBar,
) -> Result<ImportSummary, ImportError> {
    let started = std::time::Instant::now();
    let zone = match &options.time_zone {
        Some(name) => Some(parse_zone(name).ok_or_else(|| ImportError::TimeZone(name.clone()))?),
        None => None,
    };
    let text = read_source(&options.source, options.max_size)?;
    let schedule = parse_schedule(&options.source, &text, options.format, zone)?;
    let skipped: Vec<String> = schedule
        .problems
        .iter()
        .map(|p| format!("{}: {p}", options.source))
        .collect();
    if schedule.events.is_empty() && schedule.problems.iter().any(|p| p.event.is_some()) {
        return Err(ImportError::NothingImported {
            source_name: options.source.clone(),
            problems: skipped,
        });
    }
    if schedule.events.is_empty() && schedule.start.is_none() {
        return Err(ImportError::NoDates {
            source_name: options.source.clone(),
        });
    }

    let created_dir = create_dir(&options.into, &schedule)?;
    let mut dir = FestivalDir::open(&options.into)?;
    let key_file = options
        .key
        .clone()
        .unwrap_or_else(|| key_path(&options.into));
    let key = KeyPair::load(&key_file)?;
    // The key's lock is held from before reading logs/ and what the key
    // published until logs/ is rewritten: another process with this key
    // (into this directory or another) waits, then sees this import.
    let mut lock = KeyLock::acquire(&key_file)?;
    // logs/ is the portable record: what earlier imports published may
    // only be there (a fresh clone), and it is rewritten below.
    let mut decoded = crate::ingest::DecodedOperations::new();
    let logs = dir.ingest_logs_keeping(progress("verifying"), &mut decoded)?;
    let day_change = dir.config.day_change(&dir.config_path())?;
    let mut schedule = schedule;
    move_all_day_events(&mut schedule, day_change);
    let festival = festival_fields(&schedule).expect("events or a start, checked above");
    let logs_dir = dir.logs_dir();

    let mut publisher = Publisher::with_lock(&mut dir.store, &key, &mut lock)?;
    let existing = scan(publisher.store(), key.public_key())?;
    let model = crate::materialize::materialize_with(publisher.store(), decoded)?;
    let log_id = publisher.log_for(existing.festival(&schedule.key).map(|f| f.id))?;
    let mut batch = publisher.batch(log_id)?;
    let outcome = apply(&mut batch, &schedule, festival, &existing, &model)?;
    let operations = batch.len();
    let bar = progress("importing");
    bar.set_length(operations as u64);
    batch.commit(|done| bar.set_position(done))?;
    bar.finish_and_clear();
    if operations > 0 || !logs_dir.join("manifest.json").exists() {
        write_bundle(publisher.store(), &logs_dir)?;
    }
    drop(publisher);
    drop(lock);
    let festival_id = outcome.festival.expect("the festival is always settled");
    dir.name_festival_if_unset(festival_id)?;

    let mut notes = schedule.notes.clone();
    notes.extend(outcome.notes.iter().cloned());
    if !logs.is_clean() {
        notes.push(format!(
            "{}/logs: {}; `pandafest check` lists the problems",
            options.into.display(),
            logs.summary()
        ));
    }
    notes.extend(day_notes(&schedule, day_change, &dir.config.day_change));
    let mut skipped = skipped;
    skipped.extend(
        outcome
            .invalid
            .iter()
            .map(|p| format!("{}: {p}", options.source)),
    );
    let days: BTreeSet<_> = schedule
        .events
        .iter()
        .map(|e| schedule_day(e.start, schedule.time_zone, day_change))
        .collect();
    tracing::debug!(elapsed = ?started.elapsed(), operations, "imported");
    Ok(ImportSummary {
        festival: festival_id,
        name: schedule.title.clone(),
        format: schedule.format,
        created_dir,
        days: days.len(),
        rooms: schedule.rooms.len(),
        events: schedule.events.len(),
        created: outcome.created,
        updated: outcome.updated,
        deleted: outcome.deleted,
        unchanged: outcome.unchanged,
        skipped,
        notes,
        operations,
        day_change,
    })
}
