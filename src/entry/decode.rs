//! Strict decoding of Bamboo entries: only the canonical byte form passes.

use bamboo_rs_core_ed25519_yasmf::YasmfHash;
use bamboo_rs_core_ed25519_yasmf::entry::decode as bamboo_decode;

use super::{EntryError, Hash, PublicKey};

/// The largest Bamboo entry in bytes (yasmf BLAKE3 hashes, ed25519).
pub const MAX_ENTRY_SIZE: usize = 226;

/// A decoded Bamboo entry whose bytes are canonical. Its signature is not
/// verified yet (see [`super::verify_signatures`]).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Entry {
    /// The encoded entry as received.
    pub bytes: Vec<u8>,
    /// BLAKE3 of `bytes`: the entry hash, and the id of its operation.
    pub hash: Hash,
    /// The author's public key.
    pub author: PublicKey,
    /// The log id (one log per author and festival).
    pub log_id: u64,
    /// The sequence number, from 1.
    pub seq_num: u64,
    /// Whether this entry ends the log (Bamboo's end-of-feed tag).
    pub is_end_of_log: bool,
    /// BLAKE3 of the payload.
    pub payload_hash: Hash,
    /// The payload size in bytes.
    pub payload_size: u64,
    /// Hash of the entry at `seq_num - 1`; `None` for seq 1.
    pub backlink: Option<Hash>,
    /// Hash of the entry at `lipmaa(seq_num)`, present when that is not
    /// `seq_num - 1`.
    pub lipmaa_link: Option<Hash>,
}

impl Entry {
    /// The bytes the signature covers: everything but the 64-byte signature.
    pub fn signed_bytes(&self) -> &[u8] {
        &self.bytes[..self.bytes.len() - 64]
    }

    /// The 64-byte ed25519 signature.
    pub fn signature(&self) -> &[u8] {
        &self.bytes[self.bytes.len() - 64..]
    }

    /// The seq num the lipmaa link points at (Bamboo's `lipmaa` function).
    pub fn lipmaa_seq(&self) -> u64 {
        bamboo_rs_core_ed25519_yasmf::lipmaa(self.seq_num)
    }
}

/// Decodes `bytes` as a Bamboo entry and accepts only its canonical form.
///
/// The checks: the tag byte is 0 or 1; every hash is yasmf BLAKE3 with the
/// length byte 0x20; integers are canonical varu64; seq num > 0; no bytes
/// follow the signature; re-encoding gives the same bytes.
///
/// Errors: [`EntryError::Decode`] naming the first rule broken.
pub fn decode_entry(bytes: &[u8]) -> Result<Entry, EntryError> {
    let fail = |reason: String| EntryError::Decode { reason };
    if bytes.is_empty() {
        return Err(fail("the entry is empty".into()));
    }
    if bytes.len() > MAX_ENTRY_SIZE {
        return Err(fail(format!(
            "the entry is {} bytes, more than the {MAX_ENTRY_SIZE} of any Bamboo entry",
            bytes.len()
        )));
    }
    if bytes[0] > 1 {
        return Err(fail(format!(
            "tag byte is {:#04x}, must be 0x00 or 0x01",
            bytes[0]
        )));
    }
    let entry = bamboo_decode(bytes).map_err(|e| fail(format!("not a Bamboo entry: {e:?}")))?;

    let mut canonical = [0u8; 512];
    let len = entry
        .encode(&mut canonical)
        .map_err(|e| fail(format!("cannot re-encode: {e:?}")))?;
    if len < bytes.len() {
        return Err(fail(format!(
            "{} trailing bytes after the signature",
            bytes.len() - len
        )));
    }
    if let Some(offset) = canonical[..len].iter().zip(bytes).position(|(a, b)| a != b) {
        let reason = if bytes[offset] != 0x20 && canonical[offset] == 0x20 {
            format!(
                "hash length byte at offset {offset} is {:#04x}, must be 0x20",
                bytes[offset]
            )
        } else {
            format!("byte {offset} differs from the canonical encoding")
        };
        return Err(fail(reason));
    }

    let hash_of = |h: &YasmfHash<&[u8]>| {
        let YasmfHash::Blake3(b) = h;
        let mut out = [0u8; 32];
        out.copy_from_slice(b);
        Hash(out)
    };
    Ok(Entry {
        bytes: bytes.to_vec(),
        hash: Hash::of(bytes),
        author: PublicKey(entry.author.to_bytes()),
        log_id: entry.log_id,
        seq_num: entry.seq_num,
        is_end_of_log: entry.is_end_of_feed,
        payload_hash: hash_of(&entry.payload_hash),
        payload_size: entry.payload_size,
        backlink: entry.backlink.as_ref().map(hash_of),
        lipmaa_link: entry.lipmaa_link.as_ref().map(hash_of),
    })
}
