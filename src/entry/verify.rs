//! Signature verification in batches (ed25519, Bamboo's signing bytes).

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use rayon::prelude::*;

use super::Entry;

/// How many signatures one ed25519 batch verification takes. Larger
/// batches cost less per signature (about a tenth less at 256 than at 64),
/// and one ingest batch still splits into several for the threads.
pub const SIGNATURE_BATCH: usize = 256;

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

/// The verifying keys of `entries`, in order; `None` where the author's
/// bytes are not a curve point. A batch mostly comes from one log, so each
/// author's key is decompressed once per batch.
fn verifying_keys(entries: &[Entry]) -> Vec<Option<VerifyingKey>> {
    let mut last: Option<([u8; 32], Option<VerifyingKey>)> = None;
    entries
        .iter()
        .map(|entry| match &last {
            Some((author, key)) if *author == entry.author.0 => *key,
            _ => {
                let key = VerifyingKey::from_bytes(&entry.author.0).ok();
                last = Some((entry.author.0, key));
                key
            }
        })
        .collect()
}

/// The 64-byte signature of `entry`.
fn signature(entry: &Entry) -> Signature {
    let bytes: &[u8; 64] = entry
        .signature()
        .try_into()
        .expect("a decoded entry ends in 64 signature bytes");
    Signature::from_bytes(bytes)
}

fn verify_chunk(chunk: &[Entry]) -> Vec<bool> {
    let keys = verifying_keys(chunk);
    let signatures: Vec<Signature> = chunk.iter().map(signature).collect();
    if keys.iter().all(Option::is_some) {
        let all: Vec<VerifyingKey> = keys.iter().flatten().copied().collect();
        let messages: Vec<&[u8]> = chunk.iter().map(Entry::signed_bytes).collect();
        if ed25519_dalek::verify_batch(&messages, &signatures, &all).is_ok() {
            return vec![true; chunk.len()];
        }
    }
    chunk
        .iter()
        .zip(keys)
        .zip(&signatures)
        .map(|((entry, key), signature)| {
            key.is_some_and(|key| key.verify(entry.signed_bytes(), signature).is_ok())
        })
        .collect()
}
