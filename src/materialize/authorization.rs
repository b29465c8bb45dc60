//! The authorization rules:
//!
//! - only the resource owner's authorization counts;
//! - per (event version, resource), the owner's latest decision wins;
//! - a confirmation of an older event version still holds while the event's
//!   timeframe is unchanged, and lapses once it changes;
//! - a confirmation whose timeframe overlaps an earlier effective
//!   confirmation of the same resource ("earlier" in the owner's log) is a
//!   conflict and not effective.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset};

use super::documents::Documents;
use super::model::{Booking, Event, Model, RequestState, Resource};
use crate::entry::{DocumentId, OperationId};
use crate::operation::{Decision, Policy};

type Position = (u64, u64);

/// A confirmation that may take effect: where the deciding operation sits,
/// the event, and its start and end.
type Confirmation = (
    Position,
    DocumentId,
    DateTime<FixedOffset>,
    DateTime<FixedOffset>,
);

/// Applies the rules to every request of every live event, and fills in the
/// resources' bookings.
pub(super) fn apply(documents: &Documents, model: &mut Model) {
    // Looked up only, never walked: a hash map.
    let mut decisions: HashMap<(OperationId, DocumentId), (Position, Decision, String)> =
        HashMap::new();
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
        let key = (auth.event_version, auth.resource);
        if decisions.get(&key).is_none_or(|(at, _, _)| at < position) {
            decisions.insert(key, (*position, auth.decision, auth.note.clone()));
        }
    }

    let mut confirmations: BTreeMap<DocumentId, Vec<Confirmation>> = BTreeMap::new();
    for event in model.events.values_mut().filter(|e| !e.version.deleted) {
        let Some(versions) = documents.event_versions.get(&event.id) else {
            continue;
        };
        let now = (event.start, event.end);
        for request in &mut event.requests {
            if !model.resources.contains_key(&request.resource) {
                request.note = Some("the resource is unknown or deleted".into());
                continue;
            }
            let mut same_time: Option<&(Position, Decision, String)> = None;
            let mut lapsed = false;
            for (version, timeframe) in versions {
                let Some(decision) = decisions.get(&(*version, request.resource)) else {
                    continue;
                };
                if *timeframe == now {
                    if same_time.is_none_or(|d| d.0 < decision.0) {
                        same_time = Some(decision);
                    }
                } else if decision.1 == Decision::Confirmed {
                    lapsed = true;
                }
            }
            match same_time {
                Some((position, decision, note)) => {
                    request.note = Some(note.clone()).filter(|n| !n.is_empty());
                    request.state = match decision {
                        Decision::Confirmed => {
                            confirmations.entry(request.resource).or_default().push((
                                *position,
                                event.id,
                                event.start,
                                event.end,
                            ));
                            RequestState::Confirmed
                        }
                        Decision::Denied => RequestState::Denied,
                    };
                }
                None if lapsed => request.state = RequestState::Lapsed,
                None => request.state = RequestState::Pending,
            }
        }
    }

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

/// How a resource owner's node answers a new request: the pluggable side of
/// [`Policy`].
pub trait AuthorizationPolicy {
    /// The decision to publish for `event`'s request of `resource`, or
    /// `None` to leave it to the owner. `model` is the current state.
    fn decide(&self, model: &Model, resource: &Resource, event: &Event) -> Option<Decision>;
}

/// Confirms a request if no effective confirmation of the resource overlaps
/// the event, and denies it otherwise.
struct FirstComeFirstServed;

/// Leaves every request to the owner.
struct Manual;

impl AuthorizationPolicy for FirstComeFirstServed {
    fn decide(&self, model: &Model, resource: &Resource, event: &Event) -> Option<Decision> {
        let taken = resource.bookings.iter().any(|booking| {
            booking.event != event.id
                && booking.state == RequestState::Confirmed
                && model
                    .events
                    .get(&booking.event)
                    .is_some_and(|other| other.start < event.end && event.start < other.end)
        });
        Some(if taken {
            Decision::Denied
        } else {
            Decision::Confirmed
        })
    }
}

impl AuthorizationPolicy for Manual {
    fn decide(&self, _: &Model, _: &Resource, _: &Event) -> Option<Decision> {
        None
    }
}

/// The behaviour of a resource's policy.
pub fn policy_for(policy: Policy) -> &'static dyn AuthorizationPolicy {
    match policy {
        Policy::FirstComeFirstServed => &FirstComeFirstServed,
        Policy::Manual => &Manual,
    }
}
