//! Every bad-input fixture in `tests/fixtures/invalid/<case>/` gets a clear
//! error naming what it is about, and the valid entries beside it are kept.
//! The fixtures come from `cargo run --example invalid_fixtures`.

use std::path::Path;

use pandafest::bundle::BundleReader;
use pandafest::entry::KeyPair;
use pandafest::ingest::{DecodedOperations, IngestReport, ingest, ingest_keeping};
use pandafest::materialize::{Model, materialize, materialize_with};
use pandafest::store::Store;

fn ada() -> String {
    KeyPair::from_name("ada").public_key().to_hex()
}

/// Ingests a fixture into a fresh store and returns the report, its lines
/// and the model.
fn run(case: &str) -> (IngestReport, String, Model) {
    let logs = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/invalid")
        .join(case)
        .join("logs");
    let bundle = BundleReader::open(&logs).unwrap();
    let mut store = Store::in_memory().unwrap();
    let report = ingest(&mut store, bundle.entries(), |_| {}).unwrap();
    let model = materialize(&store).unwrap();
    // The operations an ingest keeps give the same model as the store's.
    let mut kept = Store::in_memory().unwrap();
    let mut decoded = DecodedOperations::new();
    ingest_keeping(&mut kept, bundle.entries(), |_| {}, Some(&mut decoded)).unwrap();
    let from_kept = materialize_with(&kept, decoded).unwrap();
    assert_eq!(
        format!("{from_kept:?}"),
        format!("{model:?}"),
        "{case}: kept operations give another model"
    );
    let mut lines = report.lines();
    lines.extend(model.conflicts());
    let text = lines.join("\n");
    let zed = KeyPair::from_name("zed").public_key();
    assert_eq!(
        model
            .people
            .get(&zed)
            .and_then(|p| p.display_name.as_deref()),
        Some("Zed Bystander"),
        "{case}: the bystander's valid log was lost\n{text}"
    );
    (report, text, model)
}

fn assert_line(text: &str, expected: &str) {
    assert!(
        text.lines().any(|l| l.contains(expected)),
        "expected a line containing\n  {expected}\nin\n{text}"
    );
}

#[test]
fn tampered_signature() {
    let (report, text, _) = run("tampered-signature");
    assert_line(
        &text,
        &format!("author {} log 0 seq 2: invalid signature", ada()),
    );
    assert_line(
        &text,
        &format!("held: author {} log 0 seq 3: waits for seq 2", ada()),
    );
    assert_eq!(report.ingested, 2, "seq 1 and the bystander stay");
}

#[test]
fn payload_that_does_not_match_its_hash() {
    let (report, text, _) = run("payload-hash");
    assert_line(
        &text,
        &format!(
            "0.bamboo record 2: author {} log 0 seq 2: payload does not match the entry's payload hash",
            ada()
        ),
    );
    assert_eq!(report.ingested, 2);
}

#[test]
fn payload_that_does_not_match_its_size() {
    let (_, text, _) = run("payload-size");
    assert_line(
        &text,
        &format!(
            "author {} log 0 seq 2: payload is 38 bytes but the entry says 37",
            ada()
        ),
    );
}

#[test]
fn non_canonical_entry_encoding() {
    let (_, text, _) = run("non-canonical-entry");
    assert_line(
        &text,
        &format!(
            "author {} log 0 seq 2: non-canonical or malformed entry encoding: 1 trailing bytes after the signature",
            ada()
        ),
    );
}

/// An entry whose backlink is missing is not rejected: it is held until
/// the entry before it comes, and does not count meanwhile.
#[test]
fn missing_backlink_holds_the_entry() {
    let (report, text, model) = run("missing-backlink");
    assert_line(
        &text,
        &format!("held: author {} log 0 seq 3: waits for seq 2", ada()),
    );
    assert_line(&text, "rejected 0, forks 0, held 1");
    assert_eq!(report.ingested, 2);
    let ada_key = KeyPair::from_name("ada").public_key();
    assert_eq!(
        model
            .people
            .get(&ada_key)
            .and_then(|p| p.display_name.as_deref()),
        None,
        "seq 3's profile waits with its entry"
    );
}

#[test]
fn fork_two_entries_at_one_seq() {
    let (report, text, model) = run("fork-same-seq");
    assert_line(
        &text,
        &format!(
            "fork: author {} log 0 seq 2: two entries at the same seq num",
            ada()
        ),
    );
    assert_eq!(report.forks.len(), 1);
    assert_eq!(model.forks[0].seq_num, 2);
    assert!(!report.is_clean());
}

#[test]
fn fork_conflicting_backlinks() {
    let (_, text, _) = run("fork-conflicting-backlinks");
    assert_line(
        &text,
        &format!(
            "fork: author {} log 0 seq 2: two backlinks to the same seq num with different hashes",
            ada()
        ),
    );
}

#[test]
fn fork_backlink_that_does_not_match() {
    let (_, text, _) = run("fork-link-mismatch");
    assert_line(
        &text,
        &format!(
            "fork: author {} log 0 seq 2: a link whose hash does not match the entry at its position",
            ada()
        ),
    );
    assert_line(&text, "the log is not trusted from seq 2 on");
}

#[test]
fn fork_entry_after_end_of_log() {
    let (report, text, model) = run("fork-after-end");
    assert_line(
        &text,
        &format!(
            "fork: author {} log 0 seq 3: an entry after the end-of-log entry",
            ada()
        ),
    );
    let ada_key = KeyPair::from_name("ada").public_key();
    assert_eq!(
        model.people[&ada_key].display_name.as_deref(),
        Some("Ada, last words"),
        "the end-of-log entry itself stays trusted"
    );
    assert_eq!(report.forks.len(), 1);
}

#[test]
fn unknown_schema() {
    let (report, text, _) = run("unknown-schema");
    assert_line(
        &text,
        &format!("author {} log 0 seq 2: unknown schema `party_v9`", ada()),
    );
    assert_eq!(
        report.ingested, 4,
        "the entry stays in its log so seq 3 still links"
    );
}

#[test]
fn update_by_non_author() {
    let (_, text, model) = run("update-by-non-author");
    assert_line(&text, "profile_v1 operation by a non-author: document");
    assert_line(&text, &format!("belongs to {}", ada()));
    let ada_key = KeyPair::from_name("ada").public_key();
    assert_eq!(model.people[&ada_key].display_name.as_deref(), Some("Ada"));
}

#[test]
fn authorization_by_non_owner() {
    let (_, text, model) = run("authorization-by-non-owner");
    let cyril = KeyPair::from_name("cyril").public_key();
    assert_line(
        &text,
        &format!("author {cyril} log 0 seq 1: authorization_v1 field `resource`: resource"),
    );
    assert_line(&text, &format!("is owned by {}, not by the author", ada()));
    let event = model.events.values().next().unwrap();
    assert_eq!(event.requests[0].state.as_str(), "pending");
}

#[test]
fn overlapping_confirmation() {
    let (report, text, model) = run("overlapping-confirmation");
    assert!(report.is_clean());
    assert_line(&text, "conflict: event `Canoe polo`");
    assert_line(
        &text,
        "but it overlaps the earlier confirmed event `Morning rowing`",
    );
    let polo = model
        .events
        .values()
        .find(|e| e.title == "Canoe polo")
        .unwrap();
    assert_eq!(polo.confirmation(), (0, 1));
    let rowing = model
        .events
        .values()
        .find(|e| e.title == "Morning rowing")
        .unwrap();
    assert_eq!(rowing.confirmed_percent(), 100);
}

#[test]
fn invalid_time_zone() {
    let (_, text, _) = run("invalid-time-zone");
    assert_line(
        &text,
        &format!(
            "author {} log 0 seq 1: festival_v1 field `time_zone`: `Mars/Olympus_Mons` is not an IANA time zone",
            ada()
        ),
    );
}

#[test]
fn end_before_start() {
    let (_, text, _) = run("end-before-start");
    assert_line(
        &text,
        "seq 2: event_v1 field `end`: 2027-07-16T11:00:00+02:00 is not after start 2027-07-16T12:00:00+02:00",
    );
}

#[test]
fn oversized_fields() {
    let (_, text, _) = run("oversized-fields");
    assert_line(
        &text,
        "seq 2: event_v1 field `title`: 201 bytes, the limit is 200",
    );
    assert_line(
        &text,
        "seq 3: event_v1 field `tags`: 65 items, the limit is 64",
    );
}

#[test]
fn truncated_bundle_file() {
    let (report, text, _) = run("truncated-bundle");
    assert_line(
        &text,
        &format!(
            "logs/{0}/0.bamboo: author {0} log 0: truncated at byte 666: record 3 announces 39 payload bytes that are not there",
            ada()
        ),
    );
    assert_eq!(report.ingested, 3, "records 1 and 2 and the bystander stay");
}

#[test]
fn reingesting_reports_the_same_problems() {
    let logs =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid/unknown-schema/logs");
    let mut store = Store::in_memory().unwrap();
    let first = ingest(
        &mut store,
        BundleReader::open(&logs).unwrap().entries(),
        |_| {},
    )
    .unwrap();
    let second = ingest(
        &mut store,
        BundleReader::open(&logs).unwrap().entries(),
        |_| {},
    )
    .unwrap();
    assert_eq!(second.ingested, 0);
    assert_eq!(second.duplicates, first.ingested);
    assert_eq!(second.rejected.len(), first.rejected.len());
}

/// Log i's update follows the operation in log i + 1, and the logs arrive
/// in ascending order. A document's operations must stay in one log, so
/// the update in the log next to the CREATE is refused, and those that
/// follow it wait for good; settling them must end, and in one pass.
#[test]
fn updates_across_logs_are_refused_and_their_followers_wait() {
    use pandafest::entry::LogChain;
    use pandafest::ingest::RawEntry;
    use pandafest::operation::{Fields, Operation, ProfileFields, encode_operation};

    let key = KeyPair::from_name("chain");
    let logs = 300u64;
    let fields = |n: u64| {
        Fields::Profile(ProfileFields {
            display_name: format!("Name {n}"),
            bio: String::new(),
        })
    };
    let mut raw = Vec::new();
    let mut previous = None;
    let mut ids = Vec::new();
    for log_id in (0..logs).rev() {
        let operation = match previous {
            None => Operation::create(fields(log_id)),
            Some(id) => Operation::update(id, fields(log_id)),
        };
        let payload = encode_operation(&operation);
        let entry = LogChain::new(&key, log_id).append(&payload).unwrap();
        previous = Some(entry.hash);
        ids.push(entry.hash);
        raw.push(Ok(RawEntry {
            entry: entry.bytes,
            payload: Some(payload),
            origin: format!("log {log_id}"),
        }));
    }
    raw.reverse();
    let mut store = Store::in_memory().unwrap();
    let report = ingest(&mut store, raw, |_| {}).unwrap();
    assert_eq!(report.ingested, logs);
    let create = ids[0];
    let text = report.lines().join("\n");
    assert_line(
        &text,
        &format!(
            "rejected: author {} log {} seq 1: follows operation {create} of document {create} in log {}; a document's operations must stay in one log",
            key.public_key().to_hex(),
            logs - 2,
            logs - 1
        ),
    );
    assert_eq!(report.rejected.len(), 1, "{text}");
    assert_eq!(report.waiting.len() as u64, logs - 2);
}

#[test]
fn author_key_off_the_curve() {
    use pandafest::entry::{PublicKey, sign_raw};
    use pandafest::ingest::RawEntry;
    let key = KeyPair::from_name("ada");
    let mut bytes = sign_raw(&key, 0, 1, false, b"x", None, None);
    // About half of all y coordinates have no point on the curve.
    let off_curve = (2u8..)
        .map(|n| {
            let mut y = [0u8; 32];
            y[0] = n;
            PublicKey(y)
        })
        .find(|key| !key.is_curve_point())
        .unwrap();
    bytes[1..33].copy_from_slice(&off_curve.0);
    let raw = RawEntry {
        entry: bytes,
        payload: Some(b"x".to_vec()),
        origin: "a crafted entry".into(),
    };
    let mut store = Store::in_memory().unwrap();
    let report = ingest(&mut store, [Ok(raw)], |_| {}).unwrap();
    assert_eq!(report.ingested, 0);
    assert_line(
        &report.lines().join("\n"),
        &format!(
            "author {} log 0 seq 1: non-canonical or malformed entry encoding: the author key is not an ed25519 public key (no point on the curve)",
            off_curve.to_hex()
        ),
    );
}
