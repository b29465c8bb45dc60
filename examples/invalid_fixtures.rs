//! Generates the bad-input fixtures in `tests/fixtures/invalid/<case>/logs/`.
//!
//! Run from the repository root: `cargo run --example invalid_fixtures`.
//! Keys are derived from names, so the fixtures are the same on every run.
//! Every fixture also holds a valid log of a bystander, `zed`, whose profile
//! must survive the bad entries beside it.

use std::path::Path;

use ciborium::Value;
use pandafest::bundle::BundleBuilder;
use pandafest::entry::{Hash, KeyPair, LogChain, sign_raw};
use pandafest::operation::{
    AuthorizationFields, Decision, EventFields, FestivalFields, Fields, Operation, Policy,
    ProfileFields, ResourceFields, ResourceKind, encode_operation,
};

fn festival(time_zone: &str) -> Vec<u8> {
    encode_operation(&Operation::create(Fields::Festival(FestivalFields {
        name: "Fixture Fest".into(),
        description: String::new(),
        start: "2027-07-16T10:00:00+02:00".into(),
        end: "2027-07-18T22:00:00+02:00".into(),
        time_zone: time_zone.into(),
        parent: None,
        forked_from: None,
        source: None,
        acronym: None,
        days: None,
    })))
}

fn profile(name: &str) -> Vec<u8> {
    encode_operation(&Operation::create(Fields::Profile(ProfileFields {
        display_name: name.into(),
        bio: String::new(),
    })))
}

fn event(festival: Hash, title: &str, start: &str, end: &str, resources: Vec<Hash>) -> EventFields {
    EventFields {
        festival,
        title: title.into(),
        description: String::new(),
        start: start.into(),
        end: end.into(),
        resources,
        tags: vec![],
        links: vec![],
        subtitle: None,
        summary: None,
        language: None,
        persons: None,
        derived_from: None,
        source: None,
        track: None,
        kind: None,
        url: None,
        do_not_record: None,
    }
}

fn resource(festival: Hash) -> Vec<u8> {
    encode_operation(&Operation::create(Fields::Resource(ResourceFields {
        festival,
        title: "Boathouse".into(),
        description: String::new(),
        kind: ResourceKind::Room,
        location: None,
        policy: Policy::Manual,
        derived_from: None,
        source: None,
    })))
}

fn confirm(event: Hash, resource: Hash) -> Vec<u8> {
    encode_operation(&Operation::create(Fields::Authorization(
        AuthorizationFields {
            event,
            event_version: event,
            resource,
            decision: Decision::Confirmed,
            note: String::new(),
        },
    )))
}

/// Pushes every entry of a chain with the given payloads.
fn push_chain(
    bundle: &mut BundleBuilder,
    key: &KeyPair,
    log_id: u64,
    payloads: &[Vec<u8>],
) -> Vec<Hash> {
    let mut chain = LogChain::new(key, log_id);
    payloads
        .iter()
        .map(|payload| {
            let entry = chain.append(payload).expect("valid chain");
            bundle.push(key.public_key(), log_id, entry.bytes, payload.clone());
            entry.hash
        })
        .collect()
}

fn with_bystander() -> BundleBuilder {
    let mut bundle = BundleBuilder::new();
    let zed = KeyPair::from_name("zed");
    push_chain(&mut bundle, &zed, 0, &[profile("Zed Bystander")]);
    bundle
}

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let ada = KeyPair::from_name("ada");
    let bea = KeyPair::from_name("bea");
    let cyril = KeyPair::from_name("cyril");
    let a = ada.public_key();
    let mut cases: Vec<(&str, BundleBuilder)> = Vec::new();

    // Entries whose bytes were changed after signing.
    for case in [
        "tampered-signature",
        "payload-hash",
        "payload-size",
        "non-canonical-entry",
    ] {
        let mut bundle = with_bystander();
        let mut chain = LogChain::new(&ada, 0);
        let payloads = [
            festival("Europe/Berlin"),
            profile("Ada"),
            profile("Ada Again"),
        ];
        for (index, payload) in payloads.iter().enumerate() {
            let mut entry = chain.append(payload)?.bytes;
            let mut payload = payload.clone();
            if index == 1 {
                match case {
                    "tampered-signature" => *entry.last_mut().unwrap() ^= 0x01,
                    "payload-hash" => *payload.last_mut().unwrap() ^= 0x01,
                    "payload-size" => payload.push(0),
                    _ => entry.push(0),
                }
            }
            bundle.push(a, 0, entry, payload);
        }
        cases.push((case, bundle));
    }

    // A gap: seq 2 is missing.
    let mut bundle = with_bystander();
    let mut chain = LogChain::new(&ada, 0);
    let payloads = [
        festival("Europe/Berlin"),
        profile("Ada"),
        profile("Ada Again"),
    ];
    for (index, payload) in payloads.iter().enumerate() {
        let entry = chain.append(payload)?;
        if index != 1 {
            bundle.push(a, 0, entry.bytes, payload.clone());
        }
    }
    cases.push(("missing-backlink", bundle));

    // Fork kind 1: two entries at seq 2 with the same backlink.
    let mut bundle = with_bystander();
    push_chain(
        &mut bundle,
        &ada,
        0,
        &[festival("Europe/Berlin"), profile("Ada")],
    );
    let mut other = LogChain::new(&ada, 0);
    other.append(&festival("Europe/Berlin"))?;
    let fork = other.append(&profile("Another Ada"))?;
    bundle.push(a, 0, fork.bytes, profile("Another Ada"));
    cases.push(("fork-same-seq", bundle));

    // Fork kind 2: two entries at seq 3 whose backlinks to seq 2 differ.
    let mut bundle = with_bystander();
    let hashes = push_chain(
        &mut bundle,
        &ada,
        0,
        &[festival("Europe/Berlin"), profile("Ada"), profile("Ada 3")],
    );
    let payload = profile("Ada 3b");
    let entry = sign_raw(
        &ada,
        0,
        3,
        false,
        &payload,
        Some(Hash::of(b"another seq 2")),
        Some(hashes[0]),
    );
    bundle.push(a, 0, entry, payload);
    cases.push(("fork-conflicting-backlinks", bundle));

    // Fork kind 3: a backlink that does not match the stored entry at seq 2.
    let mut bundle = with_bystander();
    push_chain(
        &mut bundle,
        &ada,
        0,
        &[festival("Europe/Berlin"), profile("Ada")],
    );
    let payload = profile("Ada 3");
    let entry = sign_raw(
        &ada,
        0,
        3,
        false,
        &payload,
        Some(Hash::of(b"not seq 2")),
        None,
    );
    bundle.push(a, 0, entry, payload);
    cases.push(("fork-link-mismatch", bundle));

    // Fork kind 4: an entry after the end-of-log entry.
    let mut bundle = with_bystander();
    let first = festival("Europe/Berlin");
    let hashes = push_chain(&mut bundle, &ada, 0, &[first]);
    let end_payload = profile("Ada, last words");
    let end = sign_raw(&ada, 0, 2, true, &end_payload, Some(hashes[0]), None);
    let end_hash = Hash::of(&end);
    bundle.push(a, 0, end, end_payload);
    let payload = profile("Ada, after the end");
    let after = sign_raw(&ada, 0, 3, false, &payload, Some(end_hash), None);
    bundle.push(a, 0, after, payload);
    cases.push(("fork-after-end", bundle));

    // An unknown schema.
    let mut bundle = with_bystander();
    let mut unknown = Vec::new();
    ciborium::into_writer(
        &Value::Array(vec![
            Value::Integer(1.into()),
            Value::Integer(0.into()),
            Value::Text("party_v9".into()),
            Value::Map(vec![]),
        ]),
        &mut unknown,
    )?;
    push_chain(
        &mut bundle,
        &ada,
        0,
        &[festival("Europe/Berlin"), unknown, profile("Ada")],
    );
    cases.push(("unknown-schema", bundle));

    // An update of Ada's profile by Bea.
    let mut bundle = with_bystander();
    let hashes = push_chain(
        &mut bundle,
        &ada,
        0,
        &[festival("Europe/Berlin"), profile("Ada")],
    );
    let update = encode_operation(&Operation::update(
        hashes[1],
        Fields::Profile(ProfileFields {
            display_name: "Not Ada".into(),
            bio: String::new(),
        }),
    ));
    push_chain(&mut bundle, &bea, 0, &[profile("Bea"), update]);
    cases.push(("update-by-non-author", bundle));

    // Cyril confirms Ada's resource for Bea's event.
    let mut bundle = with_bystander();
    let hashes = push_chain(&mut bundle, &ada, 0, &[festival("Europe/Berlin")]);
    let fest = hashes[0];
    let mut ada_chain = LogChain::new(&ada, 1);
    let res_payload = resource(fest);
    let res = ada_chain.append(&res_payload)?;
    bundle.push(a, 1, res.bytes, res_payload);
    let ev_payload = encode_operation(&Operation::create(Fields::Event(event(
        fest,
        "Rowing",
        "2027-07-16T10:00:00+02:00",
        "2027-07-16T11:00:00+02:00",
        vec![res.hash],
    ))));
    let ev = push_chain(&mut bundle, &bea, 0, &[ev_payload])[0];
    push_chain(&mut bundle, &cyril, 0, &[confirm(ev, res.hash)]);
    cases.push(("authorization-by-non-owner", bundle));

    // Ada confirms her boathouse for two of Bea's events that overlap.
    let mut bundle = with_bystander();
    let mut ada_chain = LogChain::new(&ada, 0);
    let fest_payload = festival("Europe/Berlin");
    let fest = ada_chain.append(&fest_payload)?.hash;
    let res_payload = resource(fest);
    let res = ada_chain.append(&res_payload)?.hash;
    let first = encode_operation(&Operation::create(Fields::Event(event(
        fest,
        "Morning rowing",
        "2027-07-16T10:00:00+02:00",
        "2027-07-16T11:00:00+02:00",
        vec![res],
    ))));
    let second = encode_operation(&Operation::create(Fields::Event(event(
        fest,
        "Canoe polo",
        "2027-07-16T10:30:00+02:00",
        "2027-07-16T12:00:00+02:00",
        vec![res],
    ))));
    let events = push_chain(&mut bundle, &bea, 0, &[first, second]);
    let mut ada_payloads = vec![fest_payload, res_payload];
    ada_payloads.push(confirm(events[0], res));
    ada_payloads.push(confirm(events[1], res));
    push_chain(&mut bundle, &ada, 0, &ada_payloads);
    cases.push(("overlapping-confirmation", bundle));

    // Field rules.
    let mut bundle = with_bystander();
    push_chain(
        &mut bundle,
        &ada,
        0,
        &[festival("Mars/Olympus_Mons"), profile("Ada")],
    );
    cases.push(("invalid-time-zone", bundle));

    let fest = Hash::of(
        &LogChain::new(&ada, 0)
            .append(&festival("Europe/Berlin"))?
            .bytes,
    );
    let mut bundle = with_bystander();
    let backwards = encode_operation(&Operation::create(Fields::Event(event(
        fest,
        "Backwards",
        "2027-07-16T12:00:00+02:00",
        "2027-07-16T11:00:00+02:00",
        vec![],
    ))));
    push_chain(
        &mut bundle,
        &ada,
        0,
        &[festival("Europe/Berlin"), backwards, profile("Ada")],
    );
    cases.push(("end-before-start", bundle));

    let mut bundle = with_bystander();
    let long_title = encode_operation(&Operation::create(Fields::Event(event(
        fest,
        &"x".repeat(201),
        "2027-07-16T10:00:00+02:00",
        "2027-07-16T11:00:00+02:00",
        vec![],
    ))));
    let mut many = event(
        fest,
        "Many tags",
        "2027-07-16T10:00:00+02:00",
        "2027-07-16T11:00:00+02:00",
        vec![],
    );
    many.tags = (0..65).map(|i| format!("tag{i}")).collect();
    let many_tags = encode_operation(&Operation::create(Fields::Event(many)));
    push_chain(
        &mut bundle,
        &ada,
        0,
        &[
            festival("Europe/Berlin"),
            long_title,
            many_tags,
            profile("Ada"),
        ],
    );
    cases.push(("oversized-fields", bundle));

    // A bundle file cut short inside its third record.
    let mut bundle = with_bystander();
    push_chain(
        &mut bundle,
        &ada,
        0,
        &[festival("Europe/Berlin"), profile("Ada"), profile("Ada 3")],
    );
    cases.push(("truncated-bundle", bundle));

    for (case, bundle) in cases {
        let logs = root.join(case).join("logs");
        if logs.exists() {
            std::fs::remove_dir_all(&logs)?;
        }
        bundle.write(&logs)?;
        if case == "truncated-bundle" {
            let file = logs.join(format!("{}/0.bamboo", a.to_hex()));
            let bytes = std::fs::read(&file)?;
            std::fs::write(&file, &bytes[..bytes.len() - 10])?;
        }
        println!("wrote {}", logs.display());
    }
    Ok(())
}
