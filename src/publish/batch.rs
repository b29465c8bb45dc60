//! A batch of entries signed for one log inside one write transaction:
//! the head is read, the entries are signed and ingested, and all of it
//! commits at once, so no other writer can put an entry at the same seq.

use super::key_lock::KeyLock;
use super::{PublishError, Publisher};
use crate::entry::{EntryError, KeyPair, OperationId, Previous, sign_next};
use crate::ingest::{RawEntry, ingest_within};
use crate::operation::{Operation, decode_operation, encode_operation};
use crate::store::Tx;

impl<'a> Publisher<'a> {
    /// Starts a batch of new entries for log `log_id`. It opens the
    /// store's write transaction (waiting up to the store's busy timeout
    /// for another writer) and reads the log's head inside it; each
    /// [`Batch::push`] signs the next entry at once (so its operation id is
    /// known to later operations), and [`Batch::commit`] ingests them all
    /// and commits. Other writers of the store wait until then, so build a
    /// batch without pauses.
    ///
    /// Errors: [`PublishError::Store`] if the transaction cannot begin or
    /// the head cannot be read; for a locked publisher,
    /// [`PublishError::Behind`] if the key's log record knows a higher seq
    /// of the log than this store holds.
    pub fn batch(&mut self, log_id: u64) -> Result<Batch<'_, 'a>, PublishError> {
        let author = self.key.public_key();
        // Durable: an entry this key signed may leave the machine as soon as
        // the batch returns; a power cut must not take it back.
        let tx = self.store.begin_durable_write()?;
        let state = tx.log_state(&author, log_id)?;
        let height = state.as_ref().map_or(0, |log| log.height);
        if let Some(lock) = self.lock.as_ref().map(|held| held.get()) {
            let festival = state.as_ref().and_then(|log| log.festival);
            let recorded = lock.get(log_id);
            // A log recorded for another festival was given out twice
            // before the record existed: its heights are not comparable.
            let same_log = recorded.is_some_and(|r| state.is_none() || r.festival == festival);
            if let Some(recorded) = recorded.filter(|r| same_log && r.height > height) {
                return Err(PublishError::Behind {
                    author,
                    log_id,
                    signed: recorded.height,
                    stored: height,
                    record: lock.record_path().to_owned(),
                });
            }
        }
        Ok(Batch {
            tx,
            key: self.key,
            lock: self.lock.as_mut().map(|held| held.get_mut()),
            log_id,
            height,
            entries: Vec::new(),
        })
    }
}

/// Entries signed in sequence for one log and not yet stored; see
/// [`Publisher::batch`]. It holds the store's write transaction until
/// [`Batch::commit`]; dropping it stores nothing.
pub struct Batch<'p, 'a> {
    tx: Tx<'p>,
    key: &'a KeyPair,
    /// The key's lock and log record, for a locked publisher.
    lock: Option<&'p mut KeyLock>,
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
        let seq_num = self.height + self.entries.len() as u64;
        let entry = if seq_num == 0 {
            sign_next(self.key, self.log_id, &payload, None)?
        } else {
            let backlink = self.entry_at(seq_num)?;
            let lipmaa = self.entry_at(bamboo_rs_core_ed25519_yasmf::lipmaa(seq_num + 1))?;
            sign_next(
                self.key,
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
        let author = self.key.public_key();
        let stored = self.tx.entry_at(&author, self.log_id, seq_num)?;
        stored.map(|entry| entry.bytes).ok_or_else(|| {
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

    /// Ingests every entry of the batch inside its write transaction and
    /// commits: all of them are stored, or none. `progress` is called with
    /// the number of entries done. A locked publisher then notes the log's
    /// new head in the key's log record. Returns the operation ids, in
    /// order.
    ///
    /// Errors: [`PublishError::Rejected`] with the first rejection if ingest
    /// refuses an entry (for example an update of another author's
    /// document; nothing is stored), [`PublishError::Store`] if SQLite
    /// fails. A log record that cannot be written is only warned about:
    /// the entries are stored by then, and the next locked publisher notes
    /// them from the store.
    pub fn commit(self, progress: impl FnMut(u64)) -> Result<Vec<OperationId>, PublishError> {
        let mut ids = Vec::with_capacity(self.entries.len());
        let mut raw = Vec::with_capacity(self.entries.len());
        for (n, (id, entry, payload)) in self.entries.into_iter().enumerate() {
            ids.push(id);
            raw.push(RawEntry {
                entry,
                payload: Some(payload),
                origin: format!("local publish, batch item {n}"),
            });
        }
        if raw.is_empty() {
            return Ok(ids);
        }
        let report = ingest_within(&self.tx, raw, progress)?;
        if let Some(first) = report.rejected.first() {
            return Err(PublishError::Rejected(Box::new(first.clone())));
        }
        let author = self.key.public_key();
        let state = self.tx.log_state(&author, self.log_id)?;
        self.tx.commit()?;
        if let (Some(lock), Some(state)) = (self.lock, state)
            && lock.note(self.log_id, state.festival, state.height)
            && let Err(error) = lock.save()
        {
            tracing::warn!("{error}");
        }
        Ok(ids)
    }
}
