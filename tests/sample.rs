//! The committed sample festival: regenerating it gives the committed bytes,
//! it verifies cleanly, and it shows every request state.

use std::collections::BTreeSet;
use std::path::Path;

use pandafest::bundle::{BundleReader, write_bundle};
use pandafest::ingest::{DecodedOperations, ingest, ingest_keeping};
use pandafest::materialize::{materialize, materialize_with};
use pandafest::operation::Fields;
use pandafest::script::run_script;
use pandafest::store::Store;
use walkdir::WalkDir;

fn sample() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/sample-festival"))
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn committed_bundle_matches_its_source() {
    let source = std::fs::read_to_string(sample().join("source.toml")).unwrap();
    let mut store = Store::in_memory().unwrap();
    run_script(&mut store, &source).unwrap();
    let out = tempfile::tempdir().unwrap();
    write_bundle(&store, out.path()).unwrap();
    let fresh = files(out.path());
    let committed = files(&sample().join("logs"));
    assert_eq!(
        fresh.iter().map(|f| &f.0).collect::<Vec<_>>(),
        committed.iter().map(|f| &f.0).collect::<Vec<_>>(),
        "run `cargo run --example sample_festival` to regenerate"
    );
    assert!(
        fresh == committed,
        "run `cargo run --example sample_festival` to regenerate"
    );
}

#[test]
fn sample_verifies_and_shows_every_request_state() {
    let bundle = BundleReader::open(&sample().join("logs")).unwrap();
    let mut store = Store::in_memory().unwrap();
    let report = ingest(&mut store, bundle.entries(), |_| {}).unwrap();
    assert!(report.is_clean(), "{}", report.lines().join("\n"));
    assert_eq!(report.ingested, bundle.entry_count());
    let model = materialize(&store).unwrap();
    assert_eq!(model.festivals.len(), 2);
    assert_eq!(model.people.len(), 8);
    assert!(model.resources.len() >= 12);
    assert!(
        model
            .resources
            .values()
            .filter(|r| r.location.is_some())
            .count()
            >= 4
    );
    assert!(model.events.len() >= 30);
    let states: BTreeSet<&str> = model
        .events
        .values()
        .flat_map(|e| e.requests.iter().map(|r| r.state.as_str()))
        .collect();
    assert_eq!(
        states,
        BTreeSet::from(["confirmed", "conflict", "denied", "lapsed", "pending"])
    );
    assert!(model.notes.is_empty(), "{:?}", model.notes);
}

/// The sample's bundle ingested into a fresh store, with the operations
/// the ingest kept.
fn ingest_sample_keeping() -> (BundleReader, Store, DecodedOperations) {
    let bundle = BundleReader::open(&sample().join("logs")).unwrap();
    let mut store = Store::in_memory().unwrap();
    let mut decoded = DecodedOperations::new();
    ingest_keeping(&mut store, bundle.entries(), |_| {}, Some(&mut decoded)).unwrap();
    (bundle, store, decoded)
}

/// Materializing with only some of the operations kept by the ingest (the
/// rest read from the store, as after a warm rebuild) gives the same model.
#[test]
fn partly_kept_operations_give_the_same_model() {
    let (bundle, mut store, mut decoded) = ingest_sample_keeping();
    let total = decoded.len();
    assert!(total > 100, "the ingest kept {total} operations");
    // A second ingest (a rebuild) meets only duplicates and keeps them too.
    let mut again = DecodedOperations::new();
    let report = ingest_keeping(&mut store, bundle.entries(), |_| {}, Some(&mut again)).unwrap();
    assert_eq!(report.duplicates, bundle.entry_count());
    assert_eq!(again.len(), total);
    let full = materialize(&store).unwrap();
    assert_eq!(
        format!("{:?}", materialize_with(&store, again).unwrap()),
        format!("{full:?}")
    );
    let mut ids: Vec<_> = decoded.keys().copied().collect();
    ids.sort();
    for id in ids.iter().step_by(2) {
        decoded.remove(id);
    }
    let partial = materialize_with(&store, decoded).unwrap();
    assert_eq!(format!("{partial:?}"), format!("{full:?}"));
}

/// What the ingest hands over is what materializing uses: an operation
/// changed in the hand-over shows in the model (its payload is not read
/// again).
#[test]
fn kept_operations_are_used_as_handed_over() {
    let (_, store, mut decoded) = ingest_sample_keeping();
    let full = materialize(&store).unwrap();
    let (&id, _) = full
        .events
        .iter()
        .find(|(_, e)| e.version.sequence == 0)
        .unwrap();
    match decoded.get_mut(&id).map(|op| op.fields.as_mut()) {
        Some(Some(Fields::Event(fields))) => fields.title = "Handed over".into(),
        other => panic!("the event's CREATE was not kept: {other:?}"),
    }
    let model = materialize_with(&store, decoded).unwrap();
    assert_eq!(model.events[&id].title, "Handed over");
    assert_ne!(full.events[&id].title, "Handed over");
}
