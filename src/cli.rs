//! The command line (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Publish festivals planned peer to peer in signed Bamboo logs as a
/// verifiable static website.
#[derive(Parser, Debug)]
#[command(name = "pandafest", version, about)]
pub struct Cli {
    /// More log output (-v info, -vv debug); RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Run as if pandafest was started in DIR (as `git -C`): the festival
    /// directory, and what relative paths are relative to.
    #[arg(
        id = "directory",
        short = 'C',
        long = "dir",
        value_name = "DIR",
        global = true
    )]
    pub directory: Option<PathBuf>,
    /// The author key file to sign with (default DIR/.pandafest/key). One
    /// key may serve several directories: its log ids are kept beside it.
    #[arg(long, value_name = "PATH", global = true, env = "PANDAFEST_KEY")]
    pub key: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Make a new festival directory with a key and a pandafest.toml.
    Init {
        /// The directory to create (default: the --dir directory).
        dir: Option<PathBuf>,
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
    /// Build the site, serve it, and rebuild it when pandafest.toml,
    /// templates/, the theme or logs/ change or new entries reach the
    /// store; open pages reload, and /screen/ updates at once.
    Serve {
        /// The festival directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The port to listen on (0: a free one).
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Where to write the site (default DIR/public).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Run a replicating node in this process too (as `pandafest
        /// node`, with its options): what peers send is built at once.
        #[arg(long)]
        replicate: bool,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Import the logs of a published site or bundle (directory or http(s)
    /// URL) into a festival directory; fetches only what is missing, then
    /// runs the owner policies of this directory's key.
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
        #[arg(long, default_value = ".")]
        into: PathBuf,
        /// xml (frab, Pentabarf), json (frab, pretalx) or ical; detected
        /// from the content by default.
        #[arg(long)]
        format: Option<pandafest::import::Format>,
        /// The IANA time zone of the schedule's local times, e.g.
        /// Europe/Berlin; overrides the source's.
        #[arg(long)]
        time_zone: Option<String>,
    },
    /// Start or change a festival.
    Festival {
        /// create or update.
        #[command(subcommand)]
        action: FestivalAction,
    },
    /// Publish how you want to be shown.
    Profile {
        /// set.
        #[command(subcommand)]
        action: ProfileAction,
    },
    /// Offer, change or withdraw a resource (a room, tool, skill, money, a
    /// URL; a location when it has a place).
    Resource {
        /// add, update or remove.
        #[command(subcommand)]
        action: ResourceAction,
    },
    /// Propose, change or cancel an event.
    Event {
        /// add, update or cancel.
        #[command(subcommand)]
        action: EventAction,
    },
    /// List the requests that await this key's decision (resources it
    /// owns), oldest first.
    Pending,
    /// Confirm an event's request of a resource this key owns.
    Confirm(DecisionArgs),
    /// Deny an event's request of a resource this key owns.
    Deny(DecisionArgs),
    /// Apply the owner policies of this key's resources to every request
    /// that waits (first_come_first_served confirms or denies; manual waits).
    Decide,
    /// Sync the festival with peers once, both ways, and stop: prints per
    /// peer the entries received, sent and rejected; exits 1 if a peer
    /// failed. A directory that holds no festival pulls every festival the
    /// peers hold (or only --festival).
    Sync {
        /// A peer's address, e.g. /ip4/192.168.1.7/tcp/4111, with or
        /// without its /p2p/<peer id> (repeatable).
        #[arg(long = "peer", value_name = "MULTIADDR", required = true)]
        peers: Vec<String>,
        /// Only this festival (its document id).
        #[arg(long, value_name = "ID")]
        festival: Option<String>,
        /// Give up after this long, e.g. 30s, 2m.
        #[arg(long, default_value = "30s")]
        timeout: String,
    },
    /// Run a replicating node until Ctrl-C or SIGTERM: listen, find peers
    /// on the local network by mDNS, dial --peer, and keep syncing.
    Node {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// List the peers the node met: when each was last seen and synced,
    /// the entries exchanged, and how many of this key's entries it holds.
    Peers,
    /// List what the directory holds, with short ids.
    Ls {
        /// events, resources, people or festivals.
        what: LsWhat,
        /// Only events on this day of the festival's time zone (YYYY-MM-DD).
        #[arg(long)]
        day: Option<String>,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
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

/// `festival create` and `festival update`.
#[derive(Subcommand, Debug)]
pub enum FestivalAction {
    /// Start a festival; prints its id. pandafest.toml names it when it
    /// names no festival yet.
    Create(FestivalArgs),
    /// Publish a new version of one of your festivals.
    Update {
        /// The festival's id or a unique prefix of at least 12 digits.
        id: String,
        /// What changes.
        #[command(flatten)]
        fields: FestivalArgs,
    },
}

/// The fields of a festival. TIME is RFC 3339 with an offset or a local
/// `YYYY-MM-DD HH:MM` in the festival's time zone.
#[derive(Args, Debug)]
pub struct FestivalArgs {
    /// The festival's name.
    #[arg(long)]
    pub name: Option<String>,
    /// Start (TIME).
    #[arg(long)]
    pub start: Option<String>,
    /// End (TIME).
    #[arg(long)]
    pub end: Option<String>,
    /// IANA time zone, e.g. Europe/Berlin.
    #[arg(long)]
    pub time_zone: Option<String>,
    /// The parent festival, for a nested one.
    #[arg(long)]
    pub parent: Option<String>,
    /// The description (Markdown).
    #[command(flatten)]
    pub description: DescriptionArgs,
}

/// A Markdown description, given inline or in a file.
#[derive(Args, Debug)]
#[group(multiple = false)]
pub struct DescriptionArgs {
    /// The description (Markdown).
    #[arg(long)]
    pub description: Option<String>,
    /// Read the description from FILE.
    #[arg(long, value_name = "FILE")]
    pub description_file: Option<PathBuf>,
}

/// `profile set`.
#[derive(Subcommand, Debug)]
pub enum ProfileAction {
    /// Publish your display name and bio.
    Set {
        /// The display name.
        #[arg(long)]
        name: String,
        /// A short bio, plain text.
        #[arg(long, default_value = "")]
        bio: String,
    },
}

/// `resource add`, `update` and `remove`.
#[derive(Subcommand, Debug)]
pub enum ResourceAction {
    /// Offer a resource; prints its id.
    Add(ResourceArgs),
    /// Publish a new version of one of your resources.
    Update {
        /// The resource's id or a unique prefix of at least 12 digits.
        id: String,
        /// What changes.
        #[command(flatten)]
        fields: ResourceArgs,
    },
    /// Withdraw one of your resources.
    Remove {
        /// The resource's id or a unique prefix of at least 12 digits.
        id: String,
    },
}

/// The kinds of resource, as the command line names them.
pub use pandafest::operation::{Policy, ResourceKind};

/// The fields of a resource.
#[derive(Args, Debug)]
pub struct ResourceArgs {
    /// The title.
    #[arg(long)]
    pub title: Option<String>,
    /// room, thing, tool, skill, money, url or other.
    #[arg(long, value_parser = parse_kind)]
    pub kind: Option<ResourceKind>,
    /// The description (Markdown).
    #[command(flatten)]
    pub description: DescriptionArgs,
    /// Where it is.
    #[command(flatten)]
    pub place: PlaceArgs,
    /// manual (you decide each request; the default for a new resource) or
    /// first_come_first_served (your node decides as requests arrive).
    #[arg(long, value_parser = parse_policy)]
    pub policy: Option<Policy>,
    /// The festival it is offered at (default: pandafest.toml's, else the
    /// only root festival).
    #[arg(long)]
    pub festival: Option<String>,
}

/// A location's place; giving one makes the resource a location.
#[derive(Args, Debug)]
#[group(multiple = false)]
pub struct PlaceArgs {
    /// A GPS position in decimal degrees: LAT,LON.
    #[arg(long, value_name = "LAT,LON")]
    pub gps: Option<String>,
    /// A postal address.
    #[arg(long)]
    pub address: Option<String>,
    /// A virtual place's URL.
    #[arg(long)]
    pub url: Option<String>,
    /// A position in a virtual 3D world: X,Y,Z.
    #[arg(long, value_name = "X,Y,Z")]
    pub position: Option<String>,
    /// Remove the place (update only): the resource is no longer a location.
    #[arg(long)]
    pub no_place: bool,
}

/// `event add`, `update` and `cancel`.
#[derive(Subcommand, Debug)]
pub enum EventAction {
    /// Propose an event; prints its id.
    Add(EventArgs),
    /// Publish a new version of one of your events.
    Update {
        /// The event's id or a unique prefix of at least 12 digits.
        id: String,
        /// What changes. A new start alone keeps the duration.
        #[command(flatten)]
        fields: EventArgs,
        /// Stop requesting RESOURCE (repeatable).
        #[arg(long, value_name = "RESOURCE")]
        drop_request: Vec<String>,
    },
    /// Cancel one of your events.
    Cancel {
        /// The event's id or a unique prefix of at least 12 digits.
        id: String,
    },
}

/// The fields of an event. TIME is RFC 3339 with an offset or a local
/// `YYYY-MM-DD HH:MM` in the festival's time zone; DUR is e.g. 90m, 1h30m, 2h.
#[derive(Args, Debug)]
pub struct EventArgs {
    /// The title.
    #[arg(long)]
    pub title: Option<String>,
    /// Start (TIME).
    #[arg(long)]
    pub start: Option<String>,
    /// End (TIME).
    #[arg(long, conflicts_with = "duration")]
    pub end: Option<String>,
    /// Duration (DUR).
    #[arg(long)]
    pub duration: Option<String>,
    /// Request RESOURCE for the event's timeframe (repeatable).
    #[arg(long, value_name = "RESOURCE")]
    pub request: Vec<String>,
    /// The description (Markdown).
    #[command(flatten)]
    pub description: DescriptionArgs,
    /// A tag, such as a track (repeatable; on update the tags given replace
    /// the old ones).
    #[arg(long)]
    pub tag: Vec<String>,
    /// An http(s) link (repeatable; on update the links given replace the
    /// old ones).
    #[arg(long, value_name = "URL")]
    pub link: Vec<String>,
    /// A subtitle.
    #[arg(long)]
    pub subtitle: Option<String>,
    /// A short abstract (Markdown).
    #[arg(long = "abstract", value_name = "TEXT")]
    pub summary: Option<String>,
    /// The language, e.g. en or de.
    #[arg(long)]
    pub language: Option<String>,
    /// A speaker or host who is not a user (repeatable; on update the
    /// names given replace the old ones).
    #[arg(long)]
    pub person: Vec<String>,
    /// The festival it belongs to (default: pandafest.toml's, else the only
    /// root festival).
    #[arg(long)]
    pub festival: Option<String>,
}

/// `confirm` and `deny`.
#[derive(Args, Debug)]
pub struct DecisionArgs {
    /// The event's id or a unique prefix of at least 12 digits.
    pub event: String,
    /// The resource's id or a unique prefix of at least 12 digits.
    pub resource: String,
    /// A note to the requester.
    #[arg(long, default_value = "")]
    pub note: String,
}

/// What `ls` lists.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LsWhat {
    /// Events, by start.
    Events,
    /// Resources and locations, by title.
    Resources,
    /// People, by name.
    People,
    /// Festivals, by start.
    Festivals,
}

fn parse_kind(text: &str) -> Result<ResourceKind, String> {
    pandafest::author::parse_kind(text).map_err(|e| e.to_string())
}

fn parse_policy(text: &str) -> Result<Policy, String> {
    pandafest::author::parse_policy(text).map_err(|e| e.to_string())
}

/// The options of `pandafest node`, and of `serve --replicate`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct NodeArgs {
    /// An address to listen on (repeatable; default
    /// /ip4/0.0.0.0/tcp/4111).
    #[arg(long, value_name = "MULTIADDR")]
    pub listen: Vec<String>,
    /// A peer to dial and keep dialling (repeatable).
    #[arg(long = "peer", value_name = "MULTIADDR")]
    pub peers: Vec<String>,
    /// Do not look for peers by mDNS.
    #[arg(long)]
    pub no_mdns: bool,
    /// Only this festival (its document id).
    #[arg(long, value_name = "ID")]
    pub festival: Option<String>,
}
