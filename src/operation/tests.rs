use ciborium::Value;
use proptest::prelude::*;

use super::*;
use crate::entry::Hash;

fn event() -> EventFields {
    EventFields {
        festival: Hash::of(b"festival"),
        title: "Soldering for beginners".into(),
        description: "Bring *curiosity*.".into(),
        start: "2027-07-16T18:00:00+02:00".into(),
        end: "2027-07-16T19:30:00+02:00".into(),
        resources: vec![Hash::of(b"room")],
        tags: vec!["workshop".into()],
        links: vec![Link {
            title: "Notes".into(),
            url: "https://example.org/notes".into(),
        }],
        subtitle: None,
        summary: None,
        language: Some("en".into()),
        persons: None,
        derived_from: None,
        source: None,
        track: None,
        kind: None,
        url: None,
        do_not_record: None,
    }
}

fn encode_value(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

#[test]
fn event_round_trips() {
    let op = Operation::create(Fields::Event(event()));
    let bytes = encode_operation(&op);
    assert_eq!(decode_operation(&bytes).unwrap(), op);
}

#[test]
fn update_and_delete_round_trip() {
    let update = Operation::update(Hash::of(b"v1"), Fields::Event(event()));
    assert_eq!(
        decode_operation(&encode_operation(&update)).unwrap(),
        update
    );
    let delete = Operation::delete(SchemaId::Event, Hash::of(b"v2"));
    assert_eq!(
        decode_operation(&encode_operation(&delete)).unwrap(),
        delete
    );
}

#[test]
fn rejects_unknown_schema() {
    let value = Value::Array(vec![
        Value::Integer(1.into()),
        Value::Integer(0.into()),
        Value::Text("party_v9".into()),
        Value::Map(vec![]),
    ]);
    let err = decode_operation(&encode_value(&value)).unwrap_err();
    assert_eq!(err.to_string(), "unknown schema `party_v9`");
}

#[test]
fn rejects_end_before_start() {
    let mut fields = event();
    fields.end = "2027-07-16T17:00:00+02:00".into();
    let bytes = encode_operation(&Operation::create(Fields::Event(fields)));
    let err = decode_operation(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "event_v1 field `end`: 2027-07-16T17:00:00+02:00 is not after start 2027-07-16T18:00:00+02:00"
    );
}

#[test]
fn rejects_oversized_title() {
    let mut fields = event();
    fields.title = "x".repeat(201);
    let bytes = encode_operation(&Operation::create(Fields::Event(fields)));
    let err = decode_operation(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "event_v1 field `title`: 201 bytes, the limit is 200"
    );
}

#[test]
fn rejects_javascript_url() {
    let mut fields = event();
    fields.links[0].url = "javascript:alert(1)".into();
    let bytes = encode_operation(&Operation::create(Fields::Event(fields)));
    let err = decode_operation(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "event_v1 field `links.url`: `javascript:alert(1)` is not an http or https URL"
    );
}

#[test]
fn rejects_missing_field_naming_it() {
    let bytes = encode_operation(&Operation::create(Fields::Event(event())));
    let mut op: Value = ciborium::from_reader(&bytes[..]).unwrap();
    if let Value::Array(items) = &mut op
        && let Value::Map(entries) = &mut items[3]
    {
        entries.retain(|(k, _)| k.as_text() != Some("title"));
    }
    let err = decode_operation(&encode_value(&op)).unwrap_err();
    assert_eq!(err.to_string(), "event_v1: missing field `title`");
}

#[test]
fn rejects_unsorted_field_map() {
    let op = Value::Array(vec![
        Value::Integer(1.into()),
        Value::Integer(0.into()),
        Value::Text("profile_v1".into()),
        Value::Map(vec![
            (
                Value::Text("display_name".into()),
                Value::Text("Ada".into()),
            ),
            (Value::Text("bio".into()), Value::Text("".into())),
        ]),
    ]);
    let err = decode_operation(&encode_value(&op)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed operation: map key `bio` is out of canonical order"
    );
}

#[test]
fn rejects_trailing_bytes() {
    let op = Operation::create(Fields::Profile(ProfileFields {
        display_name: "Ada".into(),
        bio: String::new(),
    }));
    let mut bytes = encode_operation(&op);
    bytes.push(0);
    let err = decode_operation(&bytes).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("malformed operation: not canonical CBOR"),
        "{err}"
    );
}

#[test]
fn rejects_invalid_time_zone() {
    let op = Operation::create(Fields::Festival(FestivalFields {
        name: "Camp".into(),
        description: String::new(),
        start: "2027-07-16T10:00:00+02:00".into(),
        end: "2027-07-18T10:00:00+02:00".into(),
        time_zone: "Mars/Olympus_Mons".into(),
        parent: None,
        forked_from: None,
        source: None,
        acronym: None,
        days: None,
    }));
    let err = decode_operation(&encode_operation(&op)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "festival_v1 field `time_zone`: `Mars/Olympus_Mons` is not an IANA time zone"
    );
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9äöü🎪*_()<>&\"'][a-zA-Z0-9 äöü🎪*_\\[\\]()<>&\"']{0,39}"
}

proptest! {
    #[test]
    fn operations_round_trip(title in text(), description in ".{0,200}", tags in proptest::collection::vec(text(), 0..5),
                             minutes in 1i64..10_000, lat in -90.0f64..90.0, lon in -180.0f64..180.0) {
        let mut fields = event();
        fields.title = title.clone();
        fields.description = description.replace('\0', "");
        fields.tags = tags;
        fields.end = (chrono::DateTime::parse_from_rfc3339(&fields.start).unwrap() + chrono::Duration::minutes(minutes)).to_rfc3339();
        let op = Operation::create(Fields::Event(fields));
        prop_assert_eq!(decode_operation(&encode_operation(&op)).unwrap(), op);

        let resource = Operation::create(Fields::Resource(ResourceFields {
            festival: Hash::of(b"f"),
            title,
            description: String::new(),
            kind: ResourceKind::Room,
            location: Some(Location::Gps { lat, lon }),
            policy: Policy::Manual,
            derived_from: None,
            source: None,
        }));
        prop_assert_eq!(decode_operation(&encode_operation(&resource)).unwrap(), resource);
    }

    #[test]
    fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_operation(&bytes);
    }
}

#[test]
fn rejects_unknown_location_field() {
    let resource = Operation::create(Fields::Resource(ResourceFields {
        festival: Hash::of(b"f"),
        title: "Boathouse".into(),
        description: String::new(),
        kind: ResourceKind::Room,
        location: Some(Location::Gps { lat: 1.0, lon: 2.0 }),
        policy: Policy::Manual,
        derived_from: None,
        source: None,
    }));
    let bytes = encode_operation(&resource);
    let mut op: Value = ciborium::from_reader(&bytes[..]).unwrap();
    if let Value::Array(items) = &mut op
        && let Value::Map(fields) = &mut items[3]
    {
        for (key, value) in fields.iter_mut() {
            if key.as_text() == Some("location")
                && let Value::Map(location) = value
            {
                location.insert(2, (Value::Text("zzz".into()), Value::Integer(1.into())));
            }
        }
    }
    let err = decode_operation(&encode_value(&op)).unwrap_err();
    assert!(err.to_string().contains("unknown field `zzz`"), "{err}");
}

#[test]
fn rejects_null_field() {
    let op = Value::Array(vec![
        Value::Integer(1.into()),
        Value::Integer(0.into()),
        Value::Text("profile_v1".into()),
        Value::Map(vec![
            (Value::Text("bio".into()), Value::Null),
            (
                Value::Text("display_name".into()),
                Value::Text("Ada".into()),
            ),
        ]),
    ]);
    let err = decode_operation(&encode_value(&op)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed operation: null values are not allowed; leave the field out"
    );
}

#[test]
fn rejects_more_than_one_previous_operation() {
    let mut update = Operation::update(Hash::of(b"a"), Fields::Event(event()));
    update.previous.push(Hash::of(b"b"));
    let err = decode_operation(&encode_operation(&update)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed operation: previous must be an array of one operation id"
    );
}
