//! Operations: the payloads of entries, CBOR-encoded in the p2panda layout
//! `[version, action, schema_id, previous?, fields?]`.

mod cbor;
mod fields;
mod validate;

pub use cbor::{MAX_PAYLOAD_SIZE, decode_operation, decode_stored_operation, encode_operation};
pub use fields::{
    AuthorizationFields, Decision, EventFields, FestivalFields, Fields, ForkedFrom, Link, Location,
    Policy, ProfileFields, ResourceFields, ResourceKind, ScheduleDay,
};
pub use validate::limits;

use crate::entry::OperationId;

/// The operation format version this crate writes and reads.
pub const OPERATION_VERSION: u64 = 1;

/// What an operation does to its document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Creates a document (CBOR `0`).
    Create,
    /// Replaces the fields of a document (CBOR `1`).
    Update,
    /// Deletes a document (CBOR `2`).
    Delete,
}

/// The versioned schemas pandafest knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SchemaId {
    /// A festival: name, dates, time zone, parent, fork origin.
    Festival,
    /// A person's display profile.
    Profile,
    /// A shared resource; a location when it has a place.
    Resource,
    /// An event that requests resources for its timeframe.
    Event,
    /// A resource owner's decision on one event version.
    Authorization,
}

impl SchemaId {
    /// The schema id as written in operations, e.g. `event_v1`.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaId::Festival => "festival_v1",
            SchemaId::Profile => "profile_v1",
            SchemaId::Resource => "resource_v1",
            SchemaId::Event => "event_v1",
            SchemaId::Authorization => "authorization_v1",
        }
    }

    /// Parses a schema id; `None` if it is unknown.
    pub fn parse(text: &str) -> Option<SchemaId> {
        [
            SchemaId::Festival,
            SchemaId::Profile,
            SchemaId::Resource,
            SchemaId::Event,
            SchemaId::Authorization,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for SchemaId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A decoded, validated operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// Create, update or delete.
    pub action: Action,
    /// The document's schema.
    pub schema: SchemaId,
    /// The operation this one follows (the document's current view): one id
    /// for an UPDATE or DELETE, none for a CREATE.
    pub previous: Vec<OperationId>,
    /// The document's fields: all of them for CREATE and UPDATE, none for
    /// DELETE.
    pub fields: Option<Fields>,
}

impl Operation {
    /// Checks the fields against their schema's rules (sizes, times, time
    /// zones, URLs), as decoding does.
    ///
    /// Errors: [`OperationError::Field`] naming the first field at fault,
    /// [`OperationError::Malformed`] for fields that do not fit the action.
    pub fn check(&self) -> Result<(), OperationError> {
        validate::validate(self)
    }

    /// A CREATE operation with the given fields.
    pub fn create(fields: Fields) -> Operation {
        Operation {
            action: Action::Create,
            schema: fields.schema(),
            previous: Vec::new(),
            fields: Some(fields),
        }
    }

    /// An UPDATE operation that replaces the fields of the document whose
    /// current view is `previous`.
    pub fn update(previous: OperationId, fields: Fields) -> Operation {
        Operation {
            action: Action::Update,
            schema: fields.schema(),
            previous: vec![previous],
            fields: Some(fields),
        }
    }

    /// A DELETE operation of the document whose current view is `previous`.
    pub fn delete(schema: SchemaId, previous: OperationId) -> Operation {
        Operation {
            action: Action::Delete,
            schema,
            previous: vec![previous],
            fields: None,
        }
    }
}

/// Why an operation is invalid. Every message names the schema, and the
/// field where one is at fault.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum OperationError {
    /// The payload is not canonical CBOR in the operation layout.
    #[error("malformed operation: {0}")]
    Malformed(String),
    /// The schema id is not one pandafest knows.
    #[error("unknown schema `{0}`")]
    UnknownSchema(String),
    /// The fields do not fit the schema.
    #[error("{schema} field `{field}`: {reason}")]
    Field {
        /// The schema.
        schema: SchemaId,
        /// The field at fault.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The fields as a whole do not fit the schema (missing or unknown field).
    #[error("{schema}: {reason}")]
    Fields {
        /// The schema.
        schema: SchemaId,
        /// What is wrong.
        reason: String,
    },
}

#[cfg(test)]
mod tests;
