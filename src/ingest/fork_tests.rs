//! Fork points, trusted runs and held entries do not depend on the order
//! in which entries come, nor on how they are split into ingests.

use super::*;
use crate::entry::{KeyPair, LogChain, sign_raw};
use crate::operation::{Fields, Operation, ProfileFields, encode_operation};
use crate::store::ForkKind;

fn payload(name: &str) -> Vec<u8> {
    encode_operation(&Operation::create(Fields::Profile(ProfileFields {
        display_name: name.into(),
        bio: String::new(),
    })))
}

fn raw(entry: Vec<u8>, payload: Vec<u8>) -> RawEntry {
    RawEntry {
        entry,
        payload: Some(payload),
        origin: "test".into(),
    }
}

/// An honest log of `n` entries, as raw entries in seq order.
fn honest(key: &KeyPair, n: usize) -> Vec<RawEntry> {
    let mut chain = LogChain::new(key, 0);
    (1..=n)
        .map(|seq| {
            let payload = payload(&format!("entry {seq}"));
            raw(chain.append(&payload).unwrap().bytes, payload)
        })
        .collect()
}

fn hash(raw: &RawEntry) -> Hash {
    Hash::of(&raw.entry)
}

/// Ingests each batch in turn into a fresh store and returns it.
fn ingest_batches(batches: &[Vec<RawEntry>]) -> (Store, Vec<IngestReport>) {
    let mut store = Store::in_memory().unwrap();
    let reports = batches
        .iter()
        .map(|batch| ingest(&mut store, batch.iter().cloned().map(Ok), |_| {}).unwrap())
        .collect();
    (store, reports)
}

/// What must not depend on the order: the fork proofs, the logs' states,
/// the seq nums whose operations count.
fn outcome(store: &Store) -> String {
    let reader = store.read();
    let ops: Vec<(u64, u64)> = reader
        .operation_refs()
        .unwrap()
        .iter()
        .map(|op| (op.log_id, op.seq_num))
        .collect();
    format!(
        "{:?}\n{:?}\n{ops:?}\n{:?}",
        reader.fork_proofs().unwrap(),
        reader.logs().unwrap(),
        reader.held_logs().unwrap()
    )
}

fn trusted_seqs(store: &Store) -> Vec<u64> {
    let reader = store.read();
    let refs = reader.operation_refs().unwrap();
    // The one-query read keeps the same operations, with their payloads.
    let with_payloads: Vec<_> = reader
        .operations_with_payloads()
        .unwrap()
        .into_iter()
        .map(|(op, payload)| (op.id, op.seq_num, payload))
        .collect();
    let one_by_one: Vec<_> = refs
        .iter()
        .map(|op| {
            let payload = reader
                .payload_at(&op.author, op.log_id, op.seq_num)
                .unwrap();
            (op.id, op.seq_num, payload.unwrap())
        })
        .collect();
    assert_eq!(with_payloads, one_by_one);
    refs.iter().map(|op| op.seq_num).collect()
}

/// Entry 8' links back to 7 rightly, and its lipmaa link (to seq 4) is
/// wrong: whether it comes before or after 1–8, the log is forked at 4.
#[test]
fn a_bad_lipmaa_link_forks_at_its_target_in_either_order() {
    let key = KeyPair::from_name("ada");
    let log = honest(&key, 8);
    let other = payload("another 8");
    assert_eq!(bamboo_rs_core_ed25519_yasmf::lipmaa(8), 4);
    let bad = raw(
        sign_raw(
            &key,
            0,
            8,
            false,
            &other,
            Some(hash(&log[6])),
            Some(Hash::of(b"not seq 4")),
        ),
        other,
    );
    let (first, reports) = ingest_batches(&[log.clone(), vec![bad.clone()]]);
    let (second, _) = ingest_batches(&[vec![bad], log]);
    assert_eq!(outcome(&first), outcome(&second));
    let proofs = first.read().fork_proofs().unwrap();
    assert_eq!(proofs.len(), 1);
    assert_eq!(proofs[0].seq_num, 4);
    assert_eq!(proofs[0].kind, ForkKind::LinkMismatch);
    assert_eq!(trusted_seqs(&first), vec![1, 2, 3]);
    assert_eq!(reports[1].forks.len(), 1);
    // Entries 4 to 8, and 8', are held, not lost.
    let lines = reports[1].lines().join("\n");
    assert!(
        lines.contains("seq 4–8 (6 entries): kept as evidence; the log is forked at seq 4"),
        "{lines}"
    );
}

/// Entry 5' follows another entry 4 than the one the log has. When 5'
/// comes before 4, it is held; the fork is found when 4 comes.
#[test]
fn an_entry_before_its_backlink_records_the_fork_through_the_gap() {
    let key = KeyPair::from_name("ada");
    let log = honest(&key, 4);
    let other = payload("5 after another 4");
    let fork = raw(
        sign_raw(
            &key,
            0,
            5,
            false,
            &other,
            Some(Hash::of(b"another seq 4")),
            None,
        ),
        other,
    );
    let (first, reports) = ingest_batches(&[log[..3].to_vec(), vec![fork.clone()], log.clone()]);
    let held = reports[1].lines().join("\n");
    assert!(held.contains("seq 5: waits for seq 4"), "{held}");
    assert!(reports[1].forks.is_empty());
    assert_eq!(reports[2].forks.len(), 1);
    let (second, _) = ingest_batches(&[log, vec![fork]]);
    assert_eq!(outcome(&first), outcome(&second));
    let proofs = first.read().fork_proofs().unwrap();
    assert_eq!(
        (proofs[0].seq_num, proofs[0].kind),
        (4, ForkKind::LinkMismatch)
    );
    assert_eq!(trusted_seqs(&first), vec![1, 2, 3]);
}

/// Honest entries that come out of order wait, and join their log once
/// the gap is filled, in a later ingest too.
#[test]
fn held_entries_join_their_log_when_the_gap_is_filled() {
    let key = KeyPair::from_name("ada");
    let log = honest(&key, 6);
    let mut late = log.clone();
    let gap = late.remove(2);
    let (store, reports) = ingest_batches(&[late, vec![gap]]);
    assert_eq!(reports[0].ingested, 2);
    let lines = reports[0].lines().join("\n");
    assert!(
        lines.contains("seq 4–6 (3 entries): wait for seq 3"),
        "{lines}"
    );
    assert!(reports[0].is_clean(), "held entries are not a fault");
    assert_eq!(reports[1].ingested, 4);
    assert!(reports[1].held.is_empty());
    assert_eq!(trusted_seqs(&store), vec![1, 2, 3, 4, 5, 6]);
    assert!(store.read().fork_proofs().unwrap().is_empty());
}

/// An entry after an end-of-log entry forks the log after the end, in
/// either order; the end itself stays trusted.
#[test]
fn an_entry_after_the_end_forks_the_log_in_either_order() {
    let key = KeyPair::from_name("ada");
    let log = honest(&key, 2);
    let end_payload = payload("the end");
    let end = raw(
        sign_raw(&key, 0, 3, true, &end_payload, Some(hash(&log[1])), None),
        end_payload,
    );
    let after_payload = payload("after the end");
    let after = raw(
        sign_raw(
            &key,
            0,
            5,
            false,
            &after_payload,
            Some(Hash::of(b"4")),
            Some(hash(&log[0])),
        ),
        after_payload,
    );
    let mut all = log.clone();
    all.push(end.clone());
    let (first, _) = ingest_batches(&[all.clone(), vec![after.clone()]]);
    let (second, _) = ingest_batches(&[vec![after], all]);
    assert_eq!(outcome(&first), outcome(&second));
    let proofs = first.read().fork_proofs().unwrap();
    assert_eq!(
        (proofs[0].seq_num, proofs[0].kind),
        (4, ForkKind::AfterEndOfLog)
    );
    assert_eq!(trusted_seqs(&first), vec![1, 2, 3]);
}

/// The two entries of a fork proof, without payloads, fork the log as the
/// entries themselves would.
#[test]
fn a_fork_proof_alone_forks_the_log() {
    let key = KeyPair::from_name("ada");
    let log = honest(&key, 5);
    let other = payload("another 3");
    let fork = sign_raw(&key, 0, 3, false, &other, Some(hash(&log[1])), None);
    let proof = [log[2].entry.clone(), fork]
        .into_iter()
        .map(|entry| RawEntry {
            entry,
            payload: None,
            origin: "proof".into(),
        });
    let (store, reports) = ingest_batches(&[log, proof.collect()]);
    assert_eq!(reports[1].duplicates, 1, "the first entry is the log's");
    let proofs = store.read().fork_proofs().unwrap();
    assert_eq!(
        (proofs[0].seq_num, proofs[0].kind),
        (3, ForkKind::SameSeqNum)
    );
    assert_eq!(trusted_seqs(&store), vec![1, 2]);
}

/// A fork below stored entries takes them out of the trusted run, and an
/// authorization in another log of the resource among them waits again,
/// as if the fork had come first.
#[test]
fn a_fork_below_stored_entries_sets_their_dependents_back() {
    use crate::operation::{AuthorizationFields, Decision, Policy, ResourceFields, ResourceKind};
    let key = KeyPair::from_name("ada");
    let mut chain = LogChain::new(&key, 0);
    let mut log: Vec<RawEntry> = ["one", "two"]
        .iter()
        .map(|name| {
            let payload = payload(name);
            raw(chain.append(&payload).unwrap().bytes, payload)
        })
        .collect();
    let resource = encode_operation(&Operation::create(Fields::Resource(ResourceFields {
        festival: Hash::of(b"festival"),
        title: "Boat".into(),
        description: String::new(),
        kind: ResourceKind::Thing,
        location: None,
        policy: Policy::Manual,
        derived_from: None,
        source: None,
    })));
    log.push(raw(chain.append(&resource).unwrap().bytes, resource));
    let confirm = encode_operation(&Operation::create(Fields::Authorization(
        AuthorizationFields {
            event: Hash::of(b"event"),
            event_version: Hash::of(b"event"),
            resource: hash(&log[2]),
            decision: Decision::Confirmed,
            note: String::new(),
        },
    )));
    let decision = raw(
        LogChain::new(&key, 1).append(&confirm).unwrap().bytes,
        confirm,
    );
    let other = payload("another 3");
    let fork = raw(
        sign_raw(&key, 0, 3, false, &other, Some(hash(&log[1])), None),
        other,
    );
    let (first, reports) =
        ingest_batches(&[log.clone(), vec![decision.clone()], vec![fork.clone()]]);
    assert_eq!(
        trusted_seqs(&ingest_batches(&[log.clone(), vec![decision.clone()]]).0),
        vec![1, 2, 3, 1]
    );
    let (second, _) = ingest_batches(&[vec![fork], vec![decision], log]);
    assert_eq!(outcome(&first), outcome(&second));
    assert_eq!(trusted_seqs(&first), vec![1, 2]);
    assert_eq!(
        reports[2].waiting.len(),
        1,
        "the decision waits for its resource"
    );
}

/// A log holds at most [`HELD_PER_LOG`] entries: beyond, it keeps the
/// lowest seq nums.
#[test]
fn a_log_holds_its_lowest_entries_up_to_the_bound() {
    let key = KeyPair::from_name("ada");
    let log = honest(&key, HELD_PER_LOG + 3);
    // Seq 1 is missing: every other entry is held.
    let mut held: Vec<RawEntry> = log[2..].to_vec();
    held.push(log[1].clone());
    let (store, reports) = ingest_batches(&[held]);
    let text = reports[0].lines().join("\n");
    assert!(
        text.contains(&format!(
            "seq {}: not held: this log already holds {HELD_PER_LOG} entries outside the trusted run of their log (the limit)",
            HELD_PER_LOG + 2
        )),
        "{}",
        &text[..text.len().min(2000)]
    );
    assert_eq!(
        reports[0].rejected.len(),
        2,
        "the new last one, then the evicted one"
    );
    let held = store.read().held_logs().unwrap();
    assert_eq!((held[0].first, held[0].last), (2, HELD_PER_LOG as u64 + 1));
}

/// The store's bound is no one log's to fill: once logs of a stranger fill
/// [`HELD_IN_ALL`], a log that comes out of order makes room in the log
/// that holds the most, and is whole once its first entries come.
#[test]
fn a_full_store_makes_room_in_the_log_that_holds_the_most() {
    let mut store = Store::in_memory().unwrap();
    let logs = HELD_IN_ALL / HELD_PER_LOG;
    for n in 0..logs {
        let key = KeyPair::from_name(&format!("stranger {n}"));
        // Seq 1 never comes: the rest is held.
        let log = honest(&key, HELD_PER_LOG + 1);
        let report = ingest(&mut store, log[1..].iter().cloned().map(Ok), |_| {}).unwrap();
        assert!(report.rejected.is_empty(), "{:?}", report.lines());
    }
    assert_eq!(
        store
            .read()
            .held_logs()
            .unwrap()
            .iter()
            .map(|h| h.entries)
            .sum::<u64>(),
        HELD_IN_ALL as u64
    );
    let key = KeyPair::from_name("ada");
    let log = honest(&key, 5);
    let report = ingest(&mut store, log[2..].iter().cloned().map(Ok), |_| {}).unwrap();
    assert_eq!(report.rejected.len(), 3, "{:?}", report.lines());
    assert!(
        report
            .rejected
            .iter()
            .all(|r| r.at.author != Some(key.public_key())),
        "the stranger's entries were let go: {:?}",
        report.lines()
    );
    ingest(&mut store, log[..2].iter().cloned().map(Ok), |_| {}).unwrap();
    let logs = store.read().logs().unwrap();
    let ada = logs.iter().find(|l| l.author == key.public_key()).unwrap();
    assert_eq!(ada.height, 5, "ada's log is whole");
}
