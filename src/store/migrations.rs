//! Versioned schema migrations, tracked in SQLite's `user_version`.

use super::{Store, StoreError};

/// The migrations in order; migration `i` brings the schema to version `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: entries, logs, operations, fork proofs.
    "CREATE TABLE entries (
        author BLOB NOT NULL,
        log_id INTEGER NOT NULL,
        seq_num INTEGER NOT NULL,
        hash BLOB NOT NULL,
        backlink BLOB,
        entry BLOB NOT NULL,
        payload BLOB NOT NULL,
        PRIMARY KEY (author, log_id, seq_num)
    ) WITHOUT ROWID;
    CREATE TABLE logs (
        author BLOB NOT NULL,
        log_id INTEGER NOT NULL,
        height INTEGER NOT NULL,
        ended_at INTEGER,
        forked_at INTEGER,
        festival BLOB,
        PRIMARY KEY (author, log_id)
    ) WITHOUT ROWID;
    CREATE TABLE operations (
        id BLOB PRIMARY KEY,
        author BLOB NOT NULL,
        log_id INTEGER NOT NULL,
        seq_num INTEGER NOT NULL,
        schema TEXT,
        document BLOB,
        previous BLOB,
        resource BLOB,
        error TEXT
    ) WITHOUT ROWID;
    CREATE INDEX operations_pending ON operations (author, log_id, seq_num)
        WHERE document IS NULL AND error IS NULL;
    CREATE TABLE fork_proofs (
        author BLOB NOT NULL,
        log_id INTEGER NOT NULL,
        seq_num INTEGER NOT NULL,
        kind TEXT NOT NULL,
        first_entry BLOB NOT NULL,
        second_entry BLOB NOT NULL,
        PRIMARY KEY (author, log_id, seq_num, kind, second_entry)
    ) WITHOUT ROWID;",
    // 2: entries in a rowid table. Their payloads (up to 64 KiB) made the
    // WITHOUT ROWID b-tree spill into overflow pages: inserts were a third
    // slower and wrote twice the WAL.
    "CREATE TABLE entries_rowid (
        author BLOB NOT NULL,
        log_id INTEGER NOT NULL,
        seq_num INTEGER NOT NULL,
        hash BLOB NOT NULL,
        backlink BLOB,
        entry BLOB NOT NULL,
        payload BLOB NOT NULL,
        PRIMARY KEY (author, log_id, seq_num)
    );
    INSERT INTO entries_rowid (author, log_id, seq_num, hash, backlink, entry, payload)
        SELECT author, log_id, seq_num, hash, backlink, entry, payload FROM entries;
    DROP TABLE entries;
    ALTER TABLE entries_rowid RENAME TO entries;",
    // 3: held entries: valid entries that are not (yet) part of their
    // log's trusted run, kept so that evidence of a fork is found whichever
    // entry comes first, and so that a later source can fill a gap. A
    // payload is NULL when the entry came only inside a fork proof.
    "CREATE TABLE held (
        author BLOB NOT NULL,
        log_id INTEGER NOT NULL,
        seq_num INTEGER NOT NULL,
        hash BLOB NOT NULL,
        entry BLOB NOT NULL,
        payload BLOB,
        PRIMARY KEY (author, log_id, seq_num, hash)
    );",
    // 4: the peers a node met (`pandafest peers`): when it saw and last
    // synced with each (Unix seconds, UTC), the entries exchanged, and the
    // heights each peer sent last.
    "CREATE TABLE peers (
        peer TEXT PRIMARY KEY,
        addr TEXT NOT NULL,
        last_seen INTEGER NOT NULL,
        last_synced INTEGER,
        received INTEGER NOT NULL DEFAULT 0,
        sent INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE peer_heights (
        peer TEXT NOT NULL,
        author BLOB NOT NULL,
        log_id INTEGER NOT NULL,
        seq_num INTEGER NOT NULL,
        PRIMARY KEY (peer, author, log_id)
    ) WITHOUT ROWID;",
];

/// Brings the store's schema up to date, one transaction per migration.
/// Each transaction takes the write lock first (`BEGIN IMMEDIATE`) and
/// reads the schema version inside it, so two processes opening a new
/// store at once do not both apply a migration.
pub(super) fn migrate(store: &mut Store) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    loop {
        let path = store.path.clone();
        let fail = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = store
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(fail)?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(fail)?;
        if version > known {
            return Err(StoreError::TooNew {
                path: path.clone(),
                found: version,
                known,
            });
        }
        if version == known {
            return Ok(());
        }
        tx.execute_batch(MIGRATIONS[version as usize])
            .and_then(|_| tx.pragma_update(None, "user_version", version + 1))
            .and_then(|_| tx.commit())
            .map_err(fail)?;
        tracing::debug!(version = version + 1, "store migrated");
    }
}
