//! What the benchmarks share: a generated bundle.

use std::path::Path;

use pandafest::bundle::BundleBuilder;
use pandafest::entry::{Hash, KeyPair, LogChain};
use pandafest::operation::{EventFields, Fields, Link, Operation, encode_operation};

/// The number of logs (one author each) in a generated bundle.
pub const AUTHORS: usize = 20;

/// Writes a bundle of `total` entries spread over [`AUTHORS`] logs: event
/// operations of a realistic size.
pub fn make_bundle(dir: &Path, total: usize) -> Vec<Vec<u8>> {
    let festival = bench_festival();
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

/// The festival the generated events are about.
#[allow(dead_code)] // not every benchmark syncs
pub fn bench_festival() -> Hash {
    Hash::of(b"bench festival")
}
