//! View structs: the model as templates see it, with local times already
//! formatted, Markdown already sanitized and links already worked out.
//! Link `url`s are relative to the site root (templates prefix `root`);
//! an empty `url` means plain text.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use super::markdown;
use super::site::{Site, day_path, festival_path, person_path};
use crate::days::{format_date_range, format_day_long, format_day_short, format_span};
use crate::days::{format_times, zone_abbreviation};
use crate::entry::{DocumentId, PublicKey};
use crate::materialize::{Event, Festival, RequestState, Resource};
use crate::operation::{Location, Policy};

/// A link inside the site, or plain text when `url` is empty.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Link {
    pub url: String,
    pub text: String,
}

impl Link {
    pub fn new(url: String, text: impl Into<String>) -> Link {
        Link {
            url,
            text: text.into(),
        }
    }
}

/// An event in a list or a grid.
#[derive(Clone, Debug, Serialize)]
pub(super) struct EventCard {
    pub url: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// `Fri 16 Jul, 18:00–19:30`.
    pub when: String,
    /// `18:00–19:30`.
    pub times: String,
    pub day: Link,
    pub locations: Vec<Link>,
    pub hosts: Vec<String>,
    pub tags: Vec<String>,
    /// The sub-festival, when it is not the site's festival.
    pub festival: Option<Link>,
    pub confirmed: usize,
    pub requested: usize,
    pub percent: u32,
    /// `confirmed` (everything), `partial`, `unconfirmed` or `open`
    /// (nothing requested).
    pub status: &'static str,
    /// What stands in the way beyond waiting for owners: `conflict` (a
    /// resource is held by an overlapping event), else `lapsed` (a
    /// confirmation was for an older time), else `denied`; none otherwise.
    pub problem: Option<&'static str>,
    pub cancelled: bool,
}

/// Every event's card by event id, made once: lists, grids and pages
/// share them.
pub(super) type Cards = HashMap<DocumentId, EventCard>;

/// A festival's heading data.
#[derive(Clone, Debug, Serialize)]
pub(super) struct FestivalView {
    pub url: String,
    pub name: String,
    pub dates: String,
    pub zone: String,
    pub description: String,
    pub author: Link,
    pub parent: Option<Link>,
    pub forked_from: Option<ForkedView>,
    pub withdrawn: bool,
}

/// Where a forked festival came from.
#[derive(Clone, Debug, Serialize)]
pub(super) struct ForkedView {
    pub festival: String,
    pub archive_url: Option<String>,
    /// The original festival's page inside this site, when its logs are here.
    pub page: Option<Link>,
}

/// The place of a location.
#[derive(Clone, Debug, Serialize)]
pub(super) struct PlaceView {
    /// `gps`, `address` or `virtual`.
    pub mode: &'static str,
    pub text: String,
    /// An external http(s) URL: OpenStreetMap or the virtual place.
    pub url: Option<String>,
    pub position: Option<String>,
}

/// A resource's summary.
#[derive(Clone, Debug, Serialize)]
pub(super) struct ResourceView {
    pub url: String,
    pub title: String,
    pub kind: &'static str,
    pub policy: &'static str,
    pub owner: Link,
    pub place: Option<PlaceView>,
    pub description: String,
    pub bookings: usize,
}

/// A request's state as shown: its name, and the event holding the
/// resource for a conflict.
#[derive(Clone, Debug, Serialize)]
pub(super) struct StateView {
    pub state: &'static str,
    pub label: &'static str,
    pub holder: Option<Link>,
}

/// Only http and https URLs become links.
pub(super) fn external(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| url.to_owned())
}

/// [`EventCard::problem`] of `event`: the state name of its most pressing
/// request that is neither confirmed nor pending.
fn card_problem(event: &Event) -> Option<&'static str> {
    let weight = |state: &RequestState| match state {
        RequestState::Conflict { .. } => 3,
        RequestState::Lapsed => 2,
        RequestState::Denied => 1,
        RequestState::Confirmed | RequestState::Pending => 0,
    };
    event
        .requests
        .iter()
        .map(|r| &r.state)
        .filter(|s| weight(s) > 0)
        .max_by_key(|s| weight(s))
        .map(RequestState::as_str)
}

impl Site<'_> {
    /// A link to a person's page, shown by name.
    pub fn person_link(&self, key: &PublicKey) -> Link {
        Link::new(person_path(key), self.person_name(key))
    }

    /// A link to an event's page, or its short id when the site has none.
    pub fn event_link(&self, id: &DocumentId) -> Link {
        match self.model.events.get(id) {
            Some(event) if self.has_event(id) => {
                Link::new(super::site::event_path(id), event.title.clone())
            }
            Some(event) => Link::new(String::new(), event.title.clone()),
            None => Link::new(String::new(), format!("event {}", id.short())),
        }
    }

    /// A link to a resource's page (under `locations/` for a location); its
    /// title alone when the site has no page for it (a resource of the
    /// festival a fork came from: the fork has clones); "unknown resource"
    /// and its short id when the logs do not hold it.
    pub fn resource_link(&self, id: &DocumentId) -> Link {
        match self.model.resources.get(id) {
            Some(resource) if self.resources.contains_key(id) => {
                Link::new(self.resource_link_path(resource), resource.title.clone())
            }
            Some(resource) => Link::new(String::new(), resource.title.clone()),
            None => Link::new(String::new(), format!("unknown resource {}", id.short())),
        }
    }

    /// A link to a festival's page.
    pub fn festival_link(&self, festival: &Festival) -> Link {
        Link::new(festival_path(&festival.id), festival.name.clone())
    }

    /// A link to a schedule day.
    pub fn day_link(&self, day: chrono::NaiveDate) -> Link {
        Link::new(day_path(day), format_day_short(day))
    }

    /// The cards of every event of the site, made on all threads.
    pub fn cards(&self) -> Cards {
        self.events
            .par_iter()
            .map(|e| (e.id, self.event_card(e)))
            .collect()
    }

    /// The card of an event.
    pub fn event_card(&self, event: &Event) -> EventCard {
        let zone = self.zone_of(&event.festival);
        let (confirmed, requested) = event.confirmation();
        let status = match (confirmed, requested) {
            (_, 0) => "open",
            (c, r) if c == r => "confirmed",
            (0, _) => "unconfirmed",
            _ => "partial",
        };
        // The event's persons; an imported event has exactly its source's.
        // Without persons, a native event shows its author's display name,
        // if the author has a profile: never a key as a name.
        let mut hosts = event.persons.clone();
        if hosts.is_empty() && event.source.is_none() {
            hosts.extend(
                self.model
                    .people
                    .get(&event.author)
                    .and_then(|p| p.display_name.clone()),
            );
        }
        EventCard {
            url: super::site::event_path(&event.id),
            title: event.title.clone(),
            subtitle: event.subtitle.clone().filter(|s| !s.trim().is_empty()),
            when: format_span(event.start, event.end, zone),
            times: format_times(event.start, event.end, self.zone),
            day: self.day_link(self.day_of(event)),
            locations: self
                .places_of(event)
                .iter()
                .map(|r| self.resource_link(&r.id))
                .collect(),
            hosts,
            tags: event.tags.clone(),
            festival: (event.festival != self.root.id)
                .then(|| self.model.festivals.get(&event.festival))
                .flatten()
                .map(|f| self.festival_link(f)),
            confirmed,
            requested,
            percent: event.confirmed_percent(),
            status,
            problem: card_problem(event),
            cancelled: event.version.deleted,
        }
    }

    /// The locations an event asked for and was not denied, in request order.
    pub fn places_of(&self, event: &Event) -> Vec<&Resource> {
        event
            .requests
            .iter()
            .filter(|r| r.state != RequestState::Denied)
            .filter_map(|r| self.model.resources.get(&r.resource))
            .filter(|r| r.location.is_some())
            .collect()
    }

    /// The heading data of a festival.
    pub fn festival_view(&self, festival: &Festival) -> FestivalView {
        let zone = festival.time_zone;
        FestivalView {
            url: festival_path(&festival.id),
            name: festival.name.clone(),
            dates: format_date_range(festival.start, festival.end, zone),
            zone: format!(
                "{} ({})",
                zone.name(),
                zone_abbreviation(festival.start, zone)
            ),
            description: markdown::to_html(&festival.description),
            author: self.person_link(&festival.author),
            parent: festival
                .parent
                .and_then(|p| self.model.festivals.get(&p))
                .filter(|p| self.festival_ids.contains(&p.id))
                .map(|p| self.festival_link(p)),
            forked_from: festival.forked_from.as_ref().map(|f| ForkedView {
                festival: f.festival.to_hex(),
                archive_url: f.archive_url.as_deref().and_then(external),
                page: self
                    .model
                    .festivals
                    .get(&f.festival)
                    .filter(|original| self.festival_ids.contains(&original.id))
                    .map(|original| self.festival_link(original)),
            }),
            withdrawn: festival.version.deleted,
        }
    }

    /// The summary of a resource.
    pub fn resource_view(&self, resource: &Resource) -> ResourceView {
        ResourceView {
            url: self.resource_link_path(resource),
            title: resource.title.clone(),
            kind: resource.kind.as_str(),
            policy: match resource.policy {
                Policy::FirstComeFirstServed => "first come, first served",
                Policy::Manual => "the owner decides each request",
            },
            owner: self.person_link(&resource.owner),
            place: resource.location.as_ref().map(place_view),
            description: markdown::to_html(&resource.description),
            bookings: resource.bookings.len(),
        }
    }

    /// The state of a request as shown.
    pub fn state_view(&self, state: &RequestState) -> StateView {
        let (label, holder) = match state {
            RequestState::Confirmed => ("confirmed", None),
            RequestState::Pending => ("pending", None),
            RequestState::Denied => ("denied", None),
            RequestState::Lapsed => ("lapsed: confirmed before the time changed", None),
            RequestState::Conflict { with } => ("conflict: held by", Some(self.event_link(with))),
        };
        StateView {
            state: state.as_str(),
            label,
            holder,
        }
    }

    /// `Friday 16 July 2027`.
    pub fn day_label(&self, day: chrono::NaiveDate) -> String {
        format_day_long(day)
    }
}

/// The place of a location as shown.
pub(super) fn place_view(location: &Location) -> PlaceView {
    match location {
        Location::Gps { lat, lon } => PlaceView {
            mode: "gps",
            text: format!(
                "{:.5}° {}, {:.5}° {}",
                lat.abs(),
                if *lat >= 0.0 { "N" } else { "S" },
                lon.abs(),
                if *lon >= 0.0 { "E" } else { "W" }
            ),
            url: Some(format!(
                "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
            )),
            position: None,
        },
        Location::Address { address } => PlaceView {
            mode: "address",
            text: address.clone(),
            url: None,
            position: None,
        },
        Location::Virtual { url, position } => PlaceView {
            mode: "virtual",
            text: url.clone().unwrap_or_else(|| "a virtual place".into()),
            url: url.as_deref().and_then(external),
            position: position.map(|[x, y, z]| format!("x {x}, y {y}, z {z}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gps_place_links_to_openstreetmap() {
        let place = place_view(&Location::Gps {
            lat: 53.18421,
            lon: -13.5,
        });
        assert_eq!(place.text, "53.18421° N, 13.50000° W");
        assert_eq!(
            place.url.as_deref(),
            Some("https://www.openstreetmap.org/?mlat=53.18421&mlon=-13.5#map=18/53.18421/-13.5")
        );
    }

    #[test]
    fn only_http_urls_become_links() {
        assert!(external("https://example.org/").is_some());
        assert!(external("javascript:alert(1)").is_none());
        assert!(external("https://a b").is_none());
    }
}
