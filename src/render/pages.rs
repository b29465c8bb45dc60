//! The overview pages: the festival index, the schedule, the day grids,
//! the festival pages and the people and resource lists; and the list of
//! every page, which [`Pages::render_all`] renders in parallel.

use rayon::prelude::*;
use serde::Serialize;

use super::RenderError;
use super::rows::{RowTime, Rows};
use super::site::{Site, day_path, festival_path, person_path, root_prefix};
use super::templates::Templates;
use super::view::{Cards, EventCard, FestivalView, Link, ResourceView};
use crate::entry::PublicKey;
use crate::materialize::{Event, Festival, Resource};
use crate::output::SharedOutput;

/// How many events the index shows per day.
const PREVIEW: usize = 6;

/// Renders pages through the templates into the output. Shared by the
/// threads that render: every page is written on its own.
pub(super) struct Pages<'a, 'm, 'o> {
    pub site: &'a Site<'m>,
    /// Every event's card, made once.
    pub cards: &'a Cards,
    /// Every event's row in the lists, rendered once.
    pub rows: &'a Rows,
    pub templates: &'a Templates,
    pub output: &'a SharedOutput<'o>,
    /// Counts pages as they are written.
    pub progress: &'a indicatif::ProgressBar,
}

/// One unit of rendering work: a page, or a resource's pages.
pub(super) enum Job<'m> {
    Index,
    Schedule,
    Day(usize),
    Festival(usize),
    Lists,
    Event(&'m Event),
    Resource(&'m Resource),
    Person(&'m PublicKey),
}

impl<'m> Pages<'_, 'm, '_> {
    /// Renders every page on all threads. The largest pages (the schedule,
    /// the festival pages, the day grids) render one after the other, while
    /// the other threads render the rest: the memory peaks of large pages
    /// do not add up. Returns the number of HTML pages written.
    ///
    /// Errors: the [`RenderError`] of a page that failed (one of them if
    /// several did).
    pub fn render_all(&self) -> Result<usize, RenderError> {
        let site = self.site;
        let mut large = vec![Job::Schedule];
        large.extend((0..site.festivals.len()).map(Job::Festival));
        large.extend((0..site.days.len()).map(Job::Day));
        let mut rest = vec![Job::Index, Job::Lists];
        rest.extend(site.people.iter().map(Job::Person));
        rest.extend(site.resources.values().copied().map(Job::Resource));
        rest.extend(site.events.iter().copied().map(Job::Event));
        let (one_by_one, others) = crate::parallel::join_logged(
            || {
                large
                    .into_iter()
                    .try_fold(0, |n, job| Ok::<_, RenderError>(n + self.render(job)?))
            },
            || self.render_jobs(rest),
        );
        Ok(one_by_one? + others?)
    }

    /// Renders `jobs` on all threads, each logging where this thread logs;
    /// returns the number of pages.
    pub(super) fn render_jobs(&self, jobs: Vec<Job<'m>>) -> Result<usize, RenderError> {
        let dispatch = tracing::dispatcher::get_default(|d| d.clone());
        jobs.into_par_iter()
            .with_max_len(16)
            .map(|job| tracing::dispatcher::with_default(&dispatch, || self.render(job)))
            .try_reduce(|| 0, |a, b| Ok(a + b))
    }

    /// Renders the pages of one job; returns how many.
    fn render(&self, job: Job<'m>) -> Result<usize, RenderError> {
        match job {
            Job::Index => self.index().map(|()| 1),
            Job::Schedule => self.schedule().map(|()| 1),
            Job::Day(index) => self.day(index).map(|()| 1),
            Job::Festival(index) => self.festival(index).map(|()| 1),
            Job::Lists => self.lists().map(|()| 2),
            Job::Event(event) => self.event(event).map(|()| 1),
            Job::Resource(resource) => self.resource(resource),
            Job::Person(key) => self.person(key).map(|()| 1),
        }
    }

    /// Renders `template` with `page` into `path`, titled `title`; `section`
    /// marks the current navigation item.
    pub fn write(
        &self,
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
        self.output.write_with(path, |out| {
            self.templates.render_to(template, &context, path, out)
        })?;
        self.progress.inc(1);
        Ok(())
    }

    /// The card of `event`, made once for every event of the site.
    pub fn card(&self, event: &Event) -> &EventCard {
        &self.cards[&event.id]
    }

    /// The list row of `event` for a page whose path back to the site
    /// root is `root`.
    pub fn row(&self, event: &Event, root: &str, time: RowTime) -> String {
        self.rows[&event.id].fill(root, time)
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
    /// The events' rows (HTML, see `event_row.html`).
    pub rows: Vec<String>,
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
struct DayPage<'c> {
    label: String,
    count: usize,
    days: Vec<DayTab>,
    prev: Option<Link>,
    next: Option<Link>,
    zone: String,
    grid: super::grid::Grid<'c>,
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

impl Pages<'_, '_, '_> {
    /// The events of `festivals` grouped by schedule day, as rows for a
    /// page whose path back to the site root is `root`; `limit` caps each
    /// day.
    pub fn day_lists(&self, festivals: &[&Festival], root: &str, limit: usize) -> Vec<DayList> {
        let site = self.site;
        // The festival this one was forked from (and its nested ones) keeps
        // its own days, even where the dates are the same as the fork's.
        let archived = festivals.iter().any(|f| site.archived.contains(&f.id));
        let days = if archived {
            &site.archive_days
        } else {
            &site.days
        };
        days.iter()
            .filter_map(|(day, events)| {
                let events: Vec<_> = events
                    .iter()
                    .filter(|e| festivals.iter().any(|f| f.id == e.festival))
                    .collect();
                // Its days have no schedule page here: they link to the
                // festival's page.
                let link = if archived {
                    Link::new(festival_path(&festivals[0].id), site.day_label(*day))
                } else {
                    Link::new(day_path(*day), site.day_label(*day))
                };
                (!events.is_empty()).then(|| DayList {
                    link,
                    short: site.day_link(*day).text,
                    count: events.len(),
                    more: events.len().saturating_sub(limit),
                    rows: events
                        .iter()
                        .take(limit)
                        .map(|e| self.row(e, root, RowTime::Times))
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
    pub fn index(&self) -> Result<(), RenderError> {
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
            days: self.day_lists(&self.all_festivals(), &root_prefix("index.html"), PREVIEW),
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

    /// `schedule/index.html`.
    pub fn schedule(&self) -> Result<(), RenderError> {
        let site = self.site;
        let page = SchedulePage {
            festival: site.festival_view(site.root),
            days: self.day_lists(
                &self.all_festivals(),
                &root_prefix("schedule/index.html"),
                usize::MAX,
            ),
        };
        self.write(
            "schedule/index.html",
            "schedule.html",
            "Schedule",
            "schedule",
            &page,
        )
    }

    /// `schedule/<date>/index.html`: the grid of the `index`th day.
    pub fn day(&self, index: usize) -> Result<(), RenderError> {
        let site = self.site;
        let (day, events) = site.days.iter().nth(index).expect("a day of the site");
        let label = site.day_label(*day);
        let days: Vec<_> = site.days.keys().copied().collect();
        let page = DayPage {
            label: label.clone(),
            count: events.len(),
            days: days
                .iter()
                .map(|d| DayTab {
                    link: site.day_link(*d),
                    current: d == day,
                })
                .collect(),
            prev: index.checked_sub(1).map(|p| site.day_link(days[p])),
            next: days.get(index + 1).map(|n| site.day_link(*n)),
            zone: site.zone.name().to_owned(),
            grid: site.grid(*day, self.cards),
        };
        self.write(&day_path(*day), "day.html", &label, "schedule", &page)
    }

    /// `festivals/<id>/index.html` of the `index`th festival of the site
    /// (the root first), with the programme of it and its nested festivals.
    pub fn festival(&self, index: usize) -> Result<(), RenderError> {
        let site = self.site;
        let (festival, base) = site.festivals[index];
        let path = festival_path(&festival.id);
        let root = root_prefix(&path);
        let sections = site.festivals[index..]
            .iter()
            .enumerate()
            .take_while(|(n, (_, depth))| *n == 0 || *depth > base)
            .map(|(_, (f, depth))| FestivalSection {
                festival: site.festival_view(f),
                depth: depth - base,
                days: self.day_lists(&[f], &root, usize::MAX),
            })
            .collect();
        let page = FestivalPage {
            festival: site.festival_view(festival),
            is_root: index == 0,
            sections,
        };
        self.write(&path, "festival.html", &festival.name, "festivals", &page)
    }

    /// `people/index.html` and `resources/index.html`.
    pub fn lists(&self) -> Result<(), RenderError> {
        let site = self.site;
        let mut people: Vec<PersonItem> = site
            .people
            .iter()
            .map(|key| PersonItem {
                link: Link::new(person_path(key), site.person_name(key)),
                short: key.short(),
                offers: site.offered.get(key).map_or(0, Vec::len),
                hosts: site.hosted.get(key).map_or(0, Vec::len),
            })
            .collect();
        people.sort_by_cached_key(|p| (p.link.text.to_lowercase(), p.short.clone()));
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
        all.sort_by_cached_key(|r| (r.kind, r.title.to_lowercase()));
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
