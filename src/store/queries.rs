//! The store's reads and writes.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::{Reader, StoreError, Tx};
use crate::entry::{DocumentId, Entry, Hash, OperationId, PublicKey};
use crate::operation::SchemaId;

/// The state of one log: (author, log id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogState {
    /// The author.
    pub author: PublicKey,
    /// The log id.
    pub log_id: u64,
    /// The highest seq num stored.
    pub height: u64,
    /// The seq num of its end-of-log entry, if it has one.
    pub ended_at: Option<u64>,
    /// The first seq num that is not trusted because of a fork.
    pub forked_at: Option<u64>,
    /// The festival of the log, from its first operation.
    pub festival: Option<DocumentId>,
}

/// The four kinds of fork proof. Their order (as declared) decides
/// between proofs at the same seq num (see `docs/bundle.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ForkKind {
    /// Two different entries at the same (author, log id, seq num).
    SameSeqNum,
    /// Two entries whose backlinks to the same seq num differ.
    ConflictingBacklinks,
    /// A backlink or lipmaa link whose hash does not match the entry at its
    /// position.
    LinkMismatch,
    /// An entry after the log's end-of-log entry.
    AfterEndOfLog,
}

impl ForkKind {
    /// The name stored in the database and shown in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ForkKind::SameSeqNum => "two entries at the same seq num",
            ForkKind::ConflictingBacklinks => {
                "two backlinks to the same seq num with different hashes"
            }
            ForkKind::LinkMismatch => "a link whose hash does not match the entry at its position",
            ForkKind::AfterEndOfLog => "an entry after the end-of-log entry",
        }
    }

    fn parse(text: &str) -> ForkKind {
        [
            ForkKind::SameSeqNum,
            ForkKind::ConflictingBacklinks,
            ForkKind::LinkMismatch,
            ForkKind::AfterEndOfLog,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
        .unwrap_or(ForkKind::SameSeqNum)
    }
}

/// Proof that an author forked a log: two entries, both validly signed,
/// that cannot both belong to one log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForkProof {
    /// The author.
    pub author: PublicKey,
    /// The log id.
    pub log_id: u64,
    /// The first seq num that is not trusted.
    pub seq_num: u64,
    /// Which rule the two entries break.
    pub kind: ForkKind,
    /// The stored entry (encoded).
    pub first_entry: Vec<u8>,
    /// The entry that contradicts it (encoded).
    pub second_entry: Vec<u8>,
}

impl ForkProof {
    /// Reads a proof from a row of `author, log_id, seq_num, kind,
    /// first_entry, second_entry`.
    pub(super) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ForkProof> {
        Ok(ForkProof {
            author: PublicKey(row.get(0)?),
            log_id: row.get::<_, i64>(1)? as u64,
            seq_num: row.get::<_, i64>(2)? as u64,
            kind: ForkKind::parse(&row.get::<_, String>(3)?),
            first_entry: row.get(4)?,
            second_entry: row.get(5)?,
        })
    }

    /// The hashes of both entries.
    pub fn hashes(&self) -> (Hash, Hash) {
        (Hash::of(&self.first_entry), Hash::of(&self.second_entry))
    }
}

/// What ingest needs to know of a stored, valid operation that another one
/// depends on (see [`Tx::operation_document`]).
#[derive(Clone, Copy, Debug)]
pub struct KnownOperation {
    /// The document it belongs to.
    pub document: DocumentId,
    /// Its author.
    pub author: PublicKey,
    /// The log it is in.
    pub log_id: u64,
    /// Its schema, when known.
    pub schema: Option<SchemaId>,
}

/// A stored, valid operation's id, document and position (see
/// [`Reader::operation_refs`]).
#[derive(Clone, Copy, Debug)]
pub struct OperationRef {
    /// The operation id (entry hash).
    pub id: OperationId,
    /// The document it belongs to.
    pub document: DocumentId,
    /// The author.
    pub author: PublicKey,
    /// The log id.
    pub log_id: u64,
    /// The seq num.
    pub seq_num: u64,
}

impl OperationRef {
    /// Reads columns 0-4: id, document, author, log id, seq num.
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OperationRef> {
        Ok(OperationRef {
            id: Hash(row.get(0)?),
            document: Hash(row.get(1)?),
            author: PublicKey(row.get(2)?),
            log_id: row.get::<_, i64>(3)? as u64,
            seq_num: row.get::<_, i64>(4)? as u64,
        })
    }
}

/// An entry already stored at a position.
pub struct StoredEntry {
    /// Its hash.
    pub hash: Hash,
    /// Its backlink.
    pub backlink: Option<Hash>,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl Tx<'_> {
    pub(super) fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// SQLite's `PRAGMA data_version`: it changes between two calls on the
    /// same connection exactly when another connection (another pandafest
    /// on the same store) committed in between; this connection's own
    /// commits leave it as it is.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.tx
            .query_row("PRAGMA data_version", [], |row| row.get(0))
            .map_err(|e| self.err(e))
    }

    /// The entry at (author, log id, seq num), if stored.
    pub fn entry_at(
        &self,
        author: &PublicKey,
        log_id: u64,
        seq_num: u64,
    ) -> Result<Option<StoredEntry>, StoreError> {
        self.tx
            .prepare_cached("SELECT hash, backlink, entry FROM entries WHERE author = ? AND log_id = ? AND seq_num = ?")
            .and_then(|mut s| {
                s.query_row(params![&author.0[..], log_id as i64, seq_num as i64], |row| {
                    Ok(StoredEntry {
                        hash: Hash(row.get(0)?),
                        backlink: row.get::<_, Option<[u8; 32]>>(1)?.map(Hash),
                        bytes: row.get(2)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// The state of a log, if any entry of it is stored.
    pub fn log_state(
        &self,
        author: &PublicKey,
        log_id: u64,
    ) -> Result<Option<LogState>, StoreError> {
        self.tx
            .prepare_cached("SELECT height, ended_at, forked_at, festival FROM logs WHERE author = ? AND log_id = ?")
            .and_then(|mut s| {
                s.query_row(params![&author.0[..], log_id as i64], |row| {
                    Ok(LogState {
                        author: *author,
                        log_id,
                        height: row.get::<_, i64>(0)? as u64,
                        ended_at: row.get::<_, Option<i64>>(1)?.map(|v| v as u64),
                        forked_at: row.get::<_, Option<i64>>(2)?.map(|v| v as u64),
                        festival: row.get::<_, Option<[u8; 32]>>(3)?.map(Hash),
                    })
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// Stores a verified entry and its payload. The log's state is written
    /// separately with [`Tx::upsert_log`].
    pub fn insert_entry(&self, entry: &Entry, payload: &[u8]) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO entries (author, log_id, seq_num, hash, backlink, entry, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    &entry.author.0[..],
                    entry.log_id as i64,
                    entry.seq_num as i64,
                    &entry.hash.0[..],
                    entry.backlink.as_ref().map(|h| h.0.to_vec()),
                    &entry.bytes,
                    payload
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Writes a log's state.
    pub fn upsert_log(&self, log: &LogState) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO logs (author, log_id, height, ended_at, forked_at, festival) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    &log.author.0[..],
                    log.log_id as i64,
                    log.height as i64,
                    log.ended_at.map(|v| v as i64),
                    log.forked_at.map(|v| v as i64),
                    log.festival.map(|f| f.0.to_vec())
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Stores a fork proof. Returns `false` if the same proof was stored
    /// before. The log's `forked_at` is written with [`Tx::upsert_log`].
    pub fn insert_fork_proof(&self, proof: &ForkProof) -> Result<bool, StoreError> {
        let added = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO fork_proofs (author, log_id, seq_num, kind, first_entry, second_entry) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    &proof.author.0[..],
                    proof.log_id as i64,
                    proof.seq_num as i64,
                    proof.kind.as_str(),
                    &proof.first_entry,
                    &proof.second_entry
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(added > 0)
    }

    /// Records an operation with its document, its error, or neither while
    /// it waits for what it depends on.
    pub fn insert_operation(
        &self,
        op: &PendingOperation,
        document: Option<DocumentId>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO operations (id, author, log_id, seq_num, schema, previous, resource, document, error)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    &op.id.0[..],
                    &op.author.0[..],
                    op.log_id as i64,
                    op.seq_num as i64,
                    op.schema.map(|s| s.as_str()),
                    op.previous.map(|p| p.0.to_vec()),
                    op.resource.map(|r| r.0.to_vec()),
                    document.map(|d| d.0.to_vec()),
                    error,
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Sets the document or the error of a pending operation.
    pub fn resolve_operation(
        &self,
        id: &OperationId,
        document: Option<DocumentId>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE operations SET document = ?2, error = ?3 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![&id.0[..], document.map(|d| d.0.to_vec()), error]))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The document, author, log and schema of a known, valid operation.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn operation_document(
        &self,
        id: &OperationId,
    ) -> Result<Option<KnownOperation>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT document, author, log_id, schema FROM operations WHERE id = ? AND document IS NOT NULL AND error IS NULL",
            )
            .and_then(|mut s| {
                s.query_row(params![&id.0[..]], |row| {
                    Ok(KnownOperation {
                        document: Hash(row.get(0)?),
                        author: PublicKey(row.get(1)?),
                        log_id: row.get::<_, i64>(2)? as u64,
                        schema: row
                            .get::<_, Option<String>>(3)?
                            .as_deref()
                            .and_then(SchemaId::parse),
                    })
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// The error recorded for an operation, if it is invalid.
    pub fn operation_error(&self, id: &OperationId) -> Result<Option<String>, StoreError> {
        self.tx
            .prepare_cached("SELECT error FROM operations WHERE id = ?")
            .and_then(|mut s| s.query_row(params![&id.0[..]], |row| row.get(0)).optional())
            .map(Option::flatten)
            .map_err(|e| self.err(e))
    }

    /// Operations that have neither a document nor an error yet, in log
    /// order.
    pub fn pending_operations(&self) -> Result<Vec<PendingOperation>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT id, author, log_id, seq_num, schema, previous, resource FROM operations
                 WHERE document IS NULL AND error IS NULL ORDER BY author, log_id, seq_num",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |row| {
            Ok(PendingOperation {
                id: Hash(row.get(0)?),
                author: PublicKey(row.get(1)?),
                log_id: row.get::<_, i64>(2)? as u64,
                seq_num: row.get::<_, i64>(3)? as u64,
                schema: row
                    .get::<_, Option<String>>(4)?
                    .as_deref()
                    .and_then(SchemaId::parse),
                previous: row.get::<_, Option<[u8; 32]>>(5)?.map(Hash),
                resource: row.get::<_, Option<[u8; 32]>>(6)?.map(Hash),
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }
}

/// An operation whose document is not settled yet: what it depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingOperation {
    /// The operation id.
    pub id: OperationId,
    /// The author.
    pub author: PublicKey,
    /// The log id.
    pub log_id: u64,
    /// The seq num.
    pub seq_num: u64,
    /// The schema; `None` for an invalid operation.
    pub schema: Option<SchemaId>,
    /// The operation an UPDATE or DELETE follows.
    pub previous: Option<OperationId>,
    /// The resource an authorization decides on; its owner must be the author.
    pub resource: Option<DocumentId>,
}

impl Reader<'_> {
    pub(super) fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.to_owned(),
            source,
        }
    }

    /// Every log, ordered by author and log id.
    pub fn logs(&self) -> Result<Vec<LogState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT author, log_id, height, ended_at, forked_at, festival FROM logs ORDER BY author, log_id")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |row| {
            Ok(LogState {
                author: PublicKey(row.get(0)?),
                log_id: row.get::<_, i64>(1)? as u64,
                height: row.get::<_, i64>(2)? as u64,
                ended_at: row.get::<_, Option<i64>>(3)?.map(|v| v as u64),
                forked_at: row.get::<_, Option<i64>>(4)?.map(|v| v as u64),
                festival: row.get::<_, Option<[u8; 32]>>(5)?.map(Hash),
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }

    /// Calls `f` with the (entry, payload) bytes of a log in seq order.
    pub fn for_each_entry(
        &self,
        author: &PublicKey,
        log_id: u64,
        mut f: impl FnMut(&[u8], &[u8]) -> std::io::Result<()>,
    ) -> Result<std::io::Result<()>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT entry, payload FROM entries WHERE author = ? AND log_id = ? ORDER BY seq_num")
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(params![&author.0[..], log_id as i64])
            .map_err(|e| self.err(e))?;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let entry = row
                .get_ref(0)
                .and_then(|v| Ok(v.as_blob()?))
                .map_err(|e| self.err(e))?;
            let payload = row
                .get_ref(1)
                .and_then(|v| Ok(v.as_blob()?))
                .map_err(|e| self.err(e))?;
            if let Err(e) = f(entry, payload) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }

    /// SQLite's `PRAGMA data_version` on this connection: it changes
    /// exactly when another connection (another pandafest on the same
    /// store) committed since the last call; this connection's own commits
    /// leave it as it is. A node polls it to notice entries written beside
    /// it.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA data_version", [], |row| row.get(0))
            .map_err(|e| self.err(e))
    }

    /// Up to `limit` (entry, payload) pairs of a log from seq num `from`
    /// on, in seq order.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn entries_from(
        &self,
        author: &PublicKey,
        log_id: u64,
        from: u64,
        limit: usize,
    ) -> Result<Vec<super::EntryRecord>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT entry, payload FROM entries WHERE author = ? AND log_id = ? AND seq_num >= ? ORDER BY seq_num LIMIT ?",
            )
            .and_then(|mut s| {
                s.query_map(
                    params![&author.0[..], log_id as i64, from as i64, limit as i64],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )?
                .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// The encoded entry at a position, if stored.
    pub fn entry_bytes(
        &self,
        author: &PublicKey,
        log_id: u64,
        seq_num: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.blob_at(
            "SELECT entry FROM entries WHERE author = ? AND log_id = ? AND seq_num = ?",
            author,
            log_id,
            seq_num,
        )
    }

    /// The one blob column that `sql` selects from the entry at (author,
    /// log id, seq num), if stored.
    fn blob_at(
        &self,
        sql: &str,
        author: &PublicKey,
        log_id: u64,
        seq_num: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut s| {
                s.query_row(
                    params![&author.0[..], log_id as i64, seq_num as i64],
                    |row| row.get(0),
                )
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// Every valid, resolved operation in a trusted part of its log (before
    /// any fork point), ordered by author, log id and seq num; the payloads
    /// are read with [`Reader::payload_at`], or all at once with
    /// [`Reader::operations_with_payloads`].
    pub fn operation_refs(&self) -> Result<Vec<OperationRef>, StoreError> {
        let mut refs: Vec<OperationRef> = self
            .conn
            .prepare_cached(
                "SELECT id, document, author, log_id, seq_num FROM operations
                 WHERE document IS NOT NULL AND error IS NULL",
            )
            .and_then(|mut stmt| stmt.query_map([], OperationRef::from_row)?.collect())
            .map_err(|e| self.err(e))?;
        self.trusted_in_order(&mut refs, |op| op)?;
        Ok(refs)
    }

    /// [`Reader::operation_refs`] with each operation's payload (empty if
    /// its entry is missing), for those who need every payload: two scans
    /// merged in memory, rather than a query per operation (or a join,
    /// which probes the entries in operation id order, at random).
    pub fn operations_with_payloads(&self) -> Result<Vec<(OperationRef, Vec<u8>)>, StoreError> {
        // The operations first: the entry of each is stored by then.
        let refs = self.operation_refs()?;
        let mut payloads: Vec<((PublicKey, u64, u64), Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT author, log_id, seq_num, payload FROM entries")
            .and_then(|mut stmt| {
                stmt.query_map([], |row| {
                    let position = (
                        PublicKey(row.get(0)?),
                        row.get::<_, i64>(1)? as u64,
                        row.get::<_, i64>(2)? as u64,
                    );
                    Ok((position, row.get(3)?))
                })?
                .collect()
            })
            .map_err(|e| self.err(e))?;
        payloads.sort_unstable_by_key(|(at, _)| *at);
        let mut payloads = payloads.into_iter().peekable();
        Ok(refs
            .into_iter()
            .map(|op| {
                let position = (op.author, op.log_id, op.seq_num);
                while payloads.next_if(|(at, _)| *at < position).is_some() {}
                let payload = payloads.next_if(|(at, _)| *at == position);
                (op, payload.map(|(_, p)| p).unwrap_or_default())
            })
            .collect())
    }

    /// Keeps the operations of `items` (each reached through `op`) that are
    /// in a trusted part of their log and orders them by author, log id
    /// and seq num.
    fn trusted_in_order<T>(
        &self,
        items: &mut Vec<T>,
        op: impl Fn(&T) -> &OperationRef,
    ) -> Result<(), StoreError> {
        // Forked logs are few: their fork points are looked up here rather
        // than joined to every operation, and the order is made in memory
        // rather than by a sort in SQLite.
        let forked: HashMap<(PublicKey, u64), u64> = self
            .conn
            .prepare_cached(
                "SELECT author, log_id, forked_at FROM logs WHERE forked_at IS NOT NULL",
            )
            .and_then(|mut stmt| {
                stmt.query_map([], |row| {
                    Ok((
                        (PublicKey(row.get(0)?), row.get::<_, i64>(1)? as u64),
                        row.get::<_, i64>(2)? as u64,
                    ))
                })?
                .collect()
            })
            .map_err(|e| self.err(e))?;
        items.retain(|item| {
            let op = op(item);
            forked
                .get(&(op.author, op.log_id))
                .is_none_or(|forked_at| op.seq_num < *forked_at)
        });
        items.sort_unstable_by_key(|item| {
            let op = op(item);
            (op.author, op.log_id, op.seq_num)
        });
        Ok(())
    }

    /// The payload of the entry at (author, log id, seq num), if stored.
    pub fn payload_at(
        &self,
        author: &PublicKey,
        log_id: u64,
        seq_num: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.blob_at(
            "SELECT payload FROM entries WHERE author = ? AND log_id = ? AND seq_num = ?",
            author,
            log_id,
            seq_num,
        )
    }

    /// Every fork proof, ordered by position.
    pub fn fork_proofs(&self) -> Result<Vec<ForkProof>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT author, log_id, seq_num, kind, first_entry, second_entry FROM fork_proofs ORDER BY author, log_id, seq_num, kind, second_entry",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], ForkProof::from_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.err(e))
    }

    /// The number of stored entries.
    pub fn entry_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM entries", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }
}
