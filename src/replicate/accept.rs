//! Taking in a page from a peer: what is wrong with it is named, the
//! valid rest goes through ingest.

use std::collections::{BTreeSet, HashMap};

use crate::entry::{DocumentId, PublicKey, decode_entry};
use crate::ingest::{RawEntry, ingest, log_festival};
use crate::operation::{Action, Fields, decode_operation};
use crate::store::{Store, StoreError};

use super::protocol::{PAGE_ENTRIES, Page};
use super::unit::Unit;

/// What came of a page.
#[derive(Debug, Default)]
pub struct Accepted {
    /// Entries stored for the first time.
    pub received: u64,
    /// Entries refused here or rejected by ingest.
    pub rejected: u64,
    /// What was wrong with the page, one line each (the peer's fault).
    pub faults: Vec<String>,
    /// Forks the page's entries revealed (the author's doing, not the
    /// peer's).
    pub forks: Vec<String>,
    /// The logs that got entries.
    pub changed: BTreeSet<(PublicKey, u64)>,
}

/// Checks the entries and fork proofs of `page`, an answer about
/// `festival`, and ingests those that pass: each entry must follow the
/// log's height (or the entry before it in the page) without a gap, and
/// belong to the festival's unit (a log the store has of it, or a new log
/// whose first operation is about a festival of the unit, or the profile
/// log of an author of the unit). `origin` names the peer in ingest's
/// reports.
///
/// Errors: [`StoreError`] if SQLite fails; everything wrong with the page
/// is in [`Accepted::faults`].
pub fn accept_page(
    store: &mut Store,
    festival: DocumentId,
    page: &Page,
    origin: &str,
) -> Result<Accepted, StoreError> {
    let mut out = Accepted::default();
    let items = page.entries.len() + page.proofs.len();
    if items > PAGE_ENTRIES {
        out.faults.push(format!(
            "sent a page of {items} entries and fork proofs, over the limit of {PAGE_ENTRIES}"
        ));
        out.rejected = items as u64;
        return Ok(out);
    }
    let reader = store.read();
    let mut unit = Unit::read(&reader, festival)?;
    let known: HashMap<(PublicKey, u64), Option<DocumentId>> = reader
        .logs()?
        .into_iter()
        .map(|l| ((l.author, l.log_id), l.festival))
        .collect();
    let mut next: HashMap<(PublicKey, u64), u64> = unit
        .logs
        .iter()
        .map(|l| ((l.author, l.log_id), l.height + 1))
        .collect();
    let mut authors = unit.authors();
    let mut refused: BTreeSet<(PublicKey, u64)> = BTreeSet::new();
    let mut raw = Vec::with_capacity(items);
    for (n, wire) in page.entries.iter().enumerate() {
        let at = format!("{origin} entry {}", n + 1);
        let entry = match decode_entry(&wire.entry) {
            Ok(entry) => entry,
            Err(e) => {
                out.faults
                    .push(format!("sent an entry that does not decode ({at}): {e}"));
                out.rejected += 1;
                continue;
            }
        };
        let key = (entry.author, entry.log_id);
        let name = format!("log {} of {}", entry.log_id, entry.author);
        if refused.contains(&key) {
            out.rejected += 1;
            continue;
        }
        let in_unit = next.contains_key(&key);
        if !in_unit {
            if known.contains_key(&key) {
                out.faults.push(format!(
                    "sent {name}, which is not of the festival {festival} that was asked for"
                ));
                refused.insert(key);
                out.rejected += 1;
                continue;
            }
            if entry.seq_num != 1 {
                out.faults.push(format!(
                    "sent {name} from seq {}: it skips seqs 1 to {}",
                    entry.seq_num,
                    entry.seq_num - 1
                ));
                refused.insert(key);
                out.rejected += 1;
                continue;
            }
            let op = decode_operation(&wire.payload).ok();
            let of = op.as_ref().and_then(|op| log_festival(op, entry.hash));
            let belongs = match of {
                Some(f) if unit.festivals.contains_key(&f) => true,
                // A nested festival's first operation names its parent.
                Some(f) => match op.as_ref().and_then(|op| op.fields.as_ref()) {
                    Some(Fields::Festival(fields))
                        if op.as_ref().is_some_and(|op| op.action == Action::Create)
                            && fields
                                .parent
                                .is_some_and(|p| unit.festivals.contains_key(&p)) =>
                    {
                        let depth = unit.festivals[&fields.parent.expect("checked")] + 1;
                        unit.festivals.insert(f, depth);
                        true
                    }
                    _ => false,
                },
                None => authors.contains(&entry.author) || op.is_none(),
            };
            if !belongs {
                let what = match of {
                    Some(f) => format!("of the festival {f}"),
                    None => "a profile log of an author who writes nothing in it".into(),
                };
                out.faults.push(format!(
                    "sent {name}, {what}, which is not the festival {festival} that was asked for"
                ));
                refused.insert(key);
                out.rejected += 1;
                continue;
            }
            if of.is_some() {
                authors.insert(entry.author);
            }
            next.insert(key, 1);
        }
        let expected = next[&key];
        if entry.seq_num != expected {
            let what = if entry.seq_num > expected {
                format!(
                    "skips seqs {expected} to {}: sent seq {} next",
                    entry.seq_num - 1,
                    entry.seq_num
                )
            } else {
                format!(
                    "sent seq {} again, after seq {}",
                    entry.seq_num,
                    expected - 1
                )
            };
            out.faults.push(format!("{name}: {what}"));
            refused.insert(key);
            out.rejected += 1;
            continue;
        }
        next.insert(key, expected + 1);
        raw.push(RawEntry {
            entry: wire.entry.clone(),
            payload: Some(wire.payload.clone()),
            origin: at,
        });
    }
    for (n, proof) in page.proofs.iter().enumerate() {
        let at = format!("{origin} fork proof {}", n + 1);
        let position = decode_entry(&proof.first).map(|e| (e.author, e.log_id));
        match position {
            Ok(key) if next.contains_key(&key) => {
                for (which, bytes) in [("first", &proof.first), ("second", &proof.second)] {
                    raw.push(RawEntry {
                        entry: bytes.clone(),
                        payload: None,
                        origin: format!("{at}, {which} entry"),
                    });
                }
            }
            Ok((author, log_id)) => {
                out.faults.push(format!(
                    "sent a fork proof of log {log_id} of {author}, which is not of the festival {festival} that was asked for"
                ));
                out.rejected += 2;
            }
            Err(e) => {
                out.faults.push(format!(
                    "sent a fork proof that does not decode ({at}): {e}"
                ));
                out.rejected += 2;
            }
        }
    }
    let before: HashMap<(PublicKey, u64), u64> = reader
        .logs()?
        .into_iter()
        .map(|l| ((l.author, l.log_id), l.height))
        .collect();
    if raw.is_empty() {
        return Ok(out);
    }
    let report = ingest(store, raw.into_iter().map(Ok), |_| {})?;
    out.received = report.ingested;
    out.rejected += report.rejected.len();
    for run in report.rejected.runs() {
        out.faults.push(format!("sent a rejected entry: {run}"));
    }
    for fork in &report.forks {
        out.forks.push(format!(
            "log {} of {} is forked at seq {}: {}",
            fork.log_id,
            fork.author,
            fork.seq_num,
            fork.kind.as_str()
        ));
    }
    for log in store.read().logs()? {
        let key = (log.author, log.log_id);
        if before.get(&key) != Some(&log.height) {
            out.changed.insert(key);
        }
    }
    for fork in &report.forks {
        out.changed.insert((fork.author, fork.log_id));
    }
    Ok(out)
}
