//! Signature verification in batches: ed25519 over Bamboo's signing bytes,
//! by the rules of ZIP 215 (ed25519-zebra).
//!
//! One rule decides every entry, batched or alone. ed25519-dalek's batch
//! check is not the same rule as its single check: a crafted signature
//! whose R has a small-order part can pass in one batch and fail alone, or
//! in another batch, depending on the random coefficients. Whether such an
//! entry was stored would then depend on chance and on the entries beside
//! it, and a rebuild of an archive could disagree with the first build.
//! ZIP 215's batch and single checks agree on every signature.

use ed25519_zebra::batch::{Item, Verifier};
use ed25519_zebra::{Signature, VerificationKeyBytes};
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;

use super::Entry;

/// How many signatures one batch verification takes. Larger batches cost
/// less per signature, and one ingest batch still splits into several for
/// the threads.
pub const SIGNATURE_BATCH: usize = 256;

/// Verifies the signatures of `entries` in batches, in parallel.
///
/// Returns one flag per entry, in order: `true` if its ed25519 signature
/// over its signing bytes is valid by ZIP 215 (which also needs the author
/// key to be a curve point). A batch that fails is checked entry by entry,
/// so one bad signature never hides the good ones beside it.
pub fn verify_signatures(entries: &[Entry]) -> Vec<bool> {
    entries
        .par_chunks(SIGNATURE_BATCH)
        .flat_map_iter(verify_chunk)
        .collect()
}

/// The batch item of `entry`: its author, its signature, and the hash of
/// its signing bytes.
fn item(entry: &Entry) -> Item {
    let signature: [u8; 64] = entry
        .signature()
        .try_into()
        .expect("a decoded entry ends in 64 signature bytes");
    Item::from((
        VerificationKeyBytes::from(entry.author.0),
        Signature::from_bytes(&signature),
        entry.signed_bytes(),
    ))
}

fn verify_chunk(chunk: &[Entry]) -> Vec<bool> {
    let items: Vec<Item> = chunk.iter().map(item).collect();
    let mut batch = Verifier::new();
    for item in &items {
        batch.queue(item.clone());
    }
    // A batch of one author's entries shares its key's terms: nearly half
    // the work of checking each signature on its own.
    if batch.verify(BatchRng::new()).is_ok() {
        return vec![true; chunk.len()];
    }
    items
        .into_iter()
        .map(|item| item.verify_single().is_ok())
        .collect()
}

/// The random coefficients of one batch: BLAKE3's output stream under a
/// key from the operating system. One key per batch instead of a system
/// call per signature.
struct BatchRng(blake3::OutputReader);

impl BatchRng {
    fn new() -> BatchRng {
        let key = crate::random::random_bytes::<32>();
        BatchRng(blake3::Hasher::new_keyed(&key).finalize_xof())
    }
}

impl RngCore for BatchRng {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0u8; 4];
        self.0.fill(&mut bytes);
        u32::from_le_bytes(bytes)
    }

    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        self.0.fill(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.fill(dest);
        Ok(())
    }
}

impl CryptoRng for BatchRng {}
