//! The node's records of its peers, kept in the store for `pandafest
//! peers`.

use libp2p::PeerId;

use super::protocol::LogHeight;
use crate::entry::PublicKey;
use crate::store::{Store, StoreError};

/// Writes what the node learns of its peers into the store.
pub struct PeerRecord;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl PeerRecord {
    /// `peer` connected from `addr` now.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn seen(store: &mut Store, peer: &PeerId, addr: &str) -> Result<(), StoreError> {
        store.transaction(|tx| tx.peer_seen(&peer.to_string(), addr, now()))
    }

    /// `received` entries came from `peer` and `sent` went to it.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn exchanged(
        store: &mut Store,
        peer: &PeerId,
        received: u64,
        sent: u64,
    ) -> Result<(), StoreError> {
        store.transaction(|tx| tx.peer_exchanged(&peer.to_string(), received, sent))
    }

    /// `heights` are what `peer` holds (as it sent them, or as it will
    /// hold once it took in a page); `synced` says that a sync with it
    /// just finished.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn heights(
        store: &mut Store,
        peer: &PeerId,
        heights: &[LogHeight],
        synced: bool,
    ) -> Result<(), StoreError> {
        let heights: Vec<(PublicKey, u64, u64)> = heights
            .iter()
            .map(|h| (PublicKey(h.author), h.log_id, h.seq_num))
            .collect();
        let synced = synced.then(now);
        store.transaction(|tx| tx.peer_heights(&peer.to_string(), synced, &heights))
    }
}
