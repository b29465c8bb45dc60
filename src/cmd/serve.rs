use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pandafest::serve::{ServeOptions, serve};

pub fn run(
    dir: &Path,
    port: u16,
    bind: IpAddr,
    output: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let options = ServeOptions { bind, port, output };
    serve(dir, &options, |url| {
        println!("serving {url} (the screen: {url}screen/); Ctrl-C stops");
        let _ = std::io::stdout().flush();
    })?;
    Ok(ExitCode::SUCCESS)
}
