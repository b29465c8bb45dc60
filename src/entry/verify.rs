//! Signature verification in batches (ed25519, Bamboo's signing bytes).

use ed25519_dalek::{PublicKey as DalekPublicKey, Signature, Verifier};
use rayon::prelude::*;

use super::Entry;

/// How many signatures one ed25519 batch verification takes.
pub const SIGNATURE_BATCH: usize = 64;

/// Verifies the signatures of `entries` in batches, in parallel.
///
/// Returns one flag per entry, in order: `true` if its ed25519 signature over
/// its signing bytes is valid. A batch that fails is checked entry by entry,
/// so one bad signature never hides the good ones beside it.
pub fn verify_signatures(entries: &[Entry]) -> Vec<bool> {
    entries
        .par_chunks(SIGNATURE_BATCH)
        .flat_map_iter(verify_chunk)
        .collect()
}

fn parts(entry: &Entry) -> Option<(DalekPublicKey, Signature)> {
    let signature = Signature::from_bytes(entry.signature()).ok()?;
    Some((entry.key, signature))
}

fn verify_chunk(chunk: &[Entry]) -> Vec<bool> {
    let parsed: Vec<_> = chunk.iter().map(parts).collect();
    if parsed.iter().all(Option::is_some) {
        let (keys, signatures): (Vec<_>, Vec<_>) = parsed.iter().flatten().cloned().unzip();
        let messages: Vec<&[u8]> = chunk.iter().map(Entry::signed_bytes).collect();
        if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
            return vec![true; chunk.len()];
        }
    }
    chunk
        .iter()
        .zip(parsed)
        .map(|(entry, parts)| match parts {
            Some((key, signature)) => key.verify(entry.signed_bytes(), &signature).is_ok(),
            None => false,
        })
        .collect()
}
