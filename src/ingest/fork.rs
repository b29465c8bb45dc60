//! Fork evidence: which pairs of entries cannot both belong to one log,
//! and the one proof a forked log keeps.
//!
//! The rule (see `docs/bundle.md`): two different, validly signed entries
//! of one log are evidence of a fork when
//!
//! - they share a seq num n: forked at n, or at n - 1 if their backlinks
//!   differ (two different entries at n - 1 exist);
//! - one is at n and its backlink is not the hash of the other, at n - 1:
//!   forked at n - 1;
//! - one is at n and its lipmaa link is not the hash of the other, at
//!   lipmaa(n): forked at lipmaa(n);
//! - one is an end-of-log entry at e and the other comes after it: forked
//!   at e + 1.
//!
//! A log's fork point is the least over every pair in the set of entries
//! received, and its proof is the least pair by [`ProofKey`]: both are a
//! function of the set, whatever the order.

use super::cursor::LogCursor;
use crate::entry::{Entry, Hash, decode_entry};
use crate::store::{ForkKind, ForkProof, StoreError, Tx};

/// What orders the pairs that are evidence against one log: the least is
/// the log's proof. Fork point first, then kind, then the later entry's seq
/// num, then the hashes of the two entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ProofKey {
    /// The first seq num not trusted.
    pub seq: u64,
    pub kind: ForkKind,
    pub second_seq: u64,
    pub first: Hash,
    pub second: Hash,
}

/// A pair of entries that is evidence of a fork.
pub(super) struct Candidate {
    pub key: ProofKey,
    pub first: Vec<u8>,
    pub second: Vec<u8>,
}

impl Candidate {
    /// The fork proof of this pair.
    pub fn proof(&self, at: &Entry) -> ForkProof {
        ForkProof {
            author: at.author,
            log_id: at.log_id,
            seq_num: self.key.seq,
            kind: self.key.kind,
            first_entry: self.first.clone(),
            second_entry: self.second.clone(),
        }
    }
}

/// Whether `a` and `b`, two entries of one log, are evidence of a fork,
/// and what they prove. The order of the arguments does not matter.
pub(super) fn evidence(a: &Entry, b: &Entry) -> Option<Candidate> {
    if a.hash == b.hash || a.author != b.author || a.log_id != b.log_id {
        return None;
    }
    let (lo, hi) = match (a.seq_num, a.hash) < (b.seq_num, b.hash) {
        true => (a, b),
        false => (b, a),
    };
    let found = if lo.seq_num == hi.seq_num {
        match lo.backlink != hi.backlink {
            true => Some((lo.seq_num - 1, ForkKind::ConflictingBacklinks)),
            false => Some((lo.seq_num, ForkKind::SameSeqNum)),
        }
    } else {
        let backlink = hi.seq_num == lo.seq_num + 1 && hi.backlink != Some(lo.hash);
        let lipmaa = hi.lipmaa_link.is_some()
            && hi.lipmaa_seq() == lo.seq_num
            && hi.lipmaa_link != Some(lo.hash);
        let after_end = lo.is_end_of_log;
        [
            (backlink || lipmaa).then_some((lo.seq_num, ForkKind::LinkMismatch)),
            after_end.then_some((lo.seq_num.saturating_add(1), ForkKind::AfterEndOfLog)),
        ]
        .into_iter()
        .flatten()
        .min()
    };
    let (seq, kind) = found?;
    Some(Candidate {
        key: ProofKey {
            seq,
            kind,
            second_seq: hi.seq_num,
            first: lo.hash,
            second: hi.hash,
        },
        first: lo.bytes.clone(),
        second: hi.bytes.clone(),
    })
}

/// The key of a stored proof, worked out again from its two entries; `None`
/// if they are not evidence by today's rule.
pub(super) fn key_of(proof: &ForkProof) -> Option<ProofKey> {
    let first = decode_entry(&proof.first_entry).ok()?;
    let second = decode_entry(&proof.second_entry).ok()?;
    evidence(&first, &second).map(|c| c.key)
}

/// The seq nums m > n + 1 whose lipmaa link points at n. A lipmaa jump is
/// (3^k - 1) / 2 or 3^k, so there are at most about 80 to try.
pub(super) fn lipmaa_sources(n: u64) -> impl Iterator<Item = u64> {
    let mut jumps = Vec::new();
    let mut power: u64 = 3;
    loop {
        jumps.push(power);
        jumps.push((power - 1) / 2);
        match power.checked_mul(3) {
            Some(next) => power = next,
            None => break,
        }
    }
    jumps.sort_unstable();
    jumps.dedup();
    jumps
        .into_iter()
        .filter(|j| *j > 1)
        .filter_map(move |j| n.checked_add(j))
        .filter(move |m| bamboo_rs_core_ed25519_yasmf::lipmaa(*m) == n)
}

/// The least evidence that `entry` gives against its log: paired with the
/// log's stored entries and its held ones.
///
/// Errors: [`StoreError`] if SQLite fails.
pub(super) fn best_evidence(
    tx: &Tx<'_>,
    cursor: &mut LogCursor,
    entry: &Entry,
) -> Result<Option<Candidate>, StoreError> {
    let n = entry.seq_num;
    let mut best: Option<Candidate> = None;
    let mut consider = |candidate: Option<Candidate>| {
        if let Some(c) = candidate
            && best.as_ref().is_none_or(|b| c.key < b.key)
        {
            best = Some(c);
        }
    };
    // The stored run: only an entry at n, the ones its links name, and the
    // end of the log can disagree with it. Entries above n that name an
    // entry at n matter only if one is stored at n, and that pair is less.
    let lipmaa = entry.lipmaa_link.map(|_| entry.lipmaa_seq());
    let mut seqs = vec![n, n - 1];
    seqs.extend(lipmaa);
    seqs.extend(cursor.ended_at.filter(|e| *e < n));
    seqs.sort_unstable();
    seqs.dedup();
    let height = cursor.height;
    for seq in seqs.into_iter().filter(|s| *s >= 1 && *s <= height) {
        let Some(hash) = cursor.main_hash(tx, seq)? else {
            continue;
        };
        let agrees = (seq == n - 1 && entry.backlink == Some(hash))
            || (Some(seq) == lipmaa && entry.lipmaa_link == Some(hash));
        if hash == entry.hash || (agrees && cursor.ended_at != Some(seq)) {
            continue;
        }
        if let Some(stored) = tx.entry_at(&entry.author, entry.log_id, seq)?
            && let Ok(stored) = decode_entry(&stored.bytes)
        {
            consider(evidence(&stored, entry));
        }
    }
    if cursor.held.is_empty() {
        return Ok(best);
    }
    // The held entries: those at the positions the links and the log's
    // order relate to n, the ends of the log before n, and, when this
    // entry ends the log, the first entry after it.
    let mut seqs = vec![n, n - 1, n.saturating_add(1)];
    seqs.extend(lipmaa);
    seqs.extend(lipmaa_sources(n));
    seqs.sort_unstable();
    seqs.dedup();
    for seq in seqs {
        for held in cursor.held.get(&seq).into_iter().flatten() {
            consider(evidence(&held.entry, entry));
        }
    }
    if cursor.held_ends > 0 {
        for held in cursor.held.range(..n).flat_map(|(_, h)| h) {
            if held.entry.is_end_of_log {
                consider(evidence(&held.entry, entry));
            }
        }
    }
    if entry.is_end_of_log
        && let Some((_, after)) = cursor.held.range(n.saturating_add(1)..).next()
    {
        for held in after {
            consider(evidence(&held.entry, entry));
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lipmaa_sources_are_every_seq_that_links_back_to_n() {
        for n in 1..3000u64 {
            let brute: Vec<u64> = (n + 2..n * 4 + 10)
                .filter(|m| bamboo_rs_core_ed25519_yasmf::lipmaa(*m) == n)
                .collect();
            let found: Vec<u64> = lipmaa_sources(n).collect();
            assert_eq!(found, brute, "seq {n}");
        }
    }
}
