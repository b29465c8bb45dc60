//! Forks travel and do not depend on order: the same set of entries gives
//! the same fork proofs, model and site, however it arrives, and a site
//! whose logs hold a fork verifies and is imported with the same fork.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use indicatif::ProgressBar;
use pandafest::archive::{ArchiveSource, import_archive, verify_archive};
use pandafest::bundle::{BundleBuilder, BundleReader, write_bundle};
use pandafest::entry::{Hash, KeyPair, LogChain, PublicKey, sign_raw};
use pandafest::festival_dir::FestivalDir;
use pandafest::ingest::{RawEntry, ingest};
use pandafest::materialize::materialize;
use pandafest::operation::{EventFields, FestivalFields, Fields, Operation, encode_operation};
use pandafest::pipeline::build_site;
use pandafest::store::Store;
use proptest::prelude::*;

fn festival() -> Vec<u8> {
    encode_operation(&Operation::create(Fields::Festival(FestivalFields {
        name: "Fork Fest".into(),
        description: String::new(),
        start: "2027-07-16T10:00:00+02:00".into(),
        end: "2027-07-18T22:00:00+02:00".into(),
        time_zone: "Europe/Berlin".into(),
        parent: None,
        forked_from: None,
        source: None,
        acronym: None,
        days: None,
    })))
}

fn event(festival: Hash, title: &str, hour: u32) -> Vec<u8> {
    encode_operation(&Operation::create(Fields::Event(EventFields {
        festival,
        title: title.into(),
        description: String::new(),
        start: format!("2027-07-17T{hour:02}:00:00+02:00"),
        end: format!("2027-07-17T{hour:02}:30:00+02:00"),
        resources: vec![],
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
    })))
}

/// One entry of the set, with the log it belongs to.
#[derive(Clone)]
struct Item {
    author: PublicKey,
    raw: RawEntry,
}

fn item(key: &KeyPair, entry: Vec<u8>, payload: Vec<u8>) -> Item {
    Item {
        author: key.public_key(),
        raw: RawEntry {
            entry,
            payload: Some(payload),
            origin: "test".into(),
        },
    }
}

/// An honest log of `n` entries: entry 1 from `first`, then events of
/// `festival` titled by `name`.
fn honest_log(key: &KeyPair, first: Vec<u8>, festival: Hash, name: &str, n: u32) -> Vec<Item> {
    let mut chain = LogChain::new(key, 0);
    let mut items = vec![item(key, chain.append(&first).unwrap().bytes, first)];
    for seq in 2..=n {
        let payload = event(festival, &format!("{name} {seq}"), 8 + seq);
        items.push(item(key, chain.append(&payload).unwrap().bytes, payload));
    }
    items
}

fn hash(item: &Item) -> Hash {
    Hash::of(&item.raw.entry)
}

/// An entry at `seq` of `key`'s log 0 with the given links.
fn crafted(
    key: &KeyPair,
    festival: Hash,
    seq: u64,
    end: bool,
    title: &str,
    backlink: Hash,
    lipmaa: Option<Hash>,
) -> Item {
    let payload = event(festival, title, 20);
    item(
        key,
        sign_raw(key, 0, seq, end, &payload, Some(backlink), lipmaa),
        payload,
    )
}

/// Which forks the set holds.
#[derive(Clone, Copy, Debug)]
struct Variants {
    same_seq: bool,
    bad_lipmaa: bool,
    conflicting_backlinks: bool,
    after_end: bool,
    fork_in_gap: bool,
    gap: bool,
}

/// The set: the organiser's festival log and two more logs, with the
/// chosen forks, bad lipmaa links, gaps and entries after an end of log.
fn entry_set(v: Variants) -> Vec<Item> {
    let ada = KeyPair::from_name("ada");
    let bea = KeyPair::from_name("bea");
    let cyd = KeyPair::from_name("cyd");
    let fest = hash(&honest_log(&ada, festival(), Hash::of(b"-"), "", 1)[0]);
    let ada_log = honest_log(&ada, festival(), fest, "Ada", 10);
    let bea_log = honest_log(&bea, event(fest, "Bea 1", 9), fest, "Bea", 6);
    let cyd_log = honest_log(&cyd, event(fest, "Cyd 1", 9), fest, "Cyd", 7);
    let mut set: Vec<Item> = Vec::new();
    if v.same_seq {
        // Another 6 on the same 5, with a right lipmaa link.
        set.push(crafted(
            &ada,
            fest,
            6,
            false,
            "Ada 6b",
            hash(&ada_log[4]),
            None,
        ));
    }
    if v.bad_lipmaa {
        // 8' links back to 7 rightly, its lipmaa link (to 4) wrongly; a 9
        // on top of it.
        let bad = crafted(
            &ada,
            fest,
            8,
            false,
            "Ada 8b",
            hash(&ada_log[6]),
            Some(Hash::of(b"not 4")),
        );
        let on_top = crafted(&ada, fest, 9, false, "Ada 9b", hash(&bad), None);
        set.extend([bad, on_top]);
    }
    if v.conflicting_backlinks {
        set.push(crafted(
            &ada,
            fest,
            10,
            false,
            "Ada 10b",
            Hash::of(b"another 9"),
            None,
        ));
    }
    if v.after_end {
        // Bea's log ends at 6 with an end-of-log entry; an entry after it.
        let end = crafted(&bea, fest, 6, true, "Bea ends", hash(&bea_log[4]), None);
        let after = crafted(&bea, fest, 7, false, "Bea after", hash(&end), None);
        set.extend([end, after]);
    }
    let gap = v.gap || v.fork_in_gap;
    for (n, entry) in cyd_log.iter().enumerate() {
        if !(gap && n == 3) {
            set.push(entry.clone());
        }
    }
    if v.fork_in_gap {
        // Another 5 on another 4: the fork is in the gap.
        set.push(crafted(
            &cyd,
            fest,
            5,
            false,
            "Cyd 5b",
            Hash::of(b"another 4"),
            None,
        ));
    }
    set.extend(ada_log);
    set.extend(bea_log.into_iter().take(if v.after_end { 5 } else { 6 }));
    set
}

/// Everything that must not depend on the order, from a festival
/// directory's store: the fork proofs, the model and every file of the
/// site, built into `root/site`.
fn outcome(root: &Path) -> (String, String, BTreeMap<String, Vec<u8>>) {
    let mut dir = FestivalDir::open(root).unwrap();
    let proofs = format!("{:?}", dir.store.read().fork_proofs().unwrap());
    let model = format!("{:?}", materialize(&dir.store).unwrap());
    let site = root.join("site");
    build_site(&mut dir, &site, |_| ProgressBar::hidden()).unwrap();
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(&site).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = common::relative_path(&site, entry.path());
            files.insert(rel, std::fs::read(entry.path()).unwrap());
        }
    }
    (proofs, model, files)
}

/// A small xorshift for orders and splits from a seed.
struct Shuffle(u64);

impl Shuffle {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Ingests `set` into a fresh festival directory at `root` in an order and
/// batches made from `seed`; when `round_trip`, the store is written as a
/// bundle half way and a fresh store starts from that bundle.
fn ingest_in_order(root: &Path, set: &[Item], seed: u64, round_trip: bool) {
    let mut shuffle = Shuffle(seed | 1);
    let mut order: Vec<Item> = set.to_vec();
    for i in (1..order.len()).rev() {
        order.swap(i, shuffle.below(i + 1));
    }
    let mut batches: Vec<Vec<RawEntry>> = Vec::new();
    let mut rest = &order[..];
    while !rest.is_empty() {
        let size = 1 + shuffle.below(rest.len().min(8));
        batches.push(rest[..size].iter().map(|i| i.raw.clone()).collect());
        rest = &rest[size..];
    }
    let store_path = pandafest::store::store_path(root);
    let mut store = Store::open(&store_path).unwrap();
    let half = batches.len() / 2;
    for (n, batch) in batches.into_iter().enumerate() {
        if round_trip && n == half {
            let logs = root.join("round-trip");
            write_bundle(&store, &logs).unwrap();
            drop(store);
            std::fs::remove_file(&store_path).unwrap();
            store = Store::open(&store_path).unwrap();
            let bundle = BundleReader::open(&logs).unwrap();
            let report = ingest(&mut store, bundle.entries(), |_| {}).unwrap();
            assert!(report.rejected.is_empty(), "{:?}", report.lines());
        }
        ingest(&mut store, batch.into_iter().map(Ok), |_| {}).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Every order and split of the same entries, with or without a bundle
    /// round trip on the way, gives the same fork proofs, model and site.
    #[test]
    fn any_order_gives_the_same_forks_model_and_site(
        same_seq in any::<bool>(),
        bad_lipmaa in any::<bool>(),
        conflicting_backlinks in any::<bool>(),
        after_end in any::<bool>(),
        fork_in_gap in any::<bool>(),
        gap in any::<bool>(),
        seeds in proptest::collection::vec(any::<u64>(), 2),
    ) {
        let variants = Variants { same_seq, bad_lipmaa, conflicting_backlinks, after_end, fork_in_gap, gap };
        let set = entry_set(variants);
        let root = tempfile::tempdir().unwrap();
        // The reference: every log in seq order, in one ingest.
        let reference = root.path().join("reference");
        let mut sorted = set.clone();
        sorted.sort_by_key(|i| (i.author, pandafest::entry::decode_entry(&i.raw.entry).unwrap().seq_num));
        let mut store = Store::open(&pandafest::store::store_path(&reference)).unwrap();
        ingest(&mut store, sorted.into_iter().map(|i| i.raw).map(Ok), |_| {}).unwrap();
        drop(store);
        let expected = outcome(&reference);
        for (n, seed) in seeds.iter().enumerate() {
            let dir = root.path().join(format!("order-{n}"));
            ingest_in_order(&dir, &set, *seed, n % 2 == 1);
            let got = outcome(&dir);
            prop_assert_eq!(&got.0, &expected.0, "fork proofs");
            prop_assert_eq!(&got.1, &expected.1, "model");
            let names: Vec<&String> = got.2.keys().collect();
            prop_assert_eq!(names, expected.2.keys().collect::<Vec<_>>(), "site files");
            for (name, bytes) in &got.2 {
                prop_assert!(bytes == &expected.2[name], "site file {} differs", name);
            }
        }
    }
}

/// The archive: entries 1–8 come in one bundle, a different 8 with
/// a 9 on top in a second. The site built from both verifies, and a fresh
/// import of its logs shows the fork and hides the same events.
#[test]
fn a_site_whose_logs_hold_a_fork_verifies_and_imports_with_the_fork() {
    let ada = KeyPair::from_name("ada");
    let root = tempfile::tempdir().unwrap();
    let fest = hash(&honest_log(&ada, festival(), Hash::of(b"-"), "", 1)[0]);
    let log = honest_log(&ada, festival(), fest, "Talk", 8);
    let other = crafted(
        &ada,
        fest,
        8,
        false,
        "Talk 8b",
        hash(&log[6]),
        Some(hash(&log[3])),
    );
    let on_top = crafted(&ada, fest, 9, false, "Talk 9b", hash(&other), None);
    let write = |name: &str, items: &[&Item]| {
        let mut bundle = BundleBuilder::new();
        for i in items {
            bundle.push(
                i.author,
                0,
                i.raw.entry.clone(),
                i.raw.payload.clone().unwrap(),
            );
        }
        let dir = root.path().join(name);
        bundle.write(&dir).unwrap();
        dir
    };
    let one = write("one", &log.iter().collect::<Vec<_>>());
    let mut second: Vec<&Item> = log[..7].iter().collect();
    second.extend([&other, &on_top]);
    let two = write("two", &second);

    let festival_dir = root.path().join("festival");
    for bundle in [&one, &two] {
        let source = ArchiveSource::open(bundle.to_str().unwrap()).unwrap();
        import_archive(&source, &festival_dir, ProgressBar::hidden()).unwrap();
    }
    let mut dir = FestivalDir::open(&festival_dir).unwrap();
    let site = root.path().join("site");
    let built = build_site(&mut dir, &site, |_| ProgressBar::hidden()).unwrap();
    let model = materialize(&dir.store).unwrap();
    let titles = |model: &pandafest::materialize::Model| -> Vec<String> {
        model.events.values().map(|e| e.title.clone()).collect()
    };
    assert_eq!(model.forks.len(), 1, "{:?}", built.report.lines());
    assert_eq!(model.forks[0].seq_num, 8);
    assert_eq!(model.events.len(), 6, "talks 2 to 7: {:?}", titles(&model));

    let source = ArchiveSource::open(site.to_str().unwrap()).unwrap();
    let verified = verify_archive(&source, ProgressBar::hidden()).unwrap();
    assert!(verified.is_verified(), "{}", verified.lines().join("\n"));
    assert_eq!(verified.report.forks.len(), 1);

    let fresh = root.path().join("fresh");
    let summary = import_archive(&source, &fresh, ProgressBar::hidden()).unwrap();
    let text = summary.report.lines().join("\n");
    assert!(text.contains("forks 1"), "{text}");
    let copy = FestivalDir::open(&fresh).unwrap();
    let theirs = materialize(&copy.store).unwrap();
    assert_eq!(titles(&theirs), titles(&model));
    assert_eq!(theirs.forks, model.forks);
    // The second 8 and its 9 travel as held entries, so the fresh copy
    // holds what the festival directory holds.
    assert_eq!(
        copy.store.read().held_logs().unwrap(),
        dir.store.read().held_logs().unwrap()
    );

    // The site's bundle says format 2; read as format 1 it is refused.
    let manifest = site.join("logs/manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(
        text.contains("\"format\": \"pandafest-bundle/2\""),
        "{text}"
    );
    assert!(
        text.contains(".forks.bamboo") && text.contains(".held.bamboo"),
        "{text}"
    );
    std::fs::write(
        &manifest,
        text.replace("pandafest-bundle/2", "pandafest-bundle/1"),
    )
    .unwrap();
    let err = BundleReader::open(&site.join("logs"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains(&format!(
            "log 0 of author {} has held entries or fork proofs, which need format `pandafest-bundle/2`",
            ada.public_key()
        )),
        "{err}"
    );
}
