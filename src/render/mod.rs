//! Festival model -> static site: tera templates, sanitized Markdown, day
//! grids in the festival's time zone, written through [`crate::output`].
//!
//! Every page sits at a stable path keyed by document id (see
//! [`site`]'s path functions) as `<path>/index.html`, and links relatively,
//! so the site works from any sub-path and from `file://`. The same model
//! and settings always give the same bytes.

mod documents;
mod grid;
pub mod markdown;
mod pages;
mod partial;
mod rows;
pub mod site;
mod templates;
mod view;

pub use partial::{PageCache, PageSelection, prepare_cached, render_selected};
pub use templates::{BUILTIN, DEFAULT_STYLE, Templates, theme_fingerprint};

use std::path::PathBuf;

use indicatif::ProgressBar;

use crate::entry::DocumentId;
use crate::materialize::{Festival, Model};
use crate::output::{Output, OutputError};
use crate::settings::RenderSettings;

/// Errors from rendering.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The model has no festival to render.
    #[error("the logs hold no festival to render")]
    NoFestival,
    /// No festival is configured and the logs hold several root festivals:
    /// each as `name by author (id ID)`.
    #[error(
        "the logs hold {} root festivals and pandafest.toml names none, so the site's festival is not clear:\n{}\nchoose one with a line `festival = \"ID\"` in pandafest.toml",
        .0.len(),
        .0.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n")
    )]
    SeveralFestivals(Vec<String>),
    /// The festival named in the settings is not in the model.
    #[error("festival {0} is not in the logs")]
    UnknownFestival(DocumentId),
    /// The templates could not be loaded.
    #[error("loading {what}")]
    Templates {
        /// Which templates.
        what: String,
        /// The tera error.
        source: tera::Error,
    },
    /// A page could not be rendered.
    #[error("rendering {page} with template {template}")]
    Page {
        /// The page's path in the site.
        page: String,
        /// The template file.
        template: String,
        /// The tera error.
        source: tera::Error,
    },
    /// A template or theme file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The output could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// The root festivals of `model` (those without a known parent), ordered
/// by start and then id. Withdrawn festivals count only when no other root
/// is left.
pub fn root_festivals(model: &Model) -> Vec<&Festival> {
    let mut roots: Vec<&Festival> = model
        .festivals
        .values()
        .filter(|f| f.parent.is_none_or(|p| !model.festivals.contains_key(&p)))
        .collect();
    if roots.iter().any(|f| !f.version.deleted) {
        roots.retain(|f| !f.version.deleted);
    }
    roots.sort_by_key(|f| (f.start, f.id));
    roots
}

/// The festival a site is about: `configured` if set (it must exist), else
/// the only root festival ([`root_festivals`]). With none configured and
/// several roots it refuses rather than guess: anyone can publish a
/// festival into the logs a site is built from.
///
/// Errors: [`RenderError::UnknownFestival`], [`RenderError::NoFestival`],
/// [`RenderError::SeveralFestivals`] listing the roots.
pub fn choose_festival(
    model: &Model,
    configured: Option<DocumentId>,
) -> Result<DocumentId, RenderError> {
    if let Some(id) = configured {
        return match model.festivals.contains_key(&id) {
            true => Ok(id),
            false => Err(RenderError::UnknownFestival(id)),
        };
    }
    match root_festivals(model).as_slice() {
        [] => Err(RenderError::NoFestival),
        [only] => Ok(only.id),
        several => Err(RenderError::SeveralFestivals(
            several
                .iter()
                .map(|f| format!("{} by {} (id {})", f.name, f.author, f.id))
                .collect(),
        )),
    }
}

/// What every page of a site needs, made once: the site's index of the
/// model and each event's card and list row. See [`prepare`].
pub struct Prepared<'m> {
    site: site::Site<'m>,
    cards: view::Cards,
    rows: rows::Rows,
}

/// Makes what every page of the site of `settings.festival` needs (each
/// event's card and list row) with `templates` loaded already, and sets
/// `progress`'s length to the number of pages. The driver runs this beside
/// the feeds, so that neither leaves a thread idle.
///
/// Errors: [`RenderError::UnknownFestival`] if `settings.festival` is not
/// in `model`; [`RenderError::Page`] for a row that cannot be rendered.
pub fn prepare<'m>(
    model: &'m Model,
    settings: &'m RenderSettings,
    templates: &Templates,
    progress: &ProgressBar,
) -> Result<Prepared<'m>, RenderError> {
    let root = model
        .festivals
        .get(&settings.festival)
        .ok_or(RenderError::UnknownFestival(settings.festival))?;
    let site = site::Site::new(model, settings, root);
    progress.set_length(site.page_count() as u64);
    let cards = site.cards();
    let rows = rows::render_rows(&cards, templates)?;
    Ok(Prepared { site, cards, rows })
}

/// Every page of the site `prepared` is for, with `style.css`, into
/// `output`, counting pages on `progress`. Pages render and are written on
/// all threads (rayon); what they hold does not depend on the order. The
/// cards and rows are freed on the pool after this returns. Returns the
/// number of HTML pages.
///
/// Errors: [`RenderError`] naming the template, page or file that failed.
pub fn render_pages(
    prepared: Prepared<'_>,
    templates: &Templates,
    output: &mut Output,
    progress: &ProgressBar,
) -> Result<usize, RenderError> {
    let started = std::time::Instant::now();
    let Prepared { site, cards, rows } = prepared;
    let output = output.shared();
    output.write("style.css", templates.style())?;
    let pages = pages::Pages {
        site: &site,
        cards: &cards,
        rows: &rows,
        templates,
        output: &output,
        progress,
    };
    let count = pages.render_all()?;
    tracing::debug!(elapsed = ?started.elapsed(), pages = count, "rendered");
    // Freeing every card and row takes a single thread tens of
    // milliseconds at 10,000 events: the pool does it while the caller
    // goes on.
    rayon::spawn(move || drop((rows, cards)));
    Ok(count)
}
