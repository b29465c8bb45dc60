//! One function per command: wiring only.

mod archive;
mod author;
mod build;
mod check;
mod import_schedule;
mod init;
mod key;
mod progress;
mod replicate;
mod serve;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, Command};

/// Runs a command. `--dir` works as `git -C` does: the process moves into
/// that directory first (making it for the commands that create one), so
/// every relative path is relative to it.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &cli.directory {
        let creates = matches!(
            cli.command,
            Command::Init { .. }
                | Command::Import { .. }
                | Command::Fork { .. }
                | Command::ImportSchedule { .. }
                | Command::Sync { .. }
                | Command::Node { .. }
        );
        if creates {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::env::set_current_dir(dir)
            .with_context(|| format!("--dir {}: cannot work there", dir.display()))?;
    }
    let key = cli.key.as_deref();
    match cli.command {
        Command::Init { dir } => init::run(dir.as_deref().unwrap_or(Path::new("."))),
        Command::Key { action } => key::run(action),
        Command::Check { dir } => check::run(&dir),
        Command::Build { dir, output } => build::run(&dir, output.as_deref()),
        Command::Serve {
            dir,
            port,
            bind,
            output,
            replicate,
            node,
        } => serve::run(
            &dir,
            serve::Args {
                port,
                bind,
                output,
                replicate,
                node,
            },
            key,
        ),
        Command::Import { source, into } => {
            let code = archive::import(&source, &into)?;
            author::run_policies(&into, key)?;
            Ok(code)
        }
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
        } => import_schedule::run(source, into, format, time_zone, key.map(Path::to_path_buf)),
        Command::Festival { action } => author::festival(action, key),
        Command::Profile { action } => author::profile(action, key),
        Command::Resource { action } => author::resource(action, key),
        Command::Event { action } => author::event(action, key),
        Command::Pending => author::pending(key),
        Command::Confirm(args) => author::decision(args, true, key),
        Command::Deny(args) => author::decision(args, false, key),
        Command::Decide => author::decide(key),
        Command::Ls { what, day, json } => author::ls(what, day, json, key),
        Command::Sync {
            peers,
            festival,
            timeout,
        } => replicate::sync(&peers, festival.as_deref(), &timeout, key),
        Command::Node { node } => replicate::node(&node, key),
        Command::Peers => replicate::peers(key),
    }
}
