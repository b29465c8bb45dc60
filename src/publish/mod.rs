//! Publishing new operations with a local key. The authoring commands, the
//! sample festival and schedule imports use it; what it signs goes through
//! [`crate::ingest::ingest_within`] like every other entry.
//!
//! One writer per key: a log forks when its key signs two different
//! entries at one seq, so a batch reads the log's head, signs and stores
//! inside one write transaction of the store, and [`Publisher::locked`]
//! (or a caller's [`KeyLock`], see [`Publisher::with_lock`]) holds the
//! lock file beside the key (`<key path>.lock`) so that no other process
//! signs with that key meanwhile, whichever directory it writes to. The key lock is always taken before the store's write lock, never
//! the other way round, so the two cannot deadlock. The log record beside
//! the key (`<key path>.logs`) lists the logs the key signs in every
//! directory, so [`Publisher::log_for`] never gives two festivals one log
//! id, and a directory that lacks entries another directory signed into a
//! log refuses to fork it ([`PublishError::Behind`]).

mod batch;
mod key_lock;

pub use batch::Batch;
pub use key_lock::KeyLock;
pub use std::path::{Path, PathBuf};

use crate::entry::{DocumentId, EntryError, KeyPair, OperationId, PublicKey};
use crate::ingest::Rejection;
use crate::operation::Operation;
use crate::store::{LogState, Store, StoreError};

/// Errors from publishing.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Bamboo refused to sign.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// Ingest rejected the new entry, e.g. an invalid field.
    #[error("the new entry was rejected: {0}")]
    Rejected(Box<Rejection>),
    /// An operation of a batch is invalid; nothing of the batch was stored.
    #[error("operation {index} of the batch is invalid: {source}")]
    Invalid {
        /// Its index in the batch, from 0.
        index: usize,
        /// Why.
        source: crate::operation::OperationError,
    },
    /// The lock file beside the key cannot be opened or locked.
    #[error("cannot lock {path}, the lock file beside the key: {source}")]
    Lock {
        /// `<key path>.lock`.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The log record beside the key cannot be read or written.
    #[error("log record {path}: {source}")]
    RecordIo {
        /// `<key path>.logs` (or its temporary file while it is written).
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line of the log record beside the key is malformed.
    #[error("log record {path} line {line}: {reason}")]
    Record {
        /// `<key path>.logs`.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The key signed further into the log elsewhere (another directory
    /// that uses the same key) than this store holds: signing here would
    /// fork the log.
    #[error(
        "log {log_id} of {author} is signed up to seq {signed} (the key's log record {record} says so: another directory uses this key), but this store holds it only up to seq {stored}; signing here would fork the log, so import that directory's logs first"
    )]
    Behind {
        /// The author.
        author: PublicKey,
        /// The log id.
        log_id: u64,
        /// The highest seq the record knows.
        signed: u64,
        /// The highest seq in this store (0: none).
        stored: u64,
        /// `<key path>.logs`.
        record: PathBuf,
    },
}

/// Signs operations with one key into the store.
pub struct Publisher<'a> {
    store: &'a mut Store,
    key: &'a KeyPair,
    /// The key's lock and log record, for a publisher made with
    /// [`Publisher::locked`] or [`Publisher::with_lock`].
    lock: Option<Held<'a>>,
}

/// The key's lock as a publisher holds it: its own, or a caller's.
enum Held<'a> {
    Owned(KeyLock),
    Borrowed(&'a mut KeyLock),
}

impl Held<'_> {
    fn get(&self) -> &KeyLock {
        match self {
            Held::Owned(lock) => lock,
            Held::Borrowed(lock) => lock,
        }
    }

    fn get_mut(&mut self) -> &mut KeyLock {
        match self {
            Held::Owned(lock) => lock,
            Held::Borrowed(lock) => lock,
        }
    }
}

impl<'a> Publisher<'a> {
    /// A publisher that signs with `key` into `store`, without the lock
    /// beside a key file: for in-memory stores, tests and fixtures whose
    /// keys live nowhere else. Each batch still reads the log's head and
    /// stores its entries in one write transaction.
    pub fn new(store: &'a mut Store, key: &'a KeyPair) -> Publisher<'a> {
        Publisher {
            store,
            key,
            lock: None,
        }
    }

    /// A publisher that signs with `key`, loaded from `key_path`, into
    /// `store`, holding the exclusive lock on `<key_path>.lock` until it
    /// is dropped: another process (or thread) that publishes with the
    /// same key file waits meanwhile, and after 2 s says so on stderr.
    /// Take it before reading what the key published (so what was read
    /// stays true), and do not make a second one for the same key in the
    /// same thread while this one lives: it would wait forever.
    ///
    /// The logs of this key in `store` are noted in the log record
    /// `<key_path>.logs` (created when missing).
    ///
    /// Errors: [`PublishError::Lock`] if the lock file cannot be opened or
    /// locked, [`PublishError::RecordIo`] or [`PublishError::Record`] if
    /// the log record cannot be read or written, [`PublishError::Store`]
    /// if the store cannot be read.
    pub fn locked(
        store: &'a mut Store,
        key: &'a KeyPair,
        key_path: &Path,
    ) -> Result<Publisher<'a>, PublishError> {
        let lock = KeyLock::acquire(key_path)?;
        Publisher::holding(store, key, Held::Owned(lock))
    }

    /// A publisher that signs with `key` into `store` under `lock`, the
    /// caller's lock of that key's file (see [`KeyLock::acquire`]): the
    /// caller holds it across what it reads before and does after
    /// publishing (a command reads the document it updates, and rewrites
    /// `logs/`). The logs of this key in `store` are noted in the log
    /// record.
    ///
    /// Errors: [`PublishError::RecordIo`] if the log record cannot be
    /// written, [`PublishError::Store`] if the store cannot be read.
    pub fn with_lock(
        store: &'a mut Store,
        key: &'a KeyPair,
        lock: &'a mut KeyLock,
    ) -> Result<Publisher<'a>, PublishError> {
        Publisher::holding(store, key, Held::Borrowed(lock))
    }

    fn holding(
        store: &'a mut Store,
        key: &'a KeyPair,
        mut held: Held<'a>,
    ) -> Result<Publisher<'a>, PublishError> {
        let lock = held.get_mut();
        let author = key.public_key();
        let mut changed = false;
        for log in store
            .read()
            .logs()?
            .into_iter()
            .filter(|l| l.author == author)
        {
            changed |= lock.note(log.log_id, log.festival, log.height);
        }
        if changed {
            lock.save()?;
        }
        Ok(Publisher {
            store,
            key,
            lock: Some(held),
        })
    }

    /// The store, for reading what is there while the publisher holds the
    /// key's lock.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// The log id for this author's operations about `festival`: the log
    /// of this store whose first operation is about it, else the log the
    /// key's log record gives it (a locked publisher only), else the next
    /// log id that neither the store nor the record uses. `None` asks for
    /// a new log, for creating a festival.
    ///
    /// Errors: [`PublishError::Store`] if the store cannot be read.
    pub fn log_for(&self, festival: Option<DocumentId>) -> Result<u64, PublishError> {
        let logs = self.own_logs()?;
        Ok(self
            .festival_log(&logs, festival)
            .unwrap_or_else(|| self.next_free(&logs)))
    }

    /// The log id for this author's profile: the log of `festival` when
    /// this key has one (so the profile travels with the festival), else
    /// the lowest log of this store that belongs to no festival and is
    /// neither forked nor ended (the sample festival's people publish
    /// their profile first, into log 0), else a new log as
    /// [`Publisher::log_for`] gives for `None`. A profile never opens a
    /// festival's log: a log's festival comes from its first operation,
    /// and a profile names none.
    ///
    /// Errors: [`PublishError::Store`] if the store cannot be read.
    pub fn profile_log(&self, festival: Option<DocumentId>) -> Result<u64, PublishError> {
        let logs = self.own_logs()?;
        if let Some(log_id) = self.festival_log(&logs, festival) {
            return Ok(log_id);
        }
        let profile = logs.iter().find(|log| {
            log.festival.is_none() && log.forked_at.is_none() && log.ended_at.is_none()
        });
        Ok(profile.map_or_else(|| self.next_free(&logs), |log| log.log_id))
    }

    /// This author's logs in the store, by log id.
    fn own_logs(&self) -> Result<Vec<LogState>, StoreError> {
        let author = self.key.public_key();
        Ok(self
            .store
            .read()
            .logs()?
            .into_iter()
            .filter(|log| log.author == author)
            .collect())
    }

    /// The log of `festival` among this author's `logs`, else in the
    /// key's log record.
    fn festival_log(&self, logs: &[LogState], festival: Option<DocumentId>) -> Option<u64> {
        let festival = festival?;
        let stored = logs.iter().find(|log| log.festival == Some(festival));
        stored.map(|log| log.log_id).or_else(|| {
            self.lock
                .as_ref()
                .and_then(|lock| lock.get().festival_log(festival))
        })
    }

    /// The lowest log id above every one in `logs` and in the record.
    fn next_free(&self, logs: &[LogState]) -> u64 {
        let stored = logs.iter().map(|log| log.log_id + 1).max().unwrap_or(0);
        let recorded = self.lock.as_ref().map_or(0, |lock| lock.get().next_free());
        stored.max(recorded)
    }

    /// Signs `operation` as the next entry of log `log_id` and ingests it
    /// (a batch of one, see [`Publisher::publish_batch`]). Returns the
    /// operation id.
    ///
    /// Errors: [`PublishError::Invalid`] before anything is signed if the
    /// operation breaks its schema's rules; [`PublishError::Rejected`] if
    /// ingest rejects the entry (for example an update of another author's
    /// document); otherwise as [`Publisher::batch`].
    pub fn publish(
        &mut self,
        log_id: u64,
        operation: &Operation,
    ) -> Result<OperationId, PublishError> {
        let ids = self.publish_batch(log_id, std::slice::from_ref(operation))?;
        Ok(ids[0])
    }

    /// Signs `operations` as the next entries of log `log_id` and ingests
    /// them at once. Returns their operation ids, in order.
    ///
    /// Errors: [`PublishError::Invalid`] before anything is stored if an
    /// operation breaks its schema's rules; otherwise as
    /// [`Publisher::batch`] and [`Batch::commit`].
    pub fn publish_batch(
        &mut self,
        log_id: u64,
        operations: &[Operation],
    ) -> Result<Vec<OperationId>, PublishError> {
        let mut batch = self.batch(log_id)?;
        for operation in operations {
            batch.push(operation)?;
        }
        batch.commit(|_| {})
    }
}

#[cfg(test)]
mod tests;
