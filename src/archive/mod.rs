//! Archives: published sites and bundles as sources. `import` brings their
//! logs into a festival directory through ingest, `verify` proves a site was
//! rendered honestly from its logs, and `fork` starts a new festival from
//! one.

mod fork;
mod import;
mod shift;
mod source;
mod verify;

pub use fork::{ForkSummary, fork_archive};
pub use import::{ImportSummary, import_archive};
pub use shift::parse_shift;
pub use source::{ArchiveSource, SiteLocation};
pub use verify::{VerifyReport, verify_archive};

use crate::entry::DocumentId;
use std::path::PathBuf;

/// Errors about an archive as a whole. Bad entries are not errors: they are
/// in the ingest report, and the valid rest is kept.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The source is neither a site, a bundle directory nor a URL.
    #[error("{0}: not a pandafest site or log bundle (no logs/manifest.json or manifest.json)")]
    NotAnArchive(String),
    /// The bundle could not be read.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    /// The festival directory failed.
    #[error(transparent)]
    Dir(#[from] crate::festival_dir::DirError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Rebuilding the site failed.
    #[error(transparent)]
    Build(#[from] crate::pipeline::BuildError),
    /// The theme could not be read.
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    /// Publishing the fork failed.
    #[error("publishing the fork: {0}")]
    Publish(#[from] crate::publish::PublishError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The archive holds no festival to fork.
    #[error("the archive holds no festival")]
    NoFestival,
    /// A `--shift` that is not a duration.
    #[error("`{0}` is not a duration: use a number and a unit (w, d, h, m), e.g. 365d or -1w2d")]
    BadShift(String),
    /// Shifting a time of the festival leaves the calendar.
    #[error("document {document}: {at} shifted by --shift is out of range")]
    ShiftOutOfRange {
        /// The festival or event.
        document: DocumentId,
        /// Its time before the shift (RFC 3339).
        at: String,
    },
}
