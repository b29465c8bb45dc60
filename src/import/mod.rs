//! Schedule import: frab / hub `schedule.xml`, Pentabarf XML, frab and
//! pretalx `schedule.json`, and iCalendar, turned into signed festival logs
//! by a bridge key.
//!
//! The conference becomes a `festival_v1`, each room a location resource
//! the bridge owns (policy manual), each event an `event_v1` that requests
//! its room, and the bridge confirms every request, so an imported schedule
//! is fully confirmed. Every document carries a `source` key (`frab:<guid>`,
//! `frab-id:<id>`, `ical:<UID>`, `room:<name>`), so importing a newer
//! version publishes only UPDATEs for changed events and DELETEs for
//! removed ones; importing the same one again publishes nothing.
//!
//! ```no_run
//! use indicatif::ProgressBar;
//! use pandafest::import::{ImportOptions, import_schedule};
//!
//! let options = ImportOptions::new("schedule.xml", "my-festival");
//! let summary = import_schedule(&options, |_| ProgressBar::hidden()).unwrap();
//! println!("{}", summary.lines().join("\n"));
//! ```

mod apply;
mod calendar;
mod event;
mod existing;
mod festival;
mod html;
mod json;
mod parse;
mod properties;
mod run;
mod schedule;
mod source;
mod text;
mod time;
mod xml;

pub use calendar::parse_ical;
pub use json::parse_json;
pub use parse::parse_schedule;
pub use run::{ImportOptions, ImportSummary, import_schedule};
pub use schedule::{Format, Item, Problem, Room, Schedule};
pub use source::{MAX_SOURCE_SIZE, detect_format, read_source};
pub use time::parse_duration;
pub use xml::parse_xml;

use crate::bundle::BundleError;
use crate::entry::KeyError;
use crate::festival_dir::DirError;
use crate::publish::PublishError;
use crate::store::StoreError;

/// Errors that stop an import; each names the source. Problems with single
/// events do not stop it: they are listed in the summary.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The source could not be read.
    #[error("{source_name}: {reason}")]
    Read {
        /// The file or URL.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// The source is larger than the limit.
    #[error("{source_name}: the schedule is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The file or URL.
        source_name: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The content is not a schedule of a known format.
    #[error(
        "{source_name}: not a schedule (frab/Pentabarf XML, schedule.json or iCalendar): {reason}"
    )]
    NotASchedule {
        /// The file or URL.
        source_name: String,
        /// What was found instead.
        reason: String,
    },
    /// The content is not well-formed in its format.
    #[error("{source_name}: malformed {}: {reason}", format.describe())]
    Malformed {
        /// The file or URL.
        source_name: String,
        /// The format it was read as.
        format: Format,
        /// The parser's message, with the position.
        reason: String,
    },
    /// `--time-zone` names no IANA time zone.
    #[error("--time-zone `{0}` is not an IANA time zone such as Europe/Berlin")]
    TimeZone(String),
    /// Every event was skipped.
    #[error("{source_name}: no event could be imported:\n{}", problems.join("\n"))]
    NothingImported {
        /// The file or URL.
        source_name: String,
        /// Why each event was skipped, one a line.
        problems: Vec<String>,
    },
    /// The schedule has no events and no conference dates.
    #[error("{source_name}: the schedule has no events and no conference start")]
    NoDates {
        /// The file or URL.
        source_name: String,
    },
    /// The festival directory could not be created or opened.
    #[error(transparent)]
    Dir(#[from] DirError),
    /// The bridge key could not be read.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Signing or storing the operations failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// The log bundle could not be written.
    #[error(transparent)]
    Bundle(#[from] BundleError),
}
