//! The authorization rules (`docs/authorization.md` says them in full):
//!
//! - only the resource owner's decisions count, and they are ordered by
//!   their position (log id, seq num) in the owner's logs;
//! - a decision applies to the event version it names, and only if that
//!   version requests the resource;
//! - it carries over to later versions while every version in between keeps
//!   the timeframe and the request; once either changes it has lapsed for
//!   good, and only a new decision counts again;
//! - of the decisions that apply to the current version, the latest wins;
//! - a confirmation takes its place in "first come" order from the first
//!   confirmation after the last denial that applies (re-confirming or
//!   editing the note does not move it), and one whose timeframe overlaps an
//!   earlier effective confirmation of the same resource is a conflict and
//!   not effective.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset};

use super::documents::{Documents, EventVersion};
use super::model::{Booking, Model, RequestState};
use crate::entry::{DocumentId, OperationId};
use crate::operation::Decision;

/// Where an operation sits in its author's logs: (log id, seq num). All
/// decisions on one resource are by its owner, so this orders them.
type Position = (u64, u64);

/// One decision of the owner on one version of an event's request.
struct Decided {
    position: Position,
    version: OperationId,
    decision: Decision,
    note: String,
}

/// Where the decisions on one request leave it.
enum Outcome {
    /// No decision applies, and none has lapsed (or the latest lapsed one
    /// was a denial).
    Pending,
    /// No decision applies, and the latest lapsed one was a confirmation.
    Lapsed,
    /// The latest decision that applies is a denial.
    Denied { note: String },
    /// The latest decision that applies is a confirmation; the streak of
    /// confirmations it belongs to began at `since`.
    Confirmed { since: Position, note: String },
}

/// A confirmation that may take effect: where its streak began, the event,
/// and its start and end.
type Confirmation = (
    Position,
    DocumentId,
    DateTime<FixedOffset>,
    DateTime<FixedOffset>,
);

/// Applies the rules to every request of every live event, and fills in the
/// resources' bookings.
pub(super) fn apply(documents: &Documents, model: &mut Model) {
    let decisions = owners_decisions(documents, model);
    let mut confirmations: BTreeMap<DocumentId, Vec<Confirmation>> = BTreeMap::new();
    for event in model.events.values_mut().filter(|e| !e.version.deleted) {
        let Some(versions) = documents.event_versions.get(&event.id) else {
            continue;
        };
        for request in &mut event.requests {
            if !model.resources.contains_key(&request.resource) {
                request.note = Some("the resource is unknown or deleted".into());
                continue;
            }
            let decided = decisions
                .get(&(event.id, request.resource))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let (state, note) = match outcome(versions, request.resource, decided) {
                Outcome::Pending => (RequestState::Pending, None),
                Outcome::Lapsed => (RequestState::Lapsed, None),
                Outcome::Denied { note } => (RequestState::Denied, Some(note)),
                Outcome::Confirmed { since, note } => {
                    confirmations.entry(request.resource).or_default().push((
                        since,
                        event.id,
                        event.start,
                        event.end,
                    ));
                    (RequestState::Confirmed, Some(note))
                }
            };
            request.state = state;
            request.note = note.filter(|n| !n.is_empty());
        }
    }
    mark_conflicts(confirmations, model);
    fill_bookings(model);
}

/// The owner's decisions on each (event, resource), in position order.
/// Decisions by anyone else, on a version the event does not have, or on a
/// version that does not request the resource are left out with a note.
/// Looked up only, never walked: a hash map.
fn owners_decisions(
    documents: &Documents,
    model: &mut Model,
) -> HashMap<(DocumentId, DocumentId), Vec<Decided>> {
    // Every event version by its id, with its event.
    let versions: HashMap<OperationId, (DocumentId, &EventVersion)> = documents
        .event_versions
        .iter()
        .flat_map(|(event, versions)| versions.iter().map(move |v| (v.id, (*event, v))))
        .collect();
    let mut decisions: HashMap<(DocumentId, DocumentId), Vec<Decided>> = HashMap::new();
    for (author, position, auth) in &documents.authorizations {
        let Some(resource) = model.resources.get(&auth.resource) else {
            model.notes.push(format!(
                "authorization of event {} ignored: resource {} is unknown",
                auth.event, auth.resource
            ));
            continue;
        };
        if resource.owner != *author {
            model.notes.push(format!(
                "authorization of event {} ignored: {author} does not own resource {}",
                auth.event, auth.resource
            ));
            continue;
        }
        // Only a live event's decisions are looked at, so only theirs get
        // notes.
        if model
            .events
            .get(&auth.event)
            .is_some_and(|e| !e.version.deleted)
        {
            match versions
                .get(&auth.event_version)
                .filter(|(event, _)| *event == auth.event)
            {
                None => {
                    model.notes.push(format!(
                        "authorization of event {} ignored: {} is not a version of it",
                        auth.event, auth.event_version
                    ));
                    continue;
                }
                Some((_, version)) if !version.resources.contains(&auth.resource) => {
                    model.notes.push(format!(
                        "authorization of event {} ignored: its version {} does not request resource {}",
                        auth.event, auth.event_version, auth.resource
                    ));
                    continue;
                }
                Some(_) => {}
            }
        }
        decisions
            .entry((auth.event, auth.resource))
            .or_default()
            .push(Decided {
                position: *position,
                version: auth.event_version,
                decision: auth.decision,
                note: auth.note.clone(),
            });
    }
    for list in decisions.values_mut() {
        list.sort_by_key(|d| d.position);
    }
    decisions
}

/// The state of the current (last) version's request of `resource`, given
/// the event's `versions` in log order and the owner's decisions on that
/// request in position order (each on a version that requests it).
fn outcome(versions: &[EventVersion], resource: DocumentId, decided: &[Decided]) -> Outcome {
    let Some(current) = versions.last() else {
        return Outcome::Pending;
    };
    // The versions a decision carries over from: back from the current one
    // while each keeps the timeframe and the request.
    let mut first = versions.len() - 1;
    while first > 0
        && versions[first - 1].timeframe == current.timeframe
        && versions[first - 1].resources.contains(&resource)
    {
        first -= 1;
    }
    let carried: HashSet<OperationId> = versions[first..].iter().map(|v| v.id).collect();
    let (applying, lapsed): (Vec<&Decided>, Vec<&Decided>) =
        decided.iter().partition(|d| carried.contains(&d.version));
    let Some(latest) = applying.last() else {
        return match lapsed.last() {
            Some(d) if d.decision == Decision::Confirmed => Outcome::Lapsed,
            _ => Outcome::Pending,
        };
    };
    match latest.decision {
        Decision::Denied => Outcome::Denied {
            note: latest.note.clone(),
        },
        Decision::Confirmed => {
            let streak = applying
                .iter()
                .rposition(|d| d.decision == Decision::Denied)
                .map_or(0, |denied| denied + 1);
            Outcome::Confirmed {
                since: applying[streak].position,
                note: latest.note.clone(),
            }
        }
    }
}

/// Per resource, takes the confirmations in "first come" order and marks
/// each one that overlaps an earlier effective one as a conflict.
fn mark_conflicts(confirmations: BTreeMap<DocumentId, Vec<Confirmation>>, model: &mut Model) {
    for (resource, mut list) in confirmations {
        list.sort();
        // The effective confirmations never overlap, so by start they also
        // sort by end: the only one that can overlap [start, end) is the
        // last one starting before `end`.
        let mut held: BTreeMap<DateTime<FixedOffset>, (DateTime<FixedOffset>, DocumentId)> =
            BTreeMap::new();
        for (_, event_id, start, end) in list {
            let overlapping = held
                .range(..end)
                .next_back()
                .filter(|(_, (held_end, _))| *held_end > start);
            if let Some((_, (_, holder))) = overlapping {
                let holder = *holder;
                let event = model
                    .events
                    .get_mut(&event_id)
                    .expect("confirmed events exist");
                for request in event.requests.iter_mut().filter(|r| r.resource == resource) {
                    request.state = RequestState::Conflict { with: holder };
                }
            } else {
                held.insert(start, (end, event_id));
            }
        }
    }
}

/// Lists each live event's requests under their resources, by event start
/// then id.
fn fill_bookings(model: &mut Model) {
    let mut bookings: BTreeMap<DocumentId, Vec<(DateTime<FixedOffset>, Booking)>> = BTreeMap::new();
    for event in model.events.values().filter(|e| !e.version.deleted) {
        for request in &event.requests {
            bookings.entry(request.resource).or_default().push((
                event.start,
                Booking {
                    event: event.id,
                    state: request.state.clone(),
                },
            ));
        }
    }
    for (resource, mut list) in bookings {
        if let Some(resource) = model.resources.get_mut(&resource) {
            list.sort_by_key(|(start, b)| (*start, b.event));
            resource.bookings = list.into_iter().map(|(_, b)| b).collect();
        }
    }
}
