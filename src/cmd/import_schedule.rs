use std::path::PathBuf;
use std::process::ExitCode;

use pandafest::import::{Format, ImportOptions, import_schedule};

pub fn run(
    source: String,
    into: PathBuf,
    format: Option<Format>,
    time_zone: Option<String>,
    key: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let options = ImportOptions {
        format,
        time_zone,
        key,
        ..ImportOptions::new(source, into)
    };
    let summary = import_schedule(&options, super::progress::bar)?;
    let (last, report) = summary
        .lines()
        .split_last()
        .map(|(l, r)| (l.clone(), r.to_vec()))
        .unwrap_or_default();
    for line in report {
        eprintln!("{line}");
    }
    if summary.created_dir {
        println!("created {}", options.into.display());
    }
    println!("{last}");
    Ok(if summary.skipped.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
