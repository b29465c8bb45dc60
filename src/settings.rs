//! What a render of a site needs besides the model: read by the pages
//! ([`crate::render`]), the feeds ([`crate::feeds`]) and the screen.

use std::path::PathBuf;

use chrono::NaiveTime;

use crate::entry::DocumentId;

/// What a render needs besides the model.
#[derive(Clone, Debug)]
pub struct RenderSettings {
    /// The site's root festival (see [`crate::render::choose_festival`]).
    pub festival: DocumentId,
    /// The local time at which one schedule day turns into the next.
    pub day_change: NaiveTime,
    /// The absolute URL the site is published at, for feeds.
    pub base_url: Option<String>,
    /// A theme directory (`themes/<name>/`) whose `templates/` and
    /// `style.css` override the built-in ones.
    pub theme_dir: Option<PathBuf>,
    /// The festival directory's `templates/`, which overrides the theme.
    pub templates_dir: Option<PathBuf>,
}
