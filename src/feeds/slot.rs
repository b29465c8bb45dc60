//! One event of a [`super::Plan`]: its ids, slug, local times, room,
//! type, track, text, hosts and links.

use chrono::DateTime;
use chrono_tz::Tz;
use uuid::Uuid;

use super::parts::event_kind;
use super::text::{markdown_to_text, one_line, slugify, uri_escape};
use crate::entry::DocumentId;
use crate::materialize::{Event, Model};
use crate::operation::Link;

/// One event in the plan.
#[derive(Clone, Debug)]
pub struct Slot {
    /// The event's document id.
    pub event: DocumentId,
    /// A stable positive id below 2^31 from the document id; unique.
    pub id: u32,
    /// UUIDv5 of `pandafest:event:<document id>`.
    pub guid: Uuid,
    /// `<acronym>-<id>-<title slug>`.
    pub slug: String,
    /// The start in the festival zone.
    pub start: DateTime<Tz>,
    /// The end in the festival zone.
    pub end: DateTime<Tz>,
    /// The room's name.
    pub room: String,
    /// Title, on one line.
    pub title: String,
    /// Subtitle, on one line.
    pub subtitle: Option<String>,
    /// The first tag that is not the type.
    pub track: Option<String>,
    /// The first tag naming a known event type (talk, workshop, …), else
    /// `other`.
    pub kind: String,
    /// Language tag.
    pub language: Option<String>,
    /// Abstract, Markdown flattened to plain text.
    pub summary: Option<String>,
    /// Description, Markdown flattened to plain text: no raw HTML from the
    /// logs reaches apps that might render it.
    pub description: String,
    /// Hosts: the event's persons, else its author.
    pub persons: Vec<PlanPerson>,
    /// Links with their URLs percent-encoded where RFC 3986 wants it.
    pub links: Vec<Link>,
    /// The event page, when the base URL is known.
    pub url: Option<String>,
}

/// A host of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanPerson {
    /// The name shown.
    pub name: String,
    /// UUIDv5 of `pandafest:person:<public key>` for a pandafest user.
    pub guid: Option<Uuid>,
}

/// The UUIDv5 (URL namespace) of `pandafest:<kind>:<id>`.
pub(super) fn guid(kind: &str, id: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("pandafest:{kind}:{id}").as_bytes(),
    )
}

/// The slot of `event`, with plan id `id`, in room `room`.
pub(super) fn slot(
    model: &Model,
    event: &Event,
    id: u32,
    acronym: &str,
    room: &str,
    base_url: Option<&str>,
    zone: Tz,
) -> Slot {
    let title = one_line(&event.title);
    let mut title_slug = slugify(&title, '-', 48);
    if title_slug.is_empty() {
        title_slug = "event".into();
    }
    let (kind, track) = event_kind(&event.tags);
    let persons = if event.persons.iter().any(|p| !one_line(p).is_empty()) {
        event
            .persons
            .iter()
            .map(|p| PlanPerson {
                name: one_line(p),
                guid: None,
            })
            .filter(|p| !p.name.is_empty())
            .collect()
    } else {
        let name = model
            .people
            .get(&event.author)
            .map_or_else(|| event.author.short(), |p| p.name());
        vec![PlanPerson {
            name: one_line(&name),
            guid: Some(guid("person", &event.author.to_hex())),
        }]
    };
    let text = |t: &Option<String>| t.as_deref().map(one_line).filter(|t| !t.is_empty());
    let hex = event.id.to_hex();
    Slot {
        event: event.id,
        id,
        guid: guid("event", &hex),
        slug: format!("{acronym}-{id}-{title_slug}"),
        start: event.start.with_timezone(&zone),
        end: event.end.with_timezone(&zone),
        room: room.to_owned(),
        title,
        subtitle: text(&event.subtitle),
        track,
        kind,
        language: text(&event.language),
        summary: event
            .summary
            .as_deref()
            .map(markdown_to_text)
            .filter(|s| !s.is_empty()),
        description: markdown_to_text(&event.description),
        persons,
        links: event
            .links
            .iter()
            .map(|l| Link {
                title: one_line(&l.title),
                url: uri_escape(l.url.trim()),
            })
            .collect(),
        url: base_url.map(|base| format!("{base}events/{hex}/")),
    }
}
