use std::path::Path;
use std::process::ExitCode;

use pandafest::festival_dir::FestivalDir;

pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    let key = FestivalDir::init(dir)?;
    println!("created {} with key {}", dir.display(), key.public_key());
    Ok(ExitCode::SUCCESS)
}
