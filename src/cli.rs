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
    /// Import the logs of a published site or bundle (directory or http(s)
    /// URL) into a festival directory; fetches only what is missing.
    Import {
        /// A site directory, a bundle directory, or a site's URL.
        source: String,
        /// The festival directory to import into (created if missing).
        #[arg(long, default_value = ".")]
        into: PathBuf,
    },
    /// Re-verify an archive's logs, rebuild its site with the recorded
    /// settings and compare every file byte for byte; exits non-zero on any
    /// difference.
    Verify {
        /// A site directory or a site's URL.
        source: String,
    },
    /// Start a new festival from an archive: import it, then publish a
    /// festival forked from it with clones of its resources and events.
    Fork {
        /// A site directory, a bundle directory, or a site's URL.
        source: String,
        /// The festival directory of the fork (created if missing).
        #[arg(long)]
        into: PathBuf,
        /// The new festival's name.
        #[arg(long)]
        name: String,
        /// Move every time by this much, e.g. 365d, 52w, 1d12h.
        #[arg(long, default_value = "0d")]
        shift: String,
    },
    /// Import a frab/Pentabarf schedule.xml, a frab/pretalx schedule.json or
    /// an iCalendar file (path or http(s) URL) as festival logs signed by the
    /// directory's key. Re-importing publishes only what changed. Exits 2 if
    /// some events were skipped (they are listed), 1 on errors.
    ImportSchedule {
        /// The schedule: a file or an http(s) URL.
        source: String,
        /// The festival directory to import into (created if missing).
        #[arg(long)]
        into: PathBuf,
        /// xml (frab, Pentabarf), json (frab, pretalx) or ical; detected
        /// from the content by default.
        #[arg(long)]
        format: Option<pandafest::import::Format>,
        /// The IANA time zone of the schedule's local times, e.g.
        /// Europe/Berlin; overrides the source's.
        #[arg(long)]
        time_zone: Option<String>,
        /// The bridge's key file (default DIR/.pandafest/key).
        #[arg(long)]
        key: Option<PathBuf>,
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
