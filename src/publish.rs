//! Publishing new operations with a local key. The authoring commands, the
//! sample festival and schedule imports use it; what it signs goes through
//! [`crate::ingest::ingest`] like every other entry.

use crate::entry::{DocumentId, EntryError, KeyPair, OperationId, Previous, sign_next};
use crate::ingest::{RawEntry, Rejection, ingest};
use crate::operation::{Operation, decode_operation, encode_operation};
use crate::store::{Store, StoreError};

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
}

/// Signs operations with one key into the store.
pub struct Publisher<'a> {
    store: &'a mut Store,
    key: &'a KeyPair,
}

impl<'a> Publisher<'a> {
    /// A publisher that signs with `key` into `store`.
    pub fn new(store: &'a mut Store, key: &'a KeyPair) -> Publisher<'a> {
        Publisher { store, key }
    }

    /// The log id for this author's operations about `festival`: the log
    /// whose first operation is about it, or the next free log id. `None`
    /// asks for a new log, for creating a festival.
    ///
    /// Errors: [`StoreError`] if the store cannot be read.
    pub fn log_for(&self, festival: Option<DocumentId>) -> Result<u64, StoreError> {
        let author = self.key.public_key();
        let logs: Vec<_> = self
            .store
            .read()
            .logs()?
            .into_iter()
            .filter(|log| log.author == author)
            .collect();
        if let Some(festival) = festival {
            if let Some(log) = logs.iter().find(|log| log.festival == Some(festival)) {
                return Ok(log.log_id);
            }
        }
        Ok(logs.iter().map(|log| log.log_id + 1).max().unwrap_or(0))
    }

    /// Signs `operation` as the next entry of log `log_id` and ingests it
    /// (a batch of one, see [`Publisher::publish_batch`]). Returns the
    /// operation id.
    ///
    /// Errors: [`PublishError::Invalid`] before anything is signed if the
    /// operation breaks its schema's rules; [`PublishError::Rejected`] if
    /// ingest rejects the entry (for example an update of another author's
    /// document).
    pub fn publish(
        &mut self,
        log_id: u64,
        operation: &Operation,
    ) -> Result<OperationId, PublishError> {
        let ids = self.publish_batch(log_id, std::slice::from_ref(operation))?;
        Ok(ids[0])
    }

    /// Starts a batch of new entries for log `log_id`: each
    /// [`Batch::push`] signs the next entry at once (so its operation id is
    /// known to later operations), and [`Batch::commit`] ingests them all in
    /// one go.
    ///
    /// Errors: [`PublishError::Store`] if the log's head cannot be read.
    pub fn batch(&mut self, log_id: u64) -> Result<Batch<'_, 'a>, PublishError> {
        let author = self.key.public_key();
        let height = self
            .store
            .read()
            .logs()?
            .into_iter()
            .find(|log| log.author == author && log.log_id == log_id)
            .map(|log| log.height)
            .unwrap_or(0);
        Ok(Batch {
            publisher: self,
            log_id,
            height,
            entries: Vec::new(),
        })
    }

    /// Signs `operations` as the next entries of log `log_id` and ingests
    /// them at once. Returns their operation ids, in order.
    ///
    /// Errors: [`PublishError::Invalid`] before anything is stored if an
    /// operation breaks its schema's rules; otherwise as [`Batch::commit`].
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

/// Entries signed in sequence for one log and not yet stored; see
/// [`Publisher::batch`]. Dropping it stores nothing.
pub struct Batch<'p, 'a> {
    publisher: &'p mut Publisher<'a>,
    log_id: u64,
    /// The log's height in the store when the batch began.
    height: u64,
    /// The signed entries: (operation id, entry bytes, payload).
    entries: Vec<(OperationId, Vec<u8>, Vec<u8>)>,
}

impl Batch<'_, '_> {
    /// Validates `operation` and signs it as the log's next entry. Returns
    /// its operation id (the entry hash; a CREATE's document id).
    ///
    /// Errors: [`PublishError::Invalid`] if it breaks its schema's rules
    /// (nothing is signed), [`PublishError::Entry`] if Bamboo refuses,
    /// [`PublishError::Store`] if a linked entry cannot be read.
    pub fn push(&mut self, operation: &Operation) -> Result<OperationId, PublishError> {
        let payload = encode_operation(operation);
        decode_operation(&payload).map_err(|source| PublishError::Invalid {
            index: self.entries.len(),
            source,
        })?;
        let key = self.publisher.key;
        let seq_num = self.height + self.entries.len() as u64;
        let entry = if seq_num == 0 {
            sign_next(key, self.log_id, &payload, None)?
        } else {
            let backlink = self.entry_at(seq_num)?;
            let lipmaa = self.entry_at(bamboo_rs_core_ed25519_yasmf::lipmaa(seq_num + 1))?;
            sign_next(
                key,
                self.log_id,
                &payload,
                Some(Previous {
                    seq_num,
                    backlink_entry: &backlink,
                    lipmaa_entry: &lipmaa,
                }),
            )?
        };
        let id = entry.hash;
        self.entries.push((id, entry.bytes, payload));
        Ok(id)
    }

    /// The encoded entry at `seq_num`: from this batch or from the store.
    fn entry_at(&self, seq_num: u64) -> Result<Vec<u8>, PublishError> {
        if seq_num > self.height {
            return Ok(self.entries[(seq_num - self.height - 1) as usize].1.clone());
        }
        let author = self.publisher.key.public_key();
        self.publisher
            .store
            .read()
            .entry_bytes(&author, self.log_id, seq_num)?
            .ok_or_else(|| {
                PublishError::Entry(EntryError::Publish {
                    reason: format!("seq {seq_num} of log {} is not in the store", self.log_id),
                })
            })
    }

    /// How many entries the batch holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the batch holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Ingests every entry of the batch (one ingest; its transactions hold
    /// up to [`crate::ingest::BATCH`] entries each). `progress` is called with the
    /// number of entries done. Returns the operation ids, in order.
    ///
    /// Errors: [`PublishError::Rejected`] with the first rejection if ingest
    /// refuses an entry (for example an update of another author's document),
    /// [`PublishError::Store`] if SQLite fails.
    pub fn commit(self, progress: impl FnMut(u64)) -> Result<Vec<OperationId>, PublishError> {
        let mut ids = Vec::with_capacity(self.entries.len());
        let mut raw = Vec::with_capacity(self.entries.len());
        for (n, (id, entry, payload)) in self.entries.into_iter().enumerate() {
            ids.push(id);
            raw.push(Ok(RawEntry {
                entry,
                payload: Some(payload),
                origin: format!("local publish, batch item {n}"),
            }));
        }
        if raw.is_empty() {
            return Ok(ids);
        }
        let mut report = ingest(self.publisher.store, raw, progress)?;
        if !report.rejected.is_empty() {
            return Err(PublishError::Rejected(Box::new(report.rejected.remove(0))));
        }
        Ok(ids)
    }
}
