//! Generates `sample-festival/logs/` from `sample-festival/source.toml`.
//!
//! Run from the repository root: `cargo run --example sample_festival`.
//! The keys are derived from the people's names, so the bundle is the same
//! on every run.

use std::path::Path;

use anyhow::Context;
use pandafest::bundle::write_bundle;
use pandafest::script::run_script;
use pandafest::store::Store;

fn main() -> anyhow::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-festival");
    let source = std::fs::read_to_string(dir.join("source.toml")).context("reading source.toml")?;
    let mut store = Store::in_memory()?;
    let outcome = run_script(&mut store, &source)?;
    let logs = dir.join("logs");
    if logs.exists() {
        std::fs::remove_dir_all(&logs).with_context(|| format!("clearing {}", logs.display()))?;
    }
    let manifest = write_bundle(&store, &logs)?;
    println!(
        "published {} operations in {} logs into {}",
        outcome.operations,
        manifest.logs.len(),
        logs.display()
    );
    Ok(())
}
