//! BLAKE3 hashes in the YASMF form that Bamboo links and p2panda ids use.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 32-byte BLAKE3 hash.
///
/// It is shown in the YASMF form p2panda uses for ids: the hash type
/// (`0x00`, BLAKE3) and the length (`0x20`) as hex, then the 32 hash bytes as
/// hex, 68 characters in all (`0020…`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash(pub [u8; 32]);

/// The id of an operation: the hash of the entry that carries it.
pub type OperationId = Hash;

/// The id of a document: the id of its CREATE operation.
pub type DocumentId = Hash;

impl Hash {
    /// Hashes `bytes` with BLAKE3.
    pub fn of(bytes: &[u8]) -> Hash {
        Hash(*blake3::hash(bytes).as_bytes())
    }

    /// The 68-character YASMF hex form (`0020` + 64 hex digits).
    pub fn to_hex(&self) -> String {
        self.yasmf_digits().to_string()
    }

    /// The YASMF hex form on the stack: ids are shown in every page path
    /// and link, and this spares an allocation where they are formatted.
    fn yasmf_digits(&self) -> HexDigits<68> {
        HexDigits::new(b"0020", &self.0)
    }

    /// The first 8 hex digits of the hash itself, for display.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..4])
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.yasmf_digits().fmt(f)
    }
}

/// `N` ASCII hex digits (with a prefix) held on the stack.
pub(crate) struct HexDigits<const N: usize>([u8; N]);

impl<const N: usize> HexDigits<N> {
    /// `prefix` (ASCII), then `bytes` as lowercase hex.
    ///
    /// Panics unless the two fill exactly `N` characters.
    pub(crate) fn new(prefix: &[u8], bytes: &[u8]) -> HexDigits<N> {
        assert!(prefix.is_ascii() && prefix.len() + 2 * bytes.len() == N);
        let mut out = [0; N];
        out[..prefix.len()].copy_from_slice(prefix);
        hex::encode_to_slice(bytes, &mut out[prefix.len()..]).expect("the lengths add up");
        HexDigits(out)
    }
}

impl<const N: usize> fmt::Display for HexDigits<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.0).expect("hex digits are ASCII"))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.short())
    }
}

/// Why a string is not a hash id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{text}` is not a hash id: expected 68 hex digits starting with 0020")]
pub struct ParseHashError {
    text: String,
}

impl FromStr for Hash {
    type Err = ParseHashError;

    /// Parses the 68-character YASMF hex form.
    fn from_str(s: &str) -> Result<Hash, ParseHashError> {
        let err = || ParseHashError {
            text: s.chars().take(80).collect(),
        };
        let rest = s.strip_prefix("0020").ok_or_else(err)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(rest, &mut out).map_err(|_| err())?;
        Ok(Hash(out))
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Hash, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_form_round_trips() {
        let hash = Hash::of(b"pandafest");
        let text = hash.to_hex();
        assert_eq!(text.len(), 68);
        assert!(text.starts_with("0020"));
        assert_eq!(text.parse::<Hash>().unwrap(), hash);
    }

    #[test]
    fn rejects_hash_without_yasmf_prefix() {
        let text = hex::encode([7u8; 34]);
        let err = text.parse::<Hash>().unwrap_err();
        assert!(err.to_string().contains("expected 68 hex digits"));
    }
}
