//! `pandafest fork`: next year's festival from an archive.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use chrono::Duration;
use indicatif::ProgressBar;

use super::{ArchiveError, ArchiveSource, ImportSummary, import_archive};
use crate::bundle::write_bundle;
use crate::entry::{DocumentId, KeyPair, key_path};
use crate::festival_dir::{CONFIG_FILE, Config, FestivalDir};
use crate::materialize::{Model, RequestState, materialize};
use crate::operation::{
    AuthorizationFields, Decision, EventFields, FestivalFields, Fields, ForkedFrom, Operation,
    ResourceFields,
};
use crate::publish::Publisher;
use crate::render::{RenderError, choose_festival};

/// What a fork did.
#[derive(Debug)]
pub struct ForkSummary {
    /// The import of the source.
    pub import: ImportSummary,
    /// The new festival's document id.
    pub festival: DocumentId,
    /// The festival it was forked from.
    pub source_festival: DocumentId,
    /// Festivals, resources, events and authorizations published.
    pub published: (usize, usize, usize, usize),
}

/// Forks the festival of `source` into the festival directory `into`:
/// imports the source's logs (kept as they are, so the provenance stays
/// verifiable), then publishes with `into`'s key (made if missing) a new
/// festival named `name` whose `forked_from` pins the source festival's
/// document and version, and clones of its nested festivals, resources and
/// events, each recording the original it was derived from. Times move by
/// `shift`. Requests are re-created for the cloned resources, which the
/// forker owns, and confirmed or denied where the original was.
/// `pandafest.toml` then names the new festival.
///
/// Errors: [`ArchiveError`]; [`ArchiveError::NoFestival`] if the source
/// holds none.
pub fn fork_archive(
    source: &ArchiveSource,
    into: &Path,
    name: &str,
    shift: Duration,
    progress: ProgressBar,
) -> Result<ForkSummary, ArchiveError> {
    let import = import_archive(source, into, progress)?;
    let mut dir = FestivalDir::open(into)?;
    let key_file = key_path(into);
    let key = if key_file.exists() {
        KeyPair::load(&key_file).map_err(crate::festival_dir::DirError::from)?
    } else {
        let key = KeyPair::generate().map_err(crate::festival_dir::DirError::from)?;
        key.save(&key_file)
            .map_err(crate::festival_dir::DirError::from)?;
        key
    };
    let logs_dir = dir.logs_dir();
    // The key's lock is held until logs/ is rewritten: another process
    // that publishes with this key waits.
    let mut publisher = Publisher::locked(&mut dir.store, &key, &key_file)?;
    let model = materialize(publisher.store())?;
    let configured = source.bundle.manifest().site.as_ref().map(|s| s.festival);
    let original = choose_festival(&model, configured).map_err(|e| match e {
        RenderError::NoFestival => ArchiveError::NoFestival,
        // The festival the site record names is not among the valid logs.
        other => ArchiveError::Render(other),
    })?;
    let mut cloner = Cloner {
        model: &model,
        shift,
        festivals: BTreeMap::new(),
        resources: BTreeMap::new(),
        counts: (0, 0, 0, 0),
    };
    let festival = cloner.publish(&mut publisher, original, name, source.url())?;
    write_bundle(publisher.store(), &logs_dir)?;
    drop(publisher);
    let day_change = source
        .bundle
        .manifest()
        .site
        .as_ref()
        .map(|s| s.day_change.clone());
    let config = Config {
        festival: Some(festival),
        day_change: day_change.or(dir.config.day_change.clone()),
        ..dir.config.clone()
    };
    let path = into.join(CONFIG_FILE);
    fs::write(&path, toml::to_string(&config).expect("config serializes"))
        .map_err(|source| ArchiveError::Io { path, source })?;
    Ok(ForkSummary {
        import,
        festival,
        source_festival: original,
        published: cloner.counts,
    })
}

struct Cloner<'a> {
    model: &'a Model,
    shift: Duration,
    festivals: BTreeMap<DocumentId, DocumentId>,
    resources: BTreeMap<DocumentId, DocumentId>,
    counts: (usize, usize, usize, usize),
}

impl Cloner<'_> {
    fn publish(
        &mut self,
        publisher: &mut Publisher<'_>,
        original: DocumentId,
        name: &str,
        archive_url: Option<&str>,
    ) -> Result<DocumentId, ArchiveError> {
        let model = self.model;
        let log_id = publisher.log_for(None)?;
        // One batch: an operation that breaks its schema's rules (a date
        // shifted past year 9999) stops the fork before anything is stored.
        let mut batch = publisher.batch(log_id)?;
        let tree = crate::feeds::festival_tree(model, original);
        for id in &tree {
            let f = &model.festivals[id];
            let fields = FestivalFields {
                name: if *id == original {
                    name.to_owned()
                } else {
                    f.name.clone()
                },
                description: f.description.clone(),
                start: self.shifted(f.start, f.id)?,
                end: self.shifted(f.end, f.id)?,
                time_zone: f.time_zone.name().to_owned(),
                parent: f.parent.and_then(|p| self.festivals.get(&p).copied()),
                forked_from: (*id == original).then(|| ForkedFrom {
                    festival: f.id,
                    version: f.version.id,
                    archive_url: archive_url.map(str::to_owned),
                }),
                source: None,
                acronym: None,
                days: None,
            };
            let clone = batch.push(&Operation::create(Fields::Festival(fields)))?;
            self.festivals.insert(*id, clone);
            self.counts.0 += 1;
        }
        for resource in model
            .resources
            .values()
            .filter(|r| self.festivals.contains_key(&r.festival))
        {
            let fields = ResourceFields {
                festival: self.festivals[&resource.festival],
                title: resource.title.clone(),
                description: resource.description.clone(),
                kind: resource.kind,
                location: resource.location.clone(),
                policy: resource.policy,
                derived_from: Some(resource.id),
                source: None,
            };
            let clone = batch.push(&Operation::create(Fields::Resource(fields)))?;
            self.resources.insert(resource.id, clone);
            self.counts.1 += 1;
        }
        let events = model
            .events
            .values()
            .filter(|e| !e.version.deleted && self.festivals.contains_key(&e.festival));
        for event in events {
            let requests: Vec<_> = event
                .requests
                .iter()
                .filter(|r| self.resources.contains_key(&r.resource))
                .collect();
            let fields = EventFields {
                festival: self.festivals[&event.festival],
                title: event.title.clone(),
                description: event.description.clone(),
                start: self.shifted(event.start, event.id)?,
                end: self.shifted(event.end, event.id)?,
                resources: requests
                    .iter()
                    .map(|r| self.resources[&r.resource])
                    .collect(),
                tags: event.tags.clone(),
                links: event.links.clone(),
                subtitle: event.subtitle.clone(),
                summary: event.summary.clone(),
                language: event.language.clone(),
                persons: Some(event.persons.clone()).filter(|p| !p.is_empty()),
                derived_from: Some(event.id),
                source: None,
                // Track and type stay; the clone is a new event, so the
                // original's page elsewhere is not its page.
                track: event.track.clone(),
                kind: event.kind.clone(),
                url: None,
                // The speakers' opt-out stays with their event.
                do_not_record: event.do_not_record.then_some(true),
            };
            let clone = batch.push(&Operation::create(Fields::Event(fields)))?;
            self.counts.2 += 1;
            for request in requests {
                let decision = match request.state {
                    RequestState::Confirmed => Decision::Confirmed,
                    RequestState::Denied => Decision::Denied,
                    _ => continue,
                };
                let fields = AuthorizationFields {
                    event: clone,
                    event_version: clone,
                    resource: self.resources[&request.resource],
                    decision,
                    note: request.note.clone().unwrap_or_default(),
                };
                batch.push(&Operation::create(Fields::Authorization(fields)))?;
                self.counts.3 += 1;
            }
        }
        batch.commit(|_| {})?;
        Ok(self.festivals[&original])
    }

    /// `at` moved by the shift, as RFC 3339.
    ///
    /// Errors: [`ArchiveError::ShiftOutOfRange`] naming `document` if the
    /// result falls outside what chrono can hold.
    fn shifted(
        &self,
        at: chrono::DateTime<chrono::FixedOffset>,
        document: DocumentId,
    ) -> Result<String, ArchiveError> {
        at.checked_add_signed(self.shift)
            .map(|t| t.to_rfc3339())
            .ok_or_else(|| ArchiveError::ShiftOutOfRange {
                document,
                at: at.to_rfc3339(),
            })
    }
}
