//! `ls`: what a directory holds, as a table or as JSON.

use chrono::NaiveDate;
use serde::Serialize;

use super::AuthorError;
use super::session::Session;
use crate::days::format_span;
use crate::materialize::{Model, materialize};

/// What to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListingKind {
    /// Live events, by start.
    Events,
    /// Live resources, by title.
    Resources,
    /// People, by name.
    People,
    /// Festivals, by start.
    Festivals,
}

/// One listed thing. In JSON every row has `id` and `title`
/// (`display_name` for people); the other fields depend on the kind.
#[derive(Clone, Debug, Serialize)]
pub struct Listing {
    /// The full id (a document id, or a public key for people).
    pub id: String,
    /// The title or name (absent for people).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A person's display name, or their short key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Events and festivals: start, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Events and festivals: end, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Events: the timeframe in the festival's zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Events: percent of the requests confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_percent: Option<u32>,
    /// Resources: their kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Resources: their policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Resources: their owner; events: their author; festivals: their author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Festivals: the time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Festivals: the parent festival.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

impl Listing {
    fn new(id: String) -> Listing {
        Listing {
            id,
            title: None,
            display_name: None,
            start: None,
            end: None,
            when: None,
            confirmed_percent: None,
            kind: None,
            policy: None,
            author: None,
            time_zone: None,
            parent: None,
        }
    }

    /// The row as `ls` prints it: the short id (16 digits), then the
    /// fields, separated by two spaces.
    pub fn table_row(&self) -> String {
        let short: String = self.id.chars().take(16).collect();
        let mut parts = vec![short];
        parts.extend(self.when.clone());
        parts.extend(self.title.clone().or(self.display_name.clone()));
        parts.extend(self.kind.clone());
        parts.extend(self.policy.clone());
        parts.extend(self.confirmed_percent.map(|p| format!("{p} % confirmed")));
        parts.extend(self.time_zone.clone());
        parts.join("  ")
    }
}

impl Session {
    /// Lists events, resources, people or festivals. `day` (events only)
    /// keeps the events that start on that date in their festival's time
    /// zone.
    ///
    /// Errors: [`AuthorError::Store`] if the store cannot be read.
    pub fn list(
        &self,
        kind: ListingKind,
        day: Option<NaiveDate>,
    ) -> Result<Vec<Listing>, AuthorError> {
        let model = materialize(&self.dir.store)?;
        Ok(listing(&model, kind, day))
    }
}

fn listing(model: &Model, kind: ListingKind, day: Option<NaiveDate>) -> Vec<Listing> {
    let zone_of = |festival| {
        model
            .festivals
            .get(&festival)
            .map_or(chrono_tz::UTC, |f| f.time_zone)
    };
    match kind {
        ListingKind::Events => {
            let mut events: Vec<_> = model
                .events
                .values()
                .filter(|e| !e.version.deleted)
                .filter(|e| {
                    day.is_none_or(|d| {
                        e.start.with_timezone(&zone_of(e.festival)).date_naive() == d
                    })
                })
                .collect();
            events.sort_by_key(|e| (e.start, e.id));
            events
                .into_iter()
                .map(|e| Listing {
                    title: Some(e.title.clone()),
                    start: Some(e.start.to_rfc3339()),
                    end: Some(e.end.to_rfc3339()),
                    when: Some(format_span(e.start, e.end, zone_of(e.festival))),
                    confirmed_percent: Some(e.confirmed_percent()),
                    author: Some(e.author.to_string()),
                    ..Listing::new(e.id.to_string())
                })
                .collect()
        }
        ListingKind::Resources => {
            let mut resources: Vec<_> = model
                .resources
                .values()
                .filter(|r| !r.version.deleted)
                .collect();
            resources.sort_by(|a, b| (&a.title, a.id).cmp(&(&b.title, b.id)));
            resources
                .into_iter()
                .map(|r| Listing {
                    title: Some(r.title.clone()),
                    kind: Some(match r.location {
                        Some(_) => format!("{} (location)", r.kind.as_str()),
                        None => r.kind.as_str().to_owned(),
                    }),
                    policy: Some(r.policy.as_str().to_owned()),
                    author: Some(r.owner.to_string()),
                    ..Listing::new(r.id.to_string())
                })
                .collect()
        }
        ListingKind::People => {
            let mut people: Vec<_> = model.people.values().collect();
            people.sort_by_key(|p| (p.name(), p.key));
            people
                .into_iter()
                .map(|p| Listing {
                    display_name: Some(p.name()),
                    ..Listing::new(p.key.to_string())
                })
                .collect()
        }
        ListingKind::Festivals => {
            let mut festivals: Vec<_> = model.festivals.values().collect();
            festivals.sort_by_key(|f| (f.start, f.id));
            festivals
                .into_iter()
                .map(|f| Listing {
                    title: Some(f.name.clone()),
                    start: Some(f.start.to_rfc3339()),
                    end: Some(f.end.to_rfc3339()),
                    when: Some(format_span(f.start, f.end, f.time_zone)),
                    author: Some(f.author.to_string()),
                    time_zone: Some(f.time_zone.name().to_owned()),
                    parent: f.parent.map(|p| p.to_string()),
                    ..Listing::new(f.id.to_string())
                })
                .collect()
        }
    }
}
