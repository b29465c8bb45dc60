//! What one site covers: the chosen festival, its nested festivals, and the
//! events and resources offered at them; and the stable path of each page.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::days::schedule_day;
use crate::entry::{DocumentId, PublicKey};
use crate::materialize::{Event, Festival, Model, Resource};
use crate::settings::RenderSettings;

/// The path of an event page.
pub fn event_path(id: &DocumentId) -> String {
    format!("events/{id}/index.html")
}

/// The path of a resource's page under `resources/`.
pub fn resource_path(id: &DocumentId) -> String {
    format!("resources/{id}/index.html")
}

/// The path of a location's page under `locations/`.
pub fn location_path(id: &DocumentId) -> String {
    format!("locations/{id}/index.html")
}

/// The path of a person's page.
pub fn person_path(key: &PublicKey) -> String {
    format!("people/{key}/index.html")
}

/// The path of a festival's page.
pub fn festival_path(id: &DocumentId) -> String {
    format!("festivals/{id}/index.html")
}

/// The path of a schedule day's grid.
pub fn day_path(day: NaiveDate) -> String {
    format!("schedule/{}/index.html", day.format("%Y-%m-%d"))
}

/// The prefix that leads from the page at `path` back to the site root:
/// `""` for `index.html`, `"../../"` for `events/<id>/index.html`.
pub fn root_prefix(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

/// `root` and its nested festivals, depth first, with their depth.
fn festival_tree<'m>(model: &'m Model, root: &'m Festival) -> Vec<(&'m Festival, usize)> {
    let mut festivals = Vec::new();
    let mut stack = vec![(root, 0usize)];
    let mut seen = BTreeSet::new();
    while let Some((festival, depth)) = stack.pop() {
        if !seen.insert(festival.id) {
            continue;
        }
        festivals.push((festival, depth));
        for child in festival.children.iter().rev() {
            if let Some(child) = model.festivals.get(child) {
                stack.push((child, depth + 1));
            }
        }
    }
    festivals
}

/// The festival tree of the site and everything offered at it.
pub(super) struct Site<'m> {
    pub model: &'m Model,
    pub settings: &'m RenderSettings,
    /// The site's root festival.
    pub root: &'m Festival,
    /// The root's time zone: schedule days and grids follow it.
    pub zone: Tz,
    /// The root and its nested festivals, depth first, with their depth.
    pub festivals: Vec<(&'m Festival, usize)>,
    /// The ids of those festivals.
    pub festival_ids: BTreeSet<DocumentId>,
    /// Every event of those festivals, deleted ones included, by start.
    pub events: Vec<&'m Event>,
    /// The events that are not deleted, by start.
    pub live: Vec<&'m Event>,
    /// The resources offered at those festivals or requested by their events.
    pub resources: BTreeMap<DocumentId, &'m Resource>,
    /// Live events by schedule day.
    pub days: BTreeMap<NaiveDate, Vec<&'m Event>>,
    /// Live events of the festival this one was forked from, by schedule
    /// day: their festival and event pages stay reachable in the fork's
    /// site, outside its schedule.
    pub archive_days: BTreeMap<NaiveDate, Vec<&'m Event>>,
    /// The festivals of that original.
    pub archived: BTreeSet<DocumentId>,
    /// Everyone with a person page.
    pub people: BTreeSet<PublicKey>,
    /// The live events by author, by start.
    pub hosted: HashMap<PublicKey, Vec<&'m Event>>,
    /// The resources by owner, by id.
    pub offered: HashMap<PublicKey, Vec<&'m Resource>>,
}

impl<'m> Site<'m> {
    /// Works out the scope of the site of `root`.
    pub fn new(model: &'m Model, settings: &'m RenderSettings, root: &'m Festival) -> Site<'m> {
        let mut festivals = festival_tree(model, root);
        let mut seen: BTreeSet<DocumentId> = festivals.iter().map(|(f, _)| f.id).collect();
        let archived: Vec<(&Festival, usize)> = root
            .forked_from
            .as_ref()
            .and_then(|f| model.festivals.get(&f.festival))
            .map(|original| festival_tree(model, original))
            .unwrap_or_default()
            .into_iter()
            .filter(|(f, _)| !seen.contains(&f.id))
            .collect();
        let archived_ids: BTreeSet<DocumentId> = archived.iter().map(|(f, _)| f.id).collect();
        let mut events: Vec<&Event> = model
            .events
            .values()
            .filter(|e| seen.contains(&e.festival))
            .collect();
        events.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        let live: Vec<&Event> = events
            .iter()
            .copied()
            .filter(|e| !e.version.deleted)
            .collect();
        let mut archive_days: BTreeMap<NaiveDate, Vec<&Event>> = BTreeMap::new();
        let mut archived_events: Vec<&Event> = model
            .events
            .values()
            .filter(|e| archived_ids.contains(&e.festival))
            .collect();
        archived_events.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        for event in archived_events.iter().filter(|e| !e.version.deleted) {
            let day = schedule_day(event.start, root.time_zone, settings.day_change);
            archive_days.entry(day).or_default().push(event);
        }
        let mut resources: BTreeMap<DocumentId, &Resource> = model
            .resources
            .values()
            .filter(|r| seen.contains(&r.festival))
            .map(|r| (r.id, r))
            .collect();
        for request in live.iter().flat_map(|e| &e.requests) {
            if let Some(resource) = model.resources.get(&request.resource) {
                resources.insert(resource.id, resource);
            }
        }
        let zone = root.time_zone;
        let mut days: BTreeMap<NaiveDate, Vec<&Event>> = BTreeMap::new();
        for event in &live {
            let day = schedule_day(event.start, zone, settings.day_change);
            days.entry(day).or_default().push(event);
        }
        festivals.extend(archived);
        seen.extend(archived_ids.iter().copied());
        events.extend(archived_events);
        let mut people: BTreeSet<PublicKey> = model.people.keys().copied().collect();
        people.extend(events.iter().map(|e| e.author));
        people.extend(resources.values().map(|r| r.owner));
        people.extend(festivals.iter().map(|(f, _)| f.author));
        // Every event page names the owner of each resource it asked for,
        // also one without a page here (asked for by the original's events
        // or by a deleted event).
        people.extend(
            events
                .iter()
                .flat_map(|e| &e.requests)
                .filter_map(|r| model.resources.get(&r.resource))
                .map(|r| r.owner),
        );
        let mut hosted: HashMap<PublicKey, Vec<&Event>> = HashMap::new();
        for event in &live {
            hosted.entry(event.author).or_default().push(event);
        }
        let mut offered: HashMap<PublicKey, Vec<&Resource>> = HashMap::new();
        for resource in resources.values() {
            offered.entry(resource.owner).or_default().push(resource);
        }
        Site {
            model,
            settings,
            root,
            zone,
            festivals,
            festival_ids: seen,
            events,
            live,
            resources,
            days,
            archive_days,
            archived: archived_ids,
            people,
            hosted,
            offered,
        }
    }

    /// How many HTML pages the site has.
    pub fn page_count(&self) -> usize {
        let locations = self.resources.values().filter(|r| r.location.is_some());
        // index, schedule, people and resource lists
        4 + self.days.len()
            + self.festivals.len()
            + self.events.len()
            + self.resources.len()
            + locations.count()
            + self.people.len()
    }

    /// The schedule day of `event`.
    pub fn day_of(&self, event: &Event) -> NaiveDate {
        schedule_day(event.start, self.zone, self.settings.day_change)
    }

    /// The time zone an event's own times are shown in: its festival's.
    pub fn zone_of(&self, festival: &DocumentId) -> Tz {
        self.model
            .festivals
            .get(festival)
            .map_or(self.zone, |f| f.time_zone)
    }

    /// Whether the site has a page for this event.
    pub fn has_event(&self, id: &DocumentId) -> bool {
        self.model
            .events
            .get(id)
            .is_some_and(|e| self.festival_ids.contains(&e.festival))
    }

    /// The page of a resource: under `locations/` when it has a place.
    pub fn resource_link_path(&self, resource: &Resource) -> String {
        if resource.location.is_some() {
            location_path(&resource.id)
        } else {
            resource_path(&resource.id)
        }
    }

    /// The shown name of a person: the profile name or the short key.
    pub fn person_name(&self, key: &PublicKey) -> String {
        self.model
            .people
            .get(key)
            .map_or_else(|| key.short(), |p| p.name())
    }
}

/// Events sort by start, end, title, then id.
pub(super) fn sort_key(event: &Event) -> (i64, i64, &str, DocumentId) {
    (
        event.start.timestamp(),
        event.end.timestamp(),
        event.title.as_str(),
        event.id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_prefix_counts_directories() {
        assert_eq!(root_prefix("index.html"), "");
        assert_eq!(root_prefix("schedule/index.html"), "../");
        assert_eq!(root_prefix("events/0020ab/index.html"), "../../");
    }
}
