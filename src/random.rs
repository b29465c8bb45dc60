//! Random bytes for the few places that need them: the nonce of the list
//! rows' marks and the coefficients of batch signature verification.
//! Nothing random ever reaches the output.

/// `N` random bytes from the operating system. Should it fail, they come
/// from the random seeds std draws for its hash maps, which are just as
/// unknown to the authors of the logs.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if getrandom::getrandom(&mut bytes).is_err() {
        use std::hash::BuildHasher;
        for (i, chunk) in bytes.chunks_mut(8).enumerate() {
            let seed = std::collections::hash_map::RandomState::new();
            let word = seed.hash_one(i).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
    bytes
}
