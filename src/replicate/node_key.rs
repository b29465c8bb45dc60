//! The node's network key, `.pandafest/node_key` (mode 0600): an ed25519
//! key in libp2p's protobuf encoding, separate from the author key, so a
//! peer id says nothing about who writes.

use std::fs;
use std::path::{Path, PathBuf};

use libp2p::identity::Keypair;

use super::{ReplicateError, state_dir};

/// `DIR/.pandafest/node_key`.
pub fn node_key_path(root: &Path) -> PathBuf {
    state_dir(root).join("node_key")
}

/// Reads the directory's network key, or makes one (mode 0600 on Unix)
/// when there is none.
///
/// Errors: [`ReplicateError::NodeKey`] if the file cannot be read, is not
/// a key, or cannot be written.
pub fn load_or_create_node_key(root: &Path) -> Result<Keypair, ReplicateError> {
    let path = node_key_path(root);
    let fail = |reason: String| ReplicateError::NodeKey {
        path: path.clone(),
        reason,
    };
    match fs::read(&path) {
        Ok(bytes) => Keypair::from_protobuf_encoding(&bytes)
            .map_err(|e| fail(format!("not a libp2p key: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = Keypair::generate_ed25519();
            let bytes = key
                .to_protobuf_encoding()
                .map_err(|e| fail(e.to_string()))?;
            fs::create_dir_all(state_dir(root)).map_err(|e| fail(e.to_string()))?;
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            use std::io::Write as _;
            let mut file = options.open(&path).map_err(|e| fail(e.to_string()))?;
            file.write_all(&bytes).map_err(|e| fail(e.to_string()))?;
            file.sync_all().map_err(|e| fail(e.to_string()))?;
            Ok(key)
        }
        Err(e) => Err(fail(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_the_node_key_once_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_node_key(dir.path()).unwrap();
        let again = load_or_create_node_key(dir.path()).unwrap();
        assert_eq!(first.public(), again.public());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(node_key_path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn names_a_node_key_that_is_not_one() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(".pandafest")).unwrap();
        fs::write(node_key_path(dir.path()), b"garbage").unwrap();
        let error = load_or_create_node_key(dir.path()).unwrap_err().to_string();
        assert!(error.contains("node_key: not a libp2p key"), "{error}");
    }
}
