//! Store -> festival model. Documents are rebuilt from their operations,
//! then the authorization rules decide the state of every request.

mod authorization;
mod documents;
mod model;

pub use authorization::{AuthorizationPolicy, policy_for};
pub use model::{
    Booking, Event, Festival, ForkedLog, Model, Person, Request, RequestState, Resource, Version,
};

use crate::ingest::DecodedOperations;
use crate::store::{Reader, Store, StoreError, StoredOperation};

/// Reads the store's valid operations and fork proofs and works out the
/// festival model (see [`from_operations`]).
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
pub fn materialize_with(
    store: &Store,
    mut decoded: DecodedOperations,
) -> Result<Model, StoreError> {
    let started = std::time::Instant::now();
    let reader = store.read();
    let operations = if decoded.is_empty() {
        documents::decode(reader.operations()?)
    } else {
        let mut ready = Vec::new();
        let mut missing = Vec::new();
        for op in reader.operation_refs()? {
            match decoded.remove(&op.id) {
                Some(operation) => ready.push(documents::Decoded {
                    id: op.id,
                    document: op.document,
                    author: op.author,
                    position: (op.log_id, op.seq_num),
                    operation: Ok(operation),
                }),
                None => missing.push(StoredOperation {
                    id: op.id,
                    document: op.document,
                    author: op.author,
                    log_id: op.log_id,
                    seq_num: op.seq_num,
                    payload: reader
                        .payload_at(&op.author, op.log_id, op.seq_num)?
                        .unwrap_or_default(),
                }),
            }
        }
        ready.extend(documents::decode(missing));
        ready.sort_by_key(|op| (op.author, op.position));
        ready
    };
    drop(decoded);
    let forks = forked_logs(&reader)?;
    let model = build(operations, forks);
    tracing::debug!(elapsed = ?started.elapsed(), events = model.events.len(), "materialized");
    Ok(model)
}

fn forked_logs(reader: &Reader<'_>) -> Result<Vec<ForkedLog>, StoreError> {
    Ok(reader
        .fork_proofs()?
        .into_iter()
        .map(|p| ForkedLog {
            author: p.author,
            log_id: p.log_id,
            seq_num: p.seq_num,
            kind: p.kind,
        })
        .collect())
}

/// Works out the model from stored operations (ordered by author, log id
/// and seq num) and the forked logs. Pure: no I/O.
pub fn from_operations(operations: Vec<StoredOperation>, forks: Vec<ForkedLog>) -> Model {
    build(documents::decode(operations), forks)
}

fn build(operations: Vec<documents::Decoded>, forks: Vec<ForkedLog>) -> Model {
    let mut model = Model {
        forks,
        ..Model::default()
    };
    let documents = documents::build(operations, &mut model);
    authorization::apply(&documents, &mut model);
    model
}

#[cfg(test)]
mod tests;
