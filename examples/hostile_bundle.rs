//! Writes the hostile bundle of the bounded-memory benchmark: one log whose
//! file holds N records of nine bytes each (a one-byte entry that is no
//! Bamboo entry, and an empty payload), with a manifest that matches the
//! file. Used by `benches/hostile.sh`.
//!
//! `cargo run --release --example hostile_bundle -- OUT_LOGS_DIR [RECORDS]`
//! (RECORDS defaults to 2,000,000, an 18 MB file).

use std::path::PathBuf;

use anyhow::Context;
use pandafest::bundle::BundleBuilder;
use pandafest::entry::KeyPair;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .context("usage: hostile_bundle OUT_LOGS_DIR [RECORDS]")?,
    );
    let records: u64 = match args.next() {
        Some(n) => n.parse().context("RECORDS must be a number")?,
        None => 2_000_000,
    };
    let author = KeyPair::from_name("stranger").public_key();
    let mut bundle = BundleBuilder::new();
    for _ in 0..records {
        bundle.push(author, 1, vec![0xff], Vec::new());
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    bundle.write(&out)?;
    println!("{records} records of 9 bytes in {}", out.display());
    Ok(())
}
