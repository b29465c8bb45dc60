//! The node's database: SQLite through rusqlite, in WAL mode. It holds the
//! verified entries and payloads, log heights, operations, fork proofs and
//! held entries (those not, or not yet, part of their log's trusted run),
//! and can always be rebuilt from a log bundle.

mod held;
mod lookup;
mod migrations;
mod peers;
mod queries;

pub use held::{EntryRecord, HeldCount, HeldLog, HeldRow};
pub use peers::PeerRow;
pub use queries::{ForkKind, ForkProof, KnownOperation, LogState, OperationRef, PendingOperation};

use std::path::{Path, PathBuf};

use rusqlite::Connection;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("store {path}: {source}")]
    Sqlite {
        /// The database file, or `:memory:`.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The database was written by a newer pandafest.
    #[error("store {path} has schema version {found}; this pandafest knows up to {known}")]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// The store could not be opened because its directory cannot be
    /// written (a read-only file system or directory): SQLite needs to
    /// write beside the file even to read it in WAL mode.
    #[error("store {path}: its directory cannot be written: {source}")]
    NotWritable {
        /// The database file.
        path: PathBuf,
        /// Why a file cannot be made in its directory.
        source: std::io::Error,
    },
    /// The store's directory could not be made.
    #[error("cannot create {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Whether the connection runs `synchronous = FULL` (set by
    /// [`Store::begin_durable_write`]) rather than `NORMAL`.
    durable: bool,
}

/// The store file of a festival directory: `DIR/.pandafest/store.sqlite`.
pub fn store_path(dir: &Path) -> PathBuf {
    dir.join(".pandafest").join("store.sqlite")
}

impl Store {
    /// Opens (or creates) the store at `path` and applies the migrations.
    ///
    /// Errors: [`StoreError`] if SQLite fails or the schema is newer than
    /// this build.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: parent.to_owned(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        })?;
        Store::setup(conn, path.to_owned()).map_err(|error| {
            // SQLite says only "unable to open database file": say why.
            let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(dir) => dir,
                None => Path::new("."),
            };
            match (&error, tempfile::tempfile_in(dir)) {
                (StoreError::Sqlite { .. }, Err(source)) => StoreError::NotWritable {
                    path: path.to_owned(),
                    source,
                },
                _ => error,
            }
        })
    }

    /// Opens a store that lives in memory only, for tests and one-off checks.
    pub fn in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        Store::setup(conn, path)
    }

    fn setup(conn: Connection, path: PathBuf) -> Result<Store, StoreError> {
        let mut store = Store {
            conn,
            path,
            durable: false,
        };
        // A new store gets 16 KiB pages (an existing one keeps its own):
        // entries with their payloads fill a 4 KiB page with a few rows, and
        // with larger pages a cold build of 10,000 events was a few percent
        // faster. The cache holds 32 MiB.
        store
            .conn
            .execute_batch(
                "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768;",
            )
            .map_err(|e| store.err(e))?;
        // The WAL is checkpointed at 64 MiB, whatever the page size.
        let page_size: i64 = store
            .conn
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .map_err(|e| store.err(e))?;
        store
            .conn
            .pragma_update(None, "wal_autocheckpoint", (64 << 20) / page_size.max(512))
            .map_err(|e| store.err(e))?;
        // Another pandafest on the same store (`serve` beside `check`)
        // holds the write lock for one batch at a time: wait for it.
        store
            .conn
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| store.err(e))?;
        migrations::migrate(&mut store)?;
        Ok(store)
    }

    pub(crate) fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`: it waits up
    /// to the busy timeout for another writer): all of it is stored, or
    /// none.
    ///
    /// Errors: what `f` returns, or [`StoreError`] if SQLite fails.
    pub fn transaction<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self.begin_write()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Opens a write transaction (`BEGIN IMMEDIATE`, waiting up to the busy
    /// timeout for another writer) that the caller keeps across several
    /// steps: the publisher reads a log's head, signs and ingests in one.
    /// [`Tx::commit`] stores what it wrote; dropping it stores nothing.
    ///
    /// Errors: [`StoreError`] if SQLite fails, or another writer holds the
    /// store's write lock for longer than the busy timeout (10 s).
    pub fn begin_write(&mut self) -> Result<Tx<'_>, StoreError> {
        self.set_durable(false)?;
        self.begin_immediate()
    }

    /// Opens a write transaction as [`Store::begin_write`] whose commit is
    /// durable: the connection runs `PRAGMA synchronous = FULL`, so the
    /// write-ahead log is synced to disk before [`Tx::commit`] returns and
    /// a power cut right after it cannot roll the transaction back. The
    /// publisher uses it for entries the local key signs: once one has
    /// left the machine, losing it would make the next publish fork the
    /// key's log. Other writes (ingest of entries that can be fetched
    /// again) keep `synchronous = NORMAL`, where a power cut can lose the
    /// last commits but never corrupts the store.
    ///
    /// Errors: as [`Store::begin_write`].
    pub fn begin_durable_write(&mut self) -> Result<Tx<'_>, StoreError> {
        self.set_durable(true)?;
        self.begin_immediate()
    }

    /// Sets `synchronous` to `FULL` (durable) or `NORMAL`, unless it is so
    /// already. SQLite refuses the change inside a transaction, so this
    /// runs before `BEGIN`.
    fn set_durable(&mut self, durable: bool) -> Result<(), StoreError> {
        if self.durable != durable {
            let level = if durable { "FULL" } else { "NORMAL" };
            self.conn
                .pragma_update(None, "synchronous", level)
                .map_err(|e| self.err(e))?;
            self.durable = durable;
        }
        Ok(())
    }

    fn begin_immediate(&mut self) -> Result<Tx<'_>, StoreError> {
        // IMMEDIATE: the write lock is taken (waiting up to the busy
        // timeout) before the first read. A deferred transaction that read
        // first would fail at once, not wait, if another connection
        // committed before its first write.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|source| StoreError::Sqlite {
                path: self.path.clone(),
                source,
            })?;
        Ok(Tx {
            tx,
            path: self.path.clone(),
        })
    }

    /// Copies the write-ahead log into the database file and empties it
    /// (`PRAGMA wal_checkpoint(TRUNCATE)`). SQLite does this anyway when the
    /// store is closed; doing it early, on a thread that has time, keeps
    /// the close quick.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| self.err(e))
    }

    /// SQLite's `PRAGMA data_version` of this connection: it changes
    /// whenever another connection (another process's included) commits a
    /// change to the store, so a watcher that polls it learns of new
    /// entries whoever wrote them. Its own writes do not change it.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn data_version(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("PRAGMA data_version", [], |row| row.get::<_, i64>(0))
            .map(|v| v as u64)
            .map_err(|e| self.err(e))
    }

    /// Read access outside a transaction.
    pub fn read(&self) -> Reader<'_> {
        Reader {
            conn: &self.conn,
            path: &self.path,
        }
    }
}

/// A write transaction.
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
    path: PathBuf,
}

impl Tx<'_> {
    /// Commits the transaction: everything written in it is stored.
    ///
    /// Errors: [`StoreError`] if SQLite fails (then nothing is stored).
    pub fn commit(self) -> Result<(), StoreError> {
        let path = self.path;
        self.tx
            .commit()
            .map_err(|source| StoreError::Sqlite { path, source })
    }
}

/// Read access to the store.
pub struct Reader<'a> {
    conn: &'a Connection,
    path: &'a Path,
}

#[cfg(test)]
mod tests;
