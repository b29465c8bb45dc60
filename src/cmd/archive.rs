use std::path::Path;
use std::process::ExitCode;

use pandafest::archive::{
    ArchiveSource, fork_archive, import_archive, parse_shift, verify_archive,
};

pub fn import(source: &str, into: &Path) -> anyhow::Result<ExitCode> {
    let source = ArchiveSource::open(source)?;
    let summary = import_archive(&source, into, super::progress::bar("importing"))?;
    for line in summary.report.lines() {
        println!("{line}");
    }
    println!(
        "logs fetched {}, already complete {}",
        summary.fetched, summary.skipped
    );
    Ok(if summary.report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub fn verify(source: &str) -> anyhow::Result<ExitCode> {
    let source = ArchiveSource::open(source)?;
    let report = verify_archive(&source, super::progress::bar("verifying"))?;
    for line in report.lines() {
        println!("{line}");
    }
    Ok(if report.is_verified() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub fn fork(source: &str, into: &Path, name: &str, shift: &str) -> anyhow::Result<ExitCode> {
    let shift = parse_shift(shift)?;
    let source = ArchiveSource::open(source)?;
    let summary = fork_archive(
        &source,
        into,
        name,
        shift,
        super::progress::bar("importing"),
    )?;
    for line in summary.import.report.lines() {
        println!("{line}");
    }
    let (festivals, resources, events, authorizations) = summary.published;
    println!(
        "forked festival {} into {} as {}: {festivals} festivals, {resources} resources, {events} events, {authorizations} authorizations",
        summary.source_festival,
        into.display(),
        summary.festival
    );
    Ok(ExitCode::SUCCESS)
}
