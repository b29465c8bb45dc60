//! The network side of the node: a libp2p swarm (TCP, noise, yamux,
//! identify, mDNS and `/pandafest/sync/1` over request-response) on a
//! tokio runtime of its own thread. It carries messages between peers and
//! the store's thread and decides nothing about entries.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::dial_opts::DialOpts;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, StreamProtocol, identify, identity, mdns, noise, tcp, yamux};
use tokio::sync::mpsc::UnboundedReceiver;

use super::protocol::{PROTOCOL, Request, Response, SyncCodec};
use crate::entry::DocumentId;

/// Streams (requests and responses at once) per connection.
pub const MAX_STREAMS: usize = 16;

/// Requests a peer may send per second; more is a flood.
pub const MAX_REQUESTS_PER_SECOND: usize = 50;

/// How long a peer that faulted again and again is not dialled (nor let
/// in).
pub const BAN: Duration = Duration::from_secs(600);

/// What the network tells the store's thread.
pub enum FromNet {
    /// A listen address, with the peer id appended.
    Listening(Multiaddr),
    /// The first connection to a peer is up; `target` is the index of the
    /// `--peer` address it was dialled from.
    Connected {
        /// The peer.
        peer: PeerId,
        /// Its address.
        addr: Multiaddr,
        /// Whether this side dialled.
        dialer: bool,
        /// The `--peer` address it came from.
        target: Option<usize>,
    },
    /// Dialling a `--peer` address failed.
    DialFailed {
        /// Its index.
        target: usize,
        /// Why.
        error: String,
    },
    /// The last connection to a peer closed.
    Disconnected {
        /// The peer.
        peer: PeerId,
    },
    /// A peer asks.
    Request {
        /// The peer.
        peer: PeerId,
        /// Its request.
        request: Request,
        /// Where the answer goes.
        channel: ResponseChannel<Response>,
    },
    /// A peer answered; `festival` is what the request was about (`None`
    /// for `Festivals`).
    Response {
        /// The peer.
        peer: PeerId,
        /// The request's festival.
        festival: Option<DocumentId>,
        /// The answer.
        response: Response,
    },
    /// A request to a peer failed (time-out, a closed connection, a
    /// message that does not decode or is too large).
    Failed {
        /// The peer.
        peer: PeerId,
        /// The request's festival.
        festival: Option<DocumentId>,
        /// Why.
        error: String,
    },
    /// A peer's request could not be read or answered, or it floods.
    Misbehaved {
        /// The peer.
        peer: PeerId,
        /// What it did.
        error: String,
    },
    /// An answer was sent.
    Sent {
        /// The peer.
        peer: PeerId,
    },
    /// Ctrl-C or SIGTERM.
    Shutdown,
}

/// What the store's thread tells the network.
pub enum ToNet {
    /// Send a request; the answer comes back with `festival`.
    Send {
        /// The peer.
        peer: PeerId,
        /// The request.
        request: Request,
        /// What it is about.
        festival: Option<DocumentId>,
    },
    /// Answer a request.
    Respond {
        /// The request's channel.
        channel: ResponseChannel<Response>,
        /// The answer.
        response: Response,
    },
    /// Close every connection to a peer; with `ban`, refuse it that long.
    Disconnect {
        /// The peer.
        peer: PeerId,
        /// How long not to dial or let it in.
        ban: Option<Duration>,
    },
    /// Stop.
    Stop,
}

/// How the network starts.
pub struct NetConfig {
    /// The node's network key.
    pub key: identity::Keypair,
    /// Addresses to listen on.
    pub listen: Vec<Multiaddr>,
    /// Addresses to dial.
    pub peers: Vec<Multiaddr>,
    /// Whether to find peers by mDNS.
    pub mdns: bool,
    /// Whether to dial `peers` again after they go (a node does; `sync`
    /// does not).
    pub redial: bool,
    /// How long a request may wait for its answer.
    pub request_timeout: Duration,
    /// Whether Ctrl-C and SIGTERM stop it cleanly (the store's thread
    /// hears of them and finishes).
    pub signals: bool,
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    sync: request_response::Behaviour<SyncCodec>,
    identify: identify::Behaviour,
    mdns: Toggle<mdns::tokio::Behaviour>,
}

/// The errors of starting the network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The transport or a behaviour could not be made.
    #[error("cannot start the network: {0}")]
    Start(String),
    /// An address could not be listened on.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
}

/// Checks that the TCP port of a listen address is free, by binding it
/// once without `SO_REUSEPORT`. libp2p listens with `SO_REUSEPORT`, so a
/// second node on a taken port would start, share the port with the first
/// and get some of its connections. Port 0 (any free port) and addresses
/// that are not TCP over IP pass.
///
/// Errors: [`NetError::Listen`] naming the address and why (`the port is
/// in use: is another node running?`).
pub fn check_port_free(addr: &Multiaddr) -> Result<(), NetError> {
    use libp2p::multiaddr::Protocol;
    let mut ip = None;
    let mut port = None;
    for part in addr.iter() {
        match part {
            Protocol::Ip4(a) => ip = Some(std::net::IpAddr::V4(a)),
            Protocol::Ip6(a) => ip = Some(std::net::IpAddr::V6(a)),
            Protocol::Tcp(p) => port = Some(p),
            _ => {}
        }
    }
    let (Some(ip), Some(port)) = (ip, port) else {
        return Ok(());
    };
    if port == 0 {
        return Ok(());
    }
    match std::net::TcpListener::bind((ip, port)) {
        Ok(_) => Ok(()),
        Err(e) => Err(NetError::Listen {
            addr: addr.clone(),
            reason: match e.kind() {
                std::io::ErrorKind::AddrInUse => {
                    "the port is in use: is another node running? Choose another with --listen"
                        .into()
                }
                _ => e.to_string(),
            },
        }),
    }
}

/// What a peer with this node's own id means.
const COPIED_KEY: &str = "the peer has this node's own network key: was the directory copied \
                          with .pandafest/node_key? Delete that file in one of the copies and \
                          start it again to make a new key";

/// Why a dial failed, for people: a peer with this node's own id is a
/// directory copied with its network key.
fn dial_error(error: &libp2p::swarm::DialError, me: &PeerId) -> String {
    use libp2p::swarm::DialError;
    match error {
        DialError::LocalPeerId { .. } => COPIED_KEY.into(),
        DialError::WrongPeerId { obtained, .. } if obtained == me => COPIED_KEY.into(),
        other => other.to_string(),
    }
}

/// Runs the network until told to stop. Blocks: call it on its own
/// thread.
///
/// Errors: [`NetError`] if the swarm cannot be built or cannot listen.
pub fn run(
    config: NetConfig,
    to_store: Sender<FromNet>,
    from_store: UnboundedReceiver<ToNet>,
) -> Result<(), NetError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| NetError::Start(e.to_string()))?;
    runtime.block_on(run_async(config, to_store, from_store))
}

struct Net {
    swarm: libp2p::Swarm<Behaviour>,
    to_store: Sender<FromNet>,
    targets: Vec<Multiaddr>,
    redial: bool,
    /// Dials of `--peer` addresses under way.
    dialing: HashMap<libp2p::swarm::ConnectionId, usize>,
    /// Which target each connected peer came from.
    target_of: HashMap<PeerId, usize>,
    /// When each target is dialled next.
    next_dial: Vec<Option<Instant>>,
    outbound: HashMap<OutboundRequestId, Option<DocumentId>>,
    /// The times of each peer's requests in the last second.
    requests: HashMap<PeerId, VecDeque<Instant>>,
    flooding: HashSet<PeerId>,
    banned: HashMap<PeerId, Instant>,
    connected: HashSet<PeerId>,
    /// Peers mDNS found, with an address and when to dial them again while
    /// they are not connected: a first dial may fail while the link comes
    /// up, and mDNS tells of a peer only once.
    lan: HashMap<PeerId, (Multiaddr, Instant)>,
}

/// How long after a failed or lost connection a peer mDNS found is dialled
/// again.
const LAN_REDIAL: Duration = Duration::from_secs(2);

async fn run_async(
    config: NetConfig,
    to_store: Sender<FromNet>,
    mut from_store: UnboundedReceiver<ToNet>,
) -> Result<(), NetError> {
    let start = |e: &dyn std::fmt::Display| NetError::Start(e.to_string());
    let mdns_on = config.mdns;
    let timeout = config.request_timeout;
    let swarm = libp2p::SwarmBuilder::with_existing_identity(config.key.clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| start(&e))?
        .with_behaviour(|key| {
            let peer_id = key.public().to_peer_id();
            let mdns = match mdns_on {
                true => Some(mdns::tokio::Behaviour::new(
                    mdns::Config {
                        query_interval: Duration::from_secs(5),
                        ..mdns::Config::default()
                    },
                    peer_id,
                )?),
                false => None,
            };
            Ok(Behaviour {
                sync: request_response::Behaviour::with_codec(
                    SyncCodec,
                    [(StreamProtocol::new(PROTOCOL), ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(timeout)
                        .with_max_concurrent_streams(MAX_STREAMS),
                ),
                identify: identify::Behaviour::new(identify::Config::new(
                    "/pandafest/1".into(),
                    key.public(),
                )),
                mdns: mdns.into(),
            })
        })
        .map_err(|e| start(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build();
    let mut net = Net {
        swarm,
        to_store,
        next_dial: vec![Some(Instant::now()); config.peers.len()],
        targets: config.peers,
        redial: config.redial,
        dialing: HashMap::new(),
        target_of: HashMap::new(),
        outbound: HashMap::new(),
        requests: HashMap::new(),
        flooding: HashSet::new(),
        banned: HashMap::new(),
        connected: HashSet::new(),
        lan: HashMap::new(),
    };
    for addr in config.listen {
        net.swarm
            .listen_on(addr.clone())
            .map_err(|e| NetError::Listen {
                addr,
                reason: e.to_string(),
            })?;
    }
    net.dial_due();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let signals = config.signals;
    let mut terminate = match signals {
        true => Some(
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(|e| start(&e))?,
        ),
        false => None,
    };
    let mut shutting_down = false;
    loop {
        tokio::select! {
            event = net.swarm.select_next_some() => net.on_event(event),
            message = from_store.recv() => match message {
                None | Some(ToNet::Stop) => {
                    net.close().await;
                    return Ok(());
                }
                Some(message) => net.on_message(message),
            },
            _ = tick.tick() => net.dial_due(),
            _ = tokio::signal::ctrl_c(), if signals && !shutting_down => {
                shutting_down = true;
                let _ = net.to_store.send(FromNet::Shutdown);
            }
            _ = async { terminate.as_mut().expect("with signals").recv().await }, if signals && !shutting_down => {
                shutting_down = true;
                let _ = net.to_store.send(FromNet::Shutdown);
            }
        }
    }
}

impl Net {
    /// Closes every connection and waits (up to a second) until they are
    /// closed, so that what was last sent is read on the other side
    /// rather than lost to a reset.
    async fn close(&mut self) {
        let peers: Vec<PeerId> = self.connected.iter().copied().collect();
        for peer in peers {
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        let deadline = tokio::time::sleep(Duration::from_secs(1));
        tokio::pin!(deadline);
        while !self.connected.is_empty() {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_event(event),
                _ = &mut deadline => return,
            }
        }
    }

    fn send(&self, message: FromNet) {
        let _ = self.to_store.send(message);
    }

    fn is_banned(&mut self, peer: &PeerId) -> bool {
        match self.banned.get(peer) {
            Some(until) if *until > Instant::now() => true,
            Some(_) => {
                self.banned.remove(peer);
                false
            }
            None => false,
        }
    }

    /// Dials the `--peer` addresses that are due.
    fn dial_due(&mut self) {
        let now = Instant::now();
        let due: Vec<(PeerId, Multiaddr)> = self
            .lan
            .iter()
            .filter(|(peer, (_, at))| *at <= now && !self.connected.contains(peer))
            .map(|(peer, (addr, _))| (*peer, addr.clone()))
            .collect();
        for (peer, addr) in due {
            if self.is_banned(&peer) {
                continue;
            }
            if let Some(entry) = self.lan.get_mut(&peer) {
                entry.1 = now + LAN_REDIAL;
            }
            let _ = self
                .swarm
                .dial(DialOpts::peer_id(peer).addresses(vec![addr]).build());
        }
        for index in 0..self.targets.len() {
            if self.next_dial[index].is_none_or(|at| at > now) {
                continue;
            }
            self.next_dial[index] = None;
            let addr = self.targets[index].clone();
            let opts: DialOpts = addr.clone().into();
            if let Some(peer) = opts.get_peer_id() {
                if self.is_banned(&peer) {
                    // Dialled again once the ban is over.
                    self.next_dial[index] = self.banned.get(&peer).copied();
                    continue;
                }
                if self.connected.contains(&peer) {
                    continue;
                }
            }
            let id = opts.connection_id();
            match self.swarm.dial(opts) {
                Ok(()) => {
                    self.dialing.insert(id, index);
                }
                Err(e) => {
                    let me = *self.swarm.local_peer_id();
                    self.dial_failed(index, dial_error(&e, &me));
                }
            }
        }
    }

    fn dial_failed(&mut self, index: usize, error: String) {
        if self.redial {
            tracing::info!("cannot connect to {}: {error}", self.targets[index]);
            self.next_dial[index] = Some(Instant::now() + Duration::from_secs(5));
        }
        self.send(FromNet::DialFailed {
            target: index,
            error,
        });
    }

    fn on_message(&mut self, message: ToNet) {
        match message {
            ToNet::Send {
                peer,
                request,
                festival,
            } => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.outbound.insert(id, festival);
            }
            ToNet::Respond { channel, response } => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, response);
            }
            ToNet::Disconnect { peer, ban } => {
                if let Some(ban) = ban {
                    self.banned.insert(peer, Instant::now() + ban);
                }
                let _ = self.swarm.disconnect_peer_id(peer);
            }
            ToNet::Stop => {}
        }
    }

    /// Counts a request of `peer`; false once it sends more than
    /// [`MAX_REQUESTS_PER_SECOND`].
    fn within_rate(&mut self, peer: PeerId) -> bool {
        let now = Instant::now();
        let times = self.requests.entry(peer).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(1))
        {
            times.pop_front();
        }
        times.push_back(now);
        times.len() <= MAX_REQUESTS_PER_SECOND
    }

    fn on_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                let me = *self.swarm.local_peer_id();
                self.send(FromNet::Listening(
                    address.with(libp2p::multiaddr::Protocol::P2p(me)),
                ));
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                num_established,
                ..
            } => {
                let target = self.dialing.remove(&connection_id);
                if peer_id == *self.swarm.local_peer_id() {
                    // A copy of this directory, with its node key, at the
                    // other end: neither can tell the other apart.
                    let _ = self.swarm.close_connection(connection_id);
                    match target {
                        Some(index) => self.dial_failed(index, COPIED_KEY.into()),
                        None => tracing::warn!(
                            "a peer at {} has this node's own id: {COPIED_KEY}",
                            endpoint.get_remote_address()
                        ),
                    }
                    return;
                }
                if let Some(target) = target {
                    self.target_of.insert(peer_id, target);
                }
                if self.is_banned(&peer_id) {
                    tracing::info!("peer {peer_id} is banned for a while: disconnecting");
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                    return;
                }
                if num_established.get() == 1 {
                    self.connected.insert(peer_id);
                    self.send(FromNet::Connected {
                        peer: peer_id,
                        addr: endpoint.get_remote_address().clone(),
                        dialer: endpoint.is_dialer(),
                        target,
                    });
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } if self.connected.remove(&peer_id) => {
                self.flooding.remove(&peer_id);
                if let Some(index) = self.target_of.remove(&peer_id)
                    && self.redial
                {
                    self.next_dial[index] = Some(Instant::now() + Duration::from_secs(2));
                }
                self.send(FromNet::Disconnected { peer: peer_id });
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                error,
                ..
            } => {
                if let Some(index) = self.dialing.remove(&connection_id) {
                    let me = *self.swarm.local_peer_id();
                    self.dial_failed(index, dial_error(&error, &me));
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                let me = *self.swarm.local_peer_id();
                for (peer, addr) in found {
                    if peer == me || self.connected.contains(&peer) || self.is_banned(&peer) {
                        continue;
                    }
                    tracing::info!("found {peer} at {addr} by mDNS");
                    self.lan
                        .insert(peer, (addr.clone(), Instant::now() + LAN_REDIAL));
                    let _ = self
                        .swarm
                        .dial(DialOpts::peer_id(peer).addresses(vec![addr]).build());
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync(event),
            _ => {}
        }
    }

    fn on_sync(&mut self, event: request_response::Event<Request, Response>) {
        use request_response::{Event, Message};
        match event {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                if !self.within_rate(peer) {
                    // The channel is dropped: the peer's stream closes
                    // without an answer.
                    if self.flooding.insert(peer) {
                        self.send(FromNet::Misbehaved {
                            peer,
                            error: format!(
                                "floods requests: more than {MAX_REQUESTS_PER_SECOND} in one second"
                            ),
                        });
                    }
                    return;
                }
                self.send(FromNet::Request {
                    peer,
                    request,
                    channel,
                });
            }
            Event::Message {
                peer,
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                let festival = self.outbound.remove(&request_id).flatten();
                self.send(FromNet::Response {
                    peer,
                    festival,
                    response,
                });
            }
            Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                let festival = self.outbound.remove(&request_id).flatten();
                self.send(FromNet::Failed {
                    peer,
                    festival,
                    error: error.to_string(),
                });
            }
            Event::InboundFailure { peer, error, .. } => {
                use request_response::InboundFailure;
                match error {
                    // The answer was dropped on purpose (a flood), or the
                    // peer went away: nothing to add.
                    InboundFailure::ResponseOmission | InboundFailure::ConnectionClosed => {}
                    error => self.send(FromNet::Misbehaved {
                        peer,
                        error: error.to_string(),
                    }),
                }
            }
            Event::ResponseSent { peer, .. } => self.send(FromNet::Sent { peer }),
        }
    }
}
