//! Requests and decisions: what awaits this key (`pending`), `confirm` and
//! `deny` by hand, and the owner policies that decide by themselves
//! (`decide`, and after every command that brings entries in).

use std::collections::BTreeMap;

use chrono_tz::Tz;

use super::AuthorError;
use super::session::Session;
use crate::days::format_span;
use crate::entry::{DocumentId, OperationId, PublicKey};
use crate::materialize::{
    Booking, Event, Model, PolicyRequest, RequestState, Resource, awaiting_decision, materialize,
    overlapping_confirmed, policy_for,
};
use crate::operation::{AuthorizationFields, Decision, Fields, Operation, Policy, SchemaId};

/// One request that awaits this key's decision, as `pending` lists it.
#[derive(Clone, Debug)]
pub struct PendingLine {
    /// The event.
    pub event: DocumentId,
    /// Its title.
    pub event_title: String,
    /// Its timeframe in its festival's time zone, e.g. `Sat 10 Jul, 18:00–19:30`.
    pub when: String,
    /// Who asks: the event's author.
    pub requester: PublicKey,
    /// The requester's display name, or their short key.
    pub requester_name: String,
    /// The resource.
    pub resource: DocumentId,
    /// Its title.
    pub resource_title: String,
    /// Whether an earlier confirmation lapsed (the event moved).
    pub lapsed: bool,
    /// Live events already confirmed for the resource whose timeframe
    /// overlaps this one: (id, title).
    pub overlaps: Vec<(DocumentId, String)>,
}

/// A decision a policy or a person made and this key published.
#[derive(Clone, Debug)]
pub struct Decided {
    /// The authorization's document id.
    pub id: DocumentId,
    /// The event.
    pub event: DocumentId,
    /// Its title.
    pub event_title: String,
    /// The resource.
    pub resource: DocumentId,
    /// Its title.
    pub resource_title: String,
    /// Confirmed or denied.
    pub decision: Decision,
    /// The note published with it.
    pub note: String,
}

impl std::fmt::Display for Decided {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = match self.decision {
            Decision::Confirmed => "confirmed",
            Decision::Denied => "denied",
        };
        write!(
            f,
            "{verb} `{}` for `{}` ({})",
            self.resource_title, self.event_title, self.event
        )?;
        if !self.note.is_empty() {
            write!(f, ": {}", self.note)?;
        }
        Ok(())
    }
}

/// The live events confirmed (effectively) for `resource` whose timeframe
/// overlaps `event`'s, other than `event` itself, by start (see
/// [`overlapping_confirmed`]).
fn overlapping<'m>(model: &'m Model, resource: &Resource, event: &Event) -> Vec<&'m Event> {
    overlapping_confirmed(model, resource, event)
        .iter()
        .filter_map(|id| model.events.get(id))
        .collect()
}

fn zone(model: &Model, event: &Event) -> Tz {
    model
        .festivals
        .get(&event.festival)
        .map_or(chrono_tz::UTC, |f| f.time_zone)
}

impl Session {
    /// The requests that await this key's decision: live events' requests
    /// of live resources this key owns, with no decision that applies to
    /// the event's current version (new, or lapsed because the event
    /// moved). Oldest first: in the order this node received the event
    /// versions that ask.
    ///
    /// Errors: [`AuthorError::Store`] if the store cannot be read.
    pub fn pending(&self) -> Result<Vec<PendingLine>, AuthorError> {
        self.pending_in(&materialize(&self.dir.store)?)
    }

    /// [`Session::pending`] in an already materialized `model`.
    fn pending_in(&self, model: &Model) -> Result<Vec<PendingLine>, AuthorError> {
        let me = self.public_key()?;
        let reader = self.dir.store.read();
        let mut lines = Vec::new();
        for awaiting in awaiting_decision(model, &me) {
            let (Some(event), Some(resource)) = (
                model.events.get(&awaiting.event),
                model.resources.get(&awaiting.resource),
            ) else {
                continue;
            };
            if resource.version.deleted {
                continue;
            }
            let arrival = reader.arrival(&event.version.id)?.unwrap_or(i64::MAX);
            lines.push((
                (arrival, event.id, resource.id),
                PendingLine {
                    event: event.id,
                    event_title: event.title.clone(),
                    when: format_span(event.start, event.end, zone(model, event)),
                    requester: event.author,
                    requester_name: model
                        .people
                        .get(&event.author)
                        .map(|p| p.name())
                        .unwrap_or_else(|| event.author.short()),
                    resource: resource.id,
                    resource_title: resource.title.clone(),
                    lapsed: awaiting.state == RequestState::Lapsed,
                    overlaps: awaiting
                        .overlapping
                        .iter()
                        .filter_map(|id| model.events.get(id))
                        .map(|e| (e.id, e.title.clone()))
                        .collect(),
                },
            ));
        }
        lines.sort_by_key(|(order, _)| *order);
        Ok(lines.into_iter().map(|(_, line)| line).collect())
    }

    /// `confirm EVENT RESOURCE`: this key, the resource's owner, confirms
    /// the event's current version for it. Returns the decision.
    ///
    /// Errors: the id errors; [`AuthorError::NotOwner`] naming the owner;
    /// [`AuthorError::Deleted`] for a cancelled event or removed resource;
    /// [`AuthorError::NotRequested`]; [`AuthorError::Overlap`] naming the
    /// event already confirmed for the resource in an overlapping time.
    pub fn confirm(
        &mut self,
        event: &str,
        resource: &str,
        note: &str,
    ) -> Result<Decided, AuthorError> {
        self.decide_by_hand(event, resource, Decision::Confirmed, note)
    }

    /// `deny EVENT RESOURCE`: as [`Session::confirm`], denying; a denial
    /// needs no free timeframe.
    ///
    /// Errors: as [`Session::confirm`] but for the overlap.
    pub fn deny(
        &mut self,
        event: &str,
        resource: &str,
        note: &str,
    ) -> Result<Decided, AuthorError> {
        self.decide_by_hand(event, resource, Decision::Denied, note)
    }

    fn decide_by_hand(
        &mut self,
        event: &str,
        resource: &str,
        decision: Decision,
        note: &str,
    ) -> Result<Decided, AuthorError> {
        let event_id = self.resolve(SchemaId::Event, event)?;
        let resource_id = self.resolve(SchemaId::Resource, resource)?;
        let model = materialize(&self.dir.store)?;
        let me = self.public_key()?;
        let missing = |what, id: DocumentId| AuthorError::UnknownId {
            what,
            text: id.to_string(),
            hint: ": it is not in the trusted part of its log".into(),
        };
        let resource = model
            .resources
            .get(&resource_id)
            .ok_or_else(|| missing("resource", resource_id))?;
        let event = model
            .events
            .get(&event_id)
            .ok_or_else(|| missing("event", event_id))?;
        if resource.owner != me {
            return Err(AuthorError::NotOwner {
                title: resource.title.clone(),
                id: resource.id,
                owner: resource.owner.to_string(),
                me: me.to_string(),
            });
        }
        for (what, deleted, title, id) in [
            (
                "resource",
                resource.version.deleted,
                &resource.title,
                resource.id,
            ),
            ("event", event.version.deleted, &event.title, event.id),
        ] {
            if deleted {
                return Err(AuthorError::Deleted {
                    what,
                    title: title.clone(),
                    id,
                });
            }
        }
        if !event.requests.iter().any(|r| r.resource == resource.id) {
            return Err(AuthorError::NotRequested {
                event: event.title.clone(),
                event_id: event.id,
                resource: resource.title.clone(),
                resource_id: resource.id,
            });
        }
        if decision == Decision::Confirmed
            && let Some(holder) = overlapping(&model, resource, event).first()
        {
            let zone = zone(&model, event);
            return Err(AuthorError::Overlap {
                event: format!(
                    "`{}` ({})",
                    event.title,
                    format_span(event.start, event.end, zone)
                ),
                holder: format!(
                    "`{}` ({}, {})",
                    holder.title,
                    holder.id,
                    format_span(holder.start, holder.end, zone)
                ),
                resource: resource.title.clone(),
            });
        }
        let planned = Planned::new(resource, event, decision, note.to_owned());
        Ok(self.publish_decisions(vec![planned])?.remove(0))
    }

    /// `decide`: applies the policy of each live resource this key owns to
    /// every request that awaits a decision, oldest first, and publishes
    /// what the policies decide. `first_come_first_served` confirms a
    /// request when no confirmed event overlaps it and denies it otherwise,
    /// naming the holder; `manual` leaves it in `pending`.
    ///
    /// Errors: [`AuthorError::Store`], [`AuthorError::Publish`].
    pub fn decide(&mut self) -> Result<Vec<Decided>, AuthorError> {
        self.decide_for(None)
    }

    /// [`Session::decide`] for the requests of `resources` only, and only
    /// when one of them is this key's and has a policy that decides by
    /// itself; `event add` and `event update` call it, so a request of the
    /// key's own first-come resource is decided at once.
    pub(super) fn decide_own_requests(
        &mut self,
        resources: &[DocumentId],
    ) -> Result<Vec<Decided>, AuthorError> {
        let me = self.public_key()?;
        let mut any = false;
        for resource in resources {
            let current = self.current(SchemaId::Resource, resource)?;
            if let Fields::Resource(f) = &current.fields {
                any |= current.author == me && f.policy != Policy::Manual;
            }
        }
        if !any {
            return Ok(Vec::new());
        }
        self.decide_for(Some(resources))
    }

    fn decide_for(&mut self, only: Option<&[DocumentId]>) -> Result<Vec<Decided>, AuthorError> {
        let mut model = materialize(&self.dir.store)?;
        let me = self.public_key()?;
        let waiting: Vec<(DocumentId, DocumentId)> = self
            .pending_in(&model)?
            .into_iter()
            .filter(|line| only.is_none_or(|only| only.contains(&line.resource)))
            .map(|line| (line.event, line.resource))
            .collect();
        let mut planned = Vec::new();
        for (event_id, resource_id) in waiting {
            let (Some(resource), Some(event)) = (
                model.resources.get(&resource_id),
                model.events.get(&event_id),
            ) else {
                continue;
            };
            debug_assert_eq!(resource.owner, me);
            let request = PolicyRequest::new(&model, resource, event);
            let Some(decided) = policy_for(resource.policy).decide(&request) else {
                continue;
            };
            let (decision, note) = (decided.decision, decided.note);
            planned.push(Planned::new(resource, event, decision, note));
            // Later requests see this decision.
            let state = match decision {
                Decision::Confirmed => RequestState::Confirmed,
                Decision::Denied => RequestState::Denied,
            };
            if let Some(event) = model.events.get_mut(&event_id) {
                for request in event
                    .requests
                    .iter_mut()
                    .filter(|r| r.resource == resource_id)
                {
                    request.state = state.clone();
                }
            }
            if let Some(resource) = model.resources.get_mut(&resource_id) {
                match resource.bookings.iter_mut().find(|b| b.event == event_id) {
                    Some(booking) => booking.state = state,
                    None => resource.bookings.push(Booking {
                        event: event_id,
                        state,
                    }),
                }
            }
        }
        self.publish_decisions(planned)
    }

    /// Publishes decisions, one batch per log.
    fn publish_decisions(&mut self, planned: Vec<Planned>) -> Result<Vec<Decided>, AuthorError> {
        let mut by_log: BTreeMap<u64, Vec<Planned>> = BTreeMap::new();
        for plan in planned {
            let log_id = self.log_for(Some(plan.festival))?;
            by_log.entry(log_id).or_default().push(plan);
        }
        let mut decided = Vec::new();
        for (log_id, plans) in by_log {
            let operations: Vec<Operation> = plans
                .iter()
                .map(|plan| {
                    Operation::create(Fields::Authorization(AuthorizationFields {
                        event: plan.event,
                        event_version: plan.version,
                        resource: plan.resource,
                        decision: plan.decision,
                        note: plan.note.clone(),
                    }))
                })
                .collect();
            let ids = self.publish(log_id, &operations)?;
            decided.extend(plans.into_iter().zip(ids).map(|(plan, id)| Decided {
                id,
                event: plan.event,
                event_title: plan.event_title,
                resource: plan.resource,
                resource_title: plan.resource_title,
                decision: plan.decision,
                note: plan.note,
            }));
        }
        Ok(decided)
    }
}

/// A decision worked out, not yet published.
struct Planned {
    festival: DocumentId,
    event: DocumentId,
    event_title: String,
    version: OperationId,
    resource: DocumentId,
    resource_title: String,
    decision: Decision,
    note: String,
}

impl Planned {
    /// The decision on `event`'s current version's request of `resource`.
    fn new(resource: &Resource, event: &Event, decision: Decision, note: String) -> Planned {
        Planned {
            festival: resource.festival,
            event: event.id,
            event_title: event.title.clone(),
            version: event.version.id,
            resource: resource.id,
            resource_title: resource.title.clone(),
            decision,
            note,
        }
    }
}
