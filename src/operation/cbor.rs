//! Canonical CBOR for operations (ciborium): deterministic map key order
//! (RFC 8949 section 4.2.1: sorted by encoded key bytes), no duplicate keys,
//! shortest forms, no trailing bytes, no tags, no nulls.

use ciborium::Value;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    Action, Fields, OPERATION_VERSION, Operation, OperationError, SchemaId, validate::validate,
};
use crate::entry::OperationId;

/// The largest payload (encoded operation) accepted, in bytes.
pub const MAX_PAYLOAD_SIZE: usize = 64 * 1024;

/// Encodes an operation as canonical CBOR.
///
/// The layout is p2panda's: `[1, action, schema_id, previous?, fields?]`, where
/// `previous` (operation ids as hex text) is present for UPDATE and DELETE and
/// `fields` (a map) for CREATE and UPDATE.
pub fn encode_operation(operation: &Operation) -> Vec<u8> {
    let mut items = vec![
        Value::Integer(OPERATION_VERSION.into()),
        Value::Integer(
            match operation.action {
                Action::Create => 0u8,
                Action::Update => 1,
                Action::Delete => 2,
            }
            .into(),
        ),
        Value::Text(operation.schema.as_str().to_owned()),
    ];
    if operation.action != Action::Create {
        items.push(Value::Array(
            operation
                .previous
                .iter()
                .map(|id| Value::Text(id.to_hex()))
                .collect(),
        ));
    }
    if let Some(fields) = &operation.fields {
        items.push(fields_value(fields));
    }
    to_bytes(&canonical(Value::Array(items)))
}

fn fields_value(fields: &Fields) -> Value {
    fn value<T: Serialize>(t: &T) -> Value {
        Value::serialized(t).expect("fields serialize to CBOR")
    }
    match fields {
        Fields::Festival(f) => value(f),
        Fields::Profile(f) => value(f),
        Fields::Resource(f) => value(f),
        Fields::Event(f) => value(f),
        Fields::Authorization(f) => value(f),
    }
}

fn to_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("writing CBOR to a Vec cannot fail");
    out
}

/// Sorts every map by [`key_order`], recursively.
fn canonical(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        Value::Map(entries) => {
            let mut entries: Vec<(Value, Value)> = entries
                .into_iter()
                .map(|(k, v)| (k, canonical(v)))
                .collect();
            entries.sort_by(|a, b| key_order(&a.0).cmp(&key_order(&b.0)));
            Value::Map(entries)
        }
        other => other,
    }
}

/// The canonical sort key of a map key: for text, (length, bytes), which
/// orders like the encoded bytes; other keys by their encoding.
fn key_order(key: &Value) -> (usize, std::borrow::Cow<'_, [u8]>) {
    match key {
        Value::Text(text) => (text.len(), std::borrow::Cow::Borrowed(text.as_bytes())),
        other => (usize::MAX, std::borrow::Cow::Owned(to_bytes(other))),
    }
}

/// Finds a map with keys out of order or repeated, a tag, or a null: none
/// of them has a place in a canonical operation.
fn check_canonical(value: &Value) -> Result<(), String> {
    match value {
        Value::Array(items) => items.iter().try_for_each(check_canonical),
        Value::Map(entries) => {
            for pair in entries.windows(2) {
                let name = pair[1].0.as_text().unwrap_or("?");
                match key_order(&pair[0].0).cmp(&key_order(&pair[1].0)) {
                    std::cmp::Ordering::Equal => return Err(format!("duplicate map key `{name}`")),
                    std::cmp::Ordering::Greater => {
                        return Err(format!("map key `{name}` is out of canonical order"));
                    }
                    std::cmp::Ordering::Less => {}
                }
            }
            entries.iter().try_for_each(|(_, v)| check_canonical(v))
        }
        Value::Tag(..) => Err("CBOR tags are not allowed".into()),
        Value::Null => Err("null values are not allowed; leave the field out".into()),
        _ => Ok(()),
    }
}

thread_local! {
    /// ciborium's scratch space for texts and byte strings, one per thread:
    /// `ciborium::from_reader` zeroes a new one (of the same 4 KiB) for
    /// every payload, which showed in materializing a large festival.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; 4096]);
}

/// Decodes and validates an operation from its canonical CBOR payload.
///
/// Errors: [`OperationError::Malformed`] for non-canonical CBOR or a wrong
/// layout, [`OperationError::UnknownSchema`], and field errors naming the
/// schema and field (see [`super::limits`] for the size limits).
pub fn decode_operation(payload: &[u8]) -> Result<Operation, OperationError> {
    decode(payload, true)
}

/// Decodes an operation that ingest stored as valid: as
/// [`decode_operation`], without checking again that the CBOR is canonical
/// (the store holds only payloads that passed that check), which is about a
/// third of the work. The fields are validated as ever.
///
/// Errors: as [`decode_operation`], less the canonical-form ones.
pub fn decode_stored_operation(payload: &[u8]) -> Result<Operation, OperationError> {
    decode(payload, false)
}

fn decode(payload: &[u8], strict: bool) -> Result<Operation, OperationError> {
    let malformed = |reason: String| OperationError::Malformed(reason);
    if payload.len() > MAX_PAYLOAD_SIZE {
        return Err(malformed(format!(
            "payload is {} bytes, the limit is {MAX_PAYLOAD_SIZE}",
            payload.len()
        )));
    }
    let value: Value = SCRATCH
        .with_borrow_mut(|scratch| ciborium::from_reader_with_buffer(payload, scratch))
        .map_err(|e| malformed(format!("not CBOR: {e}")))?;
    // Map key order, duplicates, tags and nulls here; shortest forms and
    // trailing bytes by encoding the decoded operation again at the end.
    if strict {
        check_canonical(&value).map_err(malformed)?;
    }
    let Value::Array(items) = value else {
        return Err(malformed("not an array".into()));
    };
    let mut items = items.into_iter();
    let version = items.next().and_then(|v| v.as_integer()).map(u64::try_from);
    if !matches!(version, Some(Ok(OPERATION_VERSION))) {
        return Err(malformed(format!("version must be {OPERATION_VERSION}")));
    }
    let action = match items.next().and_then(|v| v.as_integer()).map(u8::try_from) {
        Some(Ok(0)) => Action::Create,
        Some(Ok(1)) => Action::Update,
        Some(Ok(2)) => Action::Delete,
        _ => return Err(malformed("action must be 0, 1 or 2".into())),
    };
    let schema_text = match items.next() {
        Some(Value::Text(text)) => text,
        _ => return Err(malformed("schema id must be text".into())),
    };
    let schema = SchemaId::parse(&schema_text)
        .ok_or_else(|| OperationError::UnknownSchema(schema_text.chars().take(64).collect()))?;
    let previous = if action == Action::Create {
        Vec::new()
    } else {
        decode_previous(items.next())?
    };
    let fields = if action == Action::Delete {
        None
    } else {
        let value = items
            .next()
            .ok_or_else(|| malformed(format!("{schema} operation without fields")))?;
        Some(decode_fields(schema, value)?)
    };
    if items.next().is_some() {
        return Err(malformed("too many items".into()));
    }
    let operation = Operation {
        action,
        schema,
        previous,
        fields,
    };
    validate(&operation)?;
    if strict && encode_operation(&operation) != payload {
        return Err(malformed(
            "not canonical CBOR (trailing bytes, null fields, or a longer form than needed)".into(),
        ));
    }
    Ok(operation)
}

fn decode_previous(value: Option<Value>) -> Result<Vec<OperationId>, OperationError> {
    // One previous operation: the document's current view that this one
    // follows. Merging several views is not part of these schemas, and
    // ids that nothing checks would only be carried along.
    let bad = || OperationError::Malformed("previous must be an array of one operation id".into());
    let Some(Value::Array(items)) = value else {
        return Err(bad());
    };
    if items.len() != 1 {
        return Err(bad());
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::Text(text) => text
                .parse()
                .map_err(|e| OperationError::Malformed(format!("previous: {e}"))),
            _ => Err(bad()),
        })
        .collect()
}

fn decode_fields(schema: SchemaId, value: Value) -> Result<Fields, OperationError> {
    fn typed<T: DeserializeOwned>(schema: SchemaId, value: Value) -> Result<T, OperationError> {
        if !value.is_map() {
            return Err(OperationError::Fields {
                schema,
                reason: "fields must be a map".into(),
            });
        }
        value.deserialized().map_err(|e| OperationError::Fields {
            schema,
            reason: match e {
                ciborium::value::Error::Custom(text) => text,
            },
        })
    }
    Ok(match schema {
        SchemaId::Festival => Fields::Festival(typed(schema, value)?),
        SchemaId::Profile => Fields::Profile(typed(schema, value)?),
        SchemaId::Resource => Fields::Resource(typed(schema, value)?),
        SchemaId::Event => Fields::Event(typed(schema, value)?),
        SchemaId::Authorization => Fields::Authorization(typed(schema, value)?),
    })
}
