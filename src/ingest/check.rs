//! The ordered checks of a verified entry against the store: duplicates,
//! the four kinds of fork, links by position, payload, operation rules.

use super::report::Waiting;
use super::{IngestReport, Position, Reason, Rejection, Verified};
use crate::entry::{DocumentId, Hash};
use crate::operation::{Action, Fields, Operation};
use crate::store::{ForkKind, ForkProof, StoreError, Tx};

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

    let operation = match operation {
        Ok(operation) => operation,
        Err(e) => {
            tx.insert_operation(&entry, None, None, None, Some(&e.to_string()))?;
            reject(report, Reason::Operation(e));
            return Ok(());
        }
    };
    let schema = Some(operation.schema);
    if let Some(Fields::Authorization(auth)) = &operation.fields {
        if let Some((_, owner, _)) = tx.operation_document(&auth.resource)? {
            if owner != author {
                let reason = Reason::NotOwner {
                    resource: auth.resource,
                    owner,
                };
                tx.insert_operation(&entry, schema, None, None, Some(&reason.to_string()))?;
                reject(report, reason);
                return Ok(());
            }
        }
    }
    match operation.action {
        Action::Create => tx.insert_operation(&entry, schema, Some(entry.hash), None, None)?,
        Action::Update | Action::Delete => {
            let previous = operation.previous[0];
            match document_of(tx, &operation, previous, &author)? {
                Some(Ok(document)) => {
                    tx.insert_operation(&entry, schema, Some(document), Some(previous), None)?
                }
                Some(Err(reason)) => {
                    tx.insert_operation(
                        &entry,
                        schema,
                        None,
                        Some(previous),
                        Some(&reason.to_string()),
                    )?;
                    reject(report, reason);
                }
                None => tx.insert_operation(&entry, schema, None, Some(previous), None)?,
            }
        }
    }
    Ok(())
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

/// The document an update or delete belongs to: `None` while the previous
/// operation is unknown, an error if the author or schema does not fit.
fn document_of(
    tx: &Tx<'_>,
    operation: &Operation,
    previous: Hash,
    author: &crate::entry::PublicKey,
) -> Result<Option<Result<DocumentId, Reason>>, StoreError> {
    let Some((document, owner, schema)) = tx.operation_document(&previous)? else {
        return Ok(None);
    };
    if owner != *author {
        return Ok(Some(Err(Reason::NotAuthor {
            schema: operation.schema.as_str(),
            document,
            owner,
        })));
    }
    if schema != Some(operation.schema) {
        return Ok(Some(Err(Reason::SchemaMismatch {
            said: operation.schema.as_str(),
            actual: schema.map(|s| s.as_str()).unwrap_or("unknown"),
            document,
        })));
    }
    Ok(Some(Ok(document)))
}

/// Resolves operations whose previous operation arrived later, until
/// nothing changes; what is left is reported as waiting.
pub(super) fn resolve_pending(tx: &Tx<'_>, report: &mut IngestReport) -> Result<(), StoreError> {
    loop {
        let pending = tx.pending_operations()?;
        let mut progressed = false;
        let mut waiting = Vec::new();
        for (id, author, schema, previous, log_id, seq_num) in pending {
            let Some((document, owner, doc_schema)) = tx.operation_document(&previous)? else {
                waiting.push(Waiting {
                    at: Position {
                        author: Some(author),
                        log_id: Some(log_id),
                        seq_num: Some(seq_num),
                    },
                    previous,
                });
                continue;
            };
            progressed = true;
            let error = if owner != author {
                Some(format!(
                    "{} operation by a non-author: document {document} belongs to {owner}",
                    schema.map(|s| s.as_str()).unwrap_or("unknown")
                ))
            } else if doc_schema != schema {
                Some(format!(
                    "operation names another schema than document {document}"
                ))
            } else {
                None
            };
            if let Some(error) = &error {
                report.rejected.push(Rejection {
                    at: Position {
                        author: Some(author),
                        log_id: Some(log_id),
                        seq_num: Some(seq_num),
                    },
                    origin: None,
                    reason: Reason::Stored(error.clone()),
                });
            }
            tx.resolve_operation(&id, error.is_none().then_some(document), error.as_deref())?;
        }
        if !progressed {
            report.waiting = waiting;
            return Ok(());
        }
    }
}
