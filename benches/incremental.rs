//! Incremental rebuild benchmark: one event's title changed in a festival
//! of 10,070 events (examples/generate_festival: 72 rooms, 4 days), as
//! `pandafest serve` rebuilds it, against a cold build in the same run.
//!
//!   nice cargo bench --bench incremental
//!
//! The festival is generated into a temporary directory (on /dev/shm when
//! there is one, as benches/build.sh does). The cold build is
//! `pandafest build`'s library function with a fresh store, timed. Then
//! serve's state is built ([`SiteState::build`]), and `CHANGES` times
//! (default 7) a speaker publishes a new title for one of their events
//! through the library code `pandafest event update` runs (it signs,
//! stores the entry and rewrites `logs/`). What is timed is from the entry
//! being stored (`event update` returned) to every site file written
//! ([`SiteState::update`]: reading the new operation, the model, the pages
//! and feeds it touches, the site's log bundle, the writes). The figure is
//! the median of the changes; the range is on the line before. At the end
//! the site is compared file by file with a cold build of the same logs.
//! Targets: at most 50 ms, and at most 2 % of the cold build.

#[path = "../examples/generate_festival.rs"]
#[allow(dead_code)]
mod generate_festival;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use indicatif::ProgressBar;
use pandafest::author::{EventInput, Session};
use pandafest::entry::KeyPair;
use pandafest::festival_dir::FestivalDir;
use pandafest::pipeline::{SiteState, build_site, site_hashes};

const EVENTS: usize = 10_070;

fn main() -> anyhow::Result<()> {
    // RUST_LOG=pandafest=debug shows the stages of each rebuild.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let changes: usize = std::env::var("CHANGES")
        .ok()
        .map(|n| n.parse())
        .transpose()
        .context("CHANGES must be a number")?
        .unwrap_or(7);
    let shm = Path::new("/dev/shm");
    let work = match shm.is_dir() {
        true => tempfile::Builder::new()
            .prefix("pandafest-incremental-")
            .tempdir_in(shm)?,
        false => tempfile::Builder::new()
            .prefix("pandafest-incremental-")
            .tempdir()?,
    };
    let fest = work.path().join("fest");
    generate_festival::generate(&fest, EVENTS, 72, 4, true)?;
    let hidden = |_| ProgressBar::hidden();

    let cold_out = work.path().join("cold");
    let started = Instant::now();
    build_site(&mut FestivalDir::open(&fest)?, &cold_out, hidden)?;
    let cold = started.elapsed().as_secs_f64() * 1000.0;
    std::fs::remove_dir_all(&cold_out)?;

    let out = work.path().join("public");
    let mut dir = FestivalDir::open(&fest)?;
    let (mut state, _) = SiteState::build(&mut dir, &out, hidden)?;
    let speaker = fest.join(".pandafest").join("speaker.key");
    let author = KeyPair::load(&speaker)?.public_key();
    let model = pandafest::materialize::materialize(&dir.store)?;
    let mine: Vec<String> = model
        .events
        .values()
        .filter(|e| e.author == author && !e.version.deleted)
        .map(|e| e.id.to_string())
        .collect();
    drop(model);
    let mut times = Vec::new();
    for n in 0..changes {
        let event = &mine[(n * 37) % mine.len()];
        let input = EventInput {
            title: Some(format!("Retitled talk number {n}")),
            ..EventInput::default()
        };
        Session::open(&fest, Some(&speaker))?.event_update(event, &input)?;
        let started = Instant::now();
        let rebuilt = state.update(&mut dir)?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        anyhow::ensure!(rebuilt.whole.is_none(), "a title change was built whole");
        println!(
            "change {n}: {ms:.1} ms, {} pages rendered, {} files written",
            rebuilt.pages,
            rebuilt.changed.len()
        );
        times.push(ms);
    }

    let check = work.path().join("check");
    build_site(&mut FestivalDir::open(&fest)?, &check, hidden)?;
    let (warm, fresh): (BTreeMap<_, _>, BTreeMap<_, _>) = (site_hashes(&out), site_hashes(&check));
    anyhow::ensure!(
        warm == fresh,
        "the rebuilt site is not the cold build's: {:?}",
        warm.iter()
            .filter(|(p, h)| fresh.get(*p) != Some(h))
            .map(|(p, _)| p)
            .take(10)
            .collect::<Vec<_>>()
    );

    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{} changes: {:.1}-{:.1} ms (best-worst); the site is byte for byte a cold build's",
        times.len(),
        times[0],
        times[times.len() - 1]
    );
    println!(
        "incremental: {median:.0} ms for one changed event of {EVENTS}; cold build: {cold:.0} ms; ratio: {:.3}",
        median / cold
    );
    Ok(())
}
