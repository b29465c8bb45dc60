//! `pandafest serve`: builds the site, serves it with tiny_http, and
//! rebuilds it when `pandafest.toml`, `templates/`, the theme or `logs/`
//! change or the store announces new entries. The last good site is
//! served while a rebuild runs and when one fails; a failure is printed
//! and shown as a banner in open pages. This module only wires the
//! server ([`front`], [`http`], [`live`]), the watcher ([`watch`]) and the build
//! driver ([`crate::pipeline`]) together.

pub mod front;
pub mod http;
pub mod live;
pub mod watch;

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::ProgressBar;

use crate::festival_dir::FestivalDir;
use crate::pipeline::{Rebuilt, SiteState, theme_dir};
use http::SiteFiles;
use live::{Live, LiveEvent};
use watch::{Change, Watch};

/// How many threads answer requests.
pub const WORKERS: usize = 8;

/// How often the store is asked whether another connection committed.
pub const STORE_POLL: Duration = Duration::from_millis(25);

/// How often open event streams get a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The most changed files a rebuild lists to the pages; above it every
/// page reloads.
pub const MAX_LISTED: usize = 2000;

/// Where and how to serve.
pub struct ServeOptions {
    /// The address to listen on.
    pub bind: IpAddr,
    /// The port; 0 picks a free one.
    pub port: u16,
    /// The site directory (default `DIR/public`).
    pub output: Option<PathBuf>,
    /// `--replicate`: a node ([`crate::replicate::run`], in
    /// [`crate::replicate::Mode::Node`]) in this process, on a thread of
    /// its own with its own connection to the store. What it takes in
    /// from peers is announced by the store like any other writer's
    /// entries, and the site is rebuilt. When it stops (Ctrl-C, SIGTERM),
    /// serve stops too.
    pub replicate: Option<crate::replicate::Options>,
}

/// Builds and serves the festival directory `root` until the process
/// ends; `ready` gets the site's URL once it is served.
///
/// Errors: the directory cannot be opened, the address cannot be bound,
/// or the watcher cannot start. A failing build is no error: it is
/// printed and shown in the pages, and serve goes on.
pub fn serve(
    root: &Path,
    mut options: ServeOptions,
    ready: impl FnOnce(&str),
) -> anyhow::Result<()> {
    let mut dir = FestivalDir::open(root)?;
    let out = options
        .output
        .clone()
        .unwrap_or_else(|| root.join("public"));
    let live = Arc::new(Live::default());
    let mut state = None;
    let mut seen = dir.store.data_version()?;
    rebuild(&mut dir, &out, &live, &mut state, &[]);
    let files = Arc::new(SiteFiles::new(out.clone()));
    let address = SocketAddr::new(options.bind, options.port);
    let listener =
        TcpListener::bind(address).with_context(|| format!("cannot listen on {address}"))?;
    let bound = listener.local_addr()?;
    // tiny_http listens on a private Unix socket behind the bounded front.
    let private = tempfile::Builder::new()
        .prefix("pandafest-serve-")
        .tempdir()
        .context("cannot make serve's private directory")?;
    let socket = private.path().join("http.sock");
    let inner = UnixListener::bind(&socket)
        .with_context(|| format!("cannot listen on {}", socket.display()))?;
    let server = Arc::new(
        tiny_http::Server::from_listener(inner, None)
            .map_err(|e| anyhow::anyhow!("cannot serve on {}: {e}", socket.display()))?,
    );
    std::thread::Builder::new()
        .name("front".into())
        .spawn(move || front::run(listener, socket, front::Limits::standard()))?;
    for n in 0..WORKERS {
        let (server, files, live) = (server.clone(), files.clone(), live.clone());
        std::thread::Builder::new()
            .name(format!("http-{n}"))
            .spawn(move || {
                for request in server.incoming_requests() {
                    route(&files, &live, request);
                }
            })?;
    }
    {
        let live = live.clone();
        std::thread::Builder::new()
            .name("keep-alive".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(KEEP_ALIVE);
                    live.keep_alive();
                }
            })?;
    }
    let mut theme = theme_dir(&dir.root, dir.config.theme()).ok().flatten();
    let mut watch = Watch::start(&dir.root, theme.as_deref(), &out)?;
    let node =
        match options.replicate.take() {
            Some(node) => Some(std::thread::Builder::new().name("node".into()).spawn(
                move || crate::replicate::run(node, &mut |line| eprintln!("{line}")).map(|_| ()),
            )?),
            None => None,
        };
    ready(&format!("http://{bound}/"));
    let _private = private;
    loop {
        if node.as_ref().is_some_and(|n| n.is_finished()) {
            // Stopped by Ctrl-C or SIGTERM (its handler took them), or
            // failed: the store is consistent and logs/ rewritten.
            return match node.expect("checked").join() {
                Ok(outcome) => outcome.context("the replicating node stopped"),
                Err(_) => Err(anyhow::anyhow!("the replicating node's thread panicked")),
            };
        }
        let mut changes = watch.next(STORE_POLL);
        // The store announces entries that another connection committed
        // (an authoring command, a policy, another process); the builder's
        // own writes do not count. Entries committed while a build ran are
        // seen on the next round.
        if dir.store.data_version()? != seen {
            // An authoring command rewrites logs/ after it committed: let
            // it finish first.
            changes.extend(watch.next(watch::QUIET));
            changes.push(Change::Store);
        }
        if changes.is_empty() {
            continue;
        }
        tracing::info!(?changes, "rebuilding");
        seen = dir.store.data_version()?;
        if changes.contains(&Change::Config) {
            match FestivalDir::open(root) {
                Ok(reopened) => {
                    dir = reopened;
                    seen = dir.store.data_version()?;
                    // Another theme named: watch that one instead.
                    let named = theme_dir(&dir.root, dir.config.theme()).ok().flatten();
                    if named != theme {
                        theme = named;
                        watch = Watch::start(&dir.root, theme.as_deref(), &out)?;
                    }
                }
                Err(e) => {
                    report_failure(&live, &anyhow::Error::from(e));
                    continue;
                }
            }
        }
        rebuild(&mut dir, &out, &live, &mut state, &changes);
    }
}

/// Answers one request: serve's own files under
/// [`http::OWN_PREFIX`], else a site file.
fn route(files: &SiteFiles, live: &Live, request: tiny_http::Request) {
    let path = request.url().split('?').next().unwrap_or("").to_owned();
    match path.as_str() {
        "/_pandafest/events" => live.open(request),
        "/_pandafest/live.js" => {
            let response = http::plain(
                200,
                "text/javascript; charset=utf-8",
                live::LIVE_JS.as_bytes().to_vec(),
            )
            .with_header(
                tiny_http::Header::from_bytes(&b"Cache-Control"[..], &b"no-cache"[..])
                    .expect("valid header"),
            );
            let _ = request.respond(response);
        }
        p if p.starts_with(http::OWN_PREFIX) => {
            let _ = request.respond(http::not_found(p));
        }
        _ => http::answer(files, request, true),
    }
}

/// Brings the site at `out` up to date after `changes` (none: the first
/// build): incrementally ([`SiteState::update`]) after new entries, whole
/// after a change of the settings, templates or theme, or when there is no
/// site yet. Then tells the open pages what changed, or why it failed.
fn rebuild(
    dir: &mut FestivalDir,
    out: &Path,
    live: &Live,
    state: &mut Option<SiteState>,
    changes: &[Change],
) {
    let started = Instant::now();
    let whole = changes
        .iter()
        .any(|c| matches!(c, Change::Config | Change::Templates | Change::Theme));
    let rebuilt = match state {
        Some(state) if whole => state.rebuild_whole(dir),
        Some(state) => state.update(dir),
        None => SiteState::build(dir, out, |_| ProgressBar::hidden()).map(|(built, summary)| {
            let rebuilt = Rebuilt {
                changed: Vec::new(),
                pages: summary.pages,
                whole: Some(summary),
            };
            *state = Some(built);
            rebuilt
        }),
    };
    match rebuilt {
        Ok(rebuilt) => {
            let report = rebuilt.whole.iter().flat_map(|s| s.report.lines());
            for line in report.filter(|l| !l.starts_with("ingested")) {
                eprintln!("{line}");
            }
            let changed = rebuilt.changed;
            eprintln!(
                "{} {} pages in {} ms; {} files changed",
                if rebuilt.whole.is_some() {
                    "built"
                } else {
                    "rebuilt"
                },
                rebuilt.pages,
                started.elapsed().as_millis(),
                changed.len()
            );
            let screen = std::fs::read(out.join(crate::screen::VERSION_PATH))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| v["version"].as_str().map(str::to_owned))
                .unwrap_or_default();
            live.send(&LiveEvent::Status { error: None });
            live.send(&LiveEvent::Rebuilt {
                changed: (changed.len() <= MAX_LISTED).then_some(changed),
                screen,
            });
        }
        Err(e) => report_failure(live, &anyhow::Error::from(e)),
    }
}

fn report_failure(live: &Live, error: &anyhow::Error) {
    let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
    eprintln!(
        "rebuild failed; serving the last good site:\n  {}",
        chain.join("\n  ")
    );
    live.send(&LiveEvent::Status {
        error: Some(chain.join("\n")),
    });
}
