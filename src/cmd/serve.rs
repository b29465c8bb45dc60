use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pandafest::serve::{ServeOptions, serve};

use crate::cli::NodeArgs;

pub struct Args {
    pub port: u16,
    pub bind: IpAddr,
    pub output: Option<PathBuf>,
    pub replicate: bool,
    pub node: NodeArgs,
}

pub fn run(dir: &Path, args: Args, key: Option<&Path>) -> anyhow::Result<ExitCode> {
    let node = &args.node;
    if !args.replicate
        && (!node.listen.is_empty()
            || !node.peers.is_empty()
            || node.no_mdns
            || node.festival.is_some())
    {
        anyhow::bail!("--listen, --peer, --no-mdns and --festival go with --replicate");
    }
    let replicate = match args.replicate {
        true => Some(super::replicate::node_options(dir, node, key)?),
        false => None,
    };
    let options = ServeOptions {
        bind: args.bind,
        port: args.port,
        output: args.output,
        replicate,
    };
    serve(dir, options, |url| {
        println!("serving {url} (the screen: {url}screen/); Ctrl-C stops");
        let _ = std::io::stdout().flush();
    })?;
    Ok(ExitCode::SUCCESS)
}
