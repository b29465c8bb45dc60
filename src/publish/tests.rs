//! The publisher's guarantees: a batch signs on the log's head inside the
//! write transaction, a rejected batch stores nothing, and the key's log
//! record keeps directories that share a key from reusing or forking logs.

use super::*;
use crate::entry::key_path;
use crate::ingest::{RawEntry, ingest};
use crate::operation::{FestivalFields, Fields, ProfileFields};

fn profile(name: &str) -> Operation {
    Operation::create(Fields::Profile(ProfileFields {
        display_name: name.to_owned(),
        bio: String::new(),
    }))
}

fn festival(name: &str) -> Operation {
    Operation::create(Fields::Festival(FestivalFields {
        name: name.to_owned(),
        description: String::new(),
        start: "2027-07-16T10:00:00+02:00".into(),
        end: "2027-07-18T18:00:00+02:00".into(),
        time_zone: "Europe/Berlin".into(),
        parent: None,
        forked_from: None,
        source: None,
        acronym: None,
        days: None,
    }))
}

/// Every entry of `author`'s log `log_id` in `from`, for ingesting elsewhere.
fn entries(from: &Store, author: &PublicKey, log_id: u64) -> Vec<RawEntry> {
    let mut out = Vec::new();
    from.read()
        .for_each_entry(author, log_id, |entry, payload| {
            out.push(RawEntry {
                entry: entry.to_vec(),
                payload: Some(payload.to_vec()),
                origin: format!("log {log_id} record {}", out.len()),
            });
            Ok(())
        })
        .unwrap()
        .unwrap();
    out
}

/// Four connections to one store publish into one log with one key and
/// no key lock at all: each batch reads the head and signs inside its
/// write transaction, so they take turns and the log does not fork.
#[test]
fn writers_on_separate_connections_take_turns_on_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    Store::open(&path).unwrap();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                let key = KeyPair::from_name("ada");
                let mut publisher = Publisher::new(&mut store, &key);
                for n in 0..25 {
                    publisher.publish(0, &profile(&format!("{w}/{n}"))).unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.read().entry_count().unwrap(), 100);
    assert!(store.read().fork_proofs().unwrap().is_empty());
    let logs = store.read().logs().unwrap();
    assert_eq!(
        (logs.len(), logs[0].height, logs[0].forked_at),
        (1, 100, None)
    );
}

/// An update of another author's document is rejected by ingest after
/// the batch's first entry was signed: the batch stores nothing.
#[test]
fn a_rejected_batch_stores_nothing() {
    let mut store = Store::in_memory().unwrap();
    let ada = KeyPair::from_name("ada");
    let bea = KeyPair::from_name("bea");
    let theirs = Publisher::new(&mut store, &ada)
        .publish(0, &profile("Ada"))
        .unwrap();
    let update = Operation::update(
        theirs,
        Fields::Profile(ProfileFields {
            display_name: "Not Ada".into(),
            bio: String::new(),
        }),
    );
    let mut publisher = Publisher::new(&mut store, &bea);
    let error = publisher
        .publish_batch(0, &[profile("Bea"), update])
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("the new entry was rejected: "),
        "{error}"
    );
    assert_eq!(store.read().entry_count().unwrap(), 1);
}

/// Two directories share one key: each festival gets its own log id from
/// the record beside the key, and a directory that holds an older copy of
/// a log the other one signed further refuses to fork it.
#[test]
fn a_shared_key_gives_out_log_ids_once_and_refuses_to_fork_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = key_path(dir.path());
    let key = KeyPair::from_name("ada");
    key.save(&key_file).unwrap();
    let author = key.public_key();
    let mut one = Store::open(&dir.path().join("one.sqlite")).unwrap();
    let mut two = Store::open(&dir.path().join("two.sqlite")).unwrap();

    let mut publisher = Publisher::locked(&mut one, &key, &key_file).unwrap();
    let log = publisher.log_for(None).unwrap();
    let first = publisher.publish(log, &festival("One")).unwrap();
    drop(publisher);
    let mut publisher = Publisher::locked(&mut two, &key, &key_file).unwrap();
    assert_eq!(
        publisher.log_for(None).unwrap(),
        1,
        "log 0 is taken elsewhere"
    );
    assert_eq!(publisher.log_for(Some(first)).unwrap(), 0);
    publisher.publish(1, &festival("Two")).unwrap();
    assert_eq!(publisher.profile_log(None).unwrap(), 2);
    drop(publisher);

    // Two holds seq 1 of log 0; one signs seq 2.
    let report = ingest(
        &mut two,
        entries(&one, &author, 0).into_iter().map(Ok),
        |_| {},
    )
    .unwrap();
    assert_eq!(report.ingested, 1);
    Publisher::locked(&mut one, &key, &key_file)
        .unwrap()
        .publish(0, &profile("Ada"))
        .unwrap();
    let mut publisher = Publisher::locked(&mut two, &key, &key_file).unwrap();
    let error = publisher.publish(0, &profile("Ada too")).unwrap_err();
    let record = crate::entry::key_logs_path(&key_file);
    assert_eq!(
        error.to_string(),
        format!(
            "log 0 of {author} is signed up to seq 2 (the key's log record {} says so: another directory uses this key), but this store holds it only up to seq 1; signing here would fork the log, so import that directory's logs first",
            record.display()
        )
    );
    drop(publisher);
    let report = ingest(
        &mut two,
        entries(&one, &author, 0).into_iter().map(Ok),
        |_| {},
    )
    .unwrap();
    assert_eq!(report.ingested, 1);
    Publisher::locked(&mut two, &key, &key_file)
        .unwrap()
        .publish(0, &profile("Ada too"))
        .unwrap();
    assert!(two.read().fork_proofs().unwrap().is_empty());
}
