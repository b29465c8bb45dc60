//! What a node records of the peers it met (see `pandafest peers`).

use rusqlite::params;

use super::{Reader, StoreError, Tx};
use crate::entry::PublicKey;

/// One peer as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerRow {
    /// Its libp2p peer id.
    pub peer: String,
    /// The address it was last seen at.
    pub addr: String,
    /// When it was last seen (Unix seconds, UTC).
    pub last_seen: i64,
    /// When a sync with it last finished (Unix seconds, UTC).
    pub last_synced: Option<i64>,
    /// Entries received from it, in all.
    pub received: u64,
    /// Entries sent to it, in all.
    pub sent: u64,
}

impl Tx<'_> {
    /// Records that `peer` was seen at `addr` at `now` (Unix seconds).
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn peer_seen(&self, peer: &str, addr: &str, now: i64) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO peers (peer, addr, last_seen) VALUES (?1, ?2, ?3)
                 ON CONFLICT (peer) DO UPDATE SET addr = ?2, last_seen = ?3",
                params![peer, addr, now],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Adds to the entries exchanged with `peer`.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn peer_exchanged(&self, peer: &str, received: u64, sent: u64) -> Result<(), StoreError> {
        self.tx
            .execute(
                "UPDATE peers SET received = received + ?2, sent = sent + ?3 WHERE peer = ?1",
                params![peer, received as i64, sent as i64],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Records the heights `peer` holds (author, log id, seq num), which
    /// replace the earlier ones of those logs, and with `synced` the time
    /// (Unix seconds) a sync with it finished.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn peer_heights(
        &self,
        peer: &str,
        synced: Option<i64>,
        heights: &[(PublicKey, u64, u64)],
    ) -> Result<(), StoreError> {
        if let Some(now) = synced {
            self.tx
                .execute(
                    "UPDATE peers SET last_synced = ?2 WHERE peer = ?1",
                    params![peer, now],
                )
                .map_err(|e| self.err(e))?;
        }
        let mut stmt = self
            .tx
            .prepare_cached(
                "INSERT OR REPLACE INTO peer_heights (peer, author, log_id, seq_num) VALUES (?, ?, ?, ?)",
            )
            .map_err(|e| self.err(e))?;
        for (author, log_id, seq_num) in heights {
            stmt.execute(params![
                peer,
                &author.0[..],
                *log_id as i64,
                *seq_num as i64
            ])
            .map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}

impl Reader<'_> {
    /// Every recorded peer, most recently seen first.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn peers(&self) -> Result<Vec<PeerRow>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT peer, addr, last_seen, last_synced, received, sent FROM peers ORDER BY last_seen DESC, peer",
            )
            .and_then(|mut s| {
                s.query_map([], |row| {
                    Ok(PeerRow {
                        peer: row.get(0)?,
                        addr: row.get(1)?,
                        last_seen: row.get(2)?,
                        last_synced: row.get(3)?,
                        received: row.get::<_, i64>(4)? as u64,
                        sent: row.get::<_, i64>(5)? as u64,
                    })
                })?
                .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// How many entries of `author`'s logs `peer` holds by the heights it
    /// sent last: the sum over those logs of the lesser of its height and
    /// this store's.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn peer_holds_of(&self, peer: &str, author: &PublicKey) -> Result<u64, StoreError> {
        self.conn
            .query_row(
                "SELECT coalesce(sum(min(h.seq_num, l.height)), 0) FROM peer_heights h
                 JOIN logs l ON l.author = h.author AND l.log_id = h.log_id
                 WHERE h.peer = ? AND h.author = ?",
                params![peer, &author.0[..]],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }
}
