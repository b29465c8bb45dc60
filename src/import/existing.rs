//! What earlier imports published: the bridge key's live documents that
//! carry a `source` key, with their current version and fields.

use std::collections::BTreeMap;

use crate::entry::{DocumentId, OperationId, PublicKey};
use crate::operation::{
    Action, EventFields, FestivalFields, Fields, ResourceFields, decode_operation,
};
use crate::store::{OperationRef, Store, StoreError};

/// A live document: its id, current version and current fields.
#[derive(Clone, Debug)]
pub(crate) struct Doc<F> {
    pub id: DocumentId,
    pub version: OperationId,
    pub fields: F,
}

/// The bridge's imported documents, in log order.
#[derive(Debug, Default)]
pub(crate) struct Existing {
    pub festivals: Vec<Doc<FestivalFields>>,
    pub rooms: Vec<Doc<ResourceFields>>,
    pub events: Vec<Doc<EventFields>>,
}

impl Existing {
    /// The festival imported under `key`.
    pub fn festival(&self, key: &str) -> Option<&Doc<FestivalFields>> {
        self.festivals
            .iter()
            .find(|f| f.fields.source.as_deref() == Some(key))
    }

    /// The rooms of `festival`, by source key; the first of each key.
    pub fn rooms_of(&self, festival: DocumentId) -> Vec<&Doc<ResourceFields>> {
        self.rooms
            .iter()
            .filter(|r| r.fields.festival == festival)
            .collect()
    }

    /// The events of `festival`.
    pub fn events_of(&self, festival: DocumentId) -> Vec<&Doc<EventFields>> {
        self.events
            .iter()
            .filter(|e| e.fields.festival == festival)
            .collect()
    }
}

/// Reads the live documents of `author` that have a `source` key.
///
/// Errors: [`StoreError`] if the store cannot be read.
pub(crate) fn scan(store: &Store, author: PublicKey) -> Result<Existing, StoreError> {
    let reader = store.read();
    // Operations come ordered by author, log and seq: the last one seen of
    // a document is its current version.
    let mut last: BTreeMap<DocumentId, OperationRef> = BTreeMap::new();
    for op in reader.operation_refs()? {
        if op.author == author {
            last.insert(op.document, op);
        }
    }
    let mut current: Vec<OperationRef> = last.into_values().collect();
    current.sort_unstable_by_key(|op| (op.log_id, op.seq_num));
    let mut existing = Existing::default();
    for op in current {
        let payload = reader
            .payload_at(&op.author, op.log_id, op.seq_num)?
            .unwrap_or_default();
        let Ok(operation) = decode_operation(&payload) else {
            continue;
        };
        if operation.action == Action::Delete {
            continue;
        }
        match operation.fields {
            Some(Fields::Festival(fields)) if fields.source.is_some() => {
                existing.festivals.push(Doc {
                    id: op.document,
                    version: op.id,
                    fields,
                })
            }
            Some(Fields::Resource(fields)) if fields.source.is_some() => existing.rooms.push(Doc {
                id: op.document,
                version: op.id,
                fields,
            }),
            Some(Fields::Event(fields)) if fields.source.is_some() => existing.events.push(Doc {
                id: op.document,
                version: op.id,
                fields,
            }),
            _ => {}
        }
    }
    Ok(existing)
}
