//! The store's side of the node: it owns the store, answers requests,
//! takes in pages through ingest, decides whom to ask for what, and
//! rewrites `logs/`. It runs on the caller's thread; the network runs on
//! its own (see [`super::net`]).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use libp2p::{Multiaddr, PeerId};
use tokio::sync::mpsc::UnboundedSender;

use super::accept::accept_page;
use super::join;
use super::net::{BAN, FromNet, ToNet};
use super::peers::PeerRecord;
use super::protocol::{MAX_LOGS, Request, Response};
use super::serve::{HeightMap, height_map, page_for};
use super::unit::{Unit, root_festivals};
use super::{Mode, ReplicateError};
use crate::bundle::update_bundle;
use crate::entry::{DocumentId, Hash, PublicKey};
use crate::festival_dir::FestivalDir;
use crate::publish::KeyLock;

/// How often the store is looked at for entries written by another
/// process.
const POLL: Duration = Duration::from_millis(100);

/// How long a finished `sync` waits for a last request before it closes.
const LINGER: Duration = Duration::from_millis(200);

/// How long the node waits after the last new entry before it rewrites
/// `logs/` and runs the owner policies.
const SETTLE: Duration = Duration::from_millis(500);

/// How often a node asks each connected peer again even when nothing
/// changed here: it learns what the peer got elsewhere, and the
/// connection stays open (idle ones close after 120 s).
const REFRESH: Duration = Duration::from_secs(30);

/// Requests about festivals under way to one peer at once; the rest wait
/// their turn (a connection carries at most
/// [`super::net::MAX_STREAMS`] streams).
const MAX_PULLS: usize = 8;

/// Faults after which a peer is not dialled for [`BAN`].
const FAULTS_TO_BAN: u32 = 3;

/// What one peer did in this run.
#[derive(Debug, Default, Clone)]
pub struct PeerSummary {
    /// The `--peer` address, or the address it came from.
    pub addr: String,
    /// Its peer id, once connected.
    pub peer: Option<PeerId>,
    /// Entries received and stored.
    pub received: u64,
    /// Entries sent.
    pub sent: u64,
    /// Entries it sent that were refused or rejected.
    pub rejected: u64,
    /// Why syncing with it failed, if it did.
    pub failed: Option<String>,
    /// Requests sent to it, and responses received from it (this side's
    /// round trips).
    pub requests: u64,
    /// Its requests to this side.
    pub served: u64,
}

#[derive(Default)]
struct PeerState {
    summary: PeerSummary,
    target: Option<usize>,
    connected: bool,
    /// Its latest heights, by festival.
    theirs: HashMap<DocumentId, HeightMap>,
    /// Festivals with a request to it under way.
    pulling: HashSet<DocumentId>,
    /// Festivals to ask it about again once the request under way ends.
    again: HashSet<DocumentId>,
    /// Festivals waiting for a free request slot ([`MAX_PULLS`]).
    queued: Vec<DocumentId>,
    /// Festivals whose pull finished at least once.
    pulled: HashSet<DocumentId>,
    /// Whether a `Festivals` request is under way, or was answered.
    asked: bool,
    festivals_answered: bool,
    /// Answers not yet sent out.
    unsent: usize,
    faults: u32,
    /// Whether a `sync` is done with it.
    done: bool,
    /// Festivals it declined to sync, with its reason (until it
    /// reconnects).
    declined: HashMap<DocumentId, String>,
}

pub(super) struct Worker<'a> {
    pub dir: FestivalDir,
    pub key_path: PathBuf,
    pub mode: Mode,
    pub festival: Option<DocumentId>,
    pub to_net: UnboundedSender<ToNet>,
    pub targets: Vec<Multiaddr>,
    pub show: &'a mut dyn FnMut(&str),
    peers: HashMap<PeerId, PeerState>,
    target_fail: HashMap<usize, String>,
    dirty: BTreeSet<(PublicKey, u64)>,
    last_change: Option<Instant>,
    data_version: i64,
    status: String,
    started: Instant,
    refreshed: Instant,
    /// When this side last answered a request.
    last_served: Option<Instant>,
    /// The festivals a first sync found and that have not all arrived
    /// (`.pandafest/joining`).
    joining: Vec<DocumentId>,
}

impl<'a> Worker<'a> {
    pub fn new(
        dir: FestivalDir,
        key_path: PathBuf,
        mode: Mode,
        festival: Option<DocumentId>,
        to_net: UnboundedSender<ToNet>,
        targets: Vec<Multiaddr>,
        show: &'a mut dyn FnMut(&str),
    ) -> Result<Worker<'a>, ReplicateError> {
        let data_version = dir.store.read().data_version()?;
        let joining = match festival {
            Some(_) => Vec::new(),
            None => join::load(&dir.root)?,
        };
        Ok(Worker {
            dir,
            key_path,
            mode,
            festival,
            to_net,
            targets,
            show,
            peers: HashMap::new(),
            target_fail: HashMap::new(),
            dirty: BTreeSet::new(),
            last_change: None,
            data_version,
            status: String::new(),
            started: Instant::now(),
            refreshed: Instant::now(),
            last_served: None,
            joining,
        })
    }

    /// Runs until the sync is done (`sync`), or until Ctrl-C or SIGTERM
    /// (`node`); returns a summary per peer.
    pub fn run(mut self, from_net: Receiver<FromNet>) -> Result<Vec<PeerSummary>, ReplicateError> {
        let mut last_poll = Instant::now();
        let mut finished_at: Option<Instant> = None;
        loop {
            let wait = match finished_at {
                Some(_) => LINGER / 4,
                None => POLL,
            };
            match from_net.recv_timeout(wait) {
                Ok(FromNet::Shutdown) => break,
                Ok(message) => self.on_message(message)?,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if last_poll.elapsed() >= POLL {
                last_poll = Instant::now();
                self.poll()?;
            }
            if self.finished() {
                if self.dirty.is_empty() {
                    // A moment for the peers' last requests about what
                    // was just sent, before the connections close.
                    // Only after answering: a sync that only asked is
                    // done at once.
                    let since = *finished_at.get_or_insert_with(Instant::now);
                    if self.last_served.is_none_or(|t| t.elapsed() >= LINGER)
                        || since.elapsed() >= LINGER
                    {
                        break;
                    }
                    continue;
                }
                finished_at = None;
                // The owner policies may publish decisions on what came:
                // they go out before the sync ends.
                self.settle()?;
                self.poll()?;
            } else {
                finished_at = None;
            }
        }
        let _ = self.to_net.send(ToNet::Stop);
        // Forced: a run killed after the store took entries in but before
        // logs/ was rewritten left logs/ behind; this catches it up even
        // when nothing new came this time.
        self.settle_with(true)?;
        self.dir.store.checkpoint()?;
        self.fail_declined()?;
        let mut out: Vec<PeerSummary> = Vec::new();
        let mut by_target: Vec<Option<PeerSummary>> = vec![None; self.targets.len()];
        for (_, state) in self.peers {
            match state.target {
                Some(index) if by_target[index].is_none() => by_target[index] = Some(state.summary),
                _ => out.push(state.summary),
            }
        }
        for (index, summary) in by_target.into_iter().enumerate() {
            let mut summary = summary.unwrap_or_else(|| PeerSummary {
                addr: self.targets[index].to_string(),
                failed: Some(
                    self.target_fail
                        .get(&index)
                        .cloned()
                        .unwrap_or_else(|| "never connected".into()),
                ),
                ..PeerSummary::default()
            });
            summary.addr = self.targets[index].to_string();
            out.insert(index.min(out.len()), summary);
        }
        Ok(out)
    }

    /// The festivals this side syncs: `--festival`, else every root
    /// festival the store holds and those it is joining.
    fn festivals(&self) -> Result<Vec<DocumentId>, ReplicateError> {
        if let Some(f) = self.festival {
            return Ok(vec![f]);
        }
        let mut list: Vec<DocumentId> = root_festivals(&self.dir.store.read())?
            .into_iter()
            .map(|f| Hash(f.id))
            .collect();
        for f in &self.joining {
            if !list.contains(f) {
                list.push(*f);
            }
        }
        Ok(list)
    }

    /// Whether this side syncs festival `f` with a peer that asks about
    /// it: `--festival` only, else the festivals it holds or joins; a
    /// directory with none takes any (it is joining).
    fn syncs(&self, f: DocumentId) -> Result<bool, ReplicateError> {
        if let Some(mine) = self.festival {
            return Ok(mine == f);
        }
        let list = self.festivals()?;
        Ok(list.is_empty() || list.contains(&f))
    }

    /// In a `sync`, a peer that declined the `--festival` asked for, or
    /// every festival this side holds, failed: nothing could be
    /// exchanged. One that declined only some of them did not.
    fn fail_declined(&mut self) -> Result<(), ReplicateError> {
        if !matches!(self.mode, Mode::Sync { .. }) {
            return Ok(());
        }
        let festivals = self.festivals()?;
        for state in self.peers.values_mut() {
            if state.summary.failed.is_some() || state.declined.is_empty() {
                continue;
            }
            let all = festivals.iter().all(|f| state.declined.contains_key(f));
            if self.festival.is_some() || all {
                let reasons: BTreeSet<&str> = state.declined.values().map(String::as_str).collect();
                let reasons: Vec<&str> = reasons.into_iter().collect();
                state.summary.failed = Some(format!("declined: {}", reasons.join("; ")));
            }
        }
        Ok(())
    }

    fn send(&self, message: ToNet) {
        let _ = self.to_net.send(message);
    }

    fn on_message(&mut self, message: FromNet) -> Result<(), ReplicateError> {
        match message {
            FromNet::Listening(addr) => (self.show)(&format!("listening on {addr}")),
            FromNet::Connected {
                peer,
                addr,
                dialer,
                target,
            } => {
                let state = self.peers.entry(peer).or_default();
                state.connected = true;
                state.summary.peer = Some(peer);
                if state.summary.addr.is_empty() {
                    state.summary.addr = addr.to_string();
                }
                if target.is_some() {
                    state.target = target;
                }
                tracing::info!("connected to {peer} at {addr}");
                PeerRecord::seen(&mut self.dir.store, &peer, &addr.to_string())?;
                if dialer {
                    self.start(peer)?;
                }
            }
            FromNet::DialFailed { target, error } => {
                tracing::warn!("cannot connect to {}: {error}", self.targets[target]);
                self.target_fail
                    .insert(target, format!("cannot connect: {error}"));
            }
            FromNet::Disconnected { peer } => {
                if let Some(state) = self.peers.get_mut(&peer) {
                    state.connected = false;
                    state.pulling.clear();
                    state.again.clear();
                    state.asked = state.festivals_answered;
                    state.unsent = 0;
                    state.declined.clear();
                    state.queued.clear();
                    if matches!(self.mode, Mode::Sync { .. }) && state.summary.failed.is_none() {
                        state.summary.failed = Some("the connection closed".into());
                    }
                }
            }
            FromNet::Request {
                peer,
                request,
                channel,
            } => self.serve(peer, request, channel)?,
            FromNet::Response {
                peer,
                festival,
                response,
            } => {
                self.on_response(peer, festival, response)?;
                self.pull_queued(peer)?;
            }
            FromNet::Failed {
                peer,
                festival,
                error,
            } => {
                if let Some(state) = self.peers.get_mut(&peer) {
                    if let Some(f) = festival {
                        state.pulling.remove(&f);
                    }
                    state.asked = state.festivals_answered;
                }
                self.fault(peer, &error);
                self.pull_queued(peer)?;
            }
            FromNet::Misbehaved { peer, error } => self.fault(peer, &error),
            FromNet::Sent { peer } => {
                if let Some(state) = self.peers.get_mut(&peer) {
                    state.unsent = state.unsent.saturating_sub(1);
                }
            }
            FromNet::Shutdown => {}
        }
        self.show_status();
        Ok(())
    }

    /// Starts syncing with a peer this side dialled: its festivals, or
    /// which festivals it holds.
    fn start(&mut self, peer: PeerId) -> Result<(), ReplicateError> {
        let festivals = self.festivals()?;
        // A directory that holds no festival yet asks each peer which it
        // holds, even while it is joining some from an earlier run: this
        // peer may hold others.
        let holds_none =
            self.festival.is_none() && root_festivals(&self.dir.store.read())?.is_empty();
        if holds_none {
            let state = self.peers.entry(peer).or_default();
            if !state.asked {
                state.asked = true;
                state.summary.requests += 1;
                self.send(ToNet::Send {
                    peer,
                    request: Request::Festivals,
                    festival: None,
                });
            }
        }
        for f in festivals {
            self.pull(peer, f)?;
        }
        Ok(())
    }

    /// Sends the requests that waited for a free slot to `peer`.
    fn pull_queued(&mut self, peer: PeerId) -> Result<(), ReplicateError> {
        loop {
            let next = match self.peers.get(&peer) {
                Some(state) if state.connected && state.pulling.len() < MAX_PULLS => {
                    state.queued.first().copied()
                }
                _ => None,
            };
            let Some(f) = next else {
                return Ok(());
            };
            if let Some(state) = self.peers.get_mut(&peer) {
                state.queued.remove(0);
            }
            self.pull(peer, f)?;
        }
    }

    /// Sends `peer` this side's heights of `f`, unless a request about it
    /// is under way (then it is sent again after).
    fn pull(&mut self, peer: PeerId, f: DocumentId) -> Result<(), ReplicateError> {
        let state = self.peers.entry(peer).or_default();
        if !state.connected {
            return Ok(());
        }
        if state.declined.contains_key(&f) {
            return Ok(());
        }
        if state.pulling.contains(&f) {
            state.again.insert(f);
            return Ok(());
        }
        if state.pulling.len() >= MAX_PULLS {
            if !state.queued.contains(&f) {
                state.queued.push(f);
            }
            return Ok(());
        }
        state.queued.retain(|q| *q != f);
        state.pulling.insert(f);
        state.summary.requests += 1;
        let heights = Unit::read(&self.dir.store.read(), f)?.heights();
        self.send(ToNet::Send {
            peer,
            request: Request::Sync {
                festival: f.0,
                heights,
            },
            festival: Some(f),
        });
        Ok(())
    }

    fn serve(
        &mut self,
        peer: PeerId,
        request: Request,
        channel: libp2p::request_response::ResponseChannel<Response>,
    ) -> Result<(), ReplicateError> {
        self.last_served = Some(Instant::now());
        let state = self.peers.entry(peer).or_default();
        state.summary.served += 1;
        state.unsent += 1;
        let response = match request {
            Request::Festivals => {
                let mut list = root_festivals(&self.dir.store.read())?;
                if let Some(mine) = self.festival {
                    list.retain(|f| Hash(f.id) == mine);
                }
                Response::Festivals(list)
            }
            Request::Sync { festival, .. } if !self.syncs(Hash(festival))? => {
                let f = Hash(festival);
                let reason = match self.festival {
                    Some(mine) => format!("this node syncs only festival {mine}"),
                    None => format!("this node does not hold festival {f}"),
                };
                tracing::info!("peer {peer} asked about festival {f}: declined ({reason})");
                Response::Declined { reason }
            }
            Request::Sync { heights, .. } if heights.len() > MAX_LOGS => {
                let reason = format!("{} heights are over the limit of {MAX_LOGS}", heights.len());
                self.fault(peer, &format!("sent a request whose {reason}"));
                Response::Refused { reason }
            }
            Request::Sync { festival, heights } => {
                let f = Hash(festival);
                let theirs = height_map(&heights);
                let reader = self.dir.store.read();
                let unit = Unit::read(&reader, f)?;
                let page = page_for(&reader, &unit, &theirs)?;
                // What does it hold that this side lacks?
                let mine = height_map(&unit.heights());
                let lacking = heights.iter().any(|h| {
                    mine.get(&(PublicKey(h.author), h.log_id)).is_none_or(|m| {
                        m.seq_num < h.seq_num || (h.fork.is_some() && m.fork != h.fork)
                    })
                });
                let state = self.peers.entry(peer).or_default();
                state.summary.sent += page.entries.len() as u64;
                let mut theirs = theirs;
                if !page.more {
                    // Once it takes this page in, it holds all of this
                    // side's unit.
                    for (key, m) in &mine {
                        let t = theirs.entry(*key).or_insert_with(|| m.clone());
                        t.seq_num = t.seq_num.max(m.seq_num);
                        if m.fork.is_some() {
                            t.fork = m.fork;
                        }
                    }
                }
                let recorded: Vec<_> = theirs.values().cloned().collect();
                state.theirs.insert(f, theirs);
                let sent = page.entries.len() as u64;
                if sent > 0 {
                    PeerRecord::exchanged(&mut self.dir.store, &peer, 0, sent)?;
                }
                PeerRecord::heights(&mut self.dir.store, &peer, &recorded, !page.more)?;
                if lacking && self.syncs(f)? {
                    self.pull(peer, f)?;
                }
                Response::Page(page)
            }
        };
        self.send(ToNet::Respond { channel, response });
        Ok(())
    }

    fn on_response(
        &mut self,
        peer: PeerId,
        festival: Option<DocumentId>,
        response: Response,
    ) -> Result<(), ReplicateError> {
        match (festival, response) {
            (_, Response::Refused { reason }) => {
                if let Some(f) = festival
                    && let Some(state) = self.peers.get_mut(&peer)
                {
                    state.pulling.remove(&f);
                }
                self.fault(peer, &format!("refused to answer: {reason}"));
            }
            (Some(f), Response::Declined { reason }) => {
                let reason: String = reason.chars().take(200).collect();
                (self.show)(&format!("peer {peer} does not sync festival {f}: {reason}"));
                let state = self.peers.entry(peer).or_default();
                state.pulling.remove(&f);
                state.again.remove(&f);
                state.declined.insert(f, reason);
            }
            (_, Response::Festivals(list)) if list.len() > MAX_LOGS => {
                self.fault(
                    peer,
                    &format!(
                        "listed {} festivals, over the limit of {MAX_LOGS}",
                        list.len()
                    ),
                );
            }
            (None, Response::Festivals(list)) => {
                let state = self.peers.entry(peer).or_default();
                state.festivals_answered = true;
                let wanted: Vec<DocumentId> = list
                    .iter()
                    .map(|f| Hash(f.id))
                    .filter(|f| self.festival.is_none_or(|mine| mine == *f))
                    .collect();
                if wanted.is_empty() {
                    let what = match self.festival {
                        Some(f) => format!("holds no festival {f}"),
                        None => "holds no festival".to_string(),
                    };
                    (self.show)(&format!("peer {peer} {what}"));
                    if matches!(self.mode, Mode::Sync { .. }) {
                        state.summary.failed.get_or_insert(what);
                    }
                }
                if self.festival.is_none() {
                    // Remembered until each has arrived, so that an
                    // interrupted join goes on with the rest next time.
                    for f in &wanted {
                        if !self.joining.contains(f) {
                            self.joining.push(*f);
                        }
                    }
                    join::save(&self.dir.root, &self.joining)?;
                }
                for f in wanted {
                    self.pull(peer, f)?;
                }
            }
            (Some(f), Response::Page(page)) if page.heights.len() > MAX_LOGS => {
                if let Some(state) = self.peers.get_mut(&peer) {
                    state.pulling.remove(&f);
                }
                self.fault(
                    peer,
                    &format!(
                        "sent a page with {} heights, over the limit of {MAX_LOGS}",
                        page.heights.len()
                    ),
                );
            }
            (Some(f), Response::Page(page)) => {
                let origin = format!("peer {peer}");
                let accepted = accept_page(&mut self.dir.store, f, &page, &origin)?;
                let mine = height_map(&Unit::read(&self.dir.store.read(), f)?.heights());
                let state = self.peers.entry(peer).or_default();
                state.summary.received += accepted.received;
                state.summary.rejected += accepted.rejected;
                state.theirs.insert(f, height_map(&page.heights));
                for fork in &accepted.forks {
                    tracing::warn!("peer {peer}: {fork}");
                }
                if accepted.received > 0 {
                    self.dirty.extend(accepted.changed.iter().copied());
                    self.last_change = Some(Instant::now());
                    PeerRecord::exchanged(&mut self.dir.store, &peer, accepted.received, 0)?;
                }
                if page.heights.is_empty()
                    && mine.is_empty()
                    && matches!(self.mode, Mode::Sync { .. })
                {
                    state.summary.failed.get_or_insert_with(|| {
                        format!("holds no festival {f}, and neither does this directory")
                    });
                }
                let mut faults = accepted.faults;
                let items = page.entries.len() + page.proofs.len();
                if page.more && items == 0 {
                    faults.push("said it had more but sent an empty page".into());
                }
                if !page.more && faults.is_empty() {
                    for h in &page.heights {
                        let key = (PublicKey(h.author), h.log_id);
                        let have = mine.get(&key).map_or(0, |m| m.seq_num);
                        if have < h.seq_num {
                            faults.push(format!(
                                "lies about its heights: it claims log {} of {} up to seq {} but served up to seq {have}",
                                h.log_id, key.0, h.seq_num
                            ));
                        }
                    }
                }
                let state = self.peers.entry(peer).or_default();
                state.pulling.remove(&f);
                if !faults.is_empty() {
                    for fault in &faults {
                        self.fault(peer, fault);
                    }
                    return Ok(());
                }
                if page.more || state.again.remove(&f) {
                    self.pull(peer, f)?;
                } else {
                    state.pulled.insert(f);
                    PeerRecord::heights(&mut self.dir.store, &peer, &page.heights, true)?;
                }
                if accepted.received > 0 {
                    self.announce(Some(peer))?;
                }
            }
            (_, other) => {
                let what = match other {
                    Response::Festivals(_) => "a festival list",
                    Response::Declined { .. } => "a decline",
                    _ => "a page",
                };
                self.fault(peer, &format!("answered with {what} to another request"));
            }
        }
        Ok(())
    }

    /// Names a peer's fault on the log; disconnects it, and after
    /// [`FAULTS_TO_BAN`] faults does not let it back for [`BAN`].
    fn fault(&mut self, peer: PeerId, what: &str) {
        tracing::warn!("peer {peer}: {what}");
        let state = self.peers.entry(peer).or_default();
        state.faults += 1;
        if state.summary.failed.is_none() {
            state.summary.failed = Some(what.to_string());
        }
        let ban = (state.faults >= FAULTS_TO_BAN).then_some(BAN);
        if ban.is_some() {
            tracing::warn!(
                "peer {peer}: {} faults; not dialled for {} s",
                state.faults,
                BAN.as_secs()
            );
        }
        if state.connected {
            self.send(ToNet::Disconnect { peer, ban });
        }
    }

    /// Tells the connected peers (but `except`) this side's new heights.
    fn announce(&mut self, except: Option<PeerId>) -> Result<(), ReplicateError> {
        let festivals = self.festivals()?;
        let peers: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(p, s)| s.connected && Some(**p) != except)
            .map(|(p, _)| *p)
            .collect();
        for f in festivals {
            let mine = Unit::read(&self.dir.store.read(), f)?.heights();
            for peer in &peers {
                let theirs = self.peers[peer].theirs.get(&f);
                let behind = mine.iter().any(|m| {
                    theirs
                        .and_then(|t| t.get(&(PublicKey(m.author), m.log_id)))
                        .is_none_or(|t| {
                            t.seq_num < m.seq_num || (m.fork.is_some() && t.fork != m.fork)
                        })
                });
                if behind {
                    self.pull(*peer, f)?;
                }
            }
        }
        Ok(())
    }

    /// Looks for entries another process wrote into the store, and
    /// rewrites `logs/` once new entries settled.
    fn poll(&mut self) -> Result<(), ReplicateError> {
        let version = self.dir.store.read().data_version()?;
        if version != self.data_version {
            self.data_version = version;
            self.announce(None)?;
        }
        if matches!(self.mode, Mode::Node) && self.refreshed.elapsed() >= REFRESH {
            self.refreshed = Instant::now();
            let peers: Vec<PeerId> = self
                .peers
                .iter()
                .filter(|(_, s)| s.connected)
                .map(|(p, _)| *p)
                .collect();
            for peer in peers {
                self.start(peer)?;
            }
        }
        if self
            .last_change
            .is_some_and(|at| at.elapsed() >= SETTLE && matches!(self.mode, Mode::Node))
        {
            self.settle()?;
        }
        if let Mode::Sync { timeout } = self.mode
            && self.started.elapsed() >= timeout
        {
            for state in self.peers.values_mut() {
                if state.summary.failed.is_none() && !state.done {
                    state.summary.failed = Some(format!(
                        "timed out after {} s before the sync was done",
                        timeout.as_secs()
                    ));
                }
            }
            for index in 0..self.targets.len() {
                self.target_fail
                    .entry(index)
                    .or_insert_with(|| format!("timed out after {} s", timeout.as_secs()));
            }
        }
        Ok(())
    }

    /// Rewrites `logs/` for the logs that got entries (under the key's
    /// lock when there is a key, as authoring does), then runs the owner
    /// policies of the directory's key on what arrived.
    fn settle(&mut self) -> Result<(), ReplicateError> {
        self.settle_with(false)
    }

    /// [`Worker::settle`]; with `force`, also when no entry came in this
    /// run ([`update_bundle`] then rewrites only the logs `logs/` lacks).
    fn settle_with(&mut self, force: bool) -> Result<(), ReplicateError> {
        self.last_change = None;
        if self.dirty.is_empty() && !force {
            return Ok(());
        }
        let changed = std::mem::take(&mut self.dirty);
        {
            let _lock = match self.key_path.exists() {
                true => Some(KeyLock::acquire(&self.key_path)?),
                false => None,
            };
            update_bundle(&self.dir.store, &self.dir.logs_dir(), &changed)?;
        }
        // As import does: a directory that names no festival yet names the
        // one it synced (--festival), or the only root festival it holds.
        let roots: Vec<DocumentId> = root_festivals(&self.dir.store.read())?
            .into_iter()
            .map(|f| Hash(f.id))
            .collect();
        let named = match (self.festival, roots.as_slice()) {
            (Some(f), _) if roots.contains(&f) => Some(f),
            (None, [only]) => Some(*only),
            _ => None,
        };
        if let Some(id) = named {
            self.dir.name_festival_if_unset(id)?;
        }
        let joining = self.joining.len();
        self.joining.retain(|f| !roots.contains(f));
        if self.joining.len() != joining {
            join::save(&self.dir.root, &self.joining)?;
        }
        match crate::author::Session::open(&self.dir.root, Some(&self.key_path)) {
            Ok(mut session) => {
                for decided in session.decide()? {
                    (self.show)(&decided.to_string());
                }
            }
            Err(crate::author::AuthorError::NoKey { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Whether a `sync` is over: every peer is done or failed.
    fn finished(&mut self) -> bool {
        let Mode::Sync { .. } = self.mode else {
            return false;
        };
        let festivals = match self.festivals() {
            Ok(f) => f,
            Err(_) => return true,
        };
        let mine: HashMap<DocumentId, HeightMap> = festivals
            .iter()
            .filter_map(|f| {
                Unit::read(&self.dir.store.read(), *f)
                    .ok()
                    .map(|u| (*f, height_map(&u.heights())))
            })
            .collect();
        let mut settled = HashSet::new();
        for (index, _) in self.targets.iter().enumerate() {
            if self.target_fail.contains_key(&index) {
                settled.insert(index);
            }
        }
        for state in self.peers.values_mut() {
            let done = state.summary.failed.is_some()
                || (state.unsent == 0
                    && state.pulling.is_empty()
                    && state.queued.is_empty()
                    && (state.festivals_answered || !mine.is_empty())
                    && mine.iter().all(|(f, heights)| {
                        state.declined.contains_key(f)
                            || (state.pulled.contains(f)
                                && state.theirs.get(f).is_some_and(|t| covers(t, heights)))
                    })
                    && (!state.asked || state.festivals_answered));
            state.done = done;
            if done && let Some(index) = state.target {
                settled.insert(index);
            }
        }
        settled.len() == self.targets.len()
    }

    fn show_status(&mut self) {
        if !matches!(self.mode, Mode::Node) {
            return;
        }
        let connected = self.peers.values().filter(|s| s.connected).count();
        let received: u64 = self.peers.values().map(|s| s.summary.received).sum();
        let sent: u64 = self.peers.values().map(|s| s.summary.sent).sum();
        let status = format!("peers connected {connected}, entries in {received}, out {sent}");
        if status != self.status {
            (self.show)(&status);
            self.status = status;
        }
    }
}

/// Whether heights `theirs` hold every entry and fork proof of `mine`.
fn covers(theirs: &HeightMap, mine: &HeightMap) -> bool {
    mine.iter().all(|(key, m)| {
        theirs
            .get(key)
            .is_some_and(|t| t.seq_num >= m.seq_num && (m.fork.is_none() || t.fork == m.fork))
    })
}
