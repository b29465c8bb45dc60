//! The pages of single documents: events, resources and locations, people.

use serde::Serialize;

use super::RenderError;
use super::markdown;
use super::pages::Pages;
use super::rows::RowTime;
use super::site::{event_path, location_path, person_path, resource_path, root_prefix};
use super::view::{EventCard, Link, ResourceView, StateView, external};
use crate::days::{format_day_long, zone_abbreviation};
use crate::entry::PublicKey;
use crate::materialize::{Event, Resource};

#[derive(Serialize)]
struct ExternalLink {
    title: String,
    url: Option<String>,
}

#[derive(Serialize)]
struct RequestView {
    resource: Link,
    kind: &'static str,
    owner: Link,
    state: StateView,
    note: Option<String>,
}

#[derive(Serialize)]
struct EventPage<'c> {
    card: &'c EventCard,
    zone: String,
    day: Link,
    festival: Link,
    author: Link,
    persons: Vec<String>,
    summary: String,
    description: String,
    links: Vec<ExternalLink>,
    language: Option<String>,
    requests: Vec<RequestView>,
    updates: u32,
    /// The event's `.ics`, relative to its page; none for an event of the
    /// festival the site was forked from.
    calendar: Option<String>,
}

#[derive(Serialize)]
struct BookingView {
    event: Link,
    when: String,
    state: StateView,
    note: Option<String>,
}

#[derive(Serialize)]
struct ResourcePage {
    resource: ResourceView,
    festival: Option<Link>,
    bookings: Vec<BookingView>,
}

#[derive(Serialize)]
struct PersonPage {
    name: String,
    key: String,
    has_profile: bool,
    bio: String,
    offers: Vec<ResourceView>,
    /// The rows of the events hosted (HTML, see `event_row.html`).
    hosts: Vec<String>,
    festivals: Vec<Link>,
}

/// Where a location's page is: the page under `resources/` of a location
/// only points there.
#[derive(Serialize)]
struct RedirectPage {
    url: String,
}

impl Pages<'_, '_, '_> {
    /// `events/<id>/index.html`: an event, deleted or not.
    pub fn event(&self, event: &Event) -> Result<(), RenderError> {
        let page = self.event_page(event);
        self.write(
            &event_path(&event.id),
            "event.html",
            &event.title,
            "schedule",
            &page,
        )
    }

    fn event_page(&self, event: &Event) -> EventPage<'_> {
        let site = self.site;
        let zone = site.zone_of(&event.festival);
        let day = site.day_of(event);
        let archived = site.archived.contains(&event.festival);
        EventPage {
            card: self.card(event),
            zone: format!("{} ({})", zone.name(), zone_abbreviation(event.start, zone)),
            // The forked-from festival's days have no schedule page here,
            // and its events no calendar file (the feeds are the fork's).
            day: Link::new(
                if event.version.deleted || archived {
                    String::new()
                } else {
                    super::site::day_path(day)
                },
                format_day_long(day),
            ),
            festival: site
                .model
                .festivals
                .get(&event.festival)
                .map_or_else(|| Link::new(String::new(), "?"), |f| site.festival_link(f)),
            author: site.person_link(&event.author),
            persons: event.persons.clone(),
            summary: event
                .summary
                .as_deref()
                .map(markdown::to_html)
                .unwrap_or_default(),
            description: markdown::to_html(&event.description),
            // An imported event's own page elsewhere comes first.
            links: event
                .url
                .iter()
                .map(|url| crate::operation::Link {
                    title: "Event page".to_owned(),
                    url: url.clone(),
                })
                .chain(event.links.iter().cloned())
                .map(|l| ExternalLink {
                    title: if l.title.trim().is_empty() {
                        l.url.clone()
                    } else {
                        l.title.clone()
                    },
                    url: external(&l.url),
                })
                .collect(),
            language: event.language.clone(),
            requests: event
                .requests
                .iter()
                .map(|r| {
                    let resource = site.model.resources.get(&r.resource);
                    RequestView {
                        resource: site.resource_link(&r.resource),
                        kind: resource.map_or("unknown", |r| r.kind.as_str()),
                        owner: resource.map_or_else(
                            || Link::new(String::new(), ""),
                            |r| site.person_link(&r.owner),
                        ),
                        state: site.state_view(&r.state),
                        note: r.note.clone(),
                    }
                })
                .collect(),
            updates: event.version.sequence,
            calendar: (!archived).then(|| format!("../{}.ics", event.id.to_hex())),
        }
    }

    /// `resources/<id>/index.html` of a resource. A location's page is
    /// `locations/<id>/index.html`; its `resources/<id>/index.html` only
    /// points there, so that both URLs work. Returns the number of pages.
    pub fn resource(&self, resource: &Resource) -> Result<usize, RenderError> {
        let page = self.resource_page(resource);
        let title = resource.title.as_str();
        let path = resource_path(&resource.id);
        if resource.location.is_none() {
            self.write(&path, "resource.html", title, "resources", &page)?;
            return Ok(1);
        }
        let location = location_path(&resource.id);
        self.write(&location, "resource.html", title, "resources", &page)?;
        let redirect = RedirectPage { url: location };
        self.write(&path, "redirect.html", title, "resources", &redirect)?;
        Ok(2)
    }

    fn resource_page(&self, resource: &Resource) -> ResourcePage {
        let site = self.site;
        ResourcePage {
            resource: site.resource_view(resource),
            festival: site
                .model
                .festivals
                .get(&resource.festival)
                .filter(|f| site.festival_ids.contains(&f.id))
                .map(|f| site.festival_link(f)),
            bookings: resource
                .bookings
                .iter()
                .map(|b| {
                    let event = site.model.events.get(&b.event);
                    BookingView {
                        event: site.event_link(&b.event),
                        when: event.map_or_else(String::new, |e| match self.cards.get(&e.id) {
                            Some(card) => card.when.clone(),
                            None => site.event_card(e).when,
                        }),
                        state: site.state_view(&b.state),
                        note: event
                            .and_then(|e| e.requests.iter().find(|r| r.resource == resource.id))
                            .and_then(|r| r.note.clone()),
                    }
                })
                .collect(),
        }
    }

    /// `people/<public-key>/index.html` of one person.
    pub fn person(&self, key: &PublicKey) -> Result<(), RenderError> {
        let site = self.site;
        let person = site.model.people.get(key);
        let path = person_path(key);
        let root = root_prefix(&path);
        let page = PersonPage {
            name: site.person_name(key),
            key: key.to_hex(),
            has_profile: person.is_some_and(|p| p.display_name.is_some()),
            bio: person
                .and_then(|p| p.bio.as_deref())
                .map(markdown::plain_to_html)
                .unwrap_or_default(),
            offers: site
                .offered
                .get(key)
                .into_iter()
                .flatten()
                .map(|r| site.resource_view(r))
                .collect(),
            hosts: site
                .hosted
                .get(key)
                .into_iter()
                .flatten()
                .map(|e| self.row(e, &root, RowTime::When))
                .collect(),
            festivals: site
                .festivals
                .iter()
                .filter(|(f, _)| f.author == *key)
                .map(|(f, _)| site.festival_link(f))
                .collect(),
        };
        self.write(&path, "person.html", &page.name, "people", &page)
    }
}
