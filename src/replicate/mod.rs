//! Replication: a node that syncs festivals with its peers over libp2p
//! (`/pandafest/sync/1`, see `docs/sync.md`).
//!
//! The rest of the crate stays synchronous: the tokio runtime and the
//! swarm live on a thread of their own ([`net`]); the caller's thread owns
//! the store, answers requests, and takes every page in through ingest
//! (`worker`). They talk through channels.

mod accept;
mod join;
pub mod net;
mod node_key;
mod peers;
pub mod protocol;
mod serve;
pub mod unit;
mod worker;

pub use accept::{Accepted, accept_page};
pub use node_key::{load_or_create_node_key, node_key_path};
pub use peers::PeerRecord;
pub use serve::{HeightMap, height_map, page_for};
pub use worker::PeerSummary;

use std::path::{Path, PathBuf};
use std::time::Duration;

use libp2p::Multiaddr;

use crate::entry::DocumentId;
use crate::festival_dir::FestivalDir;

/// The default TCP port of a node.
pub const DEFAULT_PORT: u16 = 4111;

/// How a run ends.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// `sync`: once neither side lacks anything, or after `timeout`.
    Sync {
        /// The longest the whole sync may take.
        timeout: Duration,
    },
    /// `node`: on Ctrl-C or SIGTERM.
    Node,
}

/// The errors of a replication run. What peers did wrong is not among
/// them: it is logged and shows in the summary.
#[derive(Debug, thiserror::Error)]
pub enum ReplicateError {
    /// The festival directory could not be opened or read.
    #[error(transparent)]
    Dir(#[from] crate::festival_dir::DirError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// `logs/` could not be rewritten.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    /// The key's lock could not be taken.
    #[error(transparent)]
    Publish(#[from] crate::publish::PublishError),
    /// The owner policies failed.
    #[error(transparent)]
    Author(Box<crate::author::AuthorError>),
    /// The network key could not be read or written.
    #[error("node key {path}: {reason}")]
    NodeKey {
        /// `.pandafest/node_key`.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The network could not start.
    #[error(transparent)]
    Net(#[from] net::NetError),
    /// `.pandafest/joining` could not be read or written.
    #[error("{path}: {reason}")]
    Joining {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl From<crate::author::AuthorError> for ReplicateError {
    fn from(error: crate::author::AuthorError) -> ReplicateError {
        ReplicateError::Author(Box::new(error))
    }
}

/// What to run.
pub struct Options {
    /// The festival directory.
    pub root: PathBuf,
    /// The author key (for the owner policies and the key's lock).
    pub key_path: PathBuf,
    /// Addresses to listen on (none for `sync`).
    pub listen: Vec<Multiaddr>,
    /// Peers to dial.
    pub peers: Vec<Multiaddr>,
    /// Whether to find peers by mDNS.
    pub mdns: bool,
    /// Only this festival; else every root festival held, or, with none,
    /// every festival the peers hold.
    pub festival: Option<DocumentId>,
    /// `sync` or `node`.
    pub mode: Mode,
}

/// Runs a sync or a node in `options.root`: the network on a thread of
/// its own, the store on this one. `show` gets the lines meant for people
/// (listen addresses, the status line, owner decisions). Returns a
/// summary per peer, the `--peer` addresses first in their order.
///
/// Errors: [`ReplicateError`] if the directory, the store, `logs/` or the
/// network fail; a peer's faults are in its summary.
pub fn run(
    options: Options,
    show: &mut dyn FnMut(&str),
) -> Result<Vec<PeerSummary>, ReplicateError> {
    // Before anything else: a second node on this port would share it
    // with the first (libp2p listens with SO_REUSEPORT) and get half of
    // its connections.
    for addr in &options.listen {
        net::check_port_free(addr)?;
    }
    let mut dir = FestivalDir::open(&options.root)?;
    // What logs/ holds that the store lacks comes in first, as for an
    // authoring command.
    crate::author::catch_up(&mut dir)?;
    let key = load_or_create_node_key(&options.root)?;
    let request_timeout = match options.mode {
        // Half the run at most: a peer that stalls fails with a time-out
        // of its own while the run goes on with the others.
        Mode::Sync { timeout } => (timeout / 2).min(Duration::from_secs(10)),
        Mode::Node => Duration::from_secs(10),
    };
    let config = net::NetConfig {
        key,
        listen: options.listen,
        peers: options.peers.clone(),
        mdns: options.mdns,
        redial: matches!(options.mode, Mode::Node),
        request_timeout,
        // A sync stopped by Ctrl-C rewrites logs/ too.
        signals: true,
    };
    let (to_store, from_net) = std::sync::mpsc::channel();
    let (to_net, from_store) = tokio::sync::mpsc::unbounded_channel();
    let failed = to_store.clone();
    let network = std::thread::Builder::new()
        .name("pandafest-net".into())
        .spawn(move || {
            let outcome = net::run(config, to_store, from_store);
            if outcome.is_err() {
                // Wake the store's thread: the run is over.
                let _ = failed.send(net::FromNet::Shutdown);
            }
            outcome
        })
        .map_err(|e| net::NetError::Start(e.to_string()))?;
    let worker = worker::Worker::new(
        dir,
        options.key_path,
        options.mode,
        options.festival,
        to_net,
        options.peers,
        show,
    )?;
    let summaries = worker.run(from_net);
    let net_outcome = network
        .join()
        .unwrap_or_else(|_| Err(net::NetError::Start("the network thread panicked".into())));
    net_outcome?;
    summaries
}

/// The default listen address: every interface, port 4111.
pub fn default_listen() -> Multiaddr {
    format!("/ip4/0.0.0.0/tcp/{DEFAULT_PORT}")
        .parse()
        .expect("a valid address")
}

/// The directory's `.pandafest/` folder.
fn state_dir(root: &Path) -> PathBuf {
    root.join(".pandafest")
}
