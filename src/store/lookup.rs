//! Reads for authoring: a document's operations, documents by id prefix
//! and by schema. They touch only the rows they need, so a command on a
//! festival of 10,000 events reads a handful of rows, not every log.

use rusqlite::{OptionalExtension, params};

use super::{OperationRef, Reader, StoreError};
use crate::entry::{DocumentId, Hash, PublicKey};
use crate::operation::SchemaId;

impl Reader<'_> {
    /// The valid operations of `document` in the trusted part of its log
    /// (before any fork point), in seq order; empty if it is unknown. Its
    /// CREATE is first when it is stored.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn document_operations(
        &self,
        document: &DocumentId,
    ) -> Result<Vec<OperationRef>, StoreError> {
        let mut refs: Vec<OperationRef> = self
            .conn
            .prepare_cached(
                "SELECT o.id, o.author, o.log_id, o.seq_num, l.forked_at FROM operations o
                 JOIN logs l ON l.author = o.author AND l.log_id = o.log_id
                 WHERE o.document = ?1 AND o.error IS NULL
                   AND (l.forked_at IS NULL OR o.seq_num < l.forked_at)",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![&document.0[..]], |row| {
                    Ok(OperationRef {
                        id: Hash(row.get(0)?),
                        document: *document,
                        author: PublicKey(row.get(1)?),
                        log_id: row.get::<_, i64>(2)? as u64,
                        seq_num: row.get::<_, i64>(3)? as u64,
                    })
                })?
                .collect()
            })
            .map_err(|e| self.err(e))?;
        refs.sort_unstable_by_key(|op| (op.log_id, op.seq_num));
        Ok(refs)
    }

    /// The documents of `schema` whose id lies in `low..=high` (a prefix
    /// turned into a range of ids), at most `limit`, in id order.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn documents_in_range(
        &self,
        schema: SchemaId,
        low: &[u8; 32],
        high: &[u8; 32],
        limit: usize,
    ) -> Result<Vec<DocumentId>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT id FROM operations WHERE id >= ?1 AND id <= ?2 AND document = id
                 AND schema = ?3 AND error IS NULL ORDER BY id LIMIT ?4",
            )
            .and_then(|mut stmt| {
                stmt.query_map(
                    params![&low[..], &high[..], schema.as_str(), limit as i64],
                    |row| Ok(Hash(row.get(0)?)),
                )?
                .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// Every document of `schema` (its CREATE is stored and valid), in id
    /// order.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn documents_of(&self, schema: SchemaId) -> Result<Vec<DocumentId>, StoreError> {
        self.documents_in_range(schema, &[0; 32], &[0xff; 32], usize::MAX >> 1)
    }

    /// The schema of a known, valid operation's document, if any.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn document_schema(&self, id: &DocumentId) -> Result<Option<SchemaId>, StoreError> {
        self.conn
            .prepare_cached("SELECT schema FROM operations WHERE id = ?1 AND document = id")
            .and_then(|mut s| {
                s.query_row(params![&id.0[..]], |row| row.get::<_, Option<String>>(0))
                    .optional()
            })
            .map(|schema| schema.flatten().as_deref().and_then(SchemaId::parse))
            .map_err(|e| self.err(e))
    }
}

impl Reader<'_> {
    /// When this store received the entry that carries operation `id`: a
    /// number that grows with each entry stored (SQLite's rowid), so a
    /// node can list what reached it oldest first. `None` if unknown.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn arrival(&self, id: &crate::entry::OperationId) -> Result<Option<i64>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT e.rowid FROM operations o JOIN entries e
                 ON e.author = o.author AND e.log_id = o.log_id AND e.seq_num = o.seq_num
                 WHERE o.id = ?1",
            )
            .and_then(|mut s| s.query_row(params![&id.0[..]], |row| row.get(0)).optional())
            .map_err(|e| self.err(e))
    }
}
