//! Signing new entries with a local key (Bamboo's `publish`).

use bamboo_rs_core_ed25519_yasmf::entry::{Entry as BambooEntry, is_lipmaa_required};
use bamboo_rs_core_ed25519_yasmf::{Signature, YasmfHash, publish};
use ed25519_dalek_v1::Signer;

use super::{Entry, EntryError, Hash, KeyPair, decode_entry};

/// Signs the next entry of a log with Bamboo's `publish`.
///
/// `previous` is `None` for the log's first entry; otherwise it holds the
/// encoded entry at `seq_num - 1` (the backlink) and at `lipmaa(seq_num)` (the
/// lipmaa link), with the previous seq num. The payload is hashed with BLAKE3.
///
/// Errors: [`EntryError::Publish`] if Bamboo refuses, for example after an
/// end-of-log entry or with links from another log.
pub fn sign_next(
    key: &KeyPair,
    log_id: u64,
    payload: &[u8],
    previous: Option<Previous<'_>>,
) -> Result<Entry, EntryError> {
    let mut out = [0u8; 512];
    let (seq, lipmaa, backlink) = match previous {
        Some(p) => (
            Some(p.seq_num),
            Some(p.lipmaa_entry),
            Some(p.backlink_entry),
        ),
        None => (None, None, None),
    };
    let len = publish(
        &mut out,
        key.dalek(),
        log_id,
        payload,
        false,
        seq,
        lipmaa,
        backlink,
    )
    .map_err(|e| EntryError::Publish {
        reason: format!("{e:?}"),
    })?;
    decode_entry(&out[..len])
}

/// The entries the next entry links to.
#[derive(Clone, Copy)]
pub struct Previous<'a> {
    /// The seq num of the log's latest entry.
    pub seq_num: u64,
    /// The encoded latest entry (the backlink target).
    pub backlink_entry: &'a [u8],
    /// The encoded entry at `lipmaa(seq_num + 1)`.
    pub lipmaa_entry: &'a [u8],
}

/// Signs an entry with freely chosen fields, without the checks of
/// [`sign_next`]. Tests and fixtures use it to build forks and broken logs.
#[allow(clippy::too_many_arguments)]
pub fn sign_raw(
    key: &KeyPair,
    log_id: u64,
    seq_num: u64,
    is_end_of_log: bool,
    payload: &[u8],
    backlink: Option<Hash>,
    lipmaa_link: Option<Hash>,
) -> Vec<u8> {
    let lipmaa_link = if seq_num > 1 && is_lipmaa_required(seq_num) {
        lipmaa_link
    } else {
        None
    };
    let mut entry: BambooEntry<Vec<u8>, Vec<u8>> = BambooEntry {
        log_id,
        is_end_of_feed: is_end_of_log,
        payload_hash: YasmfHash::Blake3(Hash::of(payload).0.to_vec()),
        payload_size: payload.len() as u64,
        author: key.dalek().public,
        seq_num,
        backlink: backlink.map(|h| YasmfHash::Blake3(h.0.to_vec())),
        lipmaa_link: lipmaa_link.map(|h| YasmfHash::Blake3(h.0.to_vec())),
        sig: None,
    };
    let mut out = [0u8; 512];
    let len = entry.encode(&mut out).expect("entry fits 512 bytes");
    let signature = key.dalek().sign(&out[..len]);
    entry.sig = Some(Signature(signature.to_bytes().to_vec()));
    let len = entry.encode(&mut out).expect("entry fits 512 bytes");
    out[..len].to_vec()
}

/// A log being written in memory, without a store: each appended payload
/// becomes the next validly linked, signed entry. Benchmarks, fixtures and
/// tests use it to make logs quickly.
pub struct LogChain<'k> {
    key: &'k KeyPair,
    log_id: u64,
    entries: Vec<Vec<u8>>,
}

impl<'k> LogChain<'k> {
    /// An empty log `log_id` of `key`'s author.
    pub fn new(key: &'k KeyPair, log_id: u64) -> LogChain<'k> {
        LogChain {
            key,
            log_id,
            entries: Vec::new(),
        }
    }

    /// Signs `payload` as the next entry and returns it.
    ///
    /// Errors: [`EntryError::Publish`] if Bamboo refuses (after an
    /// end-of-log entry).
    pub fn append(&mut self, payload: &[u8]) -> Result<Entry, EntryError> {
        let previous = self.entries.last().map(|last| {
            let seq_num = self.entries.len() as u64;
            let lipmaa = bamboo_rs_core_ed25519_yasmf::lipmaa(seq_num + 1);
            Previous {
                seq_num,
                backlink_entry: last,
                lipmaa_entry: &self.entries[lipmaa as usize - 1],
            }
        });
        let entry = sign_next(self.key, self.log_id, payload, previous)?;
        self.entries.push(entry.bytes.clone());
        Ok(entry)
    }

    /// The encoded entries so far, in seq order.
    pub fn entries(&self) -> &[Vec<u8>] {
        &self.entries
    }
}
