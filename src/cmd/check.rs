use std::path::Path;
use std::process::ExitCode;

use pandafest::festival_dir::FestivalDir;
use pandafest::ingest::DecodedOperations;
use pandafest::materialize::materialize_with;

pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    let mut festival = FestivalDir::open(dir)?;
    let mut decoded = DecodedOperations::new();
    let report = festival.ingest_logs_keeping(super::progress::bar("verifying"), &mut decoded)?;
    let model = materialize_with(&festival.store, decoded)?;
    let (summary, details) = report
        .lines()
        .split_last()
        .map(|(s, d)| (s.clone(), d.to_vec()))
        .unwrap_or_default();
    for line in details.iter().chain(&model.conflicts()) {
        println!("{line}");
    }
    for note in &model.notes {
        println!("note: {note}");
    }
    println!("{summary}");
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
