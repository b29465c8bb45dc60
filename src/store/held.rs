//! Held entries (valid entries outside their log's trusted run), fork
//! proofs by log, and what moving entries out of a log needs.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, params};

use super::{ForkProof, Reader, StoreError, Tx};
use crate::entry::{Entry, Hash, OperationId, PublicKey};

/// A stored entry and its payload, encoded.
pub type EntryRecord = (Vec<u8>, Vec<u8>);

/// A held entry as stored: its bytes, and whether its payload is known.
pub struct HeldRow {
    /// The encoded entry.
    pub entry: Vec<u8>,
    /// Whether the payload is stored (it is not for an entry that came only
    /// inside a fork proof).
    pub has_payload: bool,
}

/// What one log holds: how many entries and their seq nums (see
/// [`Reader::held_logs`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldLog {
    /// The author.
    pub author: PublicKey,
    /// The log id.
    pub log_id: u64,
    /// How many entries are held.
    pub entries: u64,
    /// The lowest seq num held.
    pub first: u64,
    /// The highest seq num held.
    pub last: u64,
}

/// How many entries a log holds: ((author, log id), count).
pub type HeldCount = ((PublicKey, u64), usize);

impl Tx<'_> {
    /// Every held entry of a log, in (seq num, hash) order.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn held_of(&self, author: &PublicKey, log_id: u64) -> Result<Vec<HeldRow>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT entry, payload IS NOT NULL FROM held WHERE author = ? AND log_id = ? ORDER BY seq_num, hash",
            )
            .and_then(|mut s| {
                s.query_map(params![&author.0[..], log_id as i64], |row| {
                    Ok(HeldRow {
                        entry: row.get(0)?,
                        has_payload: row.get(1)?,
                    })
                })?
                .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// How many entries each log holds: ((author, log id), count) for
    /// every log that holds any.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn held_counts(&self) -> Result<Vec<HeldCount>, StoreError> {
        self.tx
            .prepare_cached("SELECT author, log_id, count(*) FROM held GROUP BY author, log_id")
            .and_then(|mut s| {
                s.query_map([], |row| {
                    let author: Vec<u8> = row.get(0)?;
                    let mut key = [0u8; 32];
                    key.copy_from_slice(&author[..32.min(author.len())]);
                    Ok((
                        (PublicKey(key), row.get::<_, i64>(1)? as u64),
                        row.get::<_, i64>(2)? as usize,
                    ))
                })?
                .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// Removes the held entry of a log with the greatest (seq num, hash)
    /// and returns its bytes, if the log holds any.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn take_last_held(
        &self,
        author: &PublicKey,
        log_id: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let last: Option<(i64, Vec<u8>, Vec<u8>)> = self
            .tx
            .prepare_cached(
                "SELECT seq_num, hash, entry FROM held WHERE author = ? AND log_id = ? ORDER BY seq_num DESC, hash DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![&author.0[..], log_id as i64], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()
            })
            .map_err(|e| self.err(e))?;
        let Some((seq_num, hash, entry)) = last else {
            return Ok(None);
        };
        self.tx
            .prepare_cached(
                "DELETE FROM held WHERE author = ? AND log_id = ? AND seq_num = ? AND hash = ?",
            )
            .and_then(|mut s| s.execute(params![&author.0[..], log_id as i64, seq_num, hash]))
            .map_err(|e| self.err(e))?;
        Ok(Some(entry))
    }

    /// Holds an entry, with its payload when known; holding it again
    /// replaces it.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn insert_held(&self, entry: &Entry, payload: Option<&[u8]>) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO held (author, log_id, seq_num, hash, entry, payload) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    &entry.author.0[..],
                    entry.log_id as i64,
                    entry.seq_num as i64,
                    &entry.hash.0[..],
                    &entry.bytes,
                    payload
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Removes a held entry and returns its payload, if it had one.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn take_held(&self, entry: &Entry) -> Result<Option<Vec<u8>>, StoreError> {
        let key = params![
            &entry.author.0[..],
            entry.log_id as i64,
            entry.seq_num as i64,
            &entry.hash.0[..]
        ];
        let payload = self
            .tx
            .prepare_cached(
                "SELECT payload FROM held WHERE author = ? AND log_id = ? AND seq_num = ? AND hash = ?",
            )
            .and_then(|mut s| s.query_row(key, |row| row.get(0)).optional())
            .map_err(|e| self.err(e))?
            .flatten();
        self.tx
            .prepare_cached(
                "DELETE FROM held WHERE author = ? AND log_id = ? AND seq_num = ? AND hash = ?",
            )
            .and_then(|mut s| s.execute(key))
            .map_err(|e| self.err(e))?;
        Ok(payload)
    }

    /// Removes the entries of a log from seq num `from` on, and returns
    /// them as (entry, payload) in seq order. Their operations stay: see
    /// [`Tx::forget_operations`].
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn take_entries_from(
        &self,
        author: &PublicKey,
        log_id: u64,
        from: u64,
    ) -> Result<Vec<EntryRecord>, StoreError> {
        let key = params![&author.0[..], log_id as i64, from as i64];
        let rows = self
            .tx
            .prepare_cached(
                "SELECT entry, payload FROM entries WHERE author = ? AND log_id = ? AND seq_num >= ? ORDER BY seq_num",
            )
            .and_then(|mut s| {
                s.query_map(key, |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.err(e))?;
        self.tx
            .prepare_cached("DELETE FROM entries WHERE author = ? AND log_id = ? AND seq_num >= ?")
            .and_then(|mut s| s.execute(key))
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Deletes the operations `ids` (of entries that left their log), and
    /// sets every operation that depends on one of them, through its
    /// previous operation or its resource, directly or not, back to
    /// pending: it waits as if the entries had never come. Returns how
    /// many operations were set back.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn forget_operations(&self, ids: &[OperationId]) -> Result<usize, StoreError> {
        for id in ids {
            self.tx
                .prepare_cached("DELETE FROM operations WHERE id = ?")
                .and_then(|mut s| s.execute(params![&id.0[..]]))
                .map_err(|e| self.err(e))?;
        }
        // Which operations name which: one pass over those that name any.
        let mut dependents: HashMap<Hash, Vec<Hash>> = HashMap::new();
        self.tx
            .prepare_cached(
                "SELECT id, previous, resource FROM operations WHERE previous IS NOT NULL OR resource IS NOT NULL",
            )
            .and_then(|mut s| {
                let rows = s.query_map([], |row| {
                    Ok((
                        Hash(row.get(0)?),
                        row.get::<_, Option<[u8; 32]>>(1)?.map(Hash),
                        row.get::<_, Option<[u8; 32]>>(2)?.map(Hash),
                    ))
                })?;
                for row in rows {
                    let (id, previous, resource) = row?;
                    for on in previous.into_iter().chain(resource) {
                        dependents.entry(on).or_default().push(id);
                    }
                }
                Ok(())
            })
            .map_err(|e| self.err(e))?;
        let mut reset = HashSet::new();
        let mut queue: Vec<Hash> = ids.to_vec();
        while let Some(on) = queue.pop() {
            for id in dependents.remove(&on).unwrap_or_default() {
                if reset.insert(id) {
                    self.resolve_operation(&id, None, None)?;
                    queue.push(id);
                }
            }
        }
        Ok(reset.len())
    }

    /// The fork proofs stored for a log.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn fork_proofs_of(
        &self,
        author: &PublicKey,
        log_id: u64,
    ) -> Result<Vec<ForkProof>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT author, log_id, seq_num, kind, first_entry, second_entry FROM fork_proofs WHERE author = ? AND log_id = ?",
            )
            .and_then(|mut s| {
                s.query_map(params![&author.0[..], log_id as i64], ForkProof::from_row)?
                    .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// Makes `proof` the one fork proof of its log, replacing any before.
    /// The log's `forked_at` is written with [`Tx::upsert_log`].
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn replace_fork_proof(&self, proof: &ForkProof) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM fork_proofs WHERE author = ? AND log_id = ?")
            .and_then(|mut s| s.execute(params![&proof.author.0[..], proof.log_id as i64]))
            .map_err(|e| self.err(e))?;
        self.insert_fork_proof(proof)?;
        Ok(())
    }
}

impl Reader<'_> {
    /// Calls `f` with the (entry, payload) bytes of every held entry of a
    /// log whose payload is known, in (seq num, hash) order.
    ///
    /// Errors: [`StoreError`] if SQLite fails; what `f` returns is passed on
    /// inside.
    pub fn for_each_held(
        &self,
        author: &PublicKey,
        log_id: u64,
        mut f: impl FnMut(&[u8], &[u8]) -> std::io::Result<()>,
    ) -> Result<std::io::Result<()>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT entry, payload FROM held WHERE author = ? AND log_id = ? AND payload IS NOT NULL ORDER BY seq_num, hash",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(params![&author.0[..], log_id as i64])
            .map_err(|e| self.err(e))?;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let entry: Vec<u8> = row.get(0).map_err(|e| self.err(e))?;
            let payload: Vec<u8> = row.get(1).map_err(|e| self.err(e))?;
            if let Err(e) = f(&entry, &payload) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }

    /// Per log that holds entries: how many, and their lowest and highest
    /// seq nums; ordered by author and log id.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn held_logs(&self) -> Result<Vec<HeldLog>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT author, log_id, count(*), min(seq_num), max(seq_num) FROM held GROUP BY author, log_id ORDER BY author, log_id",
            )
            .and_then(|mut s| {
                s.query_map([], |row| {
                    Ok(HeldLog {
                        author: PublicKey(row.get(0)?),
                        log_id: row.get::<_, i64>(1)? as u64,
                        entries: row.get::<_, i64>(2)? as u64,
                        first: row.get::<_, i64>(3)? as u64,
                        last: row.get::<_, i64>(4)? as u64,
                    })
                })?
                .collect()
            })
            .map_err(|e| self.err(e))
    }
}
