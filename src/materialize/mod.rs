//! Store -> festival model. Documents are rebuilt from their operations,
//! then the authorization rules decide the state of every request.

mod authorization;
mod documents;
mod model;

pub use authorization::{AuthorizationPolicy, policy_for};
pub use model::{
    Booking, Event, Festival, ForkedLog, Model, Person, Request, RequestState, Resource, Version,
};

use crate::store::{Store, StoreError};

/// Reads the store's valid operations and fork proofs and works out the
/// festival model (see [`from_operations`]).
///
/// Errors: [`StoreError`] if the store cannot be read.
pub fn materialize(store: &Store) -> Result<Model, StoreError> {
    let started = std::time::Instant::now();
    let reader = store.read();
    let operations = reader.operations()?;
    let forks = reader
        .fork_proofs()?
        .into_iter()
        .map(|p| ForkedLog {
            author: p.author,
            log_id: p.log_id,
            seq_num: p.seq_num,
            kind: p.kind,
        })
        .collect();
    let model = from_operations(operations, forks);
    tracing::debug!(elapsed = ?started.elapsed(), events = model.events.len(), "materialized");
    Ok(model)
}

/// Works out the model from stored operations (ordered by author, log id
/// and seq num) and the forked logs. Pure: no I/O.
pub fn from_operations(
    operations: Vec<crate::store::StoredOperation>,
    forks: Vec<ForkedLog>,
) -> Model {
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
