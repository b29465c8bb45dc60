//! Bamboo entries: keys, strict decoding, batch signature verification and
//! signing (Bamboo with ed25519 and yasmf BLAKE3 hashes).

mod decode;
mod hash;
mod key;
mod publish;
mod verify;

pub use decode::{Entry, MAX_ENTRY_SIZE, decode_entry};
pub use hash::{DocumentId, Hash, OperationId, ParseHashError};
pub use key::{KeyError, KeyPair, PublicKey, key_lock_path, key_logs_path, key_path};
pub use publish::{LogChain, Previous, sign_next, sign_raw};
pub use verify::{SIGNATURE_BATCH, verify_signatures};

/// Why an entry was not accepted.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum EntryError {
    /// The bytes are not a canonical Bamboo entry.
    #[error("non-canonical or malformed entry encoding: {reason}")]
    Decode {
        /// The first rule the bytes break.
        reason: String,
    },
    /// Bamboo refused to sign the entry.
    #[error("cannot sign entry: {reason}")]
    Publish {
        /// Bamboo's error.
        reason: String,
    },
}

#[cfg(test)]
mod tests;
