//! The ordered checks of a verified entry against the store: duplicates,
//! the four kinds of fork, links by position, payload, operation rules.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};

use super::report::Waiting;
use super::{IngestReport, Position, Reason, Rejection, Verified};
use crate::entry::{DocumentId, Hash, OperationId, PublicKey};
use crate::operation::{Action, Fields, Operation, SchemaId};
use crate::store::{ForkKind, ForkProof, LogState, PendingOperation, StoreError, Tx};

/// What ingest knows about one log while it runs: its head and the hashes
/// it stored, so the common case (the next entry of a log) needs no query.
#[derive(Default)]
pub(super) struct LogCursor {
    height: u64,
    head: Option<Hash>,
    ended_at: Option<u64>,
    forked_at: Option<u64>,
    festival: Option<DocumentId>,
    hashes: HashMap<u64, Hash>,
    dirty: bool,
}

/// The cursors of every log an ingest touches.
#[derive(Default)]
pub(super) struct Cursors {
    logs: HashMap<(PublicKey, u64), LogCursor>,
    /// The store's data version when the last batch began.
    data_version: Option<i64>,
}

impl Cursors {
    /// Starts a batch: if another connection wrote to the store since the
    /// last batch began, what the cursors hold may be stale, and they are
    /// read again from the store as they are needed.
    pub(super) fn begin(&mut self, tx: &Tx<'_>) -> Result<(), StoreError> {
        let version = tx.data_version()?;
        if self.data_version.is_some_and(|v| v != version) {
            self.logs.clear();
        }
        self.data_version = Some(version);
        Ok(())
    }

    fn get(
        &mut self,
        tx: &Tx<'_>,
        author: PublicKey,
        log_id: u64,
    ) -> Result<&mut LogCursor, StoreError> {
        match self.logs.entry((author, log_id)) {
            Entry::Occupied(cursor) => Ok(cursor.into_mut()),
            Entry::Vacant(vacant) => {
                let mut cursor = LogCursor::default();
                if let Some(state) = tx.log_state(&author, log_id)? {
                    cursor.height = state.height;
                    cursor.ended_at = state.ended_at;
                    cursor.forked_at = state.forked_at;
                    cursor.festival = state.festival;
                    cursor.head = tx.entry_at(&author, log_id, state.height)?.map(|e| e.hash);
                }
                Ok(vacant.insert(cursor))
            }
        }
    }

    /// Writes the changed log states; called before each batch commits.
    pub(super) fn flush(&mut self, tx: &Tx<'_>) -> Result<(), StoreError> {
        for ((author, log_id), cursor) in self.logs.iter_mut().filter(|(_, c)| c.dirty) {
            tx.upsert_log(&LogState {
                author: *author,
                log_id: *log_id,
                height: cursor.height,
                ended_at: cursor.ended_at,
                forked_at: cursor.forked_at,
                festival: cursor.festival,
            })?;
            cursor.dirty = false;
        }
        Ok(())
    }
}

/// Checks one verified entry and stores it, or reports why not.
pub(super) fn store_verified(
    tx: &Tx<'_>,
    cursors: &mut Cursors,
    item: Verified,
    report: &mut IngestReport,
    decoded: Option<&mut super::DecodedOperations>,
) -> Result<(), StoreError> {
    let Verified {
        entry,
        payload,
        payload_hash_ok,
        origin,
        operation,
    } = item;
    let (author, log_id, seq_num) = (entry.author, entry.log_id, entry.seq_num);
    let reject = |report: &mut IngestReport, reason: Reason| {
        report.rejected.push(Rejection {
            at: Position::of(&entry),
            origin: Some(origin.clone()),
            reason,
        })
    };
    let cursor = cursors.get(tx, author, log_id)?;
    let fork = |report: &mut IngestReport,
                cursor: &mut LogCursor,
                kind: ForkKind,
                at: u64,
                first: Vec<u8>|
     -> Result<(), StoreError> {
        let proof = ForkProof {
            author,
            log_id,
            seq_num: at,
            kind,
            first_entry: first,
            second_entry: entry.bytes.clone(),
        };
        tx.insert_fork_proof(&proof)?;
        cursor.forked_at = Some(cursor.forked_at.map_or(at, |f| f.min(at)));
        cursor.dirty = true;
        report.forks.push(proof);
        Ok(())
    };

    // Kinds 1 and 2: an entry at the same position exists.
    if seq_num <= cursor.height {
        if let Some(existing) = tx.entry_at(&author, log_id, seq_num)? {
            if existing.hash == entry.hash {
                report.duplicates += 1;
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
            } else if seq_num > 1 && existing.backlink != entry.backlink {
                fork(
                    report,
                    cursor,
                    ForkKind::ConflictingBacklinks,
                    seq_num - 1,
                    existing.bytes,
                )?;
            } else {
                fork(
                    report,
                    cursor,
                    ForkKind::SameSeqNum,
                    seq_num,
                    existing.bytes,
                )?;
            }
            return Ok(());
        }
    }
    if let Some(forked_at) = cursor.forked_at.filter(|f| seq_num >= *f) {
        reject(report, Reason::Forked { seq_num: forked_at });
        return Ok(());
    }
    // Kind 4: an entry after the end of the log.
    if let Some(end) = cursor.ended_at.filter(|end| seq_num > *end) {
        let end_entry = tx
            .entry_at(&author, log_id, end)?
            .map(|e| e.bytes)
            .unwrap_or_default();
        fork(report, cursor, ForkKind::AfterEndOfLog, seq_num, end_entry)?;
        return Ok(());
    }
    // Kind 3: links checked by position.
    if seq_num > 1 {
        if seq_num != cursor.height + 1 {
            reject(
                report,
                Reason::MissingBacklink {
                    seq_num: seq_num - 1,
                },
            );
            return Ok(());
        }
        if cursor.head != entry.backlink {
            let back = tx
                .entry_at(&author, log_id, seq_num - 1)?
                .map(|e| e.bytes)
                .unwrap_or_default();
            fork(report, cursor, ForkKind::LinkMismatch, seq_num - 1, back)?;
            return Ok(());
        }
        if let Some(lipmaa_link) = entry.lipmaa_link {
            let lipmaa_seq = entry.lipmaa_seq();
            let target = match cursor.hashes.get(&lipmaa_seq) {
                Some(hash) => Some(*hash),
                None => tx.entry_at(&author, log_id, lipmaa_seq)?.map(|e| e.hash),
            };
            match target {
                None => {
                    reject(
                        report,
                        Reason::MissingLipmaaLink {
                            seq_num: lipmaa_seq,
                        },
                    );
                    return Ok(());
                }
                Some(hash) if hash != lipmaa_link => {
                    let bytes = tx
                        .entry_at(&author, log_id, lipmaa_seq)?
                        .map(|e| e.bytes)
                        .unwrap_or_default();
                    fork(report, cursor, ForkKind::LinkMismatch, lipmaa_seq, bytes)?;
                    return Ok(());
                }
                Some(_) => {}
            }
        }
    }
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
            reject(report, reason);
            return Ok(());
        }
    }
    if let (Some(decoded), Ok(operation)) = (decoded, operation) {
        decoded.insert(entry.hash, Box::new(operation));
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

/// The festival a log belongs to, from its first operation.
fn log_festival(operation: &Operation, id: Hash) -> Option<DocumentId> {
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
