//! What can go wrong while authoring.

use std::path::PathBuf;

use crate::entry::{DocumentId, KeyError, PublicKey};
use crate::festival_dir::DirError;
use crate::publish::PublishError;
use crate::store::StoreError;

/// Errors from authoring. Each names the thing it is about (the flag, the
/// document and its title, the owner) and why; nothing is published when one
/// is returned.
#[derive(Debug, thiserror::Error)]
pub enum AuthorError {
    /// The directory has no author key.
    #[error(
        "{path}: no author key here; make one with `pandafest key new` (or `pandafest init` for a new directory), or name one with --key"
    )]
    NoKey {
        /// Where the key was looked for.
        path: PathBuf,
    },
    /// The key file exists but cannot be read.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The festival directory failed.
    #[error(transparent)]
    Dir(#[from] DirError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Publishing failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// The log bundle could not be written.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    /// A file (such as --description-file) could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A TIME that is neither RFC 3339 nor `YYYY-MM-DD HH:MM`.
    #[error(
        "{field} `{text}` is not a time: give RFC 3339 with an offset (2027-07-10T18:00:00+02:00) or a local `YYYY-MM-DD HH:MM` in the festival's time zone"
    )]
    Time {
        /// The flag.
        field: String,
        /// What was given.
        text: String,
    },
    /// A local time in a DST gap.
    #[error(
        "{field} `{text}` does not exist in {zone}: the clocks skip that hour (daylight saving time begins); give a time outside the gap or an offset"
    )]
    LocalTimeGap {
        /// The flag.
        field: String,
        /// What was given.
        text: String,
        /// The time zone.
        zone: String,
    },
    /// A local time in a DST overlap.
    #[error(
        "{field} `{text}` happens twice in {zone} (daylight saving time ends): {first} or {second}; give one of them with its offset"
    )]
    LocalTimeAmbiguous {
        /// The flag.
        field: String,
        /// What was given.
        text: String,
        /// The time zone.
        zone: String,
        /// The earlier instant.
        first: String,
        /// The later instant.
        second: String,
    },
    /// A DUR that cannot be read.
    #[error("`{text}` is not a duration: give hours and minutes such as 90m, 1h30m or 2h")]
    Duration {
        /// What was given.
        text: String,
    },
    /// An unknown IANA time zone.
    #[error("unknown time zone `{name}`: give an IANA name such as Europe/Berlin")]
    TimeZone {
        /// What was given.
        name: String,
    },
    /// The end is before the start.
    #[error("the end {end} is before the start {start}")]
    EndBeforeStart {
        /// The start, RFC 3339.
        start: String,
        /// The end, RFC 3339.
        end: String,
    },
    /// A required flag is missing.
    #[error("{0} is required")]
    Missing(&'static str),
    /// A flag's value cannot be read.
    #[error("{flag} `{text}`: {reason}")]
    BadValue {
        /// The flag.
        flag: &'static str,
        /// What was given.
        text: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// No document of the kind has this id or prefix.
    #[error("no {what} has the id `{text}`{hint}")]
    UnknownId {
        /// festival, resource or event.
        what: &'static str,
        /// The id or prefix given.
        text: String,
        /// A hint: what documents of another kind it names, or how long a prefix must be.
        hint: String,
    },
    /// The prefix names several documents.
    #[error("the {what} id `{text}` is ambiguous; it could be:\n{candidates}")]
    AmbiguousId {
        /// festival, resource or event.
        what: &'static str,
        /// The prefix given.
        text: String,
        /// One line per candidate: id and title.
        candidates: String,
    },
    /// No festival is named and the store holds none or several.
    #[error("{0}")]
    NoFestival(String),
    /// A document that was deleted.
    #[error("{what} `{title}` ({id}) was removed")]
    Deleted {
        /// resource or event.
        what: &'static str,
        /// Its title.
        title: String,
        /// Its id.
        id: DocumentId,
    },
    /// Only a document's author may change it.
    #[error(
        "{what} `{title}` ({id}) belongs to {owner}; only its author can change it (this key is {me})"
    )]
    NotAuthor {
        /// festival, resource or event.
        what: &'static str,
        /// Its title.
        title: String,
        /// Its id.
        id: DocumentId,
        /// Its author.
        owner: PublicKey,
        /// This key.
        me: PublicKey,
    },
    /// Only a resource's owner may decide on its requests.
    #[error(
        "resource `{title}` ({id}) is owned by {owner}; only its owner can confirm or deny its requests (this key is {me})"
    )]
    NotOwner {
        /// The resource's title.
        title: String,
        /// Its id.
        id: DocumentId,
        /// Its owner.
        owner: PublicKey,
        /// This key.
        me: PublicKey,
    },
    /// The event's current version does not request the resource.
    #[error("event `{event}` ({event_id}) does not request resource `{resource}` ({resource_id})")]
    NotRequested {
        /// The event's title.
        event: String,
        /// Its id.
        event_id: DocumentId,
        /// The resource's title.
        resource: String,
        /// Its id.
        resource_id: DocumentId,
    },
    /// Confirming would double-book the resource.
    #[error(
        "cannot confirm: `{event}` ({event_time}) overlaps `{holder}` ({holder_id}, {holder_time}), which is already confirmed for `{resource}`; deny this request, or move one of the events"
    )]
    Overlap {
        /// The event's title.
        event: String,
        /// Its timeframe, in the festival's zone.
        event_time: String,
        /// The holding event's title.
        holder: String,
        /// Its id.
        holder_id: DocumentId,
        /// Its timeframe.
        holder_time: String,
        /// The resource's title.
        resource: String,
    },
    /// The operation breaks a rule of its schema (a field over its limit).
    #[error("{0}")]
    Invalid(crate::operation::OperationError),
}
