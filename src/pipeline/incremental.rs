//! Incremental rebuilds, for `pandafest serve`: the model, each event's
//! card, row and VEVENT and the hash of every file of the last build are
//! kept in memory. After new entries, the model is worked out again from
//! the operations kept decoded, compared with the one before, and only the
//! pages and feeds that show what changed are rendered; a file is written
//! (through a temporary file and a rename) only when its bytes differ.
//! What the comparison cannot place (a festival, a profile, a resource's
//! own fields, a fork, another site festival) is rebuilt whole. Either
//! way the site is byte for byte a cold [`super::build_site`] of the same
//! logs.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::ProgressBar;
use rayon::prelude::*;

use super::build::{BuildError, BuildSummary, build_keeping};
use crate::bundle::{BundleReader, LogFile, SiteRecord, write_changed_logs, write_manifest};
use crate::entry::{DocumentId, PublicKey};
use crate::feeds::{FeedCache, event_places, write_feeds_cached};
use crate::festival_dir::FestivalDir;
use crate::ingest::DecodedOperations;
use crate::materialize::{Model, RequestState, Resource, read_operations};
use crate::operation::decode_stored_operation;
use crate::output::{Output, OutputError};
use crate::render::{
    PageCache, PageSelection, RenderError, Templates, choose_festival, prepare_cached,
    render_selected,
};
use crate::settings::RenderSettings;

/// The files of the screen that [`crate::screen::write_screen`] writes.
const SCREEN_FILES: [&str; 6] = [
    crate::screen::DATA_PATH,
    crate::screen::VERSION_PATH,
    "screen/index.html",
    "screen/screen.js",
    "screen/screen.css",
    "screen/icon.svg",
];

/// A built site and what its next rebuild starts from. Made by a cold
/// build ([`SiteState::build`]), brought up to date by
/// [`SiteState::update`].
pub struct SiteState {
    out: PathBuf,
    model: Model,
    settings: RenderSettings,
    templates: Templates,
    site: SiteRecord,
    /// The manifest lines of the site's log bundle.
    logs: Vec<LogFile>,
    /// Every operation that counted, decoded, by id.
    operations: DecodedOperations,
    pages: PageCache,
    feeds: FeedCache,
    /// Every file of the site, by `/`-separated relative path, with the
    /// BLAKE3 of its bytes.
    files: BTreeMap<String, blake3::Hash>,
    /// Set while a rebuild runs: one that failed half way leaves the next
    /// to build whole.
    unsure: bool,
}

/// What a rebuild did.
#[derive(Debug)]
pub struct Rebuilt {
    /// The site files written or removed, sorted by path.
    pub changed: Vec<String>,
    /// How many HTML pages were rendered (all of them for a whole build).
    pub pages: usize,
    /// The cold build's summary when the site was built whole.
    pub whole: Option<BuildSummary>,
}

/// What a change touches, worked out by comparing two models.
#[derive(Debug, Default)]
struct Touched {
    /// Events that changed or are new: their cards, rows and VEVENTs are
    /// made again.
    events: BTreeSet<DocumentId>,
    /// Everything else to render.
    pages: PageSelection,
    /// Locations whose calendars hold a changed event, before or after.
    places: BTreeSet<DocumentId>,
    /// Hosts of changed events.
    hosts: BTreeSet<PublicKey>,
}

fn render_failed(out: &Path) -> impl Fn(RenderError) -> BuildError + '_ {
    move |source| BuildError::Render {
        output: out.to_owned(),
        source: Box::new(source),
    }
}

impl SiteState {
    /// A cold [`super::build_site`] of `dir` into `out`, keeping what the
    /// rebuilds after it need (which takes about a third of the build's
    /// time again: the cards, rows and VEVENTs, and the hash of every file).
    ///
    /// Errors: as [`super::build_site`].
    pub fn build(
        dir: &mut FestivalDir,
        out: &Path,
        progress: impl Fn(&'static str) -> ProgressBar,
    ) -> Result<(SiteState, BuildSummary), BuildError> {
        let (summary, kept) = build_keeping(dir, out, progress, true)?;
        let kept = kept.expect("kept when asked");
        let failed = render_failed(out);
        let mut operations = DecodedOperations::new();
        let payloads = dir.store.read().operations_with_payloads()?;
        operations.extend(
            payloads
                .into_par_iter()
                .filter_map(|(op, payload)| {
                    Some((op.id, Box::new(decode_stored_operation(&payload).ok()?)))
                })
                .collect::<Vec<_>>(),
        );
        let pages = prepare_cached(
            &kept.model,
            &kept.settings,
            &kept.templates,
            PageCache::default(),
            &BTreeSet::new(),
        )
        .map_err(&failed)?
        .into_cache();
        let mut feeds = FeedCache::keeping_slots();
        write_feeds_cached(
            &kept.model,
            &kept.settings,
            &mut Output::memory(),
            &mut feeds,
            &BTreeSet::new(),
            &|_| false,
        )
        .map_err(|e| failed(e.into()))?;
        let state = SiteState {
            out: out.to_owned(),
            model: kept.model,
            settings: kept.settings,
            templates: kept.templates,
            site: kept.site,
            logs: kept.logs,
            operations,
            pages,
            feeds,
            files: site_hashes(out),
            unsure: false,
        };
        Ok((state, summary))
    }

    /// The site's directory.
    pub fn output(&self) -> &Path {
        &self.out
    }

    /// Brings the site up to date with the store of `dir` (after ingesting
    /// its `logs/` when they hold entries the store lacks): renders what
    /// the new entries touch and writes the files that differ, or builds
    /// the site whole when the change is not one it can place. On an error
    /// the site may be part new, part old; the next rebuild is then whole.
    ///
    /// Errors: as [`super::build_site`].
    pub fn update(&mut self, dir: &mut FestivalDir) -> Result<Rebuilt, BuildError> {
        let started = Instant::now();
        if std::mem::replace(&mut self.unsure, true) {
            return self.rebuild_whole(dir);
        }
        if logs_hold_news(dir)? {
            dir.ingest_logs(ProgressBar::hidden())?;
        }
        let model = self.materialize(dir)?;
        tracing::debug!(elapsed = ?started.elapsed(), "rebuild: materialized");
        let festival =
            choose_festival(&model, dir.config.festival).map_err(render_failed(&self.out))?;
        let touched = match festival == self.settings.festival {
            true => touched(&self.model, &model, &self.settings),
            false => None,
        };
        let Some(touched) = touched else {
            tracing::debug!("rebuilding whole: a change the comparison cannot place");
            return self.rebuild_whole(dir);
        };
        let rebuilt = self.write_touched(dir, &model, touched)?;
        // The old model is freed by the pool while the caller goes on.
        let old = std::mem::replace(&mut self.model, model);
        rayon::spawn(move || drop(old));
        self.unsure = false;
        tracing::debug!(elapsed = ?started.elapsed(), changed = rebuilt.changed.len(), "rebuilt");
        Ok(rebuilt)
    }

    /// Builds the site whole, as a cold build does (after a change of the
    /// templates, the theme or `pandafest.toml`), and lists the files that
    /// differ from the site before.
    ///
    /// Errors: as [`super::build_site`].
    pub fn rebuild_whole(&mut self, dir: &mut FestivalDir) -> Result<Rebuilt, BuildError> {
        let (state, summary) = SiteState::build(dir, &self.out, |_| ProgressBar::hidden())?;
        let mut changed: Vec<String> = state
            .files
            .iter()
            .filter(|(path, hash)| self.files.get(*path) != Some(hash))
            .map(|(path, _)| path.clone())
            .collect();
        changed.extend(
            self.files
                .keys()
                .filter(|p| !state.files.contains_key(*p))
                .cloned(),
        );
        changed.sort();
        *self = state;
        Ok(Rebuilt {
            changed,
            pages: summary.pages,
            whole: Some(summary),
        })
    }

    /// The model of the store's operations, decoding only those not
    /// decoded before.
    fn materialize(&mut self, dir: &FestivalDir) -> Result<Model, BuildError> {
        let reader = dir.store.read();
        let refs = reader.operation_refs()?;
        let mut decoded = DecodedOperations::with_capacity(refs.len());
        for op in &refs {
            if let std::collections::hash_map::Entry::Vacant(slot) = self.operations.entry(op.id) {
                let payload = reader
                    .payload_at(&op.author, op.log_id, op.seq_num)?
                    .unwrap_or_default();
                // One that does not decode is noted by the model.
                if let Ok(operation) = decode_stored_operation(&payload) {
                    slot.insert(Box::new(operation));
                }
            }
            if let Some(operation) = self.operations.get(&op.id) {
                decoded.insert(op.id, operation.clone());
            }
        }
        Ok(read_operations(&dir.store, decoded)?.build())
    }

    /// Renders what `touched` names from `model` and writes the files
    /// that differ; removes those the site no longer has.
    fn write_touched(
        &mut self,
        dir: &FestivalDir,
        model: &Model,
        mut touched: Touched,
    ) -> Result<Rebuilt, BuildError> {
        let out = self.out.clone();
        let failed = render_failed(&out);
        let failed_output = |e: OutputError| failed(e.into());
        let mut output = Output::memory();
        let cache = std::mem::take(&mut self.pages);
        let prepared = prepare_cached(
            model,
            &self.settings,
            &self.templates,
            cache,
            &touched.events,
        )
        .map_err(&failed)?;
        let started = Instant::now();
        let mut known = prepared.page_paths();
        // A day more or less changes every day page's tabs.
        let days = |paths: &mut dyn Iterator<Item = &String>| -> BTreeSet<String> {
            paths
                .filter(|p| p.starts_with("schedule/") && p.matches('/').count() == 2)
                .cloned()
                .collect()
        };
        if days(&mut known.iter()) != days(&mut self.files.keys()) {
            touched.pages.days = None;
        }
        let pages = render_selected(&prepared, &self.templates, &mut output, &touched.pages)
            .map_err(&failed)?;
        self.pages = prepared.into_cache();
        tracing::debug!(elapsed = ?started.elapsed(), pages, "rebuild: pages");
        let files = &self.files;
        let wanted = |path: &str| -> bool {
            if !files.contains_key(path) {
                return true;
            }
            let id = |prefix: &str| {
                path.strip_prefix(prefix)
                    .and_then(|rest| rest.strip_suffix(".ics"))
            };
            match path {
                "calendar.ics" | "schedule.xml" => true,
                _ => {
                    if let Some(id) = id("events/") {
                        touched.events.iter().any(|e| e.to_string() == id)
                    } else if let Some(id) = id("locations/") {
                        touched.places.iter().any(|e| e.to_string() == id)
                    } else if let Some(key) = id("people/") {
                        touched.hosts.iter().any(|k| k.to_hex() == key)
                    } else {
                        false
                    }
                }
            }
        };
        known.extend(
            write_feeds_cached(
                model,
                &self.settings,
                &mut output,
                &mut self.feeds,
                &touched.events,
                &wanted,
            )
            .map_err(failed_output)?,
        );
        tracing::debug!(elapsed = ?started.elapsed(), "rebuild: feeds");
        crate::screen::write_screen(model, &self.settings, &mut output).map_err(failed_output)?;
        tracing::debug!(elapsed = ?started.elapsed(), "rebuild: screen");
        known.extend(SCREEN_FILES.map(String::from));
        known.insert("style.css".to_owned());
        known.extend(self.write_logs(dir, &mut output)?);
        tracing::debug!(elapsed = ?started.elapsed(), "rebuild: logs");
        let written = output.commit().map_err(failed_output)?;
        // A file the site gains must have been rendered.
        if let Some(missed) = known
            .iter()
            .find(|p| !self.files.contains_key(*p) && !written.contains_key(*p))
        {
            return Err(BuildError::Unrendered(missed.clone()));
        }
        let mut changed = self.write_changed(written)?;
        let removed: Vec<String> = self
            .files
            .keys()
            .filter(|p| !known.contains(*p))
            .cloned()
            .collect();
        for path in &removed {
            remove_file(&self.out, path).map_err(failed_output)?;
            self.files.remove(path);
        }
        changed.extend(removed);
        changed.sort();
        tracing::debug!(elapsed = ?started.elapsed(), "rebuild: written");
        Ok(Rebuilt {
            changed,
            pages,
            whole: None,
        })
    }

    /// Writes the log files of the site's bundle that changed, and its
    /// manifest, into `output` (under `logs/`); returns the path of every
    /// file of the bundle.
    fn write_logs(
        &mut self,
        dir: &FestivalDir,
        output: &mut Output,
    ) -> Result<Vec<String>, BuildError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| {
                BuildError::Bundle(crate::bundle::BundleError::Io {
                    path: path.clone(),
                    source,
                })
            }
        };
        let scratch = tempfile::Builder::new()
            .prefix("pandafest-logs-")
            .tempdir()
            .map_err(io(&std::env::temp_dir()))?;
        let (lines, written) = write_changed_logs(&dir.store, scratch.path(), &self.logs)?;
        let manifest = write_manifest(scratch.path(), lines, Some(self.site.clone()))?;
        for rel in written.iter().map(String::as_str).chain(["manifest.json"]) {
            let full = scratch.path().join(rel);
            let bytes = fs::read(&full).map_err(io(&full))?;
            output
                .write(&format!("logs/{rel}"), bytes)
                .map_err(|e| render_failed(&self.out)(e.into()))?;
        }
        let mut paths = vec!["logs/manifest.json".to_owned()];
        for line in &manifest.logs {
            paths.push(format!("logs/{}", line.path));
            paths.extend(line.held.iter().map(|p| format!("logs/{}", p.path)));
            paths.extend(line.forks.iter().map(|p| format!("logs/{}", p.path)));
        }
        self.logs = manifest.logs;
        Ok(paths)
    }

    /// Writes the files of `written` whose bytes differ from the site's,
    /// each through a temporary file and a rename; returns their paths.
    fn write_changed(
        &mut self,
        written: BTreeMap<String, Vec<u8>>,
    ) -> Result<Vec<String>, BuildError> {
        let out = &self.out;
        let files = &self.files;
        let changed: Vec<(String, blake3::Hash)> = written
            .into_par_iter()
            .filter_map(|(path, bytes)| {
                let hash = blake3::hash(&bytes);
                if files.get(&path) == Some(&hash) {
                    return None;
                }
                Some(write_file(out, &path, &bytes).map(|()| (path, hash)))
            })
            .collect::<Result<_, OutputError>>()
            .map_err(|e| render_failed(out)(e.into()))?;
        let paths = changed.iter().map(|(p, _)| p.clone()).collect();
        self.files.extend(changed);
        Ok(paths)
    }
}

/// What the change from `old` to `new` touches; `None` when it is one
/// that only a whole build gets right: a festival, a person's profile, a
/// fork, a resource's own fields (not its bookings) or one more or less,
/// or an event gone.
fn touched(old: &Model, new: &Model, settings: &RenderSettings) -> Option<Touched> {
    if old.festivals != new.festivals || old.people != new.people || old.forks != new.forks {
        return None;
    }
    if !old.resources.keys().eq(new.resources.keys()) {
        return None;
    }
    let mut touched = Touched::default();
    for (id, was) in &old.resources {
        let now = &new.resources[id];
        if !same_but_bookings(was, now) {
            return None;
        }
        if was.bookings != now.bookings {
            touched.pages.resources.insert(*id);
        }
    }
    if old.events.keys().any(|id| !new.events.contains_key(id)) {
        return None;
    }
    touched.events = new
        .events
        .iter()
        .filter(|(id, event)| old.events.get(*id) != Some(*event))
        .map(|(id, _)| *id)
        .collect();
    let zone = new.festivals.get(&settings.festival)?.time_zone;
    let mut days = BTreeSet::new();
    for id in &touched.events {
        let versions = [old.events.get(id), new.events.get(id)];
        for event in versions.into_iter().flatten() {
            touched.hosts.insert(event.author);
            for request in &event.requests {
                touched.pages.resources.insert(request.resource);
            }
            days.insert(crate::days::schedule_day(
                event.start,
                zone,
                settings.day_change,
            ));
        }
        for (model, event) in [(old, old.events.get(id)), (new, new.events.get(id))] {
            if let Some(event) = event {
                touched
                    .places
                    .extend(event_places(model, event).iter().map(|r| r.id));
            }
        }
    }
    touched.pages.days = Some(days);
    touched.pages.people = touched.hosts.clone();
    touched.pages.people.extend(
        touched
            .pages
            .resources
            .iter()
            .filter_map(|id| new.resources.get(id))
            .map(|r| r.owner),
    );
    // An event in conflict names the event that holds the resource.
    touched.pages.events = touched.events.clone();
    touched.pages.events.extend(
        new.events
            .values()
            .filter(|e| {
                e.requests.iter().any(|r| {
                    matches!(&r.state, RequestState::Conflict { with } if touched.events.contains(with))
                })
            })
            .map(|e| e.id),
    );
    Some(touched)
}

/// Whether two versions of a resource differ in their bookings at most.
fn same_but_bookings(a: &Resource, b: &Resource) -> bool {
    a.id == b.id
        && a.owner == b.owner
        && a.version == b.version
        && a.festival == b.festival
        && a.title == b.title
        && a.description == b.description
        && a.kind == b.kind
        && a.location == b.location
        && a.policy == b.policy
        && a.derived_from == b.derived_from
}

/// Whether the festival directory's `logs/` may hold entries the store
/// lacks: a log higher than the store's, one it does not know, held
/// entries or fork proofs, or a manifest it cannot read (the ingest then
/// says why).
fn logs_hold_news(dir: &FestivalDir) -> Result<bool, BuildError> {
    let logs = dir.logs_dir();
    if !logs.join("manifest.json").exists() {
        return Ok(false);
    }
    let Ok(bundle) = BundleReader::open(&logs) else {
        return Ok(true);
    };
    let heights: BTreeMap<(PublicKey, u64), u64> = dir
        .store
        .read()
        .logs()?
        .into_iter()
        .map(|log| ((log.author, log.log_id), log.height))
        .collect();
    Ok(bundle.manifest().logs.iter().any(|line| {
        line.held.is_some()
            || line.forks.is_some()
            || heights
                .get(&(line.author, line.log_id))
                .is_none_or(|height| *height < line.height)
    }))
}

/// Writes `bytes` to the site file `rel` under `out` through a temporary
/// file beside it and a rename, so that a reader sees the old file or the
/// new one.
fn write_file(out: &Path, rel: &str, bytes: &[u8]) -> Result<(), OutputError> {
    let full = out.join(rel);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| OutputError::Io { path, source }
    };
    let parent = full.parent().unwrap_or(out);
    fs::create_dir_all(parent).map_err(io(parent))?;
    let name = full.file_name().unwrap_or_default().to_string_lossy();
    let temporary = parent.join(format!(".{name}.pandafest-new"));
    fs::write(&temporary, bytes).map_err(io(&temporary))?;
    fs::rename(&temporary, &full).map_err(io(&full))
}

/// Removes the site file `rel` under `out`, and the directories it leaves
/// empty.
fn remove_file(out: &Path, rel: &str) -> Result<(), OutputError> {
    let full = out.join(rel);
    match fs::remove_file(&full) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(OutputError::Io { path: full, source }),
    }
    let mut dir = full.parent();
    while let Some(d) = dir.filter(|d| *d != out) {
        if fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

/// Every file of the site at `out` with the BLAKE3 of its bytes, by its
/// relative `/`-separated path.
pub fn site_hashes(out: &Path) -> BTreeMap<String, blake3::Hash> {
    let paths: Vec<PathBuf> = walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    paths
        .par_iter()
        .filter_map(|path| {
            let bytes = fs::read(path).ok()?;
            let rel = path.strip_prefix(out).ok()?;
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            Some((rel.join("/"), blake3::hash(&bytes)))
        })
        .collect()
}
