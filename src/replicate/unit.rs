//! The unit of replication: a festival with its nested festivals, and the
//! logs that belong to it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::entry::{DocumentId, Hash, PublicKey, decode_entry};
use crate::ingest::log_festival;
use crate::operation::{Action, Fields, decode_operation};
use crate::store::{EntryRecord, LogState, Reader, StoreError};

use super::protocol::{FestivalInfo, LogHeight};

/// What a store holds of one festival and its nested festivals.
///
/// A log belongs to the festival its first operation is about. The unit's
/// logs are those of the festival and of every festival nested in it
/// (directly or not), and the logs about no festival (profiles) of every
/// author who writes in the unit.
#[derive(Debug)]
pub struct Unit {
    /// The festival asked for.
    pub festival: DocumentId,
    /// It and its nested festivals, with their depth (0 for the festival).
    pub festivals: HashMap<DocumentId, usize>,
    /// The unit's logs in the order they are served: the festivals' own
    /// logs by depth, the other logs of the festivals, then profile logs.
    pub logs: Vec<LogState>,
    /// Fork proof digests by log.
    pub forks: HashMap<(PublicKey, u64), [u8; 32]>,
}

/// Every festival in the store: id → (parent, name), from the operation
/// that created it (the first of its log).
///
/// Errors: [`StoreError`] if SQLite fails.
pub fn festivals(
    reader: &Reader<'_>,
    logs: &[LogState],
) -> Result<BTreeMap<DocumentId, (Option<DocumentId>, String)>, StoreError> {
    let mut out = BTreeMap::new();
    for log in logs {
        let Some(festival) = log.festival else {
            continue;
        };
        let Some(entry) = reader.entry_bytes(&log.author, log.log_id, 1)? else {
            continue;
        };
        if Hash::of(&entry) != festival {
            continue;
        }
        let Some(payload) = reader.payload_at(&log.author, log.log_id, 1)? else {
            continue;
        };
        if let Ok(op) = decode_operation(&payload)
            && op.action == Action::Create
            && let Some(Fields::Festival(fields)) = op.fields
        {
            out.insert(festival, (fields.parent, fields.name));
        }
    }
    Ok(out)
}

/// The festivals with no parent, as a `Festivals` answer lists them.
///
/// Errors: [`StoreError`] if SQLite fails.
pub fn root_festivals(reader: &Reader<'_>) -> Result<Vec<FestivalInfo>, StoreError> {
    let logs = reader.logs()?;
    Ok(festivals(reader, &logs)?
        .into_iter()
        .filter(|(_, (parent, _))| parent.is_none())
        .map(|(id, (_, name))| FestivalInfo { id: id.0, name })
        .collect())
}

impl Unit {
    /// Reads the unit of `festival` from the store. A festival the store
    /// does not hold gives a unit without logs.
    ///
    /// Errors: [`StoreError`] if SQLite fails.
    pub fn read(reader: &Reader<'_>, festival: DocumentId) -> Result<Unit, StoreError> {
        let logs = reader.logs()?;
        let all = festivals(reader, &logs)?;
        let mut depths = HashMap::from([(festival, 0usize)]);
        // A festival is in the unit when its parent chain reaches the one
        // asked for; the chain is cut at the number of festivals, so a
        // cycle (which the parents' ids make impossible) cannot hang it.
        for id in all.keys() {
            let mut chain = vec![*id];
            let mut at = *id;
            while let Some((Some(parent), _)) = all.get(&at) {
                if chain.len() > all.len() || *parent == at {
                    break;
                }
                if *parent == festival {
                    for (n, member) in chain.iter().rev().enumerate() {
                        depths.entry(*member).or_insert(n + 1);
                    }
                    break;
                }
                chain.push(*parent);
                at = *parent;
            }
        }
        let proofs = reader.fork_proofs()?;
        let mut own = Vec::new();
        let mut other = Vec::new();
        let mut authors = BTreeSet::new();
        let mut profiles = Vec::new();
        for mut log in logs {
            // A log forked at seq 1 has no trusted entry to name its
            // festival; its first entry, held, does.
            if log.festival.is_none()
                && log.height == 0
                && proofs
                    .iter()
                    .any(|p| (p.author, p.log_id) == (log.author, log.log_id))
            {
                log.festival =
                    held_first(reader, &log.author, log.log_id)?.and_then(|(entry, payload)| {
                        let op = decode_operation(&payload).ok()?;
                        log_festival(&op, Hash::of(&entry))
                    });
            }
            match log.festival {
                Some(f) if depths.contains_key(&f) => {
                    authors.insert(log.author);
                    if all.contains_key(&f) && first_is_festival(reader, &log, f)? {
                        own.push((depths[&f], log));
                    } else {
                        other.push(log);
                    }
                }
                Some(_) => {}
                None => profiles.push(log),
            }
        }
        own.sort_by_key(|(depth, log)| (*depth, log.author, log.log_id));
        let mut ordered: Vec<LogState> = own.into_iter().map(|(_, log)| log).collect();
        ordered.extend(other);
        ordered.extend(profiles.into_iter().filter(|l| authors.contains(&l.author)));
        let mut forks = HashMap::new();
        for proof in proofs {
            let key = (proof.author, proof.log_id);
            if ordered
                .iter()
                .any(|l| (l.author, l.log_id) == key && !forks.contains_key(&key))
            {
                forks.insert(key, proof_digest(&proof.first_entry, &proof.second_entry));
            }
        }
        Ok(Unit {
            festival,
            festivals: depths,
            logs: ordered,
            forks,
        })
    }

    /// The unit's heights, as a request or a page sends them.
    pub fn heights(&self) -> Vec<LogHeight> {
        self.logs
            .iter()
            .map(|log| LogHeight {
                author: log.author.0,
                log_id: log.log_id,
                seq_num: log.height,
                fork: self.forks.get(&(log.author, log.log_id)).copied(),
            })
            .collect()
    }

    /// The authors with a log of a festival in the unit.
    pub fn authors(&self) -> BTreeSet<PublicKey> {
        self.logs
            .iter()
            .filter(|l| l.festival.is_some())
            .map(|l| l.author)
            .collect()
    }
}

/// The held entry at seq 1 of a log, with its payload, if there is one.
///
/// Errors: [`StoreError`] if SQLite fails.
pub fn held_first(
    reader: &Reader<'_>,
    author: &PublicKey,
    log_id: u64,
) -> Result<Option<EntryRecord>, StoreError> {
    let mut first = None;
    let _ = reader.for_each_held(author, log_id, |entry, payload| {
        if decode_entry(entry).is_ok_and(|e| e.seq_num == 1) {
            first = Some((entry.to_vec(), payload.to_vec()));
            return Err(std::io::Error::other("found"));
        }
        Ok(())
    })?;
    Ok(first)
}

/// Whether the first entry of `log` is the creation of festival `f`.
fn first_is_festival(
    reader: &Reader<'_>,
    log: &LogState,
    f: DocumentId,
) -> Result<bool, StoreError> {
    Ok(reader
        .entry_bytes(&log.author, log.log_id, 1)?
        .is_some_and(|bytes| Hash::of(&bytes) == f))
}

/// The digest a height names a fork proof by: BLAKE3 of its two entries,
/// one after the other.
pub fn proof_digest(first: &[u8], second: &[u8]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(first);
    hasher.update(second);
    *hasher.finalize().as_bytes()
}
