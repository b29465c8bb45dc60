//! Strict decoding of Bamboo entries: only the canonical byte form passes.

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
/// The layout (Bamboo with ed25519 and yasmf hashes): tag byte (0, or 1
/// for the end of a log), author key (32 bytes), log id and seq num
/// (varu64), for seq num > 1 the lipmaa link (only where it is not the
/// backlink) and the backlink, payload size (varu64), payload hash,
/// signature (64 bytes).
///
/// The checks: the tag byte is 0 or 1; every hash is yasmf BLAKE3 (type
/// 0, length byte 0x20); integers are canonical varu64; seq num > 0; no
/// bytes follow the signature. The author key is not checked here: it is
/// decompressed once per batch when signatures are verified (see
/// [`super::verify_signatures`]), which names a key that is not a curve
/// point.
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
    let mut fields = Fields { bytes, at: 1 };
    let author = PublicKey(fields.array("the author key")?);
    let log_id = fields.varu64("the log id")?;
    let seq_num = fields.varu64("the seq num")?;
    if seq_num == 0 {
        return Err(fail("seq num is 0, must be 1 or more".into()));
    }
    let lipmaa_seq = bamboo_rs_core_ed25519_yasmf::lipmaa(seq_num);
    let lipmaa_link = match seq_num > 1 && lipmaa_seq != seq_num - 1 {
        true => Some(fields.hash("the lipmaa link")?),
        false => None,
    };
    let backlink = match seq_num > 1 {
        true => Some(fields.hash("the backlink")?),
        false => None,
    };
    let payload_size = fields.varu64("the payload size")?;
    let payload_hash = fields.hash("the payload hash")?;
    let _signature: [u8; 64] = fields.array("the signature")?;
    if fields.at < bytes.len() {
        return Err(fail(format!(
            "{} trailing bytes after the signature",
            bytes.len() - fields.at
        )));
    }
    Ok(Entry {
        bytes: bytes.to_vec(),
        hash: Hash::of(bytes),
        author,
        log_id,
        seq_num,
        is_end_of_log: bytes[0] == 1,
        payload_hash,
        payload_size,
        backlink,
        lipmaa_link,
    })
}

/// Reads an entry's fields in order.
struct Fields<'a> {
    bytes: &'a [u8],
    /// The offset of the next field.
    at: usize,
}

impl Fields<'_> {
    /// The next `N` bytes, which hold `what`.
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], EntryError> {
        let end = self.at + N;
        let Some(slice) = self.bytes.get(self.at..end) else {
            return Err(EntryError::Decode {
                reason: format!(
                    "the entry ends inside {what}: it has {} bytes, {what} needs {end}",
                    self.bytes.len()
                ),
            });
        };
        self.at = end;
        Ok(slice.try_into().expect("N bytes"))
    }

    /// The next varu64, which holds `what`; only its shortest form.
    fn varu64(&mut self, what: &str) -> Result<u64, EntryError> {
        let rest = &self.bytes[self.at..];
        match varu64::decode(rest) {
            Ok((value, after)) => {
                self.at += rest.len() - after.len();
                Ok(value)
            }
            Err((varu64::DecodeError::NonCanonical(value), _)) => Err(EntryError::Decode {
                reason: format!(
                    "{what} at byte {} is {value} in a longer varu64 form than needed",
                    self.at
                ),
            }),
            Err(_) => Err(EntryError::Decode {
                reason: format!(
                    "the entry ends inside {what} (a varu64 at byte {})",
                    self.at
                ),
            }),
        }
    }

    /// The next yasmf hash, which holds `what`: type 0 (BLAKE3), length
    /// 0x20, 32 bytes.
    fn hash(&mut self, what: &str) -> Result<Hash, EntryError> {
        let at = self.at;
        let [kind, length]: [u8; 2] = self.array(what)?;
        if kind != 0 {
            return Err(EntryError::Decode {
                reason: format!(
                    "{what} at byte {at} has hash type {kind:#04x}, must be 0x00 (BLAKE3)"
                ),
            });
        }
        if length != 0x20 {
            return Err(EntryError::Decode {
                reason: format!(
                    "hash length byte at offset {} is {length:#04x}, must be 0x20",
                    at + 1
                ),
            });
        }
        Ok(Hash(self.array(what)?))
    }
}
