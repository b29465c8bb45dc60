//! One event of a [`super::Plan`]: its ids, slug, local times, room,
//! type, track, text, hosts and links.

use chrono::DateTime;
use chrono_tz::Tz;
use uuid::Uuid;

use super::parts::event_kind;
use super::text::{markdown_for_apps, one_line, slugify, uri_escape};
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
    /// The guid of the schedule item it was imported from (its import key
    /// `frab:<guid>`), else UUIDv5 of `pandafest:event:<document id>`.
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
    /// The track an imported schedule gave it; else the first tag that is
    /// not the type.
    pub track: Option<String>,
    /// The type an imported schedule gave it (any word, or empty when it
    /// gave none); else the first tag naming a known event type (talk,
    /// workshop, …), else `other`.
    pub kind: String,
    /// Language tag.
    pub language: Option<String>,
    /// Abstract, Markdown as [`super::text::markdown_for_apps`] gives it.
    pub summary: Option<String>,
    /// Description, Markdown as [`super::text::markdown_for_apps`] gives
    /// it: as written, unless it holds raw HTML or a link that is not http,
    /// https or mailto (then flattened): none of that reaches apps that
    /// might render it.
    pub description: String,
    /// Hosts: for an imported event exactly the schedule's persons; else
    /// the event's persons, else its author's display name when the author
    /// has a profile, else none.
    pub persons: Vec<PlanPerson>,
    /// Links with their URLs percent-encoded where RFC 3986 wants it.
    pub links: Vec<Link>,
    /// The event's own page elsewhere (an imported schedule's event URL),
    /// else its page on the site when the base URL is known.
    pub url: Option<String>,
    /// Its speakers opted out of recording.
    pub do_not_record: bool,
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
    let imported = event.source.is_some();
    let explicit = event.kind.is_some() || event.track.is_some() || event.tags.is_empty();
    let (kind, track) = if imported && explicit {
        let kind = event.kind.as_deref().map(one_line).unwrap_or_default();
        (kind, event.track.as_deref().map(one_line))
    } else {
        event_kind(&event.tags)
    };
    let named: Vec<PlanPerson> = event
        .persons
        .iter()
        .map(|p| PlanPerson {
            name: one_line(p),
            guid: None,
        })
        .filter(|p| !p.name.is_empty())
        .collect();
    let persons = if imported || !named.is_empty() {
        named
    } else {
        // Never the key itself as a name: only a display name.
        model
            .people
            .get(&event.author)
            .and_then(|p| p.display_name.as_deref().map(one_line))
            .filter(|name| !name.is_empty())
            .map(|name| PlanPerson {
                name,
                guid: Some(guid("person", &event.author.to_hex())),
            })
            .into_iter()
            .collect()
    };
    let text = |t: &Option<String>| t.as_deref().map(one_line).filter(|t| !t.is_empty());
    let hex = event.id.to_hex();
    Slot {
        event: event.id,
        id,
        guid: source_guid(event).unwrap_or_else(|| guid("event", &hex)),
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
            .map(markdown_for_apps)
            .filter(|s| !s.is_empty()),
        description: markdown_for_apps(&event.description),
        persons,
        links: event
            .links
            .iter()
            .map(|l| Link {
                title: one_line(&l.title),
                url: uri_escape(l.url.trim()),
            })
            .collect(),
        do_not_record: event.do_not_record,
        url: event
            .url
            .as_deref()
            .map(|u| uri_escape(u.trim()))
            .or_else(|| base_url.map(|base| format!("{base}events/{hex}/"))),
    }
}

/// The guid of the schedule item `event` was imported from: its import key
/// is `frab:<guid>` (frab, pretalx and C3VOC schedules give every event a
/// UUID).
fn source_guid(event: &Event) -> Option<Uuid> {
    let key = event.source.as_deref()?.strip_prefix("frab:")?;
    Uuid::parse_str(key).ok()
}
