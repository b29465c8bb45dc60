//! Writes every feed of a site into the output.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use super::ical::{CALENDAR_END, CalendarFeed, description};
use super::plan::{Plan, SlotCache};
use super::schedule_json::write_schedule_json;
use super::schedule_xml::write_schedule_xml;
use super::select::{
    event_places, festival_events, inexpressible, inexpressible_time, site_locations,
};
use super::text::http_base;
use crate::entry::{DocumentId, PublicKey};
use crate::materialize::{Event, Festival, Model};
use crate::output::{Output, OutputError, SharedOutput};
use crate::settings::RenderSettings;

/// Calendars larger than this many bytes are written as they are put
/// together, not held in memory whole.
const STREAMED_ABOVE: usize = 64 * 1024;

/// Writes the feeds of `settings.festival` (with its nested festivals) into
/// `output`:
///
/// - `calendar.ics`: every live event (RFC 5545, times in UTC);
/// - `events/<id>.ics` for every event, deleted ones as STATUS CANCELLED;
/// - `locations/<id>.ics` for every location of the site: the live events
///   that take place there (requested and not denied);
/// - `people/<public key>.ics` for everyone who created an event: the live
///   events they host;
/// - `schedule.xml` (frab, C3VOC XSD) and `schedule.json` (v1 JSON schema),
///   with days from `settings.day_change` in the festival's time zone.
///
/// `settings.base_url`, when an http(s) URL, makes event URLs absolute;
/// without it the iCalendar URL property is left out. An event whose times
/// a feed cannot express is left out of every feed, with a warning naming
/// it. Nothing is written when the festival is unknown. The work is spread
/// over all threads: each event's VEVENT is made once, for every calendar
/// that holds it, while `schedule.xml` and `schedule.json` are written.
///
/// Errors: [`OutputError`] if a file cannot be written (one of them if
/// several cannot).
pub fn write_feeds(
    model: &Model,
    settings: &RenderSettings,
    output: &mut Output,
) -> Result<(), OutputError> {
    let mut cache = FeedCache::default();
    write_feeds_cached(
        model,
        settings,
        output,
        &mut cache,
        &BTreeSet::new(),
        &|_| true,
    )?;
    Ok(())
}

/// Each event's VEVENT from an earlier [`write_feeds_cached`], and the
/// room names they were made with.
#[derive(Debug, Default)]
pub struct FeedCache {
    vevents: HashMap<DocumentId, String>,
    rooms: BTreeMap<DocumentId, String>,
    /// The schedules' slots, when kept ([`FeedCache::keeping_slots`]).
    slots: Option<SlotCache>,
}

impl FeedCache {
    /// An empty cache that also keeps the schedules' slots (which a single
    /// build does not need).
    pub fn keeping_slots() -> FeedCache {
        FeedCache {
            slots: Some(SlotCache::new()),
            ..FeedCache::default()
        }
    }
}

/// [`write_feeds`] for a rebuild: writes only the files whose paths
/// `wanted` accepts (the schedules as `schedule.xml`), and makes again only
/// the VEVENTs of events in `remake` or missing from `cache`, taking the
/// others from it (all of them when the room names changed). The caller
/// names in `remake` every event whose VEVENT may differ. `cache` then
/// holds this write's VEVENTs. Returns the path of every file the feeds
/// have, written or not.
///
/// Errors: as [`write_feeds`].
pub fn write_feeds_cached(
    model: &Model,
    settings: &RenderSettings,
    output: &mut Output,
    cache: &mut FeedCache,
    remake: &BTreeSet<DocumentId>,
    wanted: &(dyn Fn(&str) -> bool + Sync),
) -> Result<BTreeSet<String>, OutputError> {
    let started = std::time::Instant::now();
    let Some(root) = model.festivals.get(&settings.festival) else {
        return Ok(BTreeSet::new());
    };
    let zone = root.time_zone;
    let base = http_base(settings.base_url.as_deref());
    let all = festival_events(model, root.id);
    let unwritable: Vec<Option<String>> = all.par_iter().map(|e| inexpressible(e, zone)).collect();
    let events: Vec<&Event> = all
        .iter()
        .zip(unwritable)
        .filter_map(|(event, why)| match why {
            None => Some(*event),
            Some(why) => {
                tracing::warn!(
                    "feeds: left out event {} (“{}”): {why}",
                    event.id,
                    event.title
                );
                None
            }
        })
        .collect();
    let live: Vec<&Event> = events
        .iter()
        .copied()
        .filter(|e| !e.version.deleted)
        .collect();
    let unplaceable = [root.start, root.end]
        .into_iter()
        .find_map(|at| inexpressible_time(at, zone));
    let plan = match (live.is_empty(), unplaceable) {
        (true, Some(why)) => {
            tracing::warn!(
                "feeds: no schedule.xml or schedule.json for festival {}: {why}",
                root.id
            );
            None
        }
        _ => Some(Plan::new_cached(
            model,
            root,
            &live,
            settings.day_change,
            base.as_deref(),
            cache.slots.as_mut().map(|slots| (slots, remake)),
        )),
    };
    let feed = CalendarFeed {
        model,
        base_url: base.as_deref(),
        time_zone: Some(zone),
        rooms: plan
            .iter()
            .flat_map(|p| &p.rooms)
            .filter_map(|r| Some((r.location?, r.name.clone())))
            .collect(),
    };
    if feed.rooms != cache.rooms {
        cache.vevents.clear();
        cache.rooms = feed.rooms.clone();
    }
    let mut paths: BTreeSet<String> = events
        .iter()
        .map(|e| format!("events/{}.ics", e.id))
        .collect();
    if plan.is_some() {
        paths.extend(["schedule.xml".to_owned(), "schedule.json".to_owned()]);
    }
    // Everyone with an event gets a feed, even if it cannot hold that event.
    let hosts: BTreeSet<PublicKey> = all.iter().map(|e| e.author).collect();
    // Shared by the calendars (for the events' texts) and the schedules, and
    // freed by the last of them, while the other is still writing.
    let plan = plan.map(Arc::new);
    let calendars = Calendars {
        feed: &feed,
        root,
        events: &events,
        live: &live,
        hosts,
        plan: plan.clone(),
        cached: &cache.vevents,
        remake,
        wanted,
    };
    let output = output.shared();
    let (ics, schedules) = crate::parallel::join_logged(
        || calendars.write(&output),
        || match plan {
            Some(plan) if wanted("schedule.xml") => write_schedules(&plan, &output),
            _ => Ok(()),
        },
    );
    let (vevents, files) = ics?;
    schedules?;
    paths.extend(files);
    cache.vevents = events.iter().map(|e| e.id).zip(vevents).collect();
    tracing::debug!(elapsed = ?started.elapsed(), "feeds");
    Ok(paths)
}

/// The iCalendar feeds of a site, and what they are made from.
struct Calendars<'a> {
    feed: &'a CalendarFeed<'a>,
    root: &'a Festival,
    /// Every event the feeds can express, live and deleted.
    events: &'a [&'a Event],
    /// The live ones.
    live: &'a [&'a Event],
    /// The authors of every event of the festival tree.
    hosts: BTreeSet<PublicKey>,
    /// The schedule, whose slots hold the live events' texts.
    plan: Option<Arc<Plan>>,
    /// VEVENTs made before, taken for events not in `remake`.
    cached: &'a HashMap<DocumentId, String>,
    remake: &'a BTreeSet<DocumentId>,
    /// Which files are written.
    wanted: &'a (dyn Fn(&str) -> bool + Sync),
}

/// A calendar of several events: its path, its name and the events it
/// holds, as indexes into [`Calendars::events`].
struct CalendarFile {
    path: String,
    name: String,
    holds: Vec<usize>,
}

impl Calendars<'_> {
    /// Writes `calendar.ics`, `events/<id>.ics`, `locations/<id>.ics` and
    /// `people/<key>.ics` on all threads, each VEVENT made once. Returns
    /// the VEVENTs in the order of [`Calendars::events`] and the paths of
    /// the calendars of several events.
    fn write(mut self, output: &SharedOutput) -> Result<(Vec<String>, Vec<String>), OutputError> {
        let (vevents, files) = rayon::join(|| self.vevents(output), || self.files());
        let vevents = vevents?;
        // Done with the plan: freed here if the schedules are written.
        self.plan = None;
        files
            .par_iter()
            .filter(|file| (self.wanted)(&file.path))
            .try_for_each(|file| {
                let held: Vec<&str> = file.holds.iter().map(|i| vevents[*i].as_str()).collect();
                self.write_calendar(&file.path, &file.name, &held, output)
            })?;
        Ok((vevents, files.into_iter().map(|f| f.path).collect()))
    }

    /// Every event's VEVENT, in the order of [`Calendars::events`], each
    /// written into `events/<id>.ics` as soon as it is made. Descriptions
    /// are plain text, flattened from the Markdown ([`description`]).
    fn vevents(&self, output: &SharedOutput) -> Result<Vec<String>, OutputError> {
        self.events
            .par_iter()
            .map(|event| {
                let cached = match self.remake.contains(&event.id) {
                    true => None,
                    false => self.cached.get(&event.id).cloned(),
                };
                let vevent = cached.unwrap_or_else(|| {
                    // Plain text: the plan's texts are Markdown for apps.
                    let description = description(event);
                    self.feed.vevent(event, &description)
                });
                let path = format!("events/{}.ics", event.id);
                if (self.wanted)(&path) {
                    self.write_calendar(&path, &event.title, &[&vevent], output)?;
                }
                Ok(vevent)
            })
            .collect()
    }

    /// The calendars of several events: `calendar.ics`, then each
    /// location's and each host's.
    fn files(&self) -> Vec<CalendarFile> {
        let model = self.feed.model;
        let live = || (0..self.events.len()).filter(|i| !self.events[*i].version.deleted);
        let mut at: BTreeMap<DocumentId, Vec<usize>> = BTreeMap::new();
        let mut by: BTreeMap<PublicKey, Vec<usize>> = BTreeMap::new();
        for i in live() {
            let event = self.events[i];
            for place in event_places(model, event) {
                at.entry(place.id).or_default().push(i);
            }
            by.entry(event.author).or_default().push(i);
        }
        let mut files = vec![CalendarFile {
            path: "calendar.ics".into(),
            name: self.root.name.clone(),
            holds: live().collect(),
        }];
        for location in site_locations(model, self.root.id, self.live) {
            files.push(CalendarFile {
                path: format!("locations/{}.ics", location.id),
                name: location.title.clone(),
                holds: at.remove(&location.id).unwrap_or_default(),
            });
        }
        for host in &self.hosts {
            files.push(CalendarFile {
                path: format!("people/{}.ics", host.to_hex()),
                name: model
                    .people
                    .get(host)
                    .map_or_else(|| host.short(), |p| p.name()),
                holds: by.remove(host).unwrap_or_default(),
            });
        }
        files
    }

    /// Writes the calendar `path` named `name` with `vevents`: put together
    /// in memory when small, else streamed.
    fn write_calendar(
        &self,
        path: &str,
        name: &str,
        vevents: &[&str],
        output: &SharedOutput,
    ) -> Result<(), OutputError> {
        let header = self.feed.header(name);
        let parts = || {
            std::iter::once(header.as_str())
                .chain(vevents.iter().copied())
                .chain([CALENDAR_END])
        };
        let size: usize = parts().map(str::len).sum();
        if size <= STREAMED_ABOVE {
            let mut ics = String::with_capacity(size);
            parts().for_each(|part| ics.push_str(part));
            return output.write(path, ics);
        }
        output.write_with(path, |out| {
            parts()
                .try_for_each(|part| out.write_all(part.as_bytes()))
                .map_err(io_error(path))
        })
    }
}

/// Writes `schedule.xml`, then `schedule.json`, each as it is put together.
fn write_schedules(plan: &Plan, output: &SharedOutput) -> Result<(), OutputError> {
    output.write_with("schedule.xml", |out| {
        write_schedule_xml(plan, out).map_err(io_error("schedule.xml"))
    })?;
    output.write_with("schedule.json", |out| {
        write_schedule_json(plan, out).map_err(io_error("schedule.json"))
    })
}

/// An I/O error while writing the site file `path`.
fn io_error(path: &str) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: PathBuf::from(path),
        source,
    }
}
