//! Owner policies: how a resource owner's node answers a request on its
//! own ([`AuthorizationPolicy`]), and what still awaits the owner
//! ([`awaiting_decision`]).

use super::model::{Event, Model, RequestState, Resource};
use crate::entry::{DocumentId, OperationId, PublicKey};
use crate::operation::{Decision, Policy};

/// What a policy decides on: one live event's request of one resource, seen
/// in the current model.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct PolicyRequest<'a> {
    /// The festival as it stands, the owner's earlier decisions applied.
    pub model: &'a Model,
    /// The requested resource.
    pub resource: &'a Resource,
    /// The requesting event, at its current version.
    pub event: &'a Event,
}

impl<'a> PolicyRequest<'a> {
    /// The request of `resource` by `event`, both taken from `model`.
    pub fn new(model: &'a Model, resource: &'a Resource, event: &'a Event) -> PolicyRequest<'a> {
        PolicyRequest {
            model,
            resource,
            event,
        }
    }

    /// The event version a decision must name (`event_version` of
    /// `authorization_v1`): the event's current version.
    pub fn version(&self) -> OperationId {
        self.event.version.id
    }

    /// Whether there is a request to decide: the event is live and its
    /// current version requests the resource.
    pub fn is_requested(&self) -> bool {
        !self.event.version.deleted
            && self
                .event
                .requests
                .iter()
                .any(|r| r.resource == self.resource.id)
    }
}

/// A policy's answer: the decision and the note to publish with it (may be
/// empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDecision {
    /// Confirmed or denied.
    pub decision: Decision,
    /// The note to the requester.
    pub note: String,
}

/// How a resource owner's node answers a request on its own: the pluggable
/// side of [`Policy`].
///
/// The built-in policies come from [`policy_for`]; a library user or a bot
/// brings its own (opening hours, a second confirmation) by implementing
/// this trait. Whoever calls it publishes the answer as an `authorization_v1`
/// operation in the owner's log, naming [`PolicyRequest::version`]; only
/// then does it count. Decide one request at a time against a model that
/// holds the decisions published before it: two overlapping requests
/// decided against the same model may both look free.
///
/// ```
/// use pandafest::materialize::{AuthorizationPolicy, PolicyDecision, PolicyRequest};
/// use pandafest::operation::Decision;
///
/// /// Denies every request of more than four hours.
/// struct ShortOnly;
///
/// impl AuthorizationPolicy for ShortOnly {
///     fn decide(&self, request: &PolicyRequest<'_>) -> Option<PolicyDecision> {
///         let long = request.event.end - request.event.start > chrono::Duration::hours(4);
///         (request.is_requested() && long).then(|| PolicyDecision {
///             decision: Decision::Denied,
///             note: "at most four hours, please".into(),
///         })
///     }
/// }
/// ```
pub trait AuthorizationPolicy {
    /// The decision to publish for the request, or `None` to leave it to
    /// the owner.
    fn decide(&self, request: &PolicyRequest<'_>) -> Option<PolicyDecision>;
}

/// Confirms a request if no effective confirmation of the resource overlaps
/// the event, and denies it otherwise, naming the holders.
struct FirstComeFirstServed;

/// Leaves every request to the owner.
struct Manual;

impl AuthorizationPolicy for FirstComeFirstServed {
    fn decide(&self, request: &PolicyRequest<'_>) -> Option<PolicyDecision> {
        if !request.is_requested() {
            return None;
        }
        let holders = overlapping_confirmed(request.model, request.resource, request.event);
        if holders.is_empty() {
            return Some(PolicyDecision {
                decision: Decision::Confirmed,
                note: String::new(),
            });
        }
        let named: Vec<String> = holders
            .iter()
            .map(|id| {
                let title = request.model.events.get(id).map_or("?", |e| &e.title);
                format!("`{title}` ({id})")
            })
            .collect();
        Some(PolicyDecision {
            decision: Decision::Denied,
            note: format!("held by {}", named.join(", ")),
        })
    }
}

impl AuthorizationPolicy for Manual {
    fn decide(&self, _: &PolicyRequest<'_>) -> Option<PolicyDecision> {
        None
    }
}

/// The behaviour of a resource's policy: `first_come_first_served` confirms
/// a free resource and denies a held one, with the note ``held by `Title`
/// (id)`` naming each holding event (joined by ", "); `manual` leaves every
/// request to the owner.
pub fn policy_for(policy: Policy) -> &'static dyn AuthorizationPolicy {
    match policy {
        Policy::FirstComeFirstServed => &FirstComeFirstServed,
        Policy::Manual => &Manual,
    }
}

/// The live events other than `event` whose request of `resource` is
/// confirmed and effective, and whose timeframe overlaps `event`'s (as
/// half-open intervals: back to back is no overlap). By event start, then
/// id; empty when nothing holds the resource then.
pub fn overlapping_confirmed(model: &Model, resource: &Resource, event: &Event) -> Vec<DocumentId> {
    resource
        .bookings
        .iter()
        .filter(|b| b.event != event.id && b.state == RequestState::Confirmed)
        .filter_map(|b| model.events.get(&b.event))
        .filter(|other| other.start < event.end && event.start < other.end)
        .map(|other| other.id)
        .collect()
}

/// A request that awaits its owner's decision; see [`awaiting_decision`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwaitingRequest {
    /// The requesting event.
    pub event: DocumentId,
    /// Its current version: the one a decision must name.
    pub version: OperationId,
    /// The requested resource.
    pub resource: DocumentId,
    /// [`RequestState::Pending`] or [`RequestState::Lapsed`].
    pub state: RequestState,
    /// The live events already confirmed (effective) for the resource whose
    /// timeframe overlaps the event's, as [`overlapping_confirmed`] gives
    /// them: confirming this request while one is listed makes a conflict.
    pub overlapping: Vec<DocumentId>,
}

/// The requests that await `owner`'s decision: those of live events, of
/// resources `owner` owns, whose state is pending or lapsed. By event start,
/// then event id, then the event's request order.
pub fn awaiting_decision(model: &Model, owner: &PublicKey) -> Vec<AwaitingRequest> {
    let mut events: Vec<&Event> = model
        .events
        .values()
        .filter(|e| !e.version.deleted)
        .collect();
    events.sort_by_key(|e| (e.start, e.id));
    let mut awaiting = Vec::new();
    for event in events {
        for request in &event.requests {
            let Some(resource) = model
                .resources
                .get(&request.resource)
                .filter(|r| r.owner == *owner)
            else {
                continue;
            };
            if matches!(request.state, RequestState::Pending | RequestState::Lapsed) {
                awaiting.push(AwaitingRequest {
                    event: event.id,
                    version: event.version.id,
                    resource: resource.id,
                    state: request.state.clone(),
                    overlapping: overlapping_confirmed(model, resource, event),
                });
            }
        }
    }
    awaiting
}
