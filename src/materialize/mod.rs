//! Store -> festival model. Documents are rebuilt from their operations,
//! then the authorization rules decide the state of every request.

mod authorization;
mod documents;
mod model;
mod policy;

pub use model::{
    Booking, Event, Festival, ForkedLog, Model, Person, Request, RequestState, Resource, SourceDay,
    Version,
};
pub use policy::{
    AuthorizationPolicy, AwaitingRequest, PolicyDecision, PolicyRequest, awaiting_decision,
    overlapping_confirmed, policy_for,
};

use crate::ingest::DecodedOperations;
use crate::store::{Reader, Store, StoreError};

/// Reads the store's valid operations and fork proofs and works out the
/// festival model.
///
/// Errors: [`StoreError`] if the store cannot be read.
pub fn materialize(store: &Store) -> Result<Model, StoreError> {
    materialize_with(store, DecodedOperations::new())
}

/// [`materialize`], taking the operations found in `decoded` (kept by
/// [`crate::ingest::ingest_keeping`]) instead of reading and decoding their
/// payloads again. The store still decides which operations count and in
/// what order; `decoded` only saves work, and the model is the same.
///
/// Errors: [`StoreError`] if the store cannot be read.
pub fn materialize_with(store: &Store, decoded: DecodedOperations) -> Result<Model, StoreError> {
    Ok(read_operations(store, decoded)?.build())
}

/// What materializing reads from the store: every operation that counts,
/// decoded and in log order, and the forked logs. [`StoredOperations::build`]
/// then needs the store no more, so the store is free for other work while
/// the model is made.
pub struct StoredOperations {
    operations: Vec<documents::Decoded>,
    forks: Vec<ForkedLog>,
    started: std::time::Instant,
}

/// The first half of [`materialize_with`]: reads the operations that count,
/// taking those in `decoded` and decoding the rest.
///
/// Errors: [`StoreError`] if the store cannot be read.
pub fn read_operations(
    store: &Store,
    mut decoded: DecodedOperations,
) -> Result<StoredOperations, StoreError> {
    let started = std::time::Instant::now();
    let reader = store.read();
    let mut operations = Vec::new();
    let missing = if decoded.is_empty() {
        // Nothing decoded yet (an authoring command, `build` of a warm
        // store): every payload is read in one scan.
        reader.operations_with_payloads()?
    } else {
        let refs = reader.operation_refs()?;
        operations.reserve(refs.len());
        let mut missing = Vec::new();
        for op in refs {
            match decoded.remove(&op.id) {
                Some(operation) => operations.push(documents::Decoded {
                    op,
                    operation: Ok(*operation),
                }),
                None => {
                    // An entry is stored before its operation, so it is there.
                    let payload = reader
                        .payload_at(&op.author, op.log_id, op.seq_num)?
                        .unwrap_or_default();
                    missing.push((op, payload));
                }
            }
        }
        missing
    };
    // What is left was found invalid after the ingest decoded it.
    drop(decoded);
    operations.extend(documents::decode(missing));
    operations.sort_by_key(|d| (d.op.author, d.op.log_id, d.op.seq_num));
    Ok(StoredOperations {
        operations,
        forks: forked_logs(&reader)?,
        started,
    })
}

impl StoredOperations {
    /// Works out the festival model: documents from their operations, then
    /// the authorization rules.
    pub fn build(self) -> Model {
        let mut model = Model {
            forks: self.forks,
            ..Model::default()
        };
        let documents = documents::build(self.operations, &mut model);
        authorization::apply(&documents, &mut model);
        tracing::debug!(elapsed = ?self.started.elapsed(), events = model.events.len(), "materialized");
        model
    }
}

/// One line per forked log: its first untrusted seq num and the kind of
/// its proof there (the least, should a store from before one proof per
/// log hold several).
fn forked_logs(reader: &Reader<'_>) -> Result<Vec<ForkedLog>, StoreError> {
    let mut forks: Vec<ForkedLog> = Vec::new();
    for p in reader.fork_proofs()? {
        let fork = ForkedLog {
            author: p.author,
            log_id: p.log_id,
            seq_num: p.seq_num,
            kind: p.kind,
        };
        match forks.last_mut() {
            Some(last) if (last.author, last.log_id) == (p.author, p.log_id) => {
                if (fork.seq_num, fork.kind) < (last.seq_num, last.kind) {
                    *last = fork;
                }
            }
            _ => forks.push(fork),
        }
    }
    Ok(forks)
}

#[cfg(test)]
mod decision_tests;
#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod tests;
