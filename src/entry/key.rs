//! Ed25519 keys: the author identity of every Bamboo log.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ed25519_dalek_v1::{Keypair, PublicKey as DalekPublicKey, SecretKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::hash::HexDigits;

/// An author: an ed25519 public key, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// The 64-digit hex form.
    pub fn to_hex(&self) -> String {
        self.digits().to_string()
    }

    fn digits(&self) -> HexDigits<64> {
        HexDigits::new(b"", &self.0)
    }

    /// The first 8 hex digits, for display where no profile name is known.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..4])
    }

    /// Whether the 32 bytes are an ed25519 public key: a compressed
    /// Edwards point that decompresses. It costs a square root.
    pub fn is_curve_point(&self) -> bool {
        ed25519_zebra::VerificationKey::try_from(self.0).is_ok()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.digits().fmt(f)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.short())
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;

    /// Parses 64 hex digits.
    fn from_str(s: &str) -> Result<PublicKey, KeyError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| KeyError::BadPublicKey {
            text: s.chars().take(80).collect(),
        })?;
        Ok(PublicKey(out))
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PublicKey, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Errors from creating, loading or parsing keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file exists already; `key new` never overwrites a key.
    #[error("key file {path} exists already; remove it first to make a new key")]
    Exists {
        /// The key file.
        path: PathBuf,
    },
    /// The key file does not hold 64 hex digits.
    #[error("key file {path} does not hold an ed25519 secret key as 64 hex digits")]
    BadSecret {
        /// The key file.
        path: PathBuf,
    },
    /// A public key string is not 64 hex digits.
    #[error("`{text}` is not a public key: expected 64 hex digits")]
    BadPublicKey {
        /// The text that was given, cut to 80 characters.
        text: String,
    },
    /// The operating system's random source failed.
    #[error("cannot read random bytes for a new key: {0}")]
    Random(String),
}

/// An ed25519 key pair that signs a local author's entries.
pub struct KeyPair {
    inner: Keypair,
}

impl KeyPair {
    /// Makes a new key pair from the operating system's random source.
    ///
    /// Errors: [`KeyError::Random`] if no random bytes can be read.
    pub fn generate() -> Result<KeyPair, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(KeyPair::from_seed(seed))
    }

    /// Makes the key pair whose ed25519 secret key is `seed` (32 bytes).
    pub fn from_seed(seed: [u8; 32]) -> KeyPair {
        let secret = SecretKey::from_bytes(&seed).expect("32 bytes is a valid secret key");
        let public = DalekPublicKey::from(&secret);
        KeyPair {
            inner: Keypair { secret, public },
        }
    }

    /// Derives a key pair from a name, for fixtures and the sample festival:
    /// the seed is BLAKE3 of `pandafest fixed key: NAME`. Never use it for
    /// real keys.
    pub fn from_name(name: &str) -> KeyPair {
        KeyPair::from_seed(
            *blake3::hash(format!("pandafest fixed key: {name}").as_bytes()).as_bytes(),
        )
    }

    /// The author's public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.inner.public.to_bytes())
    }

    /// The dalek key pair, for signing with the Bamboo crate.
    pub(crate) fn dalek(&self) -> &Keypair {
        &self.inner
    }

    /// Loads the secret key stored as hex at `path`.
    ///
    /// Errors: [`KeyError::Io`] if it cannot be read, [`KeyError::BadSecret`]
    /// if it is not 64 hex digits.
    pub fn load(path: &Path) -> Result<KeyPair, KeyError> {
        let text = fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut seed = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| KeyError::BadSecret {
            path: path.to_owned(),
        })?;
        Ok(KeyPair::from_seed(seed))
    }

    /// Stores the secret key as hex at `path`, creating the parent directory,
    /// with file mode 0600 on Unix. Never overwrites an existing file.
    ///
    /// Errors: [`KeyError::Exists`] if the file exists, [`KeyError::Io`] on I/O.
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        if path.exists() {
            return Err(KeyError::Exists {
                path: path.to_owned(),
            });
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io)?;
        }
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(io)?;
        writeln!(file, "{}", hex::encode(self.inner.secret.to_bytes())).map_err(io)?;
        Ok(())
    }
}

/// The key file of a festival directory: `DIR/.pandafest/key`.
pub fn key_path(dir: &Path) -> PathBuf {
    dir.join(".pandafest").join("key")
}

/// The lock file beside a key file: `<key path>.lock`. While a publisher
/// signs with the key, it holds an exclusive lock on this file (see
/// [`crate::publish::Publisher::locked`]).
pub fn key_lock_path(key_path: &Path) -> PathBuf {
    beside(key_path, ".lock")
}

/// The log record beside a key file: `<key path>.logs`, one line per log
/// the key signs (log id, festival, highest seq), so that directories
/// sharing the key never give two festivals one log id.
pub fn key_logs_path(key_path: &Path) -> PathBuf {
    beside(key_path, ".logs")
}

/// `path` with `suffix` appended to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_and_loads_key_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(dir.path());
        let key = KeyPair::generate().unwrap();
        key.save(&path).unwrap();
        let loaded = KeyPair::load(&path).unwrap();
        assert_eq!(loaded.public_key(), key.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = key.save(&path).unwrap_err();
        assert!(err.to_string().contains("exists already"), "{err}");
    }

    #[test]
    fn rejects_garbage_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        fs::write(&path, "not a key").unwrap();
        let err = KeyPair::load(&path).err().unwrap();
        assert!(err.to_string().contains("64 hex digits"), "{err}");
    }

    #[test]
    fn lock_and_log_record_sit_beside_the_key() {
        let key = key_path(Path::new("fest"));
        assert_eq!(key_lock_path(&key), Path::new("fest/.pandafest/key.lock"));
        assert_eq!(key_logs_path(&key), Path::new("fest/.pandafest/key.logs"));
        assert_eq!(
            key_lock_path(Path::new("/keys/ada.key")),
            Path::new("/keys/ada.key.lock")
        );
    }

    #[test]
    fn named_keys_are_fixed() {
        assert_eq!(
            KeyPair::from_name("ada").public_key(),
            KeyPair::from_name("ada").public_key()
        );
        assert_ne!(
            KeyPair::from_name("ada").public_key(),
            KeyPair::from_name("bea").public_key()
        );
    }
}
