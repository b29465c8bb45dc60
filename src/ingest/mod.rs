//! The one way in: decode -> verify -> fork check -> validate -> store.
//!
//! Every source (a log bundle, a peer, a schedule import, the authoring
//! commands) hands raw (entry, payload) pairs to [`ingest`]. Entries are
//! decoded strictly, their signatures verified in batches, their links
//! checked by position, their operations validated, and they are stored one
//! transaction per batch of up to [`BATCH`] entries. A bad entry is
//! reported with its author, log id, seq num and reason; the valid entries
//! around it are kept.
//!
//! What counts is a function of the set of entries, never of their order:
//! each entry is paired with the other entries of its log to find evidence
//! of a fork, a log is trusted from seq 1 up to its first gap or fork
//! point, and every valid entry outside that run is held (within
//! [`HELD_PER_LOG`] and [`HELD_IN_ALL`]) until the entries before it come.
//! `docs/bundle.md` gives the rule.

mod check;
mod cursor;
mod fork;
mod held;
mod report;

pub(crate) use check::log_festival;
pub use held::{HELD_IN_ALL, HELD_PER_LOG, Held};
pub use report::{
    IngestReport, KEPT_REJECTIONS, Position, REPORT_LINES, Reason, Rejection, RejectionRun,
    Rejections, Waiting,
};

use std::collections::HashMap;

use rayon::prelude::*;

use crate::entry::{Entry, EntryError, Hash, OperationId, decode_entry, verify_signatures};
use crate::operation::{Operation, OperationError, decode_operation};
use crate::store::{Store, StoreError, Tx};

/// How many entries are decoded and verified at a time, while the chunk
/// before is stored.
const CHUNK: usize = 1024;

/// How many entries one batch (one transaction) stores at most: the whole
/// chunks that are ready when it starts and while it runs. A commit writes
/// every page its transaction touched to the write-ahead log, and the
/// operations are keyed by hash, so even a small batch touches most of
/// their b-tree: fewer commits write much less. Progress is kept at each
/// commit.
pub const BATCH: usize = 8 * CHUNK;

/// One entry with its payload, as a source delivers it.
#[derive(Clone, Debug)]
pub struct RawEntry {
    /// The encoded Bamboo entry.
    pub entry: Vec<u8>,
    /// The payload (an encoded operation); `None` for an entry that comes
    /// without one, as each entry of a fork proof does: it is evidence of a
    /// fork, but cannot join its log.
    pub payload: Option<Vec<u8>>,
    /// Where it came from, for reports: e.g. `logs/<author>/0.bamboo record 3`.
    pub origin: String,
}

/// Operations that an ingest decoded and stored as valid, by operation id
/// (entry hash). Materializing right after the ingest takes them from here
/// instead of reading and decoding their payloads again (see
/// [`crate::materialize::materialize_with`]). It may hold operations that
/// a later step of the ingest found invalid: the store decides which count.
/// Boxed: the map grows while the ingest runs, and an operation is large.
pub type DecodedOperations = HashMap<OperationId, Box<Operation>>;

/// An entry that passed decoding and the signature check, with its
/// operation decoded.
pub(crate) struct Verified {
    pub entry: Entry,
    pub payload: Option<Vec<u8>>,
    /// Whether the payload, if any, has the entry's payload hash (worked
    /// out with the signature, on all threads).
    pub payload_hash_ok: bool,
    pub origin: String,
    pub operation: Result<Operation, OperationError>,
}

/// Ingests entries from `source` into `store` and reports what happened.
///
/// A source item that is `Err` (for example a truncated bundle file) is
/// reported as it is. The work runs in chunks of 1024 entries, in three
/// stages at once: one thread reads the source, another decodes and
/// verifies the chunk read before (on all threads), and the caller's thread
/// checks and stores the chunk before that, one transaction per batch of up
/// to [`BATCH`] entries. `progress` is called after each chunk
/// with the number of items done.
///
/// Errors: only [`StoreError`] (SQLite failing) stops the ingest; everything
/// wrong with the input is in the report.
pub fn ingest<S>(
    store: &mut Store,
    source: S,
    progress: impl FnMut(u64),
) -> Result<IngestReport, StoreError>
where
    S: IntoIterator<Item = Result<RawEntry, Rejection>>,
    S::IntoIter: Send,
{
    ingest_keeping(store, source, progress, None)
}

/// [`ingest`], keeping the operations it stores as valid in `decoded` when
/// given, for materializing right after (see [`DecodedOperations`]).
///
/// Errors: as [`ingest`].
pub fn ingest_keeping<S>(
    store: &mut Store,
    source: S,
    mut progress: impl FnMut(u64),
    mut decoded: Option<&mut DecodedOperations>,
) -> Result<IngestReport, StoreError>
where
    S: IntoIterator<Item = Result<RawEntry, Rejection>>,
    S::IntoIter: Send,
{
    let mut report = IngestReport::default();
    let mut cursors = cursor::Cursors::default();
    let mut source = source.into_iter();
    std::thread::scope(|scope| {
        // Three stages on their own threads: reading the source, preparing
        // (decoding and verifying on the rayon pool), and storing here.
        // Reading the next chunk overlaps preparing this one. The channels
        // belong to this closure: when storing fails or panics, the
        // receiver is dropped before the scope waits for the other two
        // threads, so their sends fail and they end.
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Prepared>(1);
        let (raw_sender, raw_receiver) = std::sync::mpsc::sync_channel::<Chunk>(1);
        scope.spawn(move || {
            loop {
                let mut chunk = Chunk {
                    raw: Vec::with_capacity(CHUNK),
                    rejected: Vec::new(),
                };
                for item in source.by_ref() {
                    match item {
                        Ok(entry) => chunk.raw.push(entry),
                        Err(rejection) => chunk.rejected.push(rejection),
                    }
                    if chunk.raw.len() == CHUNK {
                        break;
                    }
                }
                let done = chunk.raw.is_empty() && chunk.rejected.is_empty();
                if done || raw_sender.send(chunk).is_err() {
                    return;
                }
            }
        });
        scope.spawn(move || {
            for chunk in raw_receiver {
                if sender.send(prepare(chunk.raw, chunk.rejected)).is_err() {
                    return;
                }
            }
        });
        let mut consume = || -> Result<(), StoreError> {
            let mut done = 0u64;
            // A batch takes the chunks that are ready, never waiting for
            // the next one with the write transaction open: a source may be
            // a slow download, and other writers wait for the lock.
            while let Ok(first) = receiver.recv() {
                store.transaction(|tx| {
                    cursors.begin(tx)?;
                    let mut next = Some(first);
                    let mut stored = 0;
                    while let Some(prepared) = next.take() {
                        stored += prepared.items;
                        done += prepared.items as u64;
                        store_prepared(
                            tx,
                            &mut cursors,
                            prepared,
                            &mut report,
                            decoded.as_deref_mut(),
                        )?;
                        progress(done);
                        if stored < BATCH {
                            next = receiver.try_recv().ok();
                        }
                    }
                    cursors.flush(tx)
                })?;
            }
            store.transaction(|tx| check::resolve_pending(tx, &mut report))
        };
        consume()
    })?;
    report.forks = std::mem::take(&mut cursors.shared.found)
        .into_values()
        .collect();
    report.held = held::held_report(&store.read())?;
    tracing::debug!(
        ingested = report.ingested,
        duplicates = report.duplicates,
        rejected = report.rejected.len(),
        forks = report.forks.len(),
        "ingest done"
    );
    Ok(report)
}

/// Ingests `entries` inside the caller's write transaction `tx`: the
/// same checks as [`ingest`], with nothing committed here. The publisher
/// uses it to read a log's head, sign the next entries and store them
/// under one write lock (see [`crate::publish`]). Entries are decoded and
/// verified in chunks of 1024 on all threads while the chunk before is
/// stored. `progress` is called after each chunk with the number of
/// entries done.
///
/// Errors: only [`StoreError`] (SQLite failing); what is wrong with an
/// entry is in the report. The caller decides whether to commit.
pub fn ingest_within(
    tx: &Tx<'_>,
    entries: Vec<RawEntry>,
    mut progress: impl FnMut(u64),
) -> Result<IngestReport, StoreError> {
    let mut report = IngestReport::default();
    let mut cursors = cursor::Cursors::default();
    cursors.begin(tx)?;
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Prepared>(1);
        scope.spawn(move || {
            let mut entries = entries.into_iter();
            loop {
                let chunk: Vec<RawEntry> = entries.by_ref().take(CHUNK).collect();
                if chunk.is_empty() || sender.send(prepare(chunk, Vec::new())).is_err() {
                    return;
                }
            }
        });
        let mut done = 0u64;
        for prepared in receiver {
            done += prepared.items as u64;
            store_prepared(tx, &mut cursors, prepared, &mut report, None)?;
            progress(done);
        }
        Ok::<_, StoreError>(())
    })?;
    cursors.flush(tx)?;
    check::resolve_pending(tx, &mut report)?;
    Ok(report)
}

/// Checks and stores the entries of a prepared chunk in `tx`.
fn store_prepared(
    tx: &Tx<'_>,
    cursors: &mut cursor::Cursors,
    prepared: Prepared,
    report: &mut IngestReport,
    mut decoded: Option<&mut DecodedOperations>,
) -> Result<(), StoreError> {
    for item in prepared.entries {
        match item {
            Checked::Verified(item) => {
                check::store_verified(tx, cursors, *item, report, decoded.as_deref_mut())?
            }
            Checked::Rejected(rejection) => report.rejected.push(rejection),
        }
    }
    Ok(())
}

/// Up to [`CHUNK`] entries as read from the source, with what the source
/// rejected among them.
struct Chunk {
    raw: Vec<RawEntry>,
    rejected: Vec<Rejection>,
}

/// A batch that is decoded and verified, ready to be checked and stored.
struct Prepared {
    items: usize,
    entries: Vec<Checked>,
}

/// One item of a prepared batch.
enum Checked {
    /// Decoded and verified: the store checks come next.
    Verified(Box<Verified>),
    /// Rejected already.
    Rejected(Rejection),
}

/// Decodes entries, verifies their signatures in batches and decodes their
/// operations, in parallel; the order of the batch is kept.
fn prepare(batch: Vec<RawEntry>, rejected: Vec<Rejection>) -> Prepared {
    let items = batch.len() + rejected.len();
    let mut out: Vec<Checked> = rejected.into_iter().map(Checked::Rejected).collect();
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
            Err(rejection) => out.push(Checked::Rejected(rejection)),
        }
    }
    let signatures = verify_signatures(&entries);
    let verified: Vec<Checked> = entries
        .into_par_iter()
        .zip(payloads)
        .zip(signatures)
        .map(|((entry, (payload, origin)), signature_ok)| {
            if !signature_ok {
                // Decoding leaves the author's key to the signature check.
                let reason = match entry.author.is_curve_point() {
                    true => Reason::BadSignature,
                    false => Reason::Entry(EntryError::Decode {
                        reason:
                            "the author key is not an ed25519 public key (no point on the curve)"
                                .into(),
                    }),
                };
                return Checked::Rejected(Rejection {
                    at: Position::of(&entry),
                    origin: Some(origin),
                    reason,
                });
            }
            let operation = match &payload {
                Some(payload) => decode_operation(payload),
                // Never stored: an entry without its payload is only held.
                None => Err(OperationError::Malformed(
                    "the entry came without its payload".into(),
                )),
            };
            Checked::Verified(Box::new(Verified {
                payload_hash_ok: payload
                    .as_ref()
                    .is_none_or(|p| Hash::of(p) == entry.payload_hash),
                entry,
                payload,
                origin,
                operation,
            }))
        })
        .collect();
    out.extend(verified);
    Prepared {
        items,
        entries: out,
    }
}

#[cfg(test)]
mod fork_tests;

#[cfg(test)]
mod tests {
    use super::*;

    /// Another connection (another pandafest on the same store) appends to
    /// a log between two batches of an ingest: the next batch sees the
    /// log as it is now, and its entries follow on, rather than being
    /// judged against the height the ingest knew before.
    #[test]
    fn a_batch_after_another_writer_sees_its_entries() {
        use crate::entry::{KeyPair, LogChain};
        use crate::operation::{Fields, Operation, ProfileFields, encode_operation};

        let key = KeyPair::from_name("ada");
        let mut chain = LogChain::new(&key, 0);
        let raw: Vec<RawEntry> = (0..CHUNK + 12)
            .map(|n| {
                let payload =
                    encode_operation(&Operation::create(Fields::Profile(ProfileFields {
                        display_name: format!("Ada {n}"),
                        bio: String::new(),
                    })));
                let entry = chain.append(&payload).unwrap();
                RawEntry {
                    entry: entry.bytes,
                    payload: Some(payload),
                    origin: format!("entry {}", n + 1),
                }
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let mut store = Store::open(&path).unwrap();
        let mut other = Store::open(&path).unwrap();
        let (first, rest) = raw.split_at(CHUNK);
        let (theirs, last) = rest.split_at(6);
        // The other writer stores its entries once the ingest has stored
        // the first chunk (it waits for the commit), and before the
        // ingest reads the entries that follow theirs.
        let (stored, first_stored) = std::sync::mpsc::channel();
        let theirs = theirs.to_vec();
        let source = first
            .iter()
            .cloned()
            .map(Ok)
            .chain(
                std::iter::once_with(move || {
                    first_stored.recv().unwrap();
                    let report = ingest(&mut other, theirs.into_iter().map(Ok), |_| {}).unwrap();
                    assert_eq!(report.ingested, 6);
                    None
                })
                .flatten(),
            )
            .chain(last.iter().cloned().map(Ok));
        let report = ingest(&mut store, source, |_| {
            let _ = stored.send(());
        })
        .unwrap();
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        assert_eq!(report.ingested, CHUNK as u64 + 6);
        assert_eq!(store.read().entry_count().unwrap(), (CHUNK + 12) as u64);
    }

    /// A writer that stops early (a panic here; a `StoreError` takes the
    /// same way out) must not leave the reading and preparing threads
    /// blocked on full channels: the ingest ends instead of hanging.
    #[test]
    fn a_writer_that_stops_early_does_not_hang_the_ingest() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut store = Store::in_memory().unwrap();
            let source: Vec<RawEntry> = (0..6 * CHUNK)
                .map(|n| RawEntry {
                    entry: vec![0; 8],
                    payload: Some(Vec::new()),
                    origin: format!("entry {n}"),
                })
                .collect();
            let source = source.into_iter().map(Ok);
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                ingest(&mut store, source, |_| panic!("the writer stops"))
            }));
            done.send(outcome.is_err()).unwrap();
        });
        let panicked = finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the ingest ends");
        assert!(panicked);
    }
}
