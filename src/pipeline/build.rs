//! `pandafest build` as a library function: ingest -> materialize -> render
//! -> log bundle, into a temporary directory that replaces the site at the
//! end.

use crate::ingest::DecodedOperations;
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;

use crate::bundle::{BundleError, SiteRecord, write_log_files, write_manifest};
use crate::entry::DocumentId;
use crate::festival_dir::{DirError, FestivalDir};
use crate::ingest::IngestReport;
use crate::materialize::Model;
use crate::output::Output;
use crate::render::{RenderError, Templates, choose_festival};
use crate::settings::RenderSettings;
use crate::store::StoreError;

/// What a build did.
#[derive(Debug)]
pub struct BuildSummary {
    /// The ingest report of `logs/`: rejected entries and forks included.
    pub report: IngestReport,
    /// The festival the site is about.
    pub festival: DocumentId,
    /// The number of HTML pages written.
    pub pages: usize,
    /// Where the site is.
    pub output: PathBuf,
}

/// Errors from building a site.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The festival directory could not be read.
    #[error(transparent)]
    Dir(#[from] DirError),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The theme named in `pandafest.toml` does not exist.
    #[error("theme `{name}` not found: {path} is not a directory")]
    Theme {
        /// The theme's name.
        name: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The output would replace the festival directory itself.
    #[error("refusing to write the site to {0}: it is the festival directory or holds it")]
    OutputHoldsFestival(PathBuf),
    /// Rendering failed.
    #[error("building the site into {output}")]
    Render {
        /// The site directory.
        output: PathBuf,
        /// Why.
        source: Box<RenderError>,
    },
    /// An incremental rebuild found that the site gains a file it did not
    /// render: what it compared missed a change. The next rebuild is whole.
    #[error(
        "the rebuild did not render {0}, a file the site now has; the next rebuild builds the site whole"
    )]
    Unrendered(String),
    /// The log bundle could not be written into the site.
    #[error("writing the log bundle into the site")]
    Bundle(#[from] BundleError),
}

/// Builds the site of the festival directory `dir` into `out`: ingests
/// `logs/`, materializes the model, renders every page, writes the log
/// bundle into `logs/` of the site, then swaps the new site in. On any error
/// the old site at `out` stays as it was. `progress` makes a progress bar
/// for a stage (`"verifying"`, `"rendering"`).
///
/// Errors: [`BuildError`]; entries that fail verification are not errors but
/// are in the summary's report, and the valid rest is published.
pub fn build_site(
    dir: &mut FestivalDir,
    out: &Path,
    progress: impl Fn(&'static str) -> ProgressBar,
) -> Result<BuildSummary, BuildError> {
    build_keeping(dir, out, progress, false).map(|(summary, _)| summary)
}

/// What a build worked out, kept for the incremental rebuilds that follow
/// it ([`super::SiteState`]).
pub(super) struct Kept {
    pub model: Model,
    pub templates: Templates,
    pub settings: RenderSettings,
    pub site: SiteRecord,
    /// The manifest lines of the site's log bundle.
    pub logs: Vec<crate::bundle::LogFile>,
}

/// [`build_site`], also returning what it worked out when `keep` is set.
pub(super) fn build_keeping(
    dir: &mut FestivalDir,
    out: &Path,
    progress: impl Fn(&'static str) -> ProgressBar,
    keep: bool,
) -> Result<(BuildSummary, Option<Kept>), BuildError> {
    let started = std::time::Instant::now();
    check_output(&dir.root, out)?;
    let settings_path = dir.config_path();
    let day_change = dir.config.day_change(&settings_path)?;
    let theme_dir = theme_dir(&dir.root, dir.config.theme())?;
    let templates_dir = Some(dir.root.join("templates")).filter(|d| d.is_dir());
    // The templates are parsed on their own thread while the logs are
    // verified: the ingest leaves part of a core idle.
    let loading = {
        let (theme_dir, templates_dir) = (theme_dir.clone(), templates_dir.clone());
        std::thread::spawn(move || {
            let (theme, templates) = (theme_dir.as_deref(), templates_dir.as_deref());
            Ok::<_, RenderError>((
                Templates::load(theme, templates)?,
                crate::render::theme_fingerprint(theme, templates)?,
            ))
        })
    };
    let mut decoded = DecodedOperations::new();
    let report = dir.ingest_logs_keeping(progress("verifying"), &mut decoded)?;
    let operations = crate::materialize::read_operations(&dir.store, decoded)?;
    let failed = |source: RenderError| BuildError::Render {
        output: out.to_owned(),
        source: Box::new(source),
    };
    let mut output = Output::disk(out).map_err(|e| failed(e.into()))?;
    let logs_dir = output
        .dir()
        .expect("a disk output has a directory")
        .join("logs");
    let store = &mut dir.store;
    let config = &dir.config;
    // The log files are written from the store on their own thread while
    // the model is made and the feeds and pages render from it: none needs
    // the other. The same thread then checkpoints the store, which closing
    // it would do.
    let (logs, built) = std::thread::scope(|scope| {
        let logs_dir = &logs_dir;
        let logs = scope.spawn(move || {
            let logs = write_log_files(store, logs_dir)?;
            store.checkpoint()?;
            Ok::<_, BuildError>(logs)
        });
        let built = (|| {
            let model = operations.build();
            let (templates, theme_blake3) = loading
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                .map_err(failed)?;
            let festival = choose_festival(&model, config.festival).map_err(failed)?;
            let settings = RenderSettings {
                festival,
                day_change,
                base_url: config.base_url.clone(),
                theme_dir,
                templates_dir,
            };
            // The feeds first, then the pages, each on all threads:
            // rendering both at once was no faster and raised the memory
            // peak by half. The pages' cards and rows are made beside the
            // feeds.
            let bar = progress("rendering");
            let pages =
                render_site(&model, &settings, &templates, &mut output, &bar).map_err(failed)?;
            bar.finish_and_clear();
            let site = SiteRecord {
                generator: SiteRecord::this_generator(),
                festival,
                theme: config.theme().to_owned(),
                theme_blake3,
                base_url: settings.base_url.clone(),
                day_change: settings.day_change.format("%H:%M").to_string(),
            };
            let kept = match keep {
                true => Some((model, templates, settings)),
                false => {
                    // The model is freed by the pool while the build
                    // finishes.
                    rayon::spawn(move || drop(model));
                    None
                }
            };
            Ok::<_, BuildError>((festival, pages, site, kept))
        })();
        let logs = logs
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (logs, built)
    });
    let (festival, pages, site, kept) = built?;
    let manifest = write_manifest(&logs_dir, logs?, Some(site.clone()))?;
    output.commit().map_err(|e| failed(e.into()))?;
    tracing::debug!(elapsed = ?started.elapsed(), pages, "built");
    let kept = kept.map(|(model, templates, settings)| Kept {
        model,
        templates,
        settings,
        site,
        logs: manifest.logs,
    });
    let summary = BuildSummary {
        report,
        festival,
        pages,
        output: out.to_owned(),
    };
    Ok((summary, kept))
}

/// The theme directory `root/themes/<name>/`; `None` for the built-in
/// `default` theme when the directory has no copy of it.
///
/// Errors: [`BuildError::Theme`] for a theme that is not there.
pub fn theme_dir(root: &Path, name: &str) -> Result<Option<PathBuf>, BuildError> {
    let path = root.join("themes").join(name);
    if path.is_dir() {
        Ok(Some(path))
    } else if name == "default" {
        Ok(None)
    } else {
        Err(BuildError::Theme {
            name: name.to_owned(),
            path,
        })
    }
}

/// The site must not replace the festival directory or one that holds it.
fn check_output(root: &Path, out: &Path) -> Result<(), BuildError> {
    let (Ok(root), Ok(out_full)) = (root.canonicalize(), out.canonicalize()) else {
        return Ok(());
    };
    if root.starts_with(&out_full) {
        return Err(BuildError::OutputHoldsFestival(out.to_owned()));
    }
    Ok(())
}

/// The feeds ([`crate::feeds::write_feeds`]) and the screen
/// ([`crate::screen::write_screen`]), and then every page of the site of
/// `settings.festival` ([`crate::render::render_pages`]) into
/// `output`, with `templates` loaded already, counting pages on
/// `progress`. What every page needs is made while the feeds are written,
/// so that neither leaves a thread idle. Returns the number of HTML pages.
///
/// Errors: [`RenderError::UnknownFestival`] if `settings.festival` is not
/// in `model`; [`RenderError`] naming the template, page or file that
/// failed; a feed that cannot be written is [`RenderError::Output`].
pub fn render_site(
    model: &Model,
    settings: &RenderSettings,
    templates: &Templates,
    output: &mut Output,
    progress: &ProgressBar,
) -> Result<usize, RenderError> {
    let (feeds, prepared) = crate::parallel::join_logged(
        || {
            crate::feeds::write_feeds(model, settings, output)?;
            crate::screen::write_screen(model, settings, output)
        },
        || crate::render::prepare(model, settings, templates, progress),
    );
    feeds?;
    crate::render::render_pages(prepared?, templates, output, progress)
}
