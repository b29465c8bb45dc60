//! The command line (clap).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Publish festivals planned peer to peer in signed Bamboo logs as a
/// verifiable static website.
#[derive(Parser, Debug)]
#[command(name = "pandafest", version, about)]
pub struct Cli {
    /// More log output (-v info, -vv debug); RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Make a new festival directory with a key and a pandafest.toml.
    Init {
        /// The directory to create.
        dir: PathBuf,
    },
    /// Manage the festival directory's ed25519 key (DIR/.pandafest/key).
    Key {
        /// new or show.
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Ingest and verify DIR/logs and print the report; exits non-zero if
    /// an entry was rejected or a fork was found.
    Check {
        /// The festival directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Ingest DIR/logs, materialize the festival and render the site.
    Build {
        /// The festival directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where to write the site (default DIR/public).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// What to do with the key.
#[derive(Subcommand, Debug)]
pub enum KeyAction {
    /// Generate a new key; never overwrites one.
    New {
        /// The festival directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Print the public key.
    Show {
        /// The festival directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}
