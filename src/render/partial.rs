//! Rendering part of a site again: each event's card and row kept from the
//! render before ([`PageCache`]), and only the pages a change touches
//! ([`PageSelection`]), for serve's incremental rebuilds. The pages are
//! made by the same code as in a whole render, so they are the same bytes.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rayon::prelude::*;

use super::pages::{Job, Pages};
use super::site::resource_path;
use super::site::{Site, day_path, event_path, festival_path, location_path, person_path};
use super::templates::Templates;
use super::view::{Cards, EventCard};
use super::{Prepared, RenderError, rows};
use crate::entry::{DocumentId, PublicKey};
use crate::materialize::Model;
use crate::output::Output;
use crate::settings::RenderSettings;

/// Each event's card and list row from an earlier render, by event id.
/// They hold no borrow of the model they were made from.
#[derive(Debug, Default)]
pub struct PageCache {
    cards: Cards,
    rows: rows::Rows,
}

/// The pages a partial render writes besides the overview pages (the
/// index, the schedule, every festival page and the people and resource
/// lists), which it always writes. Ids that have no page in the site are
/// skipped.
#[derive(Clone, Debug, Default)]
pub struct PageSelection {
    /// Events whose pages are written.
    pub events: BTreeSet<DocumentId>,
    /// Schedule days whose grids are written; `None` for every day.
    pub days: Option<BTreeSet<NaiveDate>>,
    /// Resources whose pages (and location pages) are written.
    pub resources: BTreeSet<DocumentId>,
    /// People whose pages are written.
    pub people: BTreeSet<PublicKey>,
}

/// [`super::prepare`] with the cards and rows of `cache`: only the events
/// in `remake`, and those the cache lacks, get a new card and row; the
/// cards of events no longer in the site are dropped. The caller names in
/// `remake` every event whose card may differ (its own fields changed,
/// or a resource, person or festival it shows did).
///
/// Errors: as [`super::prepare`].
pub fn prepare_cached<'m>(
    model: &'m Model,
    settings: &'m RenderSettings,
    templates: &Templates,
    cache: PageCache,
    remake: &BTreeSet<DocumentId>,
) -> Result<Prepared<'m>, RenderError> {
    let root = model
        .festivals
        .get(&settings.festival)
        .ok_or(RenderError::UnknownFestival(settings.festival))?;
    let site = Site::new(model, settings, root);
    let PageCache {
        mut cards,
        mut rows,
    } = cache;
    let in_site: BTreeSet<DocumentId> = site.events.iter().map(|e| e.id).collect();
    cards.retain(|id, _| in_site.contains(id));
    rows.retain(|id, _| in_site.contains(id));
    let fresh: Vec<(DocumentId, EventCard)> = site
        .events
        .par_iter()
        .filter(|e| remake.contains(&e.id) || !cards.contains_key(&e.id))
        .map(|e| (e.id, site.event_card(e)))
        .collect();
    let made: Vec<(&DocumentId, &EventCard)> = fresh.iter().map(|(id, c)| (id, c)).collect();
    let new_rows = rows::render_rows_of(&made, templates)?;
    rows.extend(new_rows);
    cards.extend(fresh);
    Ok(Prepared { site, cards, rows })
}

impl Prepared<'_> {
    /// The cards and rows, kept for the next [`prepare_cached`].
    pub fn into_cache(self) -> PageCache {
        PageCache {
            cards: self.cards,
            rows: self.rows,
        }
    }

    /// The path of every HTML page the site has, as a whole render writes
    /// them (without `style.css`).
    pub fn page_paths(&self) -> BTreeSet<String> {
        let site = &self.site;
        let mut paths: BTreeSet<String> = [
            "index.html",
            "schedule/index.html",
            "people/index.html",
            "resources/index.html",
        ]
        .map(String::from)
        .into();
        paths.extend(site.days.keys().map(|d| day_path(*d)));
        paths.extend(site.festivals.iter().map(|(f, _)| festival_path(&f.id)));
        paths.extend(site.events.iter().map(|e| event_path(&e.id)));
        for resource in site.resources.values() {
            paths.insert(resource_path(&resource.id));
            if resource.location.is_some() {
                paths.insert(location_path(&resource.id));
            }
        }
        paths.extend(site.people.iter().map(person_path));
        paths
    }
}

/// Renders the overview pages and the pages of `selection` into `output`,
/// as [`super::render_pages`] renders them. Returns the number of pages.
///
/// Errors: [`RenderError`] naming the template, page or file that failed.
pub fn render_selected(
    prepared: &Prepared<'_>,
    templates: &Templates,
    output: &mut Output,
    selection: &PageSelection,
) -> Result<usize, RenderError> {
    let site = &prepared.site;
    let output = output.shared();
    let progress = indicatif::ProgressBar::hidden();
    let pages = Pages {
        site,
        cards: &prepared.cards,
        rows: &prepared.rows,
        templates,
        output: &output,
        progress: &progress,
    };
    let mut jobs = vec![Job::Index, Job::Schedule, Job::Lists];
    jobs.extend((0..site.festivals.len()).map(Job::Festival));
    jobs.extend(
        site.days
            .keys()
            .enumerate()
            .filter(|(_, day)| selection.days.as_ref().is_none_or(|s| s.contains(day)))
            .map(|(n, _)| Job::Day(n)),
    );
    jobs.extend(
        site.events
            .iter()
            .filter(|e| selection.events.contains(&e.id))
            .map(|e| Job::Event(e)),
    );
    jobs.extend(
        selection
            .resources
            .iter()
            .filter_map(|id| site.resources.get(id))
            .map(|r| Job::Resource(r)),
    );
    jobs.extend(
        site.people
            .iter()
            .filter(|k| selection.people.contains(k))
            .map(Job::Person),
    );
    pages.render_jobs(jobs)
}
