//! A festival directory opened for authoring with its key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;

use super::AuthorError;
use super::ids::what;
use crate::bundle::{BundleReader, update_bundle};
use crate::entry::{DocumentId, KeyPair, OperationId, PublicKey, key_path};
use crate::festival_dir::FestivalDir;
use crate::ingest::ingest;
use crate::operation::{Action, Fields, Operation, SchemaId, decode_operation};
use crate::publish::{KeyLock, PublishError, Publisher};

/// A festival directory with the author key that signs in it.
pub struct Session {
    /// The directory, with its settings and store.
    pub dir: FestivalDir,
    key: Option<KeyPair>,
    key_path: PathBuf,
    /// The key's lock, held from opening to dropping the session (with
    /// the key).
    lock: Option<KeyLock>,
}

/// A document's current state, read from the store.
pub(super) struct Current {
    /// Its id.
    pub id: DocumentId,
    /// Its author (the creator).
    pub author: PublicKey,
    /// The log its operations are in.
    pub log_id: u64,
    /// The operation id of its current version.
    pub version: OperationId,
    /// Whether the current version deleted it.
    pub deleted: bool,
    /// The fields of its latest version that has fields.
    pub fields: Fields,
}

impl Session {
    /// Opens the festival directory `root` with the key at `key` (default
    /// `root/.pandafest/key`), and brings into the store whatever the
    /// directory's `logs/` bundle holds that the store lacks (a fresh
    /// clone, or bundle files copied in). The session holds the key's lock
    /// (`<key>.lock`, see [`KeyLock`]) until it is dropped, so what it
    /// reads stays true until it publishes and rewrites `logs/`: another
    /// process that signs with the key waits meanwhile. A long-running
    /// process should open a session per turn.
    ///
    /// Errors: [`AuthorError::NoKey`] if there is no key file,
    /// [`AuthorError::Key`] if it cannot be read, [`AuthorError::Dir`] if
    /// the directory, its settings or its bundle cannot be read.
    pub fn open(root: &Path, key: Option<&Path>) -> Result<Session, AuthorError> {
        let key_path = key.map_or_else(|| key_path(root), Path::to_path_buf);
        let mut dir = FestivalDir::open(root)?;
        if !key_path.exists() {
            return Err(AuthorError::NoKey { path: key_path });
        }
        let key = Some(KeyPair::load(&key_path)?);
        let lock = Some(KeyLock::acquire(&key_path)?);
        catch_up(&mut dir)?;
        Ok(Session {
            dir,
            key,
            key_path,
            lock,
        })
    }

    /// Opens `root` as [`Session::open`] does, for reading only (`ls`): a
    /// missing key is no error, and the commands that need one return
    /// [`AuthorError::NoKey`].
    ///
    /// Errors: as [`Session::open`], but for the missing key.
    pub fn open_to_read(root: &Path, key: Option<&Path>) -> Result<Session, AuthorError> {
        match Session::open(root, key) {
            Err(AuthorError::NoKey { path }) => {
                let mut dir = FestivalDir::open(root)?;
                catch_up(&mut dir)?;
                Ok(Session {
                    dir,
                    key: None,
                    key_path: path,
                    lock: None,
                })
            }
            other => other,
        }
    }

    /// This session's public key.
    ///
    /// Errors: [`AuthorError::NoKey`] if it was opened without one.
    pub fn public_key(&self) -> Result<PublicKey, AuthorError> {
        Ok(self.signer()?.public_key())
    }

    /// The key pair, for library users that publish on their own; `None`
    /// when opened with [`Session::open_to_read`] and there is no key.
    pub fn key(&self) -> Option<&KeyPair> {
        self.key.as_ref()
    }

    fn signer(&self) -> Result<&KeyPair, AuthorError> {
        self.key.as_ref().ok_or_else(|| AuthorError::NoKey {
            path: self.key_path.clone(),
        })
    }

    /// The key file.
    pub fn key_path(&self) -> &Path {
        &self.key_path
    }

    /// Signs `operations` as the next entries of this key's log `log_id`,
    /// stores them through ingest and rewrites `logs/` for that log.
    /// Returns their operation ids.
    ///
    /// Errors: [`AuthorError::Invalid`] if an operation breaks its schema's
    /// rules (nothing is published), [`AuthorError::Publish`] if signing or
    /// storing fails, [`AuthorError::Bundle`] if `logs/` cannot be written.
    pub fn publish(
        &mut self,
        log_id: u64,
        operations: &[Operation],
    ) -> Result<Vec<OperationId>, AuthorError> {
        let logs_dir = self.dir.logs_dir();
        let me = self.public_key()?;
        let mut publisher = self.publisher()?;
        let ids = match publisher.publish_batch(log_id, operations) {
            Err(PublishError::Invalid { source, .. }) => {
                return Err(AuthorError::Invalid(source));
            }
            other => other?,
        };
        let changed = BTreeSet::from([(me, log_id)]);
        update_bundle(publisher.store(), &logs_dir, &changed)?;
        Ok(ids)
    }

    /// The log this key writes operations about `festival` into: the log
    /// whose first operation is about it, or a new one. `None` asks for a
    /// new log (for a new festival).
    ///
    /// Errors: [`AuthorError::Publish`] if the store, the key's lock or
    /// its log record cannot be read.
    pub fn log_for(&mut self, festival: Option<DocumentId>) -> Result<u64, AuthorError> {
        // The key's log record knows the log ids other directories that
        // use this key gave out.
        let publisher = self.publisher()?;
        Ok(publisher.log_for(festival)?)
    }

    /// The log this key writes its profile into: see
    /// [`Publisher::profile_log`].
    ///
    /// Errors: as [`Session::log_for`].
    pub fn profile_log(&mut self, festival: Option<DocumentId>) -> Result<u64, AuthorError> {
        let publisher = self.publisher()?;
        Ok(publisher.profile_log(festival)?)
    }

    /// A publisher that signs with this session's key under its lock.
    fn publisher(&mut self) -> Result<Publisher<'_>, AuthorError> {
        let (Some(key), Some(lock)) = (self.key.as_ref(), self.lock.as_mut()) else {
            return Err(AuthorError::NoKey {
                path: self.key_path.clone(),
            });
        };
        Ok(Publisher::with_lock(&mut self.dir.store, key, lock)?)
    }

    /// The current state of the document `id` of `schema`.
    ///
    /// Errors: [`AuthorError::UnknownId`] if the store has no such document.
    pub(super) fn current(
        &self,
        schema: SchemaId,
        id: &DocumentId,
    ) -> Result<Current, AuthorError> {
        let reader = self.dir.store.read();
        let unknown = || AuthorError::UnknownId {
            what: what(schema),
            text: id.to_string(),
            hint: String::new(),
        };
        let operations = reader.document_operations(id)?;
        let first = operations
            .first()
            .filter(|op| op.id == *id)
            .ok_or_else(unknown)?;
        let (author, log_id) = (first.author, first.log_id);
        let last = operations.last().expect("the CREATE at least");
        let mut fields = None;
        let mut deleted = false;
        for (n, op) in operations.iter().enumerate().rev() {
            let payload = reader
                .payload_at(&op.author, op.log_id, op.seq_num)?
                .unwrap_or_default();
            let Ok(operation) = decode_operation(&payload) else {
                continue;
            };
            if operation.schema != schema {
                return Err(unknown());
            }
            if n + 1 == operations.len() {
                deleted = operation.action == Action::Delete;
            }
            if let Some(f) = operation.fields {
                fields = Some(f);
                break;
            }
        }
        Ok(Current {
            id: *id,
            author,
            log_id,
            version: last.id,
            deleted,
            fields: fields.ok_or_else(unknown)?,
        })
    }

    /// A document's title (a festival's or profile's name) for messages;
    /// `?` parts when it cannot be read.
    ///
    /// Errors: [`AuthorError::Store`] if the store fails.
    pub(super) fn title_of(&self, id: &DocumentId) -> Result<String, AuthorError> {
        let Some(schema) = self.dir.store.read().document_schema(id)? else {
            return Ok("?".into());
        };
        Ok(match self.current(schema, id).map(|c| c.fields) {
            Ok(Fields::Festival(f)) => f.name,
            Ok(Fields::Resource(f)) => f.title,
            Ok(Fields::Event(f)) => f.title,
            Ok(Fields::Profile(f)) => f.display_name,
            Ok(Fields::Authorization(f)) => format!("decision on {}", f.event),
            Err(_) => "?".into(),
        })
    }

    /// The festival a command is about: `given` (an id or prefix), else
    /// `pandafest.toml`'s `festival`, else the only root festival in the
    /// store.
    ///
    /// Errors: [`AuthorError::UnknownId`] for an unknown `given`,
    /// [`AuthorError::NoFestival`] when none is named and the store holds
    /// no root festival or several (they are listed).
    pub fn festival(&self, given: Option<&str>) -> Result<DocumentId, AuthorError> {
        if let Some(text) = given {
            return self.resolve(SchemaId::Festival, text);
        }
        if let Some(id) = self.dir.config.festival {
            return Ok(id);
        }
        let mut roots = BTreeMap::new();
        for id in self.dir.store.read().documents_of(SchemaId::Festival)? {
            if let Ok(current) = self.current(SchemaId::Festival, &id)
                && let Fields::Festival(f) = current.fields
                && f.parent.is_none()
                && !current.deleted
            {
                roots.insert(id, (f.name, current.author));
            }
        }
        match roots.len() {
            1 => Ok(*roots.keys().next().expect("one")),
            0 => Err(AuthorError::NoFestival(
                "this directory holds no festival yet: start one with `pandafest festival create`, or import one with `pandafest import`".into(),
            )),
            _ => {
                let list: Vec<String> = roots
                    .iter()
                    .map(|(id, (name, author))| format!("  {id}  {name} (by {author})"))
                    .collect();
                Err(AuthorError::NoFestival(format!(
                    "this directory holds several festivals; choose one with --festival ID or `festival = \"ID\"` in pandafest.toml:\n{}",
                    list.join("\n")
                )))
            }
        }
    }
}

/// Ingests the logs of `dir`'s bundle that the store holds fewer entries of
/// than the manifest lists.
pub(crate) fn catch_up(dir: &mut FestivalDir) -> Result<(), AuthorError> {
    let logs = dir.logs_dir();
    if !logs.join("manifest.json").is_file() {
        return Ok(());
    }
    let bundle = BundleReader::open(&logs).map_err(crate::festival_dir::DirError::from)?;
    let heights: BTreeMap<_, _> = dir
        .store
        .read()
        .logs()?
        .into_iter()
        .map(|log| ((log.author, log.log_id), log.height))
        .collect();
    let behind: Vec<_> = bundle
        .manifest()
        .logs
        .iter()
        // A log with held entries or fork proofs is read again (ingest
        // skips what the store has). Otherwise the store is taken to hold a
        // log once it is as high: `logs/` is written from this store, and
        // hashing every log file on every command would read every log
        // (`import` and `build` do compare the files).
        .filter(|log| {
            log.held.is_some()
                || log.forks.is_some()
                || heights
                    .get(&(log.author, log.log_id))
                    .is_none_or(|h| *h < log.height)
        })
        .collect();
    if behind.is_empty() {
        return Ok(());
    }
    tracing::info!(logs = behind.len(), "bringing logs/ into the store");
    let progress = ProgressBar::hidden();
    let report = ingest(&mut dir.store, bundle.entries_of(behind.into_iter()), |n| {
        progress.set_position(n)
    })?;
    for line in report.lines().iter().filter(|_| !report.is_clean()) {
        tracing::warn!("{line}");
    }
    Ok(())
}
