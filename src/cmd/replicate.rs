//! `sync`, `node` and `peers`: wiring only; the logic is
//! `pandafest::replicate`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use libp2p::Multiaddr;
use pandafest::entry::{DocumentId, KeyPair, key_path};
use pandafest::replicate::{Mode, Options, PeerSummary, default_listen, run};
use pandafest::store::{Store, store_path};

use crate::cli::NodeArgs;

fn addrs(list: &[String], what: &str) -> anyhow::Result<Vec<Multiaddr>> {
    list.iter()
        .map(|text| {
            text.parse().with_context(|| {
                format!("{what} `{text}` is not a multiaddr such as /ip4/192.168.1.7/tcp/4111")
            })
        })
        .collect()
}

fn festival(text: Option<&str>) -> anyhow::Result<Option<DocumentId>> {
    text.map(|t| {
        t.parse()
            .map_err(|e| anyhow::anyhow!("--festival `{t}` is not a festival id: {e}"))
    })
    .transpose()
}

/// Parses `30s`, `2m`, `1h` or a number of seconds.
fn duration(text: &str) -> anyhow::Result<Duration> {
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "s"), |at| text.split_at(at));
    let n: u64 = number
        .parse()
        .with_context(|| format!("--timeout `{text}` is not a duration such as 30s or 2m"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => bail!("--timeout `{text}`: the unit must be s, m or h"),
    };
    Ok(Duration::from_secs(seconds))
}

fn key(key: Option<&Path>) -> PathBuf {
    key.map_or_else(|| key_path(Path::new(".")), Path::to_path_buf)
}

fn print(summary: &PeerSummary) {
    let who = match summary.peer {
        Some(peer) if !summary.addr.contains(&peer.to_string()) => {
            format!("{} ({peer})", summary.addr)
        }
        _ => summary.addr.clone(),
    };
    let counts = format!(
        "received {}, sent {}, rejected {}; requests sent {}, answered {}",
        summary.received, summary.sent, summary.rejected, summary.requests, summary.served
    );
    match &summary.failed {
        None => println!("peer {who}: {counts}"),
        Some(why) => println!("peer {who}: failed: {why} ({counts})"),
    }
}

pub fn sync(
    peers: &[String],
    festival_id: Option<&str>,
    timeout: &str,
    key_file: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let options = Options {
        root: PathBuf::from("."),
        key_path: key(key_file),
        listen: Vec::new(),
        peers: addrs(peers, "--peer")?,
        mdns: false,
        festival: festival(festival_id)?,
        mode: Mode::Sync {
            timeout: duration(timeout)?,
        },
    };
    let summaries = run(options, &mut |line| eprintln!("{line}"))?;
    let mut failed = false;
    for summary in &summaries {
        print(summary);
        failed |= summary.failed.is_some();
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// What `pandafest node` (and `serve --replicate`) runs in `root`.
pub fn node_options(
    root: &Path,
    node: &NodeArgs,
    key_file: Option<&Path>,
) -> anyhow::Result<Options> {
    let mut listen = addrs(&node.listen, "--listen")?;
    if listen.is_empty() {
        listen.push(default_listen());
    }
    Ok(Options {
        root: root.to_path_buf(),
        key_path: key_file.map_or_else(|| key_path(root), Path::to_path_buf),
        listen,
        peers: addrs(&node.peers, "--peer")?,
        mdns: !node.no_mdns,
        festival: festival(node.festival.as_deref())?,
        mode: Mode::Node,
    })
}

pub fn node(node: &NodeArgs, key_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let options = node_options(Path::new("."), node, key_file)?;
    let summaries = run(options, &mut |line| eprintln!("{line}"))?;
    for summary in &summaries {
        print(summary);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn peers(key_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let store = Store::open(&store_path(Path::new(".")))?;
    let me = match KeyPair::load(&key(key_file)) {
        Ok(key) => Some(key.public_key()),
        Err(_) => None,
    };
    let reader = store.read();
    let rows = reader.peers()?;
    if rows.is_empty() {
        eprintln!("no peers recorded yet: run `pandafest node` or `pandafest sync`");
    }
    let mine: u64 = match me {
        Some(me) => reader
            .logs()?
            .iter()
            .filter(|l| l.author == me)
            .map(|l| l.height)
            .sum(),
        None => 0,
    };
    let time = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0).map_or_else(
            || t.to_string(),
            |d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
    };
    for row in rows {
        let holds = match me {
            Some(me) => format!(
                "holds {} of your {mine} entries",
                reader.peer_holds_of(&row.peer, &me)?
            ),
            None => "no key here".into(),
        };
        println!(
            "{}  {}  last seen {}  last synced {}  received {}  sent {}  {holds}",
            row.peer,
            row.addr,
            time(row.last_seen),
            row.last_synced.map_or_else(|| "never".into(), time),
            row.received,
            row.sent
        );
    }
    Ok(ExitCode::SUCCESS)
}
