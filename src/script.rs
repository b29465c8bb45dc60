//! Festival scripts: a readable TOML file whose `[[op]]` tables publish
//! operations in order, each signed by a key derived from a person's name
//! ([`KeyPair::from_name`]). The sample festival is generated from one, so
//! the same script always gives the same bundle.
//!
//! ```toml
//! [[op]]
//! do = "profile"
//! person = "ada"
//! display_name = "Ada"
//! bio = ""
//! ```
//!
//! The actions: `profile`, `festival`, `resource`, `event`, `update_event`,
//! `delete_event` and `authorize`; `sample-festival/source.toml` shows each.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::entry::{DocumentId, KeyPair, OperationId};
use crate::operation::{
    AuthorizationFields, Decision, EventFields, FestivalFields, Fields, Link, Location, Operation,
    Policy, ProfileFields, ResourceFields, ResourceKind, SchemaId,
};
use crate::publish::{PublishError, Publisher};
use crate::store::Store;

/// Errors from running a script; each names the step (counting from 1).
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The script is not valid TOML of the script format.
    #[error("script: {0}")]
    Parse(String),
    /// A step names an id that no earlier step defined.
    #[error("step {step}: unknown {what} `{name}`")]
    Unknown {
        /// The step number.
        step: usize,
        /// What kind of id.
        what: &'static str,
        /// The id.
        name: String,
    },
    /// Publishing a step failed.
    #[error("step {step}: {source}")]
    Publish {
        /// The step number.
        step: usize,
        /// Why.
        source: PublishError,
    },
}

#[derive(Deserialize)]
struct Script {
    op: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
enum Step {
    Profile {
        person: String,
        display_name: String,
        bio: String,
    },
    Festival {
        id: String,
        author: String,
        name: String,
        description: String,
        start: String,
        end: String,
        time_zone: String,
        parent: Option<String>,
    },
    Resource {
        id: String,
        owner: String,
        festival: String,
        title: String,
        description: String,
        kind: ResourceKind,
        policy: Policy,
        location: Option<Location>,
    },
    Event {
        id: String,
        author: String,
        festival: String,
        title: String,
        description: String,
        start: String,
        end: String,
        #[serde(default)]
        resources: Vec<String>,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        links: Vec<(String, String)>,
        subtitle: Option<String>,
        #[serde(rename = "abstract")]
        summary: Option<String>,
        language: Option<String>,
        persons: Option<Vec<String>>,
    },
    UpdateEvent {
        event: String,
        title: Option<String>,
        description: Option<String>,
        start: Option<String>,
        end: Option<String>,
        resources: Option<Vec<String>>,
        tags: Option<Vec<String>>,
        links: Option<Vec<(String, String)>>,
    },
    DeleteEvent {
        event: String,
    },
    Authorize {
        event: String,
        resource: String,
        decision: Decision,
        #[serde(default)]
        note: String,
    },
}

/// What a script published: the document id of each named thing.
#[derive(Debug, Default)]
pub struct ScriptOutcome {
    /// Festival, resource and event ids by their name in the script.
    pub documents: BTreeMap<String, DocumentId>,
    /// The number of operations published.
    pub operations: usize,
}

struct EventState {
    author: String,
    version: OperationId,
    fields: EventFields,
}

/// Runs a script against `store`, publishing every step in order.
///
/// Errors: [`ScriptError`] naming the step that failed; the steps before it
/// stay published.
pub fn run_script(store: &mut Store, source: &str) -> Result<ScriptOutcome, ScriptError> {
    let script: Script = toml::from_str(source).map_err(|e| ScriptError::Parse(e.to_string()))?;
    let mut outcome = ScriptOutcome::default();
    let mut owners: BTreeMap<DocumentId, (String, DocumentId)> = BTreeMap::new();
    let mut events: BTreeMap<String, EventState> = BTreeMap::new();
    for (index, step) in script.op.into_iter().enumerate() {
        let n = index + 1;
        let find = |what: &'static str, name: &str, docs: &BTreeMap<String, DocumentId>| {
            docs.get(name).copied().ok_or_else(|| ScriptError::Unknown {
                step: n,
                what,
                name: name.to_owned(),
            })
        };
        let publish =
            |store: &mut Store, person: &str, festival: Option<DocumentId>, op: Operation| {
                let key = KeyPair::from_name(person);
                let mut publisher = Publisher::new(store, &key);
                let log_id = match op.fields {
                    Some(Fields::Profile(_)) => publisher.profile_log(festival),
                    _ => publisher.log_for(festival),
                }
                .map_err(|source| ScriptError::Publish { step: n, source })?;
                publisher
                    .publish(log_id, &op)
                    .map_err(|source| ScriptError::Publish { step: n, source })
            };
        match step {
            Step::Profile {
                person,
                display_name,
                bio,
            } => {
                publish(
                    store,
                    &person,
                    None,
                    Operation::create(Fields::Profile(ProfileFields { display_name, bio })),
                )?;
            }
            Step::Festival {
                id,
                author,
                name,
                description,
                start,
                end,
                time_zone,
                parent,
            } => {
                let parent = parent
                    .map(|p| find("festival", &p, &outcome.documents))
                    .transpose()?;
                let fields = FestivalFields {
                    name,
                    description,
                    start,
                    end,
                    time_zone,
                    parent,
                    forked_from: None,
                    source: None,
                    acronym: None,
                    days: None,
                };
                let doc = publish(
                    store,
                    &author,
                    None,
                    Operation::create(Fields::Festival(fields)),
                )?;
                outcome.documents.insert(id, doc);
            }
            Step::Resource {
                id,
                owner,
                festival,
                title,
                description,
                kind,
                policy,
                location,
            } => {
                let festival = find("festival", &festival, &outcome.documents)?;
                let fields = ResourceFields {
                    festival,
                    title,
                    description,
                    kind,
                    location,
                    policy,
                    derived_from: None,
                    source: None,
                };
                let doc = publish(
                    store,
                    &owner,
                    Some(festival),
                    Operation::create(Fields::Resource(fields)),
                )?;
                owners.insert(doc, (owner, festival));
                outcome.documents.insert(id, doc);
            }
            Step::Event {
                id,
                author,
                festival,
                title,
                description,
                start,
                end,
                resources,
                tags,
                links,
                subtitle,
                summary,
                language,
                persons,
            } => {
                let festival = find("festival", &festival, &outcome.documents)?;
                let resources = resources
                    .iter()
                    .map(|r| find("resource", r, &outcome.documents))
                    .collect::<Result<_, _>>()?;
                let fields = EventFields {
                    festival,
                    title,
                    description,
                    start,
                    end,
                    resources,
                    tags,
                    links: links
                        .into_iter()
                        .map(|(title, url)| Link { title, url })
                        .collect(),
                    subtitle,
                    summary,
                    language,
                    persons,
                    derived_from: None,
                    source: None,
                    track: None,
                    kind: None,
                    url: None,
                    do_not_record: None,
                };
                let doc = publish(
                    store,
                    &author,
                    Some(festival),
                    Operation::create(Fields::Event(fields.clone())),
                )?;
                outcome.documents.insert(id.clone(), doc);
                events.insert(
                    id,
                    EventState {
                        author,
                        version: doc,
                        fields,
                    },
                );
            }
            Step::UpdateEvent {
                event,
                title,
                description,
                start,
                end,
                resources,
                tags,
                links,
            } => {
                let resources = resources
                    .map(|list| {
                        list.iter()
                            .map(|r| find("resource", r, &outcome.documents))
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .transpose()?;
                let state = events.get_mut(&event).ok_or_else(|| ScriptError::Unknown {
                    step: n,
                    what: "event",
                    name: event.clone(),
                })?;
                let f = &mut state.fields;
                f.title = title.unwrap_or(f.title.clone());
                f.description = description.unwrap_or(f.description.clone());
                f.start = start.unwrap_or(f.start.clone());
                f.end = end.unwrap_or(f.end.clone());
                f.resources = resources.unwrap_or(f.resources.clone());
                f.tags = tags.unwrap_or(f.tags.clone());
                if let Some(links) = links {
                    f.links = links
                        .into_iter()
                        .map(|(title, url)| Link { title, url })
                        .collect();
                }
                let op = Operation::update(state.version, Fields::Event(f.clone()));
                state.version = publish(
                    store,
                    &state.author.clone(),
                    Some(state.fields.festival),
                    op,
                )?;
            }
            Step::DeleteEvent { event } => {
                let state = events.remove(&event).ok_or_else(|| ScriptError::Unknown {
                    step: n,
                    what: "event",
                    name: event.clone(),
                })?;
                publish(
                    store,
                    &state.author,
                    Some(state.fields.festival),
                    Operation::delete(SchemaId::Event, state.version),
                )?;
            }
            Step::Authorize {
                event,
                resource,
                decision,
                note,
            } => {
                let resource_id = find("resource", &resource, &outcome.documents)?;
                let (owner, festival) =
                    owners
                        .get(&resource_id)
                        .cloned()
                        .ok_or_else(|| ScriptError::Unknown {
                            step: n,
                            what: "resource",
                            name: resource.clone(),
                        })?;
                let state = events.get(&event).ok_or_else(|| ScriptError::Unknown {
                    step: n,
                    what: "event",
                    name: event.clone(),
                })?;
                let fields = AuthorizationFields {
                    event: outcome.documents[&event],
                    event_version: state.version,
                    resource: resource_id,
                    decision,
                    note,
                };
                publish(
                    store,
                    &owner,
                    Some(festival),
                    Operation::create(Fields::Authorization(fields)),
                )?;
            }
        }
        outcome.operations += 1;
    }
    Ok(outcome)
}
