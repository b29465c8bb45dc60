//! Publishing new operations with a local key. The authoring commands, the
//! sample festival and schedule imports use it; what it signs goes through
//! [`crate::ingest::ingest`] like every other entry.

use crate::entry::{DocumentId, EntryError, KeyPair, OperationId, Previous, sign_next};
use crate::ingest::{RawEntry, Rejection, ingest};
use crate::operation::{Operation, encode_operation};
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

    /// Signs `operation` as the next entry of log `log_id` and ingests it.
    /// Returns the operation id.
    ///
    /// Errors: [`PublishError::Rejected`] if ingest rejects it (the entry is
    /// then not stored, or stored with its operation marked invalid).
    pub fn publish(
        &mut self,
        log_id: u64,
        operation: &Operation,
    ) -> Result<OperationId, PublishError> {
        let author = self.key.public_key();
        let payload = encode_operation(operation);
        let reader = self.store.read();
        let height = reader
            .logs()?
            .into_iter()
            .find(|log| log.author == author && log.log_id == log_id)
            .map(|log| log.height)
            .unwrap_or(0);
        let entry = if height == 0 {
            sign_next(self.key, log_id, &payload, None)?
        } else {
            let lipmaa_seq = bamboo_rs_core_ed25519_yasmf::lipmaa(height + 1);
            let missing = |seq| {
                PublishError::Entry(EntryError::Publish {
                    reason: format!("seq {seq} of log {log_id} is not in the store"),
                })
            };
            let backlink = reader
                .entry_bytes(&author, log_id, height)?
                .ok_or_else(|| missing(height))?;
            let lipmaa = reader
                .entry_bytes(&author, log_id, lipmaa_seq)?
                .ok_or_else(|| missing(lipmaa_seq))?;
            sign_next(
                self.key,
                log_id,
                &payload,
                Some(Previous {
                    seq_num: height,
                    backlink_entry: &backlink,
                    lipmaa_entry: &lipmaa,
                }),
            )?
        };
        let id = entry.hash;
        let raw = RawEntry {
            entry: entry.bytes,
            payload,
            origin: "local publish".into(),
        };
        let mut report = ingest(self.store, [Ok(raw)], |_| {})?;
        if let Some(rejection) = report.rejected.pop() {
            return Err(PublishError::Rejected(Box::new(rejection)));
        }
        Ok(id)
    }
}
