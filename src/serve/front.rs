//! The bounded front of serve. tiny_http has no timeouts and gives every
//! connection a thread of its own, so clients do not reach it directly:
//! one thread here accepts them and relays their bytes (`poll(2)`, no
//! thread per client) to tiny_http on a private Unix socket, opening that
//! inner connection only once a client has sent something. So idle
//! connections cost a file descriptor and no thread; at most
//! [`Limits::inner`] inner connections (tiny_http threads) exist at
//! once; a client that is idle for [`Limits::idle`], or gets no answer
//! byte within [`Limits::answer`] of asking, is closed; and when a limit
//! is reached the longest idle connection gives way (or the new one is
//! refused with 503).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The front's limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Open client connections, idle ones included.
    pub clients: usize,
    /// Inner connections to tiny_http: its threads.
    pub inner: usize,
    /// A connection with no byte either way for this long is closed.
    pub idle: Duration,
    /// A client that asked and got no byte back for this long is closed
    /// (a request that never ends, a slow reader of its own request).
    pub answer: Duration,
}

impl Limits {
    /// The limits serve uses: 256 inner connections, clients as the file
    /// descriptor limit allows (at most 4096), 30 s idle (event streams
    /// get a keep-alive every 10 s), 10 s to a first answer byte.
    pub fn standard() -> Limits {
        Limits {
            clients: (raise_fd_limit().saturating_sub(300) / 2).clamp(64, 4096),
            inner: 256,
            idle: Duration::from_secs(30),
            answer: Duration::from_secs(10),
        }
    }
}

/// Raises the soft limit on open files to the hard one; returns the
/// soft limit then in force.
fn raise_fd_limit() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        let wanted = libc::rlimit {
            rlim_cur: limit.rlim_max.min(65536),
            rlim_max: limit.rlim_max,
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
            limit = wanted;
        }
    }
    limit.rlim_cur as usize
}

/// How many bytes wait at most in each direction of a connection.
const BUFFER: usize = 64 * 1024;

const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\nRetry-After: 1\r\nConnection: close\r\n\r\ntoo busy now\n";

struct Conn {
    client: TcpStream,
    inner: Option<UnixStream>,
    to_inner: Vec<u8>,
    to_client: Vec<u8>,
    last: Instant,
    /// Since when the client waits for a byte of an answer.
    asked: Option<Instant>,
    client_done: bool,
    inner_done: bool,
    inner_shut: bool,
    closed: bool,
}

impl Conn {
    fn idle_for(&self, now: Instant) -> Duration {
        now.duration_since(self.last)
    }
}

/// Relays the clients of `listener` to tiny_http at the Unix socket
/// `inner`, within `limits`, until the process ends.
pub fn run(listener: TcpListener, inner: PathBuf, limits: Limits) {
    if let Err(e) = listener.set_nonblocking(true) {
        tracing::error!("the front cannot work: {e}");
        return;
    }
    let mut conns: Vec<Conn> = Vec::new();
    let mut fds: Vec<libc::pollfd> = Vec::new();
    loop {
        fds.clear();
        fds.push(pollfd(listener.as_raw_fd(), libc::POLLIN));
        for c in &conns {
            let mut want = 0;
            if !c.client_done && c.to_inner.len() < BUFFER {
                want |= libc::POLLIN;
            }
            if !c.to_client.is_empty() {
                want |= libc::POLLOUT;
            }
            fds.push(pollfd(c.client.as_raw_fd(), want));
            let mut want = 0;
            match &c.inner {
                Some(inner) if !c.inner_done => {
                    if c.to_client.len() < BUFFER {
                        want |= libc::POLLIN;
                    }
                    if !c.to_inner.is_empty() {
                        want |= libc::POLLOUT;
                    }
                    fds.push(pollfd(inner.as_raw_fd(), want));
                }
                // poll skips a negative descriptor.
                _ => fds.push(pollfd(-1, 0)),
            }
        }
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 500) };
        if ready < 0 {
            let error = std::io::Error::last_os_error();
            if error.kind() != ErrorKind::Interrupted {
                tracing::error!("the front's poll failed: {error}");
                std::thread::sleep(Duration::from_millis(100));
            }
            continue;
        }
        let now = Instant::now();
        let mut open_inner = conns.iter().filter(|c| c.inner.is_some()).count();
        for (i, c) in conns.iter_mut().enumerate() {
            let (client_events, inner_events) = (fds[1 + 2 * i].revents, fds[2 + 2 * i].revents);
            step(c, client_events, inner_events, now, &mut open_inner);
        }
        // Client connections that asked but find no inner slot evict the
        // longest idle one, or are refused.
        let mut waiting: Vec<usize> = (0..conns.len())
            .filter(|&i| {
                let c = &conns[i];
                !c.closed && c.inner.is_none() && !c.to_inner.is_empty()
            })
            .collect();
        waiting.sort_by_key(|&i| conns[i].last);
        for i in waiting {
            if open_inner >= limits.inner {
                match oldest(&conns, now, |c| c.inner.is_some()) {
                    Some(victim) => {
                        conns[victim].closed = true;
                        open_inner -= 1;
                    }
                    None => {
                        let _ = conns[i].client.write(REFUSED);
                        conns[i].closed = true;
                        continue;
                    }
                }
            }
            match UnixStream::connect(&inner).and_then(|s| s.set_nonblocking(true).map(|()| s)) {
                Ok(stream) => {
                    conns[i].inner = Some(stream);
                    open_inner += 1;
                }
                Err(e) => {
                    tracing::warn!("the front cannot reach the server: {e}");
                    let _ = conns[i].client.write(REFUSED);
                    conns[i].closed = true;
                }
            }
        }
        for c in &mut conns {
            let asked_too_long = c
                .asked
                .is_some_and(|at| now.duration_since(at) > limits.answer);
            if c.idle_for(now) > limits.idle || asked_too_long {
                c.closed = true;
            }
        }
        conns.retain(|c| {
            if c.closed {
                let _ = c.client.shutdown(Shutdown::Both);
            }
            !c.closed
        });
        if fds[0].revents & libc::POLLIN != 0 {
            accept_all(&listener, &mut conns, now, &limits);
        }
    }
}

fn pollfd(fd: i32, events: i16) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// The connection idle the longest (at least a second) among those
/// `which` picks.
fn oldest(conns: &[Conn], now: Instant, which: impl Fn(&Conn) -> bool) -> Option<usize> {
    (0..conns.len())
        .filter(|&i| !conns[i].closed && which(&conns[i]))
        .filter(|&i| conns[i].idle_for(now) >= Duration::from_secs(1))
        .max_by_key(|&i| conns[i].idle_for(now))
}

fn accept_all(listener: &TcpListener, conns: &mut Vec<Conn>, now: Instant, limits: &Limits) {
    loop {
        let client = match listener.accept() {
            Ok((client, _)) => client,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) => {
                tracing::warn!("accepting a connection: {e}");
                return;
            }
        };
        if conns.len() >= limits.clients {
            match oldest(conns, now, |_| true) {
                Some(victim) => {
                    let _ = conns[victim].client.shutdown(Shutdown::Both);
                    conns.swap_remove(victim);
                }
                None => {
                    let _ = client.set_nonblocking(true);
                    let _ = (&client).write(REFUSED);
                    continue;
                }
            }
        }
        if client.set_nonblocking(true).is_err() {
            continue;
        }
        let _ = client.set_nodelay(true);
        conns.push(Conn {
            client,
            inner: None,
            to_inner: Vec::new(),
            to_client: Vec::new(),
            last: now,
            asked: None,
            client_done: false,
            inner_done: false,
            inner_shut: false,
            closed: false,
        });
    }
}

/// Moves the bytes one poll round allows for `c`.
fn step(c: &mut Conn, client_events: i16, inner_events: i16, now: Instant, open_inner: &mut usize) {
    let broken = libc::POLLERR | libc::POLLNVAL;
    if client_events & broken != 0 {
        c.closed = true;
    }
    let mut buffer = [0u8; 16 * 1024];
    if client_events & (libc::POLLIN | libc::POLLHUP) != 0 && !c.client_done {
        let room = BUFFER.saturating_sub(c.to_inner.len()).min(buffer.len());
        match c.client.read(&mut buffer[..room.max(1)]) {
            Ok(0) => c.client_done = true,
            Ok(n) => {
                c.to_inner.extend_from_slice(&buffer[..n]);
                c.last = now;
                c.asked.get_or_insert(now);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => {
                tracing::debug!("front: client read failed: {e}");
                c.closed = true
            }
        }
    }
    if let Some(inner) = &mut c.inner {
        if inner_events & (libc::POLLIN | libc::POLLHUP) != 0 && !c.inner_done {
            let room = BUFFER.saturating_sub(c.to_client.len()).min(buffer.len());
            match inner.read(&mut buffer[..room.max(1)]) {
                Ok(0) => c.inner_done = true,
                Ok(n) => {
                    c.to_client.extend_from_slice(&buffer[..n]);
                    c.last = now;
                    c.asked = None;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => {
                    tracing::debug!("front: inner read failed: {e}");
                    c.inner_done = true
                }
            }
        }
        if !c.to_inner.is_empty() {
            match inner.write(&c.to_inner) {
                Ok(n) => {
                    c.to_inner.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => c.closed = true,
            }
        }
        if c.client_done && c.to_inner.is_empty() && !c.inner_shut {
            let _ = inner.shutdown(Shutdown::Write);
            c.inner_shut = true;
        }
    }
    if !c.to_client.is_empty() {
        match c.client.write(&c.to_client) {
            Ok(n) => {
                c.to_client.drain(..n);
                c.last = now;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => c.closed = true,
        }
    }
    let drained = c.to_client.is_empty();
    if c.inner_done && drained && !c.client_done {
        tracing::debug!(
            pending = c.to_inner.len(),
            asked = c.asked.is_some(),
            "front: the server closed a connection the client keeps open"
        );
    }
    if (c.inner_done && drained) || (c.client_done && c.inner.is_none()) {
        c.closed = true;
    }
    if c.closed && c.inner.is_some() {
        *open_inner -= 1;
    }
}
