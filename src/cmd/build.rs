use std::path::Path;
use std::process::ExitCode;

use pandafest::festival_dir::FestivalDir;
use pandafest::pipeline::build_site;

pub fn run(dir: &Path, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mut festival = FestivalDir::open(dir)?;
    let out = output.map_or_else(|| dir.join("public"), Path::to_path_buf);
    // The feeds (calendar.ics, schedule.xml/json) are written inside
    // build_site, next to the pages; see `// feeds:` there.
    let summary = build_site(&mut festival, &out, super::progress::bar)?;
    for line in summary.report.lines() {
        eprintln!("{line}");
    }
    println!("built {} pages into {}", summary.pages, out.display());
    Ok(ExitCode::SUCCESS)
}
