//! `pandafest verify`: re-verify an archive's logs, rebuild its site with
//! the recorded settings and compare every file byte for byte.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use indicatif::ProgressBar;
use walkdir::WalkDir;

use super::{ArchiveError, ArchiveSource, SiteLocation};
use crate::bundle::SiteRecord;
use crate::festival_dir::{CONFIG_FILE, Config, FestivalDir};
use crate::ingest::{IngestReport, ingest};
use crate::pipeline::build_site;
use crate::render::theme_fingerprint;

/// What `verify` found.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// The re-verification of every entry.
    pub report: IngestReport,
    /// Why the site was not compared, if it was not (another pandafest
    /// version, an unknown theme, no site record, no site).
    pub not_compared: Option<String>,
    /// Files whose bytes differ from the rebuild.
    pub differing: Vec<String>,
    /// Files the rebuild has and the site lacks.
    pub missing: Vec<String>,
    /// Files the site has and the rebuild lacks (directory sites only).
    pub extra: Vec<String>,
    /// Files compared.
    pub compared: usize,
    /// Whether files beyond the rebuild's could not be looked for: a web
    /// server cannot list its files, so over HTTP files that exist only on
    /// the server are not checked.
    pub extra_unchecked: bool,
}

impl VerifyReport {
    /// Whether the logs verified and every file matched. A fork is no
    /// fault of the archive: its proof is in the logs, and the site shows
    /// it; only rejected entries and differing files are.
    pub fn is_verified(&self) -> bool {
        self.report.rejected.is_empty()
            && self.not_compared.is_none()
            && self.differing.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
    }

    /// One line per finding, then a summary line. Over HTTP the summary
    /// ends in "; files that exist only on the server were not checked".
    pub fn lines(&self) -> Vec<String> {
        let mut lines = self.report.lines();
        if let Some(reason) = &self.not_compared {
            lines.push(format!("site not compared: {reason}"));
        }
        lines.extend(self.differing.iter().map(|f| format!("differs: {f}")));
        lines.extend(self.missing.iter().map(|f| format!("missing: {f}")));
        lines.extend(self.extra.iter().map(|f| format!("extra: {f}")));
        let mut summary = if self.is_verified() {
            format!(
                "verified: every entry, and all {} files match the rebuild byte for byte",
                self.compared
            )
        } else {
            format!(
                "NOT verified: {} differing, {} missing, {} extra of {} files compared",
                self.differing.len(),
                self.missing.len(),
                self.extra.len(),
                self.compared
            )
        };
        if self.extra_unchecked {
            summary.push_str("; files that exist only on the server were not checked");
        }
        lines.push(summary);
        lines
    }
}

/// The largest site file fetched for comparison, in bytes.
const MAX_SITE_FILE: u64 = 256 * 1024 * 1024;

/// Verifies `source`: ingests every entry into a fresh store, rebuilds the
/// site in a temporary directory with the pandafest version, theme and
/// settings its manifest records, and compares every file.
///
/// Errors: [`ArchiveError`] if the rebuild cannot run; everything wrong with
/// the archive itself is in the report.
pub fn verify_archive(
    source: &ArchiveSource,
    progress: ProgressBar,
) -> Result<VerifyReport, ArchiveError> {
    let work = tempfile::tempdir().map_err(|source| ArchiveError::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    let mut dir = FestivalDir::open(work.path())?;
    progress.set_length(source.bundle.entry_count());
    let report = ingest(&mut dir.store, source.bundle.entries(), |done| {
        progress.set_position(done)
    })?;
    progress.finish_and_clear();
    let mut out = VerifyReport {
        report,
        ..VerifyReport::default()
    };
    let Some(site) = source.bundle.manifest().site.clone() else {
        out.not_compared = Some(
            "the bundle's manifest records no site settings (a bare bundle, not a published site)"
                .into(),
        );
        return Ok(out);
    };
    if site.generator != SiteRecord::this_generator() {
        out.not_compared = Some(format!(
            "the site was built by {}, this is {}; the logs were verified, but only the same version can rebuild the site byte for byte",
            site.generator,
            SiteRecord::this_generator()
        ));
        return Ok(out);
    }
    let builtin = theme_fingerprint(None, None)?;
    if site.theme_blake3 != builtin {
        out.not_compared = Some(format!(
            "the site uses theme `{}` (BLAKE3 {}), which is not this pandafest's built-in theme",
            site.theme, site.theme_blake3
        ));
        return Ok(out);
    }
    if site.theme != "default" {
        out.not_compared = Some(format!(
            "the site names theme `{}`, which is not available here",
            site.theme
        ));
        return Ok(out);
    }
    if matches!(source.site, SiteLocation::None) {
        out.not_compared = Some("the source is a bare bundle, with no site around it".into());
        return Ok(out);
    }
    dir.config = Config {
        base_url: site.base_url.clone(),
        theme: Some(site.theme.clone()),
        festival: Some(site.festival),
        day_change: Some(site.day_change.clone()),
    };
    let config_text = toml::to_string(&dir.config).expect("config serializes");
    fs::write(work.path().join(CONFIG_FILE), config_text).map_err(|source| ArchiveError::Io {
        path: work.path().join(CONFIG_FILE),
        source,
    })?;
    let rebuilt = work.path().join("rebuilt");
    build_site(&mut dir, &rebuilt, |_| ProgressBar::hidden())?;
    compare(source, &rebuilt, &mut out)?;
    Ok(out)
}

/// Relative, `/`-separated paths of every file under `root`.
fn files_under(root: &Path) -> Result<BTreeSet<String>, ArchiveError> {
    let mut files = BTreeSet::new();
    for entry in WalkDir::new(root) {
        let entry = entry.map_err(|e| ArchiveError::Io {
            path: e.path().unwrap_or(root).to_owned(),
            source: e.into(),
        })?;
        if entry.file_type().is_file() || entry.file_type().is_symlink() {
            let rel = entry
                .path()
                .strip_prefix(root)
                .expect("walkdir stays under its root");
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.insert(rel.join("/"));
        }
    }
    Ok(files)
}

fn compare(
    source: &ArchiveSource,
    rebuilt: &Path,
    out: &mut VerifyReport,
) -> Result<(), ArchiveError> {
    let expected = files_under(rebuilt)?;
    let read = |path: &Path| {
        fs::read(path).map_err(|source| ArchiveError::Io {
            path: path.to_owned(),
            source,
        })
    };
    match &source.site {
        SiteLocation::Dir(site) => {
            let actual = files_under(site)?;
            for file in &expected {
                out.compared += 1;
                let theirs = site.join(file);
                if !actual.contains(file) {
                    out.missing.push(file.clone());
                } else if fs::symlink_metadata(&theirs).is_ok_and(|m| m.file_type().is_symlink())
                    || read(&theirs)? != read(&rebuilt.join(file))?
                {
                    out.differing.push(file.clone());
                }
            }
            out.extra = actual.difference(&expected).cloned().collect();
        }
        SiteLocation::Url(base) => {
            for file in &expected {
                out.compared += 1;
                let ours = read(&rebuilt.join(file))?;
                let limit = (ours.len() as u64 + 1).min(MAX_SITE_FILE);
                match source.fetcher.get(&format!("{base}{file}"), limit) {
                    Ok(theirs) if theirs == ours => {}
                    Ok(_) | Err(crate::fetch::FetchError::TooLarge { .. }) => {
                        out.differing.push(file.clone())
                    }
                    Err(_) => out.missing.push(file.clone()),
                }
            }
            out.extra_unchecked = true;
        }
        SiteLocation::None => {}
    }
    Ok(())
}
