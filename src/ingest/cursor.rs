//! What ingest keeps in memory about each log it touches, so the common
//! case (the next entry of a log) needs no query.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::fork::{ProofKey, key_of};
use crate::entry::{DocumentId, Entry, Hash, PublicKey, decode_entry};
use crate::store::{ForkProof, LogState, StoreError, Tx};

/// A held entry: valid, but not (yet) part of its log's trusted run.
pub(super) struct HeldEntry {
    pub entry: Entry,
    /// Whether its payload is stored; an entry that came only inside a
    /// fork proof has none, and can never join the log.
    pub has_payload: bool,
}

/// One log: its trusted run (entries 1 to `height`, every one below the
/// fork point) and the entries it holds.
#[derive(Default)]
pub(super) struct LogCursor {
    /// The log: (author, log id).
    pub key: Option<(PublicKey, u64)>,
    pub height: u64,
    pub head: Option<Hash>,
    pub ended_at: Option<u64>,
    pub forked_at: Option<u64>,
    pub festival: Option<DocumentId>,
    /// Hashes of the stored entries this ingest has seen, by seq num.
    pub hashes: HashMap<u64, Hash>,
    pub dirty: bool,
    /// Held entries by seq num, each seq's in hash order.
    pub held: BTreeMap<u64, Vec<HeldEntry>>,
    pub held_len: usize,
    /// How many held entries end the log.
    pub held_ends: usize,
    /// The key of the log's fork proof.
    pub proof: Option<ProofKey>,
}

impl LogCursor {
    /// The hash of the stored entry at `seq`, if any.
    pub fn main_hash(&mut self, tx: &Tx<'_>, seq: u64) -> Result<Option<Hash>, StoreError> {
        if seq == self.height {
            return Ok(self.head);
        }
        if let Some(hash) = self.hashes.get(&seq) {
            return Ok(Some(*hash));
        }
        let Some((author, log_id)) = self.key else {
            return Ok(None);
        };
        Ok(tx.entry_at(&author, log_id, seq)?.map(|e| e.hash))
    }

    /// Adds a held entry in memory.
    pub fn add_held(&mut self, held: HeldEntry) {
        self.held_len += 1;
        self.held_ends += held.entry.is_end_of_log as usize;
        let group = self.held.entry(held.entry.seq_num).or_default();
        let at = group.partition_point(|h| h.entry.hash < held.entry.hash);
        group.insert(at, held);
    }

    /// Removes a held entry from memory.
    pub fn remove_held(&mut self, seq: u64, hash: Hash) -> Option<HeldEntry> {
        let group = self.held.get_mut(&seq)?;
        let at = group.iter().position(|h| h.entry.hash == hash)?;
        let held = group.remove(at);
        if group.is_empty() {
            self.held.remove(&seq);
        }
        self.held_len -= 1;
        self.held_ends -= held.entry.is_end_of_log as usize;
        Some(held)
    }

    /// The held entry with the greatest (seq num, hash).
    pub fn last_held(&self) -> Option<&HeldEntry> {
        self.held.values().next_back().and_then(|g| g.last())
    }
}

/// How many entries the store holds, per log and in all, with the log that
/// holds the most at hand.
#[derive(Default)]
pub(super) struct HeldCounts {
    by_log: HashMap<(PublicKey, u64), usize>,
    /// (count, log) of every log that holds entries.
    order: BTreeSet<(usize, (PublicKey, u64))>,
    total: u64,
}

impl HeldCounts {
    /// Entries held in all logs.
    pub fn total(&self) -> u64 {
        self.total
    }

    fn set(&mut self, log: (PublicKey, u64), count: usize) {
        if let Some(old) = self.by_log.remove(&log) {
            self.order.remove(&(old, log));
            self.total -= old as u64;
        }
        if count > 0 {
            self.by_log.insert(log, count);
            self.order.insert((count, log));
            self.total += count as u64;
        }
    }

    /// One more entry held by `log`.
    pub fn add(&mut self, log: (PublicKey, u64)) {
        let count = self.by_log.get(&log).copied().unwrap_or(0);
        self.set(log, count + 1);
    }

    /// One entry fewer held by `log`.
    pub fn remove(&mut self, log: (PublicKey, u64)) {
        let count = self.by_log.get(&log).copied().unwrap_or(0);
        self.set(log, count.saturating_sub(1));
    }

    /// The log holding the most entries (the greatest key among equals),
    /// and how many.
    pub fn largest(&self) -> Option<((PublicKey, u64), usize)> {
        self.order.last().map(|(count, log)| (*log, *count))
    }
}

/// What an ingest knows beyond single logs.
#[derive(Default)]
pub(super) struct Shared {
    /// How many entries the store holds, per log and in all.
    pub held: HeldCounts,
    /// Logs whose held entries changed behind their cursors (an entry let
    /// go at the store's bound): their cursors are read again.
    pub stale: Vec<(PublicKey, u64)>,
    /// The proofs this ingest stored, by log: a later one replaces an
    /// earlier one of the same log.
    pub found: BTreeMap<(PublicKey, u64), ForkProof>,
}

/// The cursors of every log an ingest touches, and what they share.
#[derive(Default)]
pub(super) struct Cursors {
    logs: HashMap<(PublicKey, u64), LogCursor>,
    /// The store's data version when the last batch began.
    data_version: Option<i64>,
    pub shared: Shared,
}

impl Cursors {
    /// Starts a batch: if another connection wrote to the store since the
    /// last batch began, what the cursors hold may be stale, and they are
    /// read again from the store as they are needed.
    pub fn begin(&mut self, tx: &Tx<'_>) -> Result<(), StoreError> {
        let version = tx.data_version()?;
        if self.data_version != Some(version) {
            self.logs.clear();
            self.shared.held = HeldCounts::default();
            for (log, count) in tx.held_counts()? {
                self.shared.held.set(log, count);
            }
        }
        self.data_version = Some(version);
        Ok(())
    }

    /// The cursor of a log, read from the store the first time, and what
    /// the cursors share.
    pub fn get(
        &mut self,
        tx: &Tx<'_>,
        author: PublicKey,
        log_id: u64,
    ) -> Result<(&mut LogCursor, &mut Shared), StoreError> {
        for log in std::mem::take(&mut self.shared.stale) {
            if let Some(mut cursor) = self.logs.remove(&log)
                && cursor.dirty
            {
                flush_one(tx, log, &mut cursor)?;
            }
        }
        let cursor = match self.logs.entry((author, log_id)) {
            MapEntry::Occupied(cursor) => cursor.into_mut(),
            MapEntry::Vacant(vacant) => vacant.insert(load(tx, author, log_id)?),
        };
        Ok((cursor, &mut self.shared))
    }

    /// Writes the changed log states; called before each batch commits.
    pub fn flush(&mut self, tx: &Tx<'_>) -> Result<(), StoreError> {
        for (log, cursor) in self.logs.iter_mut().filter(|(_, c)| c.dirty) {
            flush_one(tx, *log, cursor)?;
        }
        Ok(())
    }
}

/// Writes one log's changed state.
fn flush_one(
    tx: &Tx<'_>,
    (author, log_id): (PublicKey, u64),
    cursor: &mut LogCursor,
) -> Result<(), StoreError> {
    tx.upsert_log(&LogState {
        author,
        log_id,
        height: cursor.height,
        ended_at: cursor.ended_at,
        forked_at: cursor.forked_at,
        festival: cursor.festival,
    })?;
    cursor.dirty = false;
    Ok(())
}

/// Reads a log's state, held entries and fork proof from the store.
fn load(tx: &Tx<'_>, author: PublicKey, log_id: u64) -> Result<LogCursor, StoreError> {
    let mut cursor = LogCursor {
        key: Some((author, log_id)),
        ..LogCursor::default()
    };
    if let Some(state) = tx.log_state(&author, log_id)? {
        cursor.height = state.height;
        cursor.ended_at = state.ended_at;
        cursor.forked_at = state.forked_at;
        cursor.festival = state.festival;
        cursor.head = tx.entry_at(&author, log_id, state.height)?.map(|e| e.hash);
    }
    for row in tx.held_of(&author, log_id)? {
        if let Ok(entry) = decode_entry(&row.entry) {
            cursor.add_held(HeldEntry {
                entry,
                has_payload: row.has_payload,
            });
        }
    }
    if cursor.forked_at.is_some() {
        // A store from before one proof per log may keep several.
        cursor.proof = tx
            .fork_proofs_of(&author, log_id)?
            .iter()
            .filter_map(key_of)
            .min();
    }
    Ok(cursor)
}
