//! Ingest throughput beside raw ed25519 batch verification (ed25519-zebra,
//! as ingest uses it) of the same signatures, and peak memory while ingesting 100,000 entries.
//!
//! `cargo bench --bench ingest`; the line before the last gives
//! ed25519-dalek's batch verification (the earlier anchor) for comparison,
//! and the last line reads
//! `ingest: N entries/s; raw batch verify: M signatures/s; ratio: R`.
//! Targets: ratio >= 0.5; peak memory <= 100 MiB.

use std::path::Path;
use std::time::{Duration, Instant};

use ed25519_zebra::batch::Verifier;
use ed25519_zebra::{Signature, VerificationKeyBytes};
use pandafest::bundle::{BundleBuilder, BundleReader};
use pandafest::entry::{Entry, Hash, KeyPair, LogChain, SIGNATURE_BATCH, decode_entry};
use pandafest::ingest::ingest;
use pandafest::operation::{EventFields, Fields, Link, Operation, encode_operation};
use pandafest::store::Store;
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;

const AUTHORS: usize = 20;

/// Writes a bundle of `total` entries spread over [`AUTHORS`] logs: event
/// operations of a realistic size.
fn make_bundle(dir: &Path, total: usize) -> Vec<Vec<u8>> {
    let festival = Hash::of(b"bench festival");
    let mut bundle = BundleBuilder::new();
    let mut all = Vec::with_capacity(total);
    for author in 0..AUTHORS {
        let key = KeyPair::from_name(&format!("bench author {author}"));
        let mut chain = LogChain::new(&key, 0);
        for n in 0..total / AUTHORS {
            let minute = (n % 600) as i64;
            let start = chrono::DateTime::parse_from_rfc3339("2027-07-16T10:00:00+02:00").unwrap()
                + chrono::Duration::minutes(minute);
            let payload = encode_operation(&Operation::create(Fields::Event(EventFields {
                festival,
                title: format!("Talk {n} by author {author}: on verifiable archives"),
                description: "A *Markdown* description with a [link](https://example.org) and some words about signed logs, festivals and the joy of replication.".into(),
                start: start.to_rfc3339(),
                end: (start + chrono::Duration::minutes(45)).to_rfc3339(),
                resources: vec![Hash::of(format!("room {}", n % 8).as_bytes())],
                tags: vec!["talk".into(), "archives".into()],
                links: vec![Link {
                    title: "Slides".into(),
                    url: "https://example.org/slides".into(),
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
})));
            let entry = chain.append(&payload).unwrap();
            all.push(entry.bytes.clone());
            bundle.push(key.public_key(), 0, entry.bytes, payload);
        }
    }
    bundle.write(dir).unwrap();
    all
}

fn ingest_dir(logs: &Path) -> (Duration, u64) {
    let store_dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&store_dir.path().join("store.sqlite")).unwrap();
    let bundle = BundleReader::open(logs).unwrap();
    let started = Instant::now();
    let report = ingest(&mut store, bundle.entries(), |_| {}).unwrap();
    let elapsed = started.elapsed();
    assert!(report.is_clean(), "{}", report.lines().join("\n"));
    (elapsed, report.ingested)
}

/// ed25519-zebra's batch verification of `entries`' signatures, in the
/// chunks and on the threads ingest uses: the speed of verification alone.
fn raw_batch_verify(entries: &[Entry]) -> Duration {
    let started = Instant::now();
    let ok = entries.par_chunks(SIGNATURE_BATCH).all(|chunk| {
        let mut batch = Verifier::new();
        for entry in chunk {
            let signature = Signature::from_slice(entry.signature()).unwrap();
            batch.queue((
                VerificationKeyBytes::from(entry.author.0),
                signature,
                entry.signed_bytes(),
            ));
        }
        batch.verify(Coefficients(0x9e37_79b9_7f4a_7c15)).is_ok()
    });
    assert!(ok);
    started.elapsed()
}

/// ed25519-dalek's batch verification of the same signatures, as the
/// anchor was measured before ingest moved to ed25519-zebra: it checks each
/// signature's key on its own, where zebra coalesces one author's terms.
fn dalek_batch_verify(entries: &[Entry]) -> Duration {
    let started = Instant::now();
    let ok = entries.par_chunks(SIGNATURE_BATCH).all(|chunk| {
        let messages: Vec<&[u8]> = chunk.iter().map(Entry::signed_bytes).collect();
        let signatures: Vec<ed25519_dalek::Signature> = chunk
            .iter()
            .map(|e| ed25519_dalek::Signature::from_slice(e.signature()).unwrap())
            .collect();
        let keys: Vec<ed25519_dalek::VerifyingKey> = chunk
            .iter()
            .map(|e| ed25519_dalek::VerifyingKey::from_bytes(&e.author.0).unwrap())
            .collect();
        ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
    });
    assert!(ok);
    started.elapsed()
}

/// The batch's coefficients from xorshift: the anchor measures speed, and
/// any coefficients accept valid signatures.
struct Coefficients(u64);

impl RngCore for Coefficients {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for Coefficients {}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Tool mode: write a bundle of N entries to DIR, for profiling.
    if let Some(pos) = args.iter().position(|a| a == "--make") {
        make_bundle(Path::new(&args[pos + 1]), args[pos + 2].parse().unwrap());
        return;
    }
    // Child mode: ingest one bundle and print the peak memory.
    if let Some(pos) = args.iter().position(|a| a == "--ingest-only") {
        let (elapsed, count) = ingest_dir(Path::new(&args[pos + 1]));
        println!("{count} {} {}", elapsed.as_secs_f64(), peak_rss_kib());
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let raw = make_bundle(&logs, 10_000);
    let entries: Vec<Entry> = raw.iter().map(|b| decode_entry(b).unwrap()).collect();

    let rounds = 3;
    let ingest_best = (0..rounds).map(|_| ingest_dir(&logs).0).min().unwrap();
    let verify_best = (0..rounds)
        .map(|_| raw_batch_verify(&entries))
        .min()
        .unwrap();
    let dalek_best = (0..rounds)
        .map(|_| dalek_batch_verify(&entries))
        .min()
        .unwrap();
    let ingest_rate = entries.len() as f64 / ingest_best.as_secs_f64();
    let verify_rate = entries.len() as f64 / verify_best.as_secs_f64();
    let dalek_rate = entries.len() as f64 / dalek_best.as_secs_f64();

    let big = tempfile::tempdir().unwrap();
    let big_logs = big.path().join("logs");
    drop(make_bundle(&big_logs, 100_000));
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ingest-only", big_logs.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let peak_mib = fields
        .get(2)
        .and_then(|k| k.parse::<f64>().ok())
        .unwrap_or(f64::NAN)
        / 1024.0;
    println!(
        "100,000 entries: ingested {} in {} s; peak memory {peak_mib:.1} MiB (target <= 100 MiB)",
        fields.first().unwrap_or(&"?"),
        fields.get(1).unwrap_or(&"?"),
    );
    println!(
        "ed25519-dalek batch verify (not coalesced): {dalek_rate:.0} signatures/s; ingest at {:.2} of it",
        ingest_rate / dalek_rate
    );
    println!(
        "ingest: {ingest_rate:.0} entries/s; raw batch verify: {verify_rate:.0} signatures/s; ratio: {:.2}",
        ingest_rate / verify_rate
    );
}
