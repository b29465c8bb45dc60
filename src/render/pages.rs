//! The overview pages: the festival index, the schedule, the day grids,
//! the festival pages and the people and resource lists.

use serde::Serialize;

use super::RenderError;
use super::output::Output;
use super::site::{Site, day_path, festival_path, person_path, root_prefix};
use super::templates::Templates;
use super::view::{EventCard, FestivalView, Link, ResourceView};
use crate::materialize::Festival;

/// How many events the index shows per day.
const PREVIEW: usize = 6;

/// Renders pages through the templates into the output, counting them.
pub(super) struct Pages<'a, 'm> {
    pub site: &'a Site<'m>,
    pub templates: &'a Templates,
    pub output: &'a mut Output,
    /// Counts pages as they are written.
    pub progress: &'a indicatif::ProgressBar,
    /// HTML pages written so far.
    pub count: usize,
}

impl Pages<'_, '_> {
    /// Renders `template` with `page` into `path`, titled `title`; `section`
    /// marks the current navigation item.
    pub fn write(
        &mut self,
        path: &str,
        template: &str,
        title: &str,
        section: &str,
        page: &impl Serialize,
    ) -> Result<(), RenderError> {
        let mut context = tera::Context::new();
        context.insert("root", &root_prefix(path));
        context.insert("site_name", &self.site.root.name);
        context.insert("title", title);
        context.insert("section", section);
        context.insert("page", page);
        let html = self.templates.render(template, &context, path)?;
        self.output.write(path, html)?;
        self.count += 1;
        self.progress.inc(1);
        Ok(())
    }
}

#[derive(Serialize)]
struct Counts {
    events: usize,
    resources: usize,
    locations: usize,
    people: usize,
    days: usize,
}

/// A day with its events (all of them, or the first few).
#[derive(Serialize)]
pub(super) struct DayList {
    pub link: Link,
    /// `Fri 16 Jul`.
    pub short: String,
    pub count: usize,
    pub events: Vec<EventCard>,
    pub more: usize,
}

#[derive(Serialize)]
struct TreeItem {
    link: Link,
    dates: String,
    depth: usize,
    events: usize,
}

#[derive(Serialize)]
struct ForkView {
    person: Link,
    log_id: u64,
    seq_num: u64,
    kind: &'static str,
}

#[derive(Serialize)]
struct IndexPage {
    festival: FestivalView,
    counts: Counts,
    days: Vec<DayList>,
    children: Vec<TreeItem>,
    forks: Vec<ForkView>,
}

#[derive(Serialize)]
struct SchedulePage {
    festival: FestivalView,
    days: Vec<DayList>,
}

#[derive(Serialize)]
struct DayTab {
    link: Link,
    current: bool,
}

#[derive(Serialize)]
struct DayPage {
    label: String,
    count: usize,
    days: Vec<DayTab>,
    prev: Option<Link>,
    next: Option<Link>,
    zone: String,
    grid: super::grid::Grid,
}

#[derive(Serialize)]
struct FestivalSection {
    festival: FestivalView,
    depth: usize,
    days: Vec<DayList>,
}

#[derive(Serialize)]
struct FestivalPage {
    festival: FestivalView,
    is_root: bool,
    sections: Vec<FestivalSection>,
}

#[derive(Serialize)]
struct PersonItem {
    link: Link,
    short: String,
    offers: usize,
    hosts: usize,
}

#[derive(Serialize)]
struct PeoplePage {
    people: Vec<PersonItem>,
}

#[derive(Serialize)]
struct ResourcesPage {
    locations: Vec<ResourceView>,
    others: Vec<ResourceView>,
}

impl Pages<'_, '_> {
    /// The events of `festivals` grouped by schedule day; `limit` caps each day.
    pub fn day_lists(&self, festivals: &[&Festival], limit: usize) -> Vec<DayList> {
        let site = self.site;
        let archived = |day: &chrono::NaiveDate| !site.days.contains_key(day);
        site.days
            .iter()
            .chain(site.archive_days.iter().filter(|(day, _)| archived(day)))
            .filter_map(|(day, events)| {
                let events: Vec<_> = events
                    .iter()
                    .filter(|e| festivals.iter().any(|f| f.id == e.festival))
                    .collect();
                // Days of the festival this one was forked from have no
                // schedule page here: they link to their festival's page.
                let link = if archived(day) {
                    Link::new(festival_path(&festivals[0].id), site.day_label(*day))
                } else {
                    Link::new(day_path(*day), site.day_label(*day))
                };
                (!events.is_empty()).then(|| DayList {
                    link,
                    short: site.day_link(*day).text,
                    count: events.len(),
                    more: events.len().saturating_sub(limit),
                    events: events
                        .iter()
                        .take(limit)
                        .map(|e| site.event_card(e))
                        .collect(),
                })
            })
            .collect()
    }

    /// The site's festivals, without the one it was forked from.
    fn all_festivals(&self) -> Vec<&Festival> {
        self.site
            .festivals
            .iter()
            .map(|(f, _)| *f)
            .filter(|f| !self.site.archived.contains(&f.id))
            .collect()
    }

    /// `index.html`: the festival overview.
    pub fn index(&mut self) -> Result<(), RenderError> {
        let site = self.site;
        let model = site.model;
        let page = IndexPage {
            festival: site.festival_view(site.root),
            counts: Counts {
                events: site.live.len(),
                resources: site.resources.len(),
                locations: site
                    .resources
                    .values()
                    .filter(|r| r.location.is_some())
                    .count(),
                people: site.people.len(),
                days: site.days.len(),
            },
            days: self.day_lists(&self.all_festivals(), PREVIEW),
            children: site
                .festivals
                .iter()
                .skip(1)
                .filter(|(f, _)| !site.archived.contains(&f.id))
                .map(|(f, depth)| TreeItem {
                    link: site.festival_link(f),
                    dates: site.festival_view(f).dates,
                    depth: *depth,
                    events: site.live.iter().filter(|e| e.festival == f.id).count(),
                })
                .collect(),
            forks: model
                .forks
                .iter()
                .map(|f| ForkView {
                    person: site.person_link(&f.author),
                    log_id: f.log_id,
                    seq_num: f.seq_num,
                    kind: f.kind.as_str(),
                })
                .collect(),
        };
        self.write("index.html", "index.html", &site.root.name, "home", &page)
    }

    /// `schedule/index.html` and one grid per day.
    pub fn schedule(&mut self) -> Result<(), RenderError> {
        let site = self.site;
        let page = SchedulePage {
            festival: site.festival_view(site.root),
            days: self.day_lists(&self.all_festivals(), usize::MAX),
        };
        self.write(
            "schedule/index.html",
            "schedule.html",
            "Schedule",
            "schedule",
            &page,
        )?;
        let days: Vec<_> = site.days.keys().copied().collect();
        for (i, day) in days.iter().enumerate() {
            let label = site.day_label(*day);
            let page = DayPage {
                label: label.clone(),
                count: site.days[day].len(),
                days: days
                    .iter()
                    .map(|d| DayTab {
                        link: site.day_link(*d),
                        current: d == day,
                    })
                    .collect(),
                prev: i.checked_sub(1).map(|p| site.day_link(days[p])),
                next: days.get(i + 1).map(|n| site.day_link(*n)),
                zone: site.zone.name().to_owned(),
                grid: site.grid(*day),
            };
            self.write(&day_path(*day), "day.html", &label, "schedule", &page)?;
        }
        Ok(())
    }

    /// `festivals/<id>/index.html` for the root and every nested festival.
    pub fn festivals(&mut self) -> Result<(), RenderError> {
        let site = self.site;
        for (index, (festival, _)) in site.festivals.iter().enumerate() {
            let base = site.festivals[index].1;
            let sections = site.festivals[index..]
                .iter()
                .enumerate()
                .take_while(|(n, (_, depth))| *n == 0 || *depth > base)
                .map(|(_, (f, depth))| FestivalSection {
                    festival: site.festival_view(f),
                    depth: depth - base,
                    days: self.day_lists(&[f], usize::MAX),
                })
                .collect();
            let page = FestivalPage {
                festival: site.festival_view(festival),
                is_root: index == 0,
                sections,
            };
            let path = festival_path(&festival.id);
            self.write(&path, "festival.html", &festival.name, "festivals", &page)?;
        }
        Ok(())
    }

    /// `people/index.html` and `resources/index.html`.
    pub fn lists(&mut self) -> Result<(), RenderError> {
        let site = self.site;
        let mut people: Vec<PersonItem> = site
            .people
            .iter()
            .map(|key| PersonItem {
                link: Link::new(person_path(key), site.person_name(key)),
                short: key.short(),
                offers: site.resources.values().filter(|r| r.owner == *key).count(),
                hosts: site.live.iter().filter(|e| e.author == *key).count(),
            })
            .collect();
        people.sort_by(|a, b| {
            (a.link.text.to_lowercase(), &a.short).cmp(&(b.link.text.to_lowercase(), &b.short))
        });
        self.write(
            "people/index.html",
            "people.html",
            "People",
            "people",
            &PeoplePage { people },
        )?;

        let mut all: Vec<ResourceView> = site
            .resources
            .values()
            .map(|r| site.resource_view(r))
            .collect();
        all.sort_by(|a, b| (a.kind, a.title.to_lowercase()).cmp(&(b.kind, b.title.to_lowercase())));
        let (locations, others) = all.into_iter().partition(|r| r.place.is_some());
        let page = ResourcesPage { locations, others };
        self.write(
            "resources/index.html",
            "resources.html",
            "Places and things",
            "resources",
            &page,
        )
    }
}
