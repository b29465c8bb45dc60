//! The one way in: decode -> verify -> fork check -> validate -> store.
//!
//! Every source (a log bundle, a peer, a schedule import, the authoring
//! commands) hands raw (entry, payload) pairs to [`ingest`]. Entries are
//! decoded strictly, their signatures verified in batches, their links
//! checked by position, their operations validated, and they are stored one
//! transaction per batch. A bad entry is reported with its author, log id,
//! seq num and reason; the valid entries around it are kept.

mod check;
mod report;

pub use report::{IngestReport, Position, Reason, Rejection, Waiting};

use rayon::prelude::*;

use crate::entry::{Entry, decode_entry, verify_signatures};
use crate::operation::{Operation, OperationError, decode_operation};
use crate::store::{Store, StoreError};

/// How many entries one batch (one transaction) takes.
pub const BATCH: usize = 1024;

/// One entry with its payload, as a source delivers it.
#[derive(Clone, Debug)]
pub struct RawEntry {
    /// The encoded Bamboo entry.
    pub entry: Vec<u8>,
    /// The payload (an encoded operation).
    pub payload: Vec<u8>,
    /// Where it came from, for reports: e.g. `logs/<author>/0.bamboo record 3`.
    pub origin: String,
}

/// An entry that passed decoding and the signature check, with its
/// operation decoded.
pub(crate) struct Verified {
    pub entry: Entry,
    pub payload: Vec<u8>,
    pub origin: String,
    pub operation: Result<Operation, OperationError>,
}

/// Ingests entries from `source` into `store` and reports what happened.
///
/// A source item that is `Err` (for example a truncated bundle file) is
/// reported as it is. The work runs in batches of [`BATCH`]; `progress` is
/// called after each batch with the number of items done.
///
/// Errors: only [`StoreError`] (SQLite failing) stops the ingest; everything
/// wrong with the input is in the report.
pub fn ingest(
    store: &mut Store,
    source: impl IntoIterator<Item = Result<RawEntry, Rejection>>,
    mut progress: impl FnMut(u64),
) -> Result<IngestReport, StoreError> {
    let mut report = IngestReport::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut done = 0u64;
    let mut source = source.into_iter();
    loop {
        batch.clear();
        for item in source.by_ref() {
            match item {
                Ok(raw) => batch.push(raw),
                Err(rejection) => report.rejected.push(rejection),
            }
            if batch.len() == BATCH {
                break;
            }
        }
        if batch.is_empty() {
            break;
        }
        done += batch.len() as u64;
        ingest_batch(store, std::mem::take(&mut batch), &mut report)?;
        progress(done);
    }
    store.transaction(|tx| check::resolve_pending(tx, &mut report))?;
    tracing::debug!(
        ingested = report.ingested,
        duplicates = report.duplicates,
        rejected = report.rejected.len(),
        forks = report.forks.len(),
        "ingest done"
    );
    Ok(report)
}

/// Decodes and verifies a batch in parallel, then checks and stores it in
/// one transaction, in order.
fn ingest_batch(
    store: &mut Store,
    batch: Vec<RawEntry>,
    report: &mut IngestReport,
) -> Result<(), StoreError> {
    let decoded: Vec<(RawEntry, Result<Entry, Rejection>)> = batch
        .into_par_iter()
        .map(|raw| {
            let entry = decode_entry(&raw.entry).map_err(|e| Rejection {
                at: Position::guess(&raw.entry),
                origin: Some(raw.origin.clone()),
                reason: Reason::Entry(e),
            });
            (raw, entry)
        })
        .collect();
    let mut entries = Vec::with_capacity(decoded.len());
    let mut payloads = Vec::with_capacity(decoded.len());
    for (raw, entry) in decoded {
        match entry {
            Ok(entry) => {
                entries.push(entry);
                payloads.push((raw.payload, raw.origin));
            }
            Err(rejection) => report.rejected.push(rejection),
        }
    }
    let signatures = verify_signatures(&entries);
    let verified: Vec<Result<Verified, Rejection>> = entries
        .into_par_iter()
        .zip(payloads)
        .zip(signatures)
        .map(|((entry, (payload, origin)), signature_ok)| {
            if !signature_ok {
                return Err(Rejection {
                    at: Position::of(&entry),
                    origin: Some(origin),
                    reason: Reason::BadSignature,
                });
            }
            let operation = decode_operation(&payload);
            Ok(Verified {
                entry,
                payload,
                origin,
                operation,
            })
        })
        .collect();
    store.transaction(|tx| {
        for item in verified {
            match item {
                Ok(item) => check::store_verified(tx, item, report)?,
                Err(rejection) => report.rejected.push(rejection),
            }
        }
        Ok::<_, StoreError>(())
    })
}
