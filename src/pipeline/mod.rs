//! The build driver: ingest -> materialize -> render, feeds and the screen
//! -> log bundle. `pandafest build` and `serve` both run it; the stages
//! below it read the model only.

mod build;
mod incremental;

pub use build::{BuildError, BuildSummary, build_site, render_site, theme_dir};
pub use incremental::{Rebuilt, SiteState, site_hashes};
