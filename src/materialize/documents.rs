//! Operations -> documents: each document's versions in log order.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;

use super::model::{Event, Festival, Model, Person, Resource, Version};
use crate::entry::{DocumentId, OperationId, PublicKey};
use crate::operation::{
    Action, AuthorizationFields, Fields, Operation, OperationError, decode_stored_operation,
};
use crate::store::OperationRef;

/// One operation of a document, with its position in its author's logs.
pub(super) struct Step {
    pub id: OperationId,
    pub author: PublicKey,
    pub position: (u64, u64),
    pub operation: Operation,
}

/// An event version's start and end.
pub(super) type Timeframe = (DateTime<FixedOffset>, DateTime<FixedOffset>);

/// One version of an event: what the authorization rules look at.
pub(super) struct EventVersion {
    /// The operation id of the version.
    pub id: OperationId,
    /// Its start and end.
    pub timeframe: Timeframe,
    /// The resources it requests.
    pub resources: Vec<DocumentId>,
}

/// One decision of an authorization document: its author, the position of
/// the operation that made it, and what it says.
pub(super) type AuthorizationStep = (PublicKey, (u64, u64), AuthorizationFields);

/// What the authorization rules need besides the model.
pub(super) struct Documents {
    /// Each event's versions (operations with fields), in log order. Looked
    /// up by event only, so a hash map.
    pub event_versions: HashMap<DocumentId, Vec<EventVersion>>,
    /// The decisions of each live authorization document: every operation
    /// of it, in log order, since it last named another event or resource
    /// (an update that only edits the note or the decision is a decision
    /// of its own; one that names another request withdraws the earlier).
    pub authorizations: Vec<AuthorizationStep>,
}

fn time(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).expect("validated at ingest")
}

/// One operation, decoded, with its document and position.
pub(super) struct Decoded {
    pub op: OperationRef,
    pub operation: Result<Operation, OperationError>,
}

/// Decodes the payloads of stored operations, in parallel (each stands
/// alone); the order is kept. They passed every check at ingest, so the
/// canonical form is not checked again ([`decode_stored_operation`]).
pub(super) fn decode(operations: Vec<(OperationRef, Vec<u8>)>) -> Vec<Decoded> {
    operations
        .into_par_iter()
        .map(|(op, payload)| Decoded {
            op,
            operation: decode_stored_operation(&payload),
        })
        .collect()
}

/// Groups decoded operations (ordered by author, log id and seq num) by
/// document and builds the model's documents.
pub(super) fn build(operations: Vec<Decoded>, model: &mut Model) -> Documents {
    let mut by_document: BTreeMap<DocumentId, Vec<Step>> = BTreeMap::new();
    for Decoded { op, operation } in operations {
        match operation {
            // Most documents have one operation: no room for four.
            Ok(operation) => by_document
                .entry(op.document)
                .or_insert_with(|| Vec::with_capacity(1))
                .push(Step {
                    id: op.id,
                    author: op.author,
                    position: (op.log_id, op.seq_num),
                    operation,
                }),
            Err(e) => model.notes.push(format!("operation {}: {e}", op.id)),
        }
        model.people.entry(op.author).or_insert_with(|| Person {
            key: op.author,
            display_name: None,
            bio: None,
        });
    }
    let mut documents = Documents {
        event_versions: HashMap::new(),
        authorizations: Vec::new(),
    };
    let mut profiles: BTreeMap<PublicKey, ((u64, u64), String, String)> = BTreeMap::new();
    for (document, mut steps) in by_document {
        steps.sort_by_key(|s| s.position);
        if steps[0].id != document || steps[0].operation.action != Action::Create {
            model.notes.push(format!(
                "document {document}: its CREATE operation is missing"
            ));
            continue;
        }
        let last = steps.last().expect("at least the CREATE");
        let version = Version {
            id: last.id,
            sequence: (steps.len() - 1) as u32,
            deleted: last.operation.action == Action::Delete,
        };
        let author = steps[0].author;
        let Some(at) = steps.iter().rposition(|s| s.operation.fields.is_some()) else {
            continue;
        };
        let fields_at = steps[at].position;
        // An event's versions, read before its current fields move out.
        let versions: Vec<EventVersion> = steps
            .iter()
            .filter_map(|s| match &s.operation.fields {
                Some(Fields::Event(v)) => Some(EventVersion {
                    id: s.id,
                    timeframe: (time(&v.start), time(&v.end)),
                    resources: v.resources.clone(),
                }),
                _ => None,
            })
            .collect();
        let fields = steps[at].operation.fields.take().expect("found above");
        match fields {
            Fields::Festival(f) => {
                model.festivals.insert(
                    document,
                    Festival {
                        id: document,
                        author,
                        version,
                        name: f.name,
                        description: f.description,
                        start: time(&f.start),
                        end: time(&f.end),
                        time_zone: f.time_zone.parse().expect("validated at ingest"),
                        parent: f.parent,
                        children: Vec::new(),
                        forked_from: f.forked_from,
                        acronym: f.acronym,
                        days: f
                            .days
                            .unwrap_or_default()
                            .iter()
                            .filter_map(|d| {
                                Some(super::SourceDay {
                                    date: d.date.parse().ok()?,
                                    start: time(&d.start),
                                    end: time(&d.end),
                                })
                            })
                            .collect(),
                    },
                );
            }
            Fields::Profile(f) => {
                if !version.deleted
                    && profiles
                        .get(&author)
                        .is_none_or(|(at, _, _)| *at < fields_at)
                {
                    profiles.insert(author, (fields_at, f.display_name, f.bio));
                }
            }
            Fields::Resource(f) => {
                if version.deleted {
                    continue;
                }
                model.resources.insert(
                    document,
                    Resource {
                        id: document,
                        owner: author,
                        version,
                        festival: f.festival,
                        title: f.title,
                        description: f.description,
                        kind: f.kind,
                        location: f.location,
                        policy: f.policy,
                        derived_from: f.derived_from,
                        bookings: Vec::new(),
                    },
                );
            }
            Fields::Event(f) => {
                let start = time(&f.start);
                let moved_from = versions
                    .first()
                    .map(|first| first.timeframe.0)
                    .filter(|first| *first != start);
                documents.event_versions.insert(document, versions);
                model.events.insert(
                    document,
                    Event {
                        id: document,
                        author,
                        version,
                        festival: f.festival,
                        title: f.title,
                        description: f.description,
                        start,
                        end: time(&f.end),
                        tags: f.tags,
                        links: f.links,
                        subtitle: f.subtitle,
                        summary: f.summary,
                        language: f.language,
                        persons: f.persons.unwrap_or_default(),
                        derived_from: f.derived_from,
                        source: f.source,
                        track: f.track,
                        kind: f.kind,
                        url: f.url,
                        do_not_record: f.do_not_record == Some(true),
                        moved_from,
                        requests: f
                            .resources
                            .into_iter()
                            .map(|resource| super::Request {
                                resource,
                                state: super::RequestState::Pending,
                                note: None,
                            })
                            .collect(),
                    },
                );
            }
            Fields::Authorization(f) => {
                if version.deleted {
                    continue;
                }
                let earlier: Vec<AuthorizationStep> = steps[..at]
                    .iter()
                    .rev()
                    .filter_map(|s| match &s.operation.fields {
                        Some(Fields::Authorization(g)) => Some((s, g)),
                        _ => None,
                    })
                    .take_while(|(_, g)| g.event == f.event && g.resource == f.resource)
                    .map(|(s, g)| (author, s.position, g.clone()))
                    .collect();
                documents.authorizations.extend(earlier.into_iter().rev());
                documents.authorizations.push((author, fields_at, f));
            }
        }
    }
    for (key, (_, name, bio)) in profiles {
        let person = model
            .people
            .get_mut(&key)
            .expect("every author is a person");
        person.display_name = Some(name);
        person.bio = Some(bio).filter(|b| !b.is_empty());
    }
    break_parent_cycles(model);
    let children: Vec<(DocumentId, DocumentId)> = model
        .festivals
        .values()
        .filter_map(|f| f.parent.map(|p| (p, f.id)))
        .collect();
    for (parent, child) in children {
        match model.festivals.get_mut(&parent) {
            Some(festival) => festival.children.push(child),
            None => model.notes.push(format!(
                "festival {child}: parent festival {parent} is unknown"
            )),
        }
    }
    let starts: BTreeMap<DocumentId, DateTime<FixedOffset>> =
        model.festivals.values().map(|f| (f.id, f.start)).collect();
    for festival in model.festivals.values_mut() {
        festival.children.sort_by_key(|c| (starts[c], *c));
    }
    documents
}

/// Festivals nest as a tree: a festival whose parent chain comes back to
/// it (its own parent, or A in B in A) loses its parent link, with a note,
/// so that whatever walks the tree ends.
pub(super) fn break_parent_cycles(model: &mut Model) {
    // Each festival is walked once: `done` holds those whose parents are
    // known to end at the top, so a long chain costs its length, not its
    // length squared.
    let mut done: HashSet<DocumentId> = HashSet::new();
    let ids: Vec<DocumentId> = model.festivals.keys().copied().collect();
    for id in ids {
        let mut path: Vec<DocumentId> = Vec::new();
        let mut on_path: HashMap<DocumentId, usize> = HashMap::new();
        let mut at = Some(id);
        while let Some(festival) =
            at.filter(|f| !done.contains(f) && model.festivals.contains_key(f))
        {
            if let Some(&start) = on_path.get(&festival) {
                // The cycle's first festival by id loses its parent.
                let first = *path[start..].iter().min().expect("a cycle holds one");
                model.festivals.get_mut(&first).expect("on the path").parent = None;
                model.notes.push(format!(
                    "festival {first}: its parent festivals lead back to it; shown at the top level"
                ));
                break;
            }
            on_path.insert(festival, path.len());
            path.push(festival);
            at = model.festivals[&festival].parent;
        }
        done.extend(path);
    }
}
