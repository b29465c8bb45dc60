//! One function per command: wiring only.

mod archive;
mod build;
mod check;
mod import_schedule;
mod init;
mod key;
mod progress;

use std::process::ExitCode;

use crate::cli::Command;

/// Runs a command.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Init { dir } => init::run(&dir),
        Command::Key { action } => key::run(action),
        Command::Check { dir } => check::run(&dir),
        Command::Build { dir, output } => build::run(&dir, output.as_deref()),
        Command::Import { source, into } => archive::import(&source, &into),
        Command::Verify { source } => archive::verify(&source),
        Command::Fork {
            source,
            into,
            name,
            shift,
        } => archive::fork(&source, &into, &name, &shift),
        Command::ImportSchedule {
            source,
            into,
            format,
            time_zone,
            key,
        } => import_schedule::run(source, into, format, time_zone, key),
    }
}
