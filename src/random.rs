//! Random bytes for the few places that need them: the nonce of the list
//! rows' marks and the coefficients of batch signature verification.
//! Nothing random ever reaches the output.

/// `N` random bytes from the operating system.
///
/// Panics if the operating system has no random source; std's hash maps,
/// which pandafest uses everywhere, need one just the same.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).expect("the operating system's random source");
    bytes
}
