//! The festival model: plain structs, no I/O.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;

use crate::entry::{DocumentId, OperationId, PublicKey};
use crate::operation::{ForkedFrom, Link, Location, Policy, ResourceKind};
use crate::store::ForkKind;

/// A festival's state, worked out from the store.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Festivals by document id, nested ones included.
    pub festivals: BTreeMap<DocumentId, Festival>,
    /// Everyone who wrote an operation, by public key.
    pub people: BTreeMap<PublicKey, Person>,
    /// Resources by document id; locations are resources with a place.
    pub resources: BTreeMap<DocumentId, Resource>,
    /// Events by document id, deleted ones included (marked).
    pub events: BTreeMap<DocumentId, Event>,
    /// Logs that are not trusted from a seq num on because of a fork.
    pub forks: Vec<ForkedLog>,
    /// Operations the rules ignored, with the reason, for reports.
    pub notes: Vec<String>,
}

impl Model {
    /// One line per request in conflict: which event holds the resource.
    pub fn conflicts(&self) -> Vec<String> {
        let title = |id: &DocumentId| self.events.get(id).map(|e| e.title.as_str()).unwrap_or("?");
        let mut lines = Vec::new();
        for event in self.events.values().filter(|e| !e.version.deleted) {
            for request in &event.requests {
                if let RequestState::Conflict { with } = &request.state {
                    let resource = self
                        .resources
                        .get(&request.resource)
                        .map(|r| r.title.as_str())
                        .unwrap_or("?");
                    lines.push(format!(
                        "conflict: event `{}` ({}) has resource `{resource}` ({}) confirmed, but it overlaps the earlier confirmed event `{}` ({with}); the confirmation is not effective",
                        event.title, event.id, request.resource, title(with)
                    ));
                }
            }
        }
        lines
    }
}

/// Where a document's current view came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The operation id of the current view.
    pub id: OperationId,
    /// How many operations the document has had; 0 after its CREATE.
    pub sequence: u32,
    /// Whether the latest operation deleted it.
    pub deleted: bool,
}

/// A festival or a nested sub-festival.
#[derive(Clone, Debug, PartialEq)]
pub struct Festival {
    /// Its document id.
    pub id: DocumentId,
    /// The author who created it.
    pub author: PublicKey,
    /// Its current version.
    pub version: Version,
    /// Its name.
    pub name: String,
    /// Markdown.
    pub description: String,
    /// Start, with the offset it was written with.
    pub start: DateTime<FixedOffset>,
    /// End.
    pub end: DateTime<FixedOffset>,
    /// The IANA time zone its days and local times follow.
    pub time_zone: Tz,
    /// The parent festival.
    pub parent: Option<DocumentId>,
    /// Nested festivals, by start then id.
    pub children: Vec<DocumentId>,
    /// The festival it was forked from.
    pub forked_from: Option<ForkedFrom>,
    /// The acronym of the schedule it was imported from, as it was.
    pub acronym: Option<String>,
    /// The days of the schedule it was imported from, by date; empty for a
    /// festival made in pandafest.
    pub days: Vec<SourceDay>,
}

/// One day of an imported schedule, with its boundaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceDay {
    /// The date the schedule lists it under.
    pub date: chrono::NaiveDate,
    /// When it starts.
    pub start: DateTime<FixedOffset>,
    /// When it ends (after `start`).
    pub end: DateTime<FixedOffset>,
}

/// A person: a public key, with a profile if they published one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The public key.
    pub key: PublicKey,
    /// The display name from their latest profile.
    pub display_name: Option<String>,
    /// The bio from their latest profile.
    pub bio: Option<String>,
}

impl Person {
    /// The display name, or the short key.
    pub fn name(&self) -> String {
        self.display_name
            .clone()
            .unwrap_or_else(|| self.key.short())
    }
}

/// A resource; a location when it has a place.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// Its document id.
    pub id: DocumentId,
    /// The owner: its creator.
    pub owner: PublicKey,
    /// Its current version.
    pub version: Version,
    /// The festival it is offered at.
    pub festival: DocumentId,
    /// Title.
    pub title: String,
    /// Markdown.
    pub description: String,
    /// What kind of resource it is.
    pub kind: ResourceKind,
    /// The place, for a location.
    pub location: Option<Location>,
    /// How requests are decided.
    pub policy: Policy,
    /// The resource it was cloned from, in a fork.
    pub derived_from: Option<DocumentId>,
    /// The requests of live events, by event start then id.
    pub bookings: Vec<Booking>,
}

/// One event's request of a resource, seen from the resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Booking {
    /// The event.
    pub event: DocumentId,
    /// The request's state.
    pub state: RequestState,
}

/// An event that requests resources for its timeframe.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Its document id.
    pub id: DocumentId,
    /// The author who created it.
    pub author: PublicKey,
    /// Its current version; `version.sequence` grows with each update.
    pub version: Version,
    /// The festival it belongs to.
    pub festival: DocumentId,
    /// Title.
    pub title: String,
    /// Markdown.
    pub description: String,
    /// Start, with the offset it was written with.
    pub start: DateTime<FixedOffset>,
    /// End.
    pub end: DateTime<FixedOffset>,
    /// Tags.
    pub tags: Vec<String>,
    /// Links.
    pub links: Vec<Link>,
    /// Subtitle.
    pub subtitle: Option<String>,
    /// Abstract, Markdown.
    pub summary: Option<String>,
    /// Language tag.
    pub language: Option<String>,
    /// Names of speakers or hosts who are not users.
    pub persons: Vec<String>,
    /// The event it was cloned from, in a fork.
    pub derived_from: Option<DocumentId>,
    /// The import key of the schedule item it came from (`frab:<guid>`,
    /// `ical:<UID>`), for an imported event.
    pub source: Option<String>,
    /// The track an imported schedule gave it.
    pub track: Option<String>,
    /// The type an imported schedule gave it (frab's `type`).
    pub kind: Option<String>,
    /// Its own page elsewhere (an imported schedule's event URL).
    pub url: Option<String>,
    /// Whether its speakers opted out of recording.
    pub do_not_record: bool,
    /// The start its first version had, when a later version moved it
    /// (the screen shows such an event as moved).
    pub moved_from: Option<DateTime<FixedOffset>>,
    /// Each requested resource with its state, in request order.
    pub requests: Vec<Request>,
}

impl Event {
    /// Effective confirmations and requested resources, e.g. `(3, 4)`.
    pub fn confirmation(&self) -> (usize, usize) {
        let confirmed = self
            .requests
            .iter()
            .filter(|r| r.state == RequestState::Confirmed)
            .count();
        (confirmed, self.requests.len())
    }

    /// The confirmation ratio in whole percent, rounded to the nearest (2 of
    /// 3 is 67), but 100 only when every request is confirmed and 0 only
    /// when none is; 100 when nothing is requested.
    pub fn confirmed_percent(&self) -> u32 {
        let (confirmed, requested) = self.confirmation();
        percent(confirmed, requested)
    }
}

/// `part` of `whole` in whole percent as [`Event::confirmed_percent`] gives
/// it.
pub(super) fn percent(part: usize, whole: usize) -> u32 {
    if whole == 0 {
        return 100;
    }
    let nearest = ((part * 200 + whole) / (whole * 2)) as u32;
    match part {
        0 => 0,
        p if p == whole => 100,
        _ => nearest.clamp(1, 99),
    }
}

/// One requested resource of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The resource.
    pub resource: DocumentId,
    /// Its state.
    pub state: RequestState,
    /// The owner's note with the deciding authorization.
    pub note: Option<String>,
}

/// The state of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestState {
    /// The owner confirmed it, and no earlier confirmation overlaps it.
    Confirmed,
    /// No decision of the owner applies to this event version (none on it,
    /// nor on an earlier version it carries over from), and no confirmation
    /// has lapsed.
    Pending,
    /// The owner's latest decision that applies denies it.
    Denied,
    /// The owner confirmed it, but an earlier confirmation of the same
    /// resource overlaps its timeframe; it is not effective.
    Conflict {
        /// The event that holds the resource.
        with: DocumentId,
    },
    /// The owner confirmed an older version of the event, and since then a
    /// version changed the timeframe or dropped the request; no decision
    /// applies to the current version. Only a new decision counts again.
    Lapsed,
}

impl RequestState {
    /// The lowercase name: confirmed, pending, denied, conflict, lapsed.
    pub fn as_str(&self) -> &'static str {
        match self {
            RequestState::Confirmed => "confirmed",
            RequestState::Pending => "pending",
            RequestState::Denied => "denied",
            RequestState::Conflict { .. } => "conflict",
            RequestState::Lapsed => "lapsed",
        }
    }
}

/// A log with a fork.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForkedLog {
    /// The author.
    pub author: PublicKey,
    /// The log id.
    pub log_id: u64,
    /// The first seq num not trusted.
    pub seq_num: u64,
    /// The kind of proof.
    pub kind: ForkKind,
}
