//! The difference between a schedule and what earlier imports published,
//! as signed operations in one batch: CREATE what is new, UPDATE what
//! changed, DELETE what vanished, and confirm every event's room.

use std::collections::{BTreeMap, BTreeSet};

use chrono::DateTime;
use chrono_tz::Tz;

use super::existing::{Doc, Existing};
use super::schedule::{Item, Problem, Schedule, event_name, limit_key};
use super::text::fit;
use super::time::format_instant;
use crate::entry::DocumentId;
use crate::materialize::{Model, RequestState};
use crate::operation::{
    AuthorizationFields, Decision, EventFields, FestivalFields, Fields, Location, Operation,
    OperationError, Policy, ResourceFields, ResourceKind, SchemaId, limits,
};
use crate::publish::{Batch, PublishError};

/// What the batch holds, by kind.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub festival: Option<DocumentId>,
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
    pub rooms_changed: usize,
    pub confirmations: usize,
    /// Events whose operation failed validation: skipped.
    pub invalid: Vec<Problem>,
    /// Optional fields left out of an event because they were invalid; the
    /// event is imported without them.
    pub notes: Vec<String>,
}

/// Pushes the operations that bring the store in step with `schedule`.
///
/// Errors: [`PublishError`] if signing fails or the festival's or a room's
/// fields are invalid; an invalid event is skipped into `Outcome::invalid`.
pub(crate) fn apply(
    batch: &mut Batch<'_, '_>,
    schedule: &Schedule,
    mut festival: FestivalFields,
    existing: &Existing,
    model: &Model,
) -> Result<Outcome, PublishError> {
    let mut outcome = Outcome::default();
    let zone = schedule.time_zone;
    let festival_id = match existing.festival(&schedule.key) {
        Some(doc) => {
            festival.parent = doc.fields.parent;
            festival.forked_from = doc.fields.forked_from.clone();
            if doc.fields != festival {
                batch.push(&Operation::update(doc.version, Fields::Festival(festival)))?;
            }
            doc.id
        }
        None => batch.push(&Operation::create(Fields::Festival(festival)))?,
    };
    outcome.festival = Some(festival_id);

    let old_rooms = by_source(existing.rooms_of(festival_id), |r| &r.fields.source);
    let mut rooms: BTreeMap<&str, DocumentId> = BTreeMap::new();
    let mut kept_rooms = BTreeSet::new();
    for room in &schedule.rooms {
        let fields = ResourceFields {
            festival: festival_id,
            title: fit(room.name.clone(), limits::TITLE).0,
            description: String::new(),
            kind: ResourceKind::Room,
            location: Some(match room.gps {
                Some((lat, lon)) => Location::Gps { lat, lon },
                None => Location::Address {
                    address: fit(room.name.clone(), limits::ADDRESS).0,
                },
            }),
            policy: Policy::Manual,
            derived_from: None,
            source: Some(limit_key(format!("room:{}", room.name))),
        };
        let key = fields.source.clone().expect("set");
        let id = match old_rooms.get(key.as_str()).and_then(|docs| docs.first()) {
            Some(doc) if doc.fields == fields => doc.id,
            Some(doc) => {
                batch.push(&Operation::update(doc.version, Fields::Resource(fields)))?;
                outcome.rooms_changed += 1;
                doc.id
            }
            None => {
                outcome.rooms_changed += 1;
                batch.push(&Operation::create(Fields::Resource(fields)))?
            }
        };
        kept_rooms.insert(key);
        rooms.insert(&room.name, id);
    }

    let old_events = by_source(existing.events_of(festival_id), |e| &e.fields.source);
    let mut kept: BTreeSet<&str> = schedule
        .problems
        .iter()
        .filter_map(|p| p.key.as_deref())
        .collect();
    for item in &schedule.events {
        let room = item.room.as_deref().and_then(|r| rooms.get(r)).copied();
        let mut fields = event_fields(item, festival_id, room, zone);
        outcome
            .notes
            .extend(drop_invalid_optional_fields(&mut fields, item));
        let old = old_events
            .get(item.key.as_str())
            .and_then(|docs| docs.first());
        let pushed = match old {
            Some(doc) if doc.fields == fields => {
                outcome.unchanged += 1;
                let confirmed = room.is_none_or(|r| is_confirmed(model, doc.id, r));
                Ok((!confirmed).then_some((doc.id, doc.version)))
            }
            Some(doc) => {
                let version = batch.push(&Operation::update(
                    doc.version,
                    Fields::Event(fields.clone()),
                ));
                version.map(|version| {
                    outcome.updated += 1;
                    let same = same_timeframe(&doc.fields, &fields)
                        && doc.fields.resources == fields.resources
                        && room.is_none_or(|r| is_confirmed(model, doc.id, r));
                    (!same).then_some((doc.id, version))
                })
            }
            None => batch
                .push(&Operation::create(Fields::Event(fields)))
                .map(|id| {
                    outcome.created += 1;
                    Some((id, id))
                }),
        };
        match pushed {
            Ok(Some((event, event_version))) => {
                if let Some(resource) = room {
                    let fields = AuthorizationFields {
                        event,
                        event_version,
                        resource,
                        decision: Decision::Confirmed,
                        note: String::new(),
                    };
                    batch.push(&Operation::create(Fields::Authorization(fields)))?;
                    outcome.confirmations += 1;
                }
            }
            Ok(None) => {}
            Err(PublishError::Invalid { source, .. }) => {
                outcome.invalid.push(invalid(item, source))
            }
            Err(other) => return Err(other),
        }
        kept.insert(&item.key);
    }

    for (key, docs) in &old_events {
        // The first document of a key still in the schedule stays; any other
        // is a leftover and goes.
        let skip = usize::from(kept.contains(key));
        for doc in docs.iter().skip(skip) {
            batch.push(&Operation::delete(SchemaId::Event, doc.version))?;
            outcome.deleted += 1;
        }
    }
    for (key, docs) in &old_rooms {
        let skip = usize::from(kept_rooms.contains(*key));
        for doc in docs.iter().skip(skip) {
            batch.push(&Operation::delete(SchemaId::Resource, doc.version))?;
            outcome.rooms_changed += 1;
        }
    }
    Ok(outcome)
}

/// The `event_v1` fields of an item.
fn event_fields(
    item: &Item,
    festival: DocumentId,
    room: Option<DocumentId>,
    zone: Tz,
) -> EventFields {
    EventFields {
        festival,
        title: item.title.clone(),
        description: item.description.clone(),
        start: format_instant(item.start, zone),
        end: format_instant(item.end, zone),
        resources: room.into_iter().collect(),
        tags: item.tags.clone(),
        links: item.links.clone(),
        subtitle: item.subtitle.clone(),
        summary: item.summary.clone(),
        language: item.language.clone(),
        persons: Some(item.persons.clone()).filter(|p| !p.is_empty()),
        derived_from: None,
        source: Some(item.key.clone()),
        track: item.track.clone(),
        kind: item.kind.clone(),
        url: item.url.clone(),
        do_not_record: item.do_not_record.then_some(true),
    }
}

/// Documents grouped by their source key, in log order.
fn by_source<'a, F>(
    docs: Vec<&'a Doc<F>>,
    source: impl Fn(&'a Doc<F>) -> &'a Option<String>,
) -> BTreeMap<&'a str, Vec<&'a Doc<F>>> {
    let mut map: BTreeMap<&str, Vec<&Doc<F>>> = BTreeMap::new();
    for doc in docs {
        if let Some(key) = source(doc) {
            map.entry(key.as_str()).or_default().push(doc);
        }
    }
    map
}

/// Whether the bridge's confirmation of `room` holds for the event's
/// current version (a conflict counts: the source itself overlaps).
fn is_confirmed(model: &Model, event: DocumentId, room: DocumentId) -> bool {
    model
        .events
        .get(&event)
        .and_then(|e| e.requests.iter().find(|r| r.resource == room))
        .is_some_and(|r| {
            matches!(
                r.state,
                RequestState::Confirmed | RequestState::Conflict { .. }
            )
        })
}

/// Whether two versions have the same start and end instants.
fn same_timeframe(old: &EventFields, new: &EventFields) -> bool {
    let at = |t: &str| DateTime::parse_from_rfc3339(t).ok();
    at(&old.start) == at(&new.start) && at(&old.end) == at(&new.end)
}

/// An event whose operation failed validation, as a problem.
/// Leaves out of `fields` each optional field, link, person or tag that
/// breaks `event_v1`'s rules (a link with no host, a track over its limit),
/// so that one bad optional field does not cost the whole event. Only what
/// an event cannot exist without (title, start, end) makes it invalid.
/// Returns a note per field left out, naming the event and the field.
fn drop_invalid_optional_fields(fields: &mut EventFields, item: &Item) -> Vec<String> {
    // The event with none of its optional parts, to check each part alone.
    let bare = EventFields {
        tags: Vec::new(),
        links: Vec::new(),
        subtitle: None,
        summary: None,
        language: None,
        persons: None,
        track: None,
        kind: None,
        url: None,
        ..fields.clone()
    };
    let valid = |probe: EventFields| Operation::create(Fields::Event(probe)).check();
    // Valid as it is; or invalid even without its optional parts, which
    // skips it (the caller reports that).
    if valid(fields.clone()).is_ok() || valid(bare.clone()).is_err() {
        return Vec::new();
    }
    let mut notes = Vec::new();
    let mut check = |probe: EventFields| match valid(probe) {
        Ok(()) => true,
        Err(error) => {
            let (field, reason) = match error {
                OperationError::Field { field, reason, .. } => (field, reason),
                other => ("fields".to_owned(), other.to_string()),
            };
            notes.push(format!(
                "event {}: field `{field}`: {reason}; left out, the event imported",
                event_name(Some(&item.key), Some(&item.title))
            ));
            false
        }
    };
    fields.links.retain(|link| {
        check(EventFields {
            links: vec![link.clone()],
            ..bare.clone()
        })
    });
    fields.tags.retain(|tag| {
        check(EventFields {
            tags: vec![tag.clone()],
            ..bare.clone()
        })
    });
    if let Some(persons) = &mut fields.persons {
        persons.retain(|person| {
            check(EventFields {
                persons: Some(vec![person.clone()]),
                ..bare.clone()
            })
        });
    }
    let mut keep = |value: &mut Option<String>, set: fn(&mut EventFields, String)| {
        if let Some(text) = value.take() {
            let mut probe = bare.clone();
            set(&mut probe, text.clone());
            if check(probe) {
                *value = Some(text);
            }
        }
    };
    keep(&mut fields.subtitle, |f, v| f.subtitle = Some(v));
    keep(&mut fields.summary, |f, v| f.summary = Some(v));
    keep(&mut fields.language, |f, v| f.language = Some(v));
    keep(&mut fields.track, |f, v| f.track = Some(v));
    keep(&mut fields.kind, |f, v| f.kind = Some(v));
    keep(&mut fields.url, |f, v| f.url = Some(v));
    notes
}

fn invalid(item: &Item, error: OperationError) -> Problem {
    let (field, message) = match error {
        OperationError::Field { field, reason, .. } => (field, reason),
        other => ("fields".to_owned(), other.to_string()),
    };
    Problem {
        event: Some(event_name(Some(&item.key), Some(&item.title))),
        key: Some(item.key.clone()),
        field,
        message,
    }
}
