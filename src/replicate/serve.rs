//! Answering a `Sync` request: the page of what the asker lacks.

use std::collections::HashMap;

use crate::entry::{PublicKey, decode_entry};
use crate::store::{Reader, StoreError};

use super::protocol::{LogHeight, PAGE_BYTES, PAGE_ENTRIES, Page, WireEntry, WireProof};
use super::unit::{Unit, held_first};

/// Heights by log, as a peer sent them.
pub type HeightMap = HashMap<(PublicKey, u64), LogHeight>;

/// Heights by log from a list (a later line for one log replaces an
/// earlier one).
pub fn height_map(heights: &[LogHeight]) -> HeightMap {
    heights
        .iter()
        .map(|h| ((PublicKey(h.author), h.log_id), h.clone()))
        .collect()
}

/// The page of `unit` that a peer with heights `theirs` lacks: entries
/// above its height, log by log in the unit's order and in seq order
/// within a log, and the fork proofs it does not name, at most
/// [`PAGE_ENTRIES`] items or about [`PAGE_BYTES`] bytes. `more` is set
/// when the page is full: the unit may hold more.
///
/// Errors: [`StoreError`] if SQLite fails.
pub fn page_for(reader: &Reader<'_>, unit: &Unit, theirs: &HeightMap) -> Result<Page, StoreError> {
    let mut page = Page {
        heights: unit.heights(),
        ..Page::default()
    };
    let mut bytes = 0usize;
    let mut items = 0usize;
    for log in &unit.logs {
        let key = (log.author, log.log_id);
        let their = theirs.get(&key);
        if let Some(digest) = unit.forks.get(&key)
            && their.and_then(|h| h.fork) != Some(*digest)
        {
            if items >= PAGE_ENTRIES {
                page.more = true;
                return Ok(page);
            }
            for proof in reader
                .fork_proofs()?
                .into_iter()
                .filter(|p| (p.author, p.log_id) == key)
                .take(1)
            {
                bytes += proof.first_entry.len() + proof.second_entry.len();
                items += 1;
                page.proofs.push(WireProof {
                    first: proof.first_entry,
                    second: proof.second_entry,
                });
            }
        }
        let from = their.map_or(0, |h| h.seq_num) + 1;
        if from > log.height {
            // A log forked at seq 1: its first entry, held, goes with the
            // proof, so that the asker knows the log's festival.
            if log.height == 0
                && from == 1
                && page.proofs.last().is_some_and(|p| {
                    decode_entry(&p.first).is_ok_and(|e| (e.author, e.log_id) == key)
                })
                && let Some((entry, payload)) = held_first(reader, &log.author, log.log_id)?
            {
                bytes += entry.len() + payload.len();
                items += 1;
                page.entries.push(WireEntry { entry, payload });
            }
            continue;
        }
        if items >= PAGE_ENTRIES || bytes >= PAGE_BYTES {
            page.more = true;
            return Ok(page);
        }
        let mut next = from;
        while next <= log.height {
            let want = (PAGE_ENTRIES - items).min(256);
            let chunk = reader.entries_from(&log.author, log.log_id, next, want)?;
            if chunk.is_empty() {
                break;
            }
            for (entry, payload) in chunk {
                bytes += entry.len() + payload.len();
                items += 1;
                next += 1;
                page.entries.push(WireEntry { entry, payload });
                if items >= PAGE_ENTRIES || bytes >= PAGE_BYTES {
                    // Full: the asker asks again, and learns from that
                    // answer (perhaps empty) whether anything is left.
                    page.more = true;
                    return Ok(page);
                }
            }
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{Hash, KeyPair, LogChain};
    use crate::ingest::{RawEntry, ingest};
    use crate::operation::{Fields, Operation, Policy, ResourceFields, ResourceKind};
    use crate::store::Store;

    /// A store with `count` resources of one author in `festival`.
    fn store_with(festival: Hash, count: usize) -> Store {
        let key = KeyPair::from_name("ada");
        let mut chain = LogChain::new(&key, 0);
        let raw: Vec<RawEntry> = (0..count)
            .map(|n| {
                let payload = crate::operation::encode_operation(&Operation::create(
                    Fields::Resource(ResourceFields {
                        festival,
                        title: format!("Thing {n}"),
                        description: String::new(),
                        kind: ResourceKind::Thing,
                        location: None,
                        policy: Policy::Manual,
                        derived_from: None,
                        source: None,
                    }),
                ));
                RawEntry {
                    entry: chain.append(&payload).unwrap().bytes,
                    payload: Some(payload),
                    origin: format!("entry {n}"),
                }
            })
            .collect();
        let mut store = Store::in_memory().unwrap();
        let report = ingest(&mut store, raw.into_iter().map(Ok), |_| {}).unwrap();
        assert!(report.is_clean());
        store
    }

    #[test]
    fn pages_a_long_log_and_the_asker_takes_each_page_in() {
        let festival = Hash::of(b"festival");
        let from = store_with(festival, 2 * PAGE_ENTRIES + 500);
        let mut to = Store::in_memory().unwrap();
        let mut sizes = Vec::new();
        loop {
            let theirs = height_map(&Unit::read(&to.read(), festival).unwrap().heights());
            let reader = from.read();
            let unit = Unit::read(&reader, festival).unwrap();
            let page = page_for(&reader, &unit, &theirs).unwrap();
            sizes.push((page.entries.len(), page.more));
            let accepted = super::super::accept_page(&mut to, festival, &page, "test").unwrap();
            assert!(accepted.faults.is_empty(), "{:?}", accepted.faults);
            assert_eq!(accepted.received, page.entries.len() as u64);
            if !page.more {
                break;
            }
        }
        assert_eq!(
            sizes,
            [(PAGE_ENTRIES, true), (PAGE_ENTRIES, true), (500, false)]
        );
        assert_eq!(
            to.read().entry_count().unwrap(),
            2 * PAGE_ENTRIES as u64 + 500
        );
    }

    #[test]
    fn serves_nothing_of_another_festival() {
        let from = store_with(Hash::of(b"festival"), 3);
        let other = Hash::of(b"another");
        let reader = from.read();
        let unit = Unit::read(&reader, other).unwrap();
        let page = page_for(&reader, &unit, &HeightMap::new()).unwrap();
        assert_eq!(page, Page::default());
    }
}
