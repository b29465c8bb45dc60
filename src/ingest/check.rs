//! The ordered checks of a verified entry against the store: duplicates,
//! the four kinds of fork, links by position, payload, operation rules.

use super::report::Waiting;
use super::{IngestReport, Position, Reason, Rejection, Verified};
use crate::entry::{DocumentId, Hash, OperationId};
use crate::operation::{Action, Fields, Operation, SchemaId};
use crate::store::{ForkKind, ForkProof, PendingOperation, StoreError, Tx};

/// Checks one verified entry and stores it, or reports why not.
pub(super) fn store_verified(
    tx: &Tx<'_>,
    item: Verified,
    report: &mut IngestReport,
) -> Result<(), StoreError> {
    let Verified {
        entry,
        payload,
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
    let fork = |report: &mut IngestReport,
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
        report.forks.push(proof);
        Ok(())
    };

    // Kinds 1 and 2: an entry at the same position exists.
    if let Some(existing) = tx.entry_at(&author, log_id, seq_num)? {
        if existing.hash == entry.hash {
            report.duplicates += 1;
            if let Some(error) = tx.operation_error(&entry.hash)? {
                reject(report, Reason::Stored(error));
            }
        } else if seq_num > 1 && existing.backlink != entry.backlink {
            fork(
                report,
                ForkKind::ConflictingBacklinks,
                seq_num - 1,
                existing.bytes,
            )?;
        } else {
            fork(report, ForkKind::SameSeqNum, seq_num, existing.bytes)?;
        }
        return Ok(());
    }
    let state = tx.log_state(&author, log_id)?;
    if let Some(forked_at) = state
        .as_ref()
        .and_then(|s| s.forked_at)
        .filter(|f| seq_num >= *f)
    {
        reject(report, Reason::Forked { seq_num: forked_at });
        return Ok(());
    }
    // Kind 4: an entry after the end of the log.
    if let Some(end) = state
        .as_ref()
        .and_then(|s| s.ended_at)
        .filter(|end| seq_num > *end)
    {
        let end_entry = tx
            .entry_at(&author, log_id, end)?
            .map(|e| e.bytes)
            .unwrap_or_default();
        fork(report, ForkKind::AfterEndOfLog, seq_num, end_entry)?;
        return Ok(());
    }
    // Kind 3: links checked by position.
    if seq_num > 1 {
        let Some(back) = tx.entry_at(&author, log_id, seq_num - 1)? else {
            reject(
                report,
                Reason::MissingBacklink {
                    seq_num: seq_num - 1,
                },
            );
            return Ok(());
        };
        if Some(back.hash) != entry.backlink {
            fork(report, ForkKind::LinkMismatch, seq_num - 1, back.bytes)?;
            return Ok(());
        }
        if let Some(lipmaa_link) = entry.lipmaa_link {
            let lipmaa_seq = entry.lipmaa_seq();
            match tx.entry_at(&author, log_id, lipmaa_seq)? {
                None => {
                    reject(
                        report,
                        Reason::MissingLipmaaLink {
                            seq_num: lipmaa_seq,
                        },
                    );
                    return Ok(());
                }
                Some(target) if target.hash != lipmaa_link => {
                    fork(report, ForkKind::LinkMismatch, lipmaa_seq, target.bytes)?;
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
    if Hash::of(&payload) != entry.payload_hash {
        reject(report, Reason::PayloadHash);
        return Ok(());
    }

    let festival = if seq_num == 1 {
        operation
            .as_ref()
            .ok()
            .and_then(|op| log_festival(op, entry.hash))
    } else {
        None
    };
    tx.insert_entry(&entry, &payload, festival)?;
    report.ingested += 1;

    let pending = match &operation {
        Ok(operation) => PendingOperation {
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
        },
        Err(_) => PendingOperation {
            id: entry.hash,
            author,
            log_id,
            seq_num,
            schema: None,
            previous: None,
            resource: None,
        },
    };
    tx.insert_operation(&entry, &pending)?;
    match operation {
        Err(e) => {
            let reason = Reason::Operation(e);
            tx.resolve_operation(&entry.hash, None, Some(&reason.to_string()))?;
            reject(report, reason);
        }
        Ok(_) => match resolve(tx, &pending)? {
            Resolution::Document(document) => {
                tx.resolve_operation(&entry.hash, Some(document), None)?
            }
            Resolution::Invalid(reason) => {
                tx.resolve_operation(&entry.hash, None, Some(&reason.to_string()))?;
                reject(report, reason);
            }
            Resolution::Waiting(_) => {}
        },
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
            Some((document, owner, _)) if owner != op.author => {
                return Ok(Resolution::Invalid(Reason::NotAuthor {
                    schema,
                    document,
                    owner,
                }));
            }
            Some((document, _, doc_schema)) if doc_schema != op.schema => {
                return Ok(Resolution::Invalid(Reason::SchemaMismatch {
                    said: schema,
                    actual: doc_schema.map(|s| s.as_str()).unwrap_or("unknown"),
                    document,
                }));
            }
            Some((document, _, _)) => document,
        },
    };
    if let Some(resource) = op.resource {
        match tx.operation_document(&resource)? {
            None => return Ok(Resolution::Waiting(resource)),
            Some((_, _, schema)) if schema != Some(SchemaId::Resource) => {
                return Ok(Resolution::Invalid(Reason::NotAResource { resource }));
            }
            Some((_, owner, _)) if owner != op.author => {
                return Ok(Resolution::Invalid(Reason::NotOwner { resource, owner }));
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

/// Settles operations whose dependencies arrived later in the ingest,
/// until nothing changes; what is left is reported as waiting.
pub(super) fn resolve_pending(tx: &Tx<'_>, report: &mut IngestReport) -> Result<(), StoreError> {
    loop {
        let mut progressed = false;
        let mut waiting = Vec::new();
        for op in tx.pending_operations()? {
            let at = Position {
                author: Some(op.author),
                log_id: Some(op.log_id),
                seq_num: Some(op.seq_num),
            };
            match resolve(tx, &op)? {
                Resolution::Waiting(on) => waiting.push(Waiting { at, previous: on }),
                Resolution::Document(document) => {
                    progressed = true;
                    tx.resolve_operation(&op.id, Some(document), None)?;
                }
                Resolution::Invalid(reason) => {
                    progressed = true;
                    tx.resolve_operation(&op.id, None, Some(&reason.to_string()))?;
                    report.rejected.push(Rejection {
                        at,
                        origin: None,
                        reason,
                    });
                }
            }
        }
        if !progressed {
            report.waiting = waiting;
            return Ok(());
        }
    }
}
