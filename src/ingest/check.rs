//! The checks of a verified entry against the store: payload, duplicates,
//! evidence of a fork (see [`super::fork`]), its place in the log's trusted
//! run or among the held entries, operation rules.

use std::collections::{HashMap, VecDeque};

use super::cursor::{Cursors, HeldEntry, LogCursor, Shared};
use super::fork;
use super::report::Waiting;
use super::{HELD_IN_ALL, HELD_PER_LOG, IngestReport, Position, Reason, Rejection, Verified};
use crate::entry::{DocumentId, Entry, Hash, OperationId, decode_entry};
use crate::operation::{Action, Fields, Operation, OperationError, SchemaId, decode_operation};
use crate::store::{PendingOperation, StoreError, Tx};

/// Checks one verified entry and stores it, holds it, or reports why not.
///
/// The common case, the next entry of a log that holds nothing and is not
/// forked, costs no query. Every other entry is first paired with the
/// log's stored and held entries to find evidence of a fork (see
/// [`super::fork`]); then it joins the log if it is the next entry of its
/// trusted run, and is held otherwise.
pub(super) fn store_verified(
    tx: &Tx<'_>,
    cursors: &mut Cursors,
    item: Verified,
    report: &mut IngestReport,
    mut decoded: Option<&mut super::DecodedOperations>,
) -> Result<(), StoreError> {
    let Verified {
        entry,
        payload,
        payload_hash_ok,
        origin,
        operation,
    } = item;
    let reject = |report: &mut IngestReport, reason: Reason| {
        report.rejected.push(Rejection {
            at: Position::of(&entry),
            origin: Some(origin.clone()),
            reason,
        })
    };
    // A record whose payload is not its entry's counts for nothing: the
    // entry may come again with the right one.
    if let Some(payload) = &payload {
        if payload.len() as u64 != entry.payload_size {
            reject(
                report,
                Reason::PayloadSize {
                    actual: payload.len() as u64,
                    expected: entry.payload_size,
                },
            );
            return Ok(());
        }
        if !payload_hash_ok {
            reject(report, Reason::PayloadHash);
            return Ok(());
        }
    }
    let (cursor, shared) = cursors.get(tx, entry.author, entry.log_id)?;
    let seq_num = entry.seq_num;
    let next = seq_num == cursor.height + 1;

    // The common case: the next entry of a log that holds nothing.
    let in_order = next
        && cursor.held_len == 0
        && cursor.ended_at.is_none()
        && cursor.forked_at.is_none_or(|f| seq_num < f)
        && entry.backlink == cursor.head
        && lipmaa_agrees(tx, cursor, &entry)?;
    let payload = match payload {
        Some(payload) if in_order => {
            let stored = Stored {
                entry,
                payload,
                operation,
            };
            return store_entry(tx, cursor, stored, report, decoded);
        }
        payload => payload,
    };

    // The same entry again.
    if seq_num <= cursor.height && cursor.main_hash(tx, seq_num)? == Some(entry.hash) {
        report.duplicates += 1;
        if payload.is_some() {
            match tx.operation_error(&entry.hash)? {
                Some(error) => reject(report, Reason::Stored(error)),
                // A rebuild meets every entry again: what it decoded
                // spares materializing a second decoding.
                None => {
                    if let (Some(decoded), Ok(operation)) = (decoded, operation) {
                        decoded.insert(entry.hash, Box::new(operation));
                    }
                }
            }
        }
        return Ok(());
    }
    let held_before = cursor
        .held
        .get(&seq_num)
        .and_then(|g| g.iter().find(|h| h.entry.hash == entry.hash))
        .map(|h| h.has_payload);
    match held_before {
        Some(true) => {
            report.duplicates += 1;
            return Ok(());
        }
        Some(false) if payload.is_none() => {
            report.duplicates += 1;
            return Ok(());
        }
        // Held without its payload, which has come now.
        Some(false) => {
            cursor.remove_held(seq_num, entry.hash);
            tx.take_held(&entry)?;
            shared.held.remove((entry.author, entry.log_id));
        }
        None => {}
    }

    // Evidence of a fork, against every entry of the log kept so far.
    if let Some(candidate) = fork::best_evidence(tx, cursor, &entry)?
        && cursor.proof.is_none_or(|p| candidate.key < p)
    {
        let proof = candidate.proof(&entry);
        tx.replace_fork_proof(&proof)?;
        cursor.proof = Some(candidate.key);
        cursor.forked_at = Some(candidate.key.seq);
        cursor.dirty = true;
        shared.found.insert((entry.author, entry.log_id), proof);
        if candidate.key.seq <= cursor.height {
            leave_log(tx, cursor, shared, candidate.key.seq, report)?;
        }
    }

    let trusted = cursor.forked_at.is_none_or(|f| seq_num < f);
    match payload {
        Some(payload)
            if seq_num == cursor.height + 1 && trusted && !cursor.held.contains_key(&seq_num) =>
        {
            let stored = Stored {
                entry,
                payload,
                operation,
            };
            store_entry(tx, cursor, stored, report, decoded.as_deref_mut())?;
            promote(tx, cursor, shared, report, decoded)
        }
        payload => hold(tx, cursor, shared, entry, payload, Some(origin), report),
    }
}

/// Whether an entry's lipmaa link, if it has one, is the hash of the
/// stored entry at its position.
fn lipmaa_agrees(tx: &Tx<'_>, cursor: &mut LogCursor, entry: &Entry) -> Result<bool, StoreError> {
    match entry.lipmaa_link {
        None => Ok(true),
        Some(link) => Ok(cursor.main_hash(tx, entry.lipmaa_seq())? == Some(link)),
    }
}

/// An entry that joins its log, with its payload and decoded operation.
struct Stored {
    entry: Entry,
    payload: Vec<u8>,
    operation: Result<Operation, OperationError>,
}

/// Stores the next entry of a log's trusted run and its operation.
fn store_entry(
    tx: &Tx<'_>,
    cursor: &mut LogCursor,
    stored: Stored,
    report: &mut IngestReport,
    decoded: Option<&mut super::DecodedOperations>,
) -> Result<(), StoreError> {
    let Stored {
        entry,
        payload,
        operation,
    } = stored;
    let (author, log_id, seq_num) = (entry.author, entry.log_id, entry.seq_num);
    tx.insert_entry(&entry, &payload)?;
    report.ingested += 1;
    cursor.height = seq_num;
    cursor.head = Some(entry.hash);
    cursor.hashes.insert(seq_num, entry.hash);
    if entry.is_end_of_log {
        cursor.ended_at = Some(seq_num);
    }
    if seq_num == 1 {
        cursor.festival = operation
            .as_ref()
            .ok()
            .and_then(|op| log_festival(op, entry.hash));
    }
    cursor.dirty = true;

    let (pending, resolution) = match &operation {
        Ok(operation) => {
            let pending = PendingOperation {
                id: entry.hash,
                author,
                log_id,
                seq_num,
                schema: Some(operation.schema),
                previous: operation.previous.first().copied(),
                resource: match &operation.fields {
                    Some(Fields::Authorization(auth)) => Some(auth.resource),
                    _ => None,
                },
            };
            let resolution = resolve(tx, &pending)?;
            (pending, resolution)
        }
        Err(e) => (
            PendingOperation {
                id: entry.hash,
                author,
                log_id,
                seq_num,
                schema: None,
                previous: None,
                resource: None,
            },
            Resolution::Invalid(Reason::Operation(e.clone())),
        ),
    };
    match resolution {
        Resolution::Document(document) => tx.insert_operation(&pending, Some(document), None)?,
        Resolution::Waiting(_) => tx.insert_operation(&pending, None, None)?,
        Resolution::Invalid(reason) => {
            tx.insert_operation(&pending, None, Some(&reason.to_string()))?;
            report.rejected.push(Rejection {
                at: Position::of(&entry),
                origin: None,
                reason,
            });
            return Ok(());
        }
    }
    if let (Some(decoded), Ok(operation)) = (decoded, operation) {
        decoded.insert(entry.hash, Box::new(operation));
    }
    Ok(())
}

/// Moves held entries into the log while the next one of its trusted run
/// is held: one entry at that seq num, with its payload, below the fork
/// point. Its links were checked against the log when it or the entries
/// it links to came.
fn promote(
    tx: &Tx<'_>,
    cursor: &mut LogCursor,
    shared: &mut Shared,
    report: &mut IngestReport,
    mut decoded: Option<&mut super::DecodedOperations>,
) -> Result<(), StoreError> {
    loop {
        let next = cursor.height + 1;
        let ready = match cursor.held.get(&next).map(Vec::as_slice) {
            Some([only]) => only.has_payload && cursor.forked_at.is_none_or(|f| next < f),
            _ => false,
        };
        if !ready {
            return Ok(());
        }
        let hash = cursor.held[&next][0].entry.hash;
        let held = cursor.remove_held(next, hash).expect("looked up above");
        shared.held.remove((held.entry.author, held.entry.log_id));
        debug_assert_eq!(held.entry.backlink, cursor.head);
        let Some(payload) = tx.take_held(&held.entry)? else {
            return Ok(());
        };
        let operation = decode_operation(&payload);
        let stored = Stored {
            entry: held.entry,
            payload,
            operation,
        };
        store_entry(tx, cursor, stored, report, decoded.as_deref_mut())?;
    }
}

/// Holds an entry that is not part of its log's trusted run (yet), within
/// [`HELD_PER_LOG`] and [`HELD_IN_ALL`]. A log that holds its limit keeps
/// the entries with the lowest (seq num, hash), which the log needs
/// first, and lets go of the highest. A store at its limit makes room in
/// the log that holds the most, if that is another log holding more than
/// this one would.
fn hold(
    tx: &Tx<'_>,
    cursor: &mut LogCursor,
    shared: &mut Shared,
    entry: Entry,
    payload: Option<Vec<u8>>,
    origin: Option<String>,
    report: &mut IngestReport,
) -> Result<(), StoreError> {
    let not_held =
        |entry: &Entry, origin: Option<String>, scope: &'static str, limit: usize| Rejection {
            at: Position::of(entry),
            origin,
            reason: Reason::NotHeld { scope, limit },
        };
    if cursor.held_len >= HELD_PER_LOG {
        let last = cursor.last_held().expect("the log holds entries");
        let last_key = (last.entry.seq_num, last.entry.hash);
        if (entry.seq_num, entry.hash) > last_key {
            report
                .rejected
                .push(not_held(&entry, origin, "this log", HELD_PER_LOG));
            return Ok(());
        }
        let last = cursor
            .remove_held(last_key.0, last_key.1)
            .expect("found above");
        tx.take_held(&last.entry)?;
        shared.held.remove((last.entry.author, last.entry.log_id));
        report
            .rejected
            .push(not_held(&last.entry, None, "this log", HELD_PER_LOG));
    } else if shared.held.total() >= HELD_IN_ALL as u64 {
        // The store's bound is no one log's to fill: the log that holds the
        // most lets go of its highest entry, unless it is this one (or
        // would hold no more than this one then).
        let own = (entry.author, entry.log_id);
        let evicted = match shared.held.largest() {
            Some((log, count)) if log != own && count > cursor.held_len + 1 => {
                tx.take_last_held(&log.0, log.1)?.map(|bytes| (log, bytes))
            }
            _ => None,
        };
        let Some((log, bytes)) = evicted else {
            report
                .rejected
                .push(not_held(&entry, origin, "the store", HELD_IN_ALL));
            return Ok(());
        };
        shared.held.remove(log);
        shared.stale.push(log);
        let at = crate::entry::decode_entry(&bytes)
            .map(|e| Position::of(&e))
            .unwrap_or_else(|_| Position::guess(&bytes));
        report.rejected.push(Rejection {
            at,
            origin: None,
            reason: Reason::NotHeld {
                scope: "the store",
                limit: HELD_IN_ALL,
            },
        });
    }
    tx.insert_held(&entry, payload.as_deref())?;
    shared.held.add((entry.author, entry.log_id));
    cursor.add_held(HeldEntry {
        has_payload: payload.is_some(),
        entry,
    });
    // A log that holds entries has a row, even with no trusted entry.
    cursor.dirty = true;
    Ok(())
}

/// Takes a log's entries from seq num `from` on out of its trusted run,
/// once a fork at `from` is found: they are held, and their operations
/// (and those that depend on them) count no more, as if the fork had been
/// known before they came.
fn leave_log(
    tx: &Tx<'_>,
    cursor: &mut LogCursor,
    shared: &mut Shared,
    from: u64,
    report: &mut IngestReport,
) -> Result<(), StoreError> {
    let Some((author, log_id)) = cursor.key else {
        return Ok(());
    };
    let rows = tx.take_entries_from(&author, log_id, from)?;
    let entries: Vec<(Entry, Vec<u8>)> = rows
        .into_iter()
        .filter_map(|(bytes, payload)| decode_entry(&bytes).ok().map(|e| (e, payload)))
        .collect();
    let ids: Vec<OperationId> = entries.iter().map(|(e, _)| e.hash).collect();
    tx.forget_operations(&ids)?;
    cursor.height = from - 1;
    cursor.hashes.retain(|seq, _| *seq < from);
    cursor.head = match from {
        1 => None,
        _ => cursor.main_hash(tx, from - 1)?,
    };
    cursor.ended_at = cursor.ended_at.filter(|e| *e < from);
    if from == 1 {
        cursor.festival = None;
    }
    cursor.dirty = true;
    for (entry, payload) in entries {
        hold(tx, cursor, shared, entry, Some(payload), None, report)?;
    }
    Ok(())
}
/// What an operation's dependencies say about it.
enum Resolution {
    /// It belongs to this document.
    Document(DocumentId),
    /// It breaks a rule.
    Invalid(Reason),
    /// It depends on an operation or resource not stored yet.
    Waiting(OperationId),
}

/// Settles an operation's document: an UPDATE or DELETE belongs to its
/// previous operation's document and must have the same author and schema;
/// an authorization must come from the resource's owner.
fn resolve(tx: &Tx<'_>, op: &PendingOperation) -> Result<Resolution, StoreError> {
    let schema = op.schema.map(|s| s.as_str()).unwrap_or("unknown");
    let document = match op.previous {
        None => op.id,
        Some(previous) => match tx.operation_document(&previous)? {
            None => return Ok(Resolution::Waiting(previous)),
            Some(known) if known.author != op.author => {
                return Ok(Resolution::Invalid(Reason::NotAuthor {
                    schema,
                    document: known.document,
                    owner: known.author,
                }));
            }
            Some(known) if known.schema != op.schema => {
                return Ok(Resolution::Invalid(Reason::SchemaMismatch {
                    said: schema,
                    actual: known.schema.map(|s| s.as_str()).unwrap_or("unknown"),
                    document: known.document,
                }));
            }
            // Materializing orders a document's operations by seq num in
            // their log; across logs that order would mean nothing.
            Some(known) if known.log_id != op.log_id => {
                return Ok(Resolution::Invalid(Reason::OtherLog {
                    previous,
                    document: known.document,
                    log_id: known.log_id,
                }));
            }
            Some(known) => known.document,
        },
    };
    if let Some(resource) = op.resource {
        match tx.operation_document(&resource)? {
            None => return Ok(Resolution::Waiting(resource)),
            Some(known) if known.schema != Some(SchemaId::Resource) => {
                return Ok(Resolution::Invalid(Reason::NotAResource { resource }));
            }
            Some(known) if known.author != op.author => {
                return Ok(Resolution::Invalid(Reason::NotOwner {
                    resource,
                    owner: known.author,
                }));
            }
            Some(_) => {}
        }
    }
    Ok(Resolution::Document(document))
}

/// The festival a log belongs to, from its first operation (`id` is the
/// hash of the entry that carries it).
pub(crate) fn log_festival(operation: &Operation, id: Hash) -> Option<DocumentId> {
    match operation.fields.as_ref()? {
        Fields::Festival(_) if operation.action == Action::Create => Some(id),
        Fields::Festival(f) => f.parent,
        Fields::Resource(f) => Some(f.festival),
        Fields::Event(f) => Some(f.festival),
        Fields::Profile(_) | Fields::Authorization(_) => None,
    }
}

/// Settles operations whose dependencies arrived later in the ingest; what
/// is left is reported as waiting. Each operation is looked at again only
/// when what it waits for is settled, so a long chain of dependencies
/// (log i's update following log i+1's) costs one pass, not one per link.
pub(super) fn resolve_pending(tx: &Tx<'_>, report: &mut IngestReport) -> Result<(), StoreError> {
    let mut queue: VecDeque<PendingOperation> = tx.pending_operations()?.into();
    let mut blocked: HashMap<OperationId, Vec<PendingOperation>> = HashMap::new();
    while let Some(op) = queue.pop_front() {
        match resolve(tx, &op)? {
            Resolution::Waiting(on) => blocked.entry(on).or_default().push(op),
            Resolution::Document(document) => {
                tx.resolve_operation(&op.id, Some(document), None)?;
                queue.extend(blocked.remove(&op.id).unwrap_or_default());
            }
            Resolution::Invalid(reason) => {
                tx.resolve_operation(&op.id, None, Some(&reason.to_string()))?;
                report.rejected.push(Rejection {
                    at: position(&op),
                    origin: None,
                    reason,
                });
            }
        }
    }
    let mut waiting: Vec<(PendingOperation, OperationId)> = blocked
        .into_iter()
        .flat_map(|(on, ops)| ops.into_iter().map(move |op| (op, on)))
        .collect();
    waiting.sort_by_key(|(op, _)| (op.author, op.log_id, op.seq_num));
    report.waiting = waiting
        .into_iter()
        .map(|(op, on)| Waiting {
            at: position(&op),
            previous: on,
        })
        .collect();
    Ok(())
}

fn position(op: &PendingOperation) -> Position {
    Position {
        author: Some(op.author),
        log_id: Some(op.log_id),
        seq_num: Some(op.seq_num),
    }
}
