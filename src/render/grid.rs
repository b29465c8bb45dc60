//! The grid of one schedule day: a column per location used that day
//! (events without a location go to "elsewhere"), a row per 15 minutes.
//! Events that overlap in one location get lanes side by side. Every row
//! has the same height (the stylesheet's `--slot`), so an hour is as tall
//! as any other whatever starts in it. The stylesheet turns the grid into a
//! list on narrow screens, so items come in time order.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Timelike};
use serde::Serialize;

use super::site::Site;
use super::view::{Cards, EventCard, Link};
use crate::entry::DocumentId;
use crate::materialize::Event;

/// Seconds per grid row.
const SLOT: i64 = 15 * 60;
/// A day grid shows at most this many rows (24 hours).
const MAX_ROWS: i64 = 24 * 4;

/// A laid-out day.
#[derive(Debug, Serialize)]
pub(super) struct Grid<'c> {
    /// The CSS grid template of the container.
    pub style: String,
    pub columns: Vec<GridColumn>,
    pub times: Vec<GridTime>,
    pub items: Vec<GridItem<'c>>,
}

/// A location's column heading.
#[derive(Debug, Serialize)]
pub(super) struct GridColumn {
    pub link: Link,
    pub style: String,
}

/// A time label and the line across the grid at its row.
#[derive(Debug, Serialize)]
pub(super) struct GridTime {
    pub label: String,
    pub row: usize,
}

/// An event in a location's column.
#[derive(Debug, Serialize)]
pub(super) struct GridItem<'c> {
    pub card: &'c EventCard,
    /// All the event's locations, for the list view on a phone.
    pub place: String,
    /// Whether this is a faded copy: the full card stands in the column of
    /// the event's first place in request order. The list view shows only
    /// the full card.
    pub repeat: bool,
    /// Whether the event spans at most two rows (30 minutes): the stylesheet
    /// puts its time and title on one line.
    pub short: bool,
    pub style: String,
}

impl Site<'_> {
    /// Lays out the live events of `day`, with their `cards`.
    pub fn grid<'c>(&self, day: NaiveDate, cards: &'c Cards) -> Grid<'c> {
        let events: &[&Event] = self.days.get(&day).map_or(&[], Vec::as_slice);
        // Columns: locations by title then id; "elsewhere" last. Each event
        // goes with its places' titles (for the list view) and its first
        // place in request order, whose column holds its full card.
        type Placed<'e> = (&'e Event, String, Option<DocumentId>);
        let mut by_place: BTreeMap<(u8, String, Option<DocumentId>), Vec<Placed>> = BTreeMap::new();
        for event in events {
            let places = self.places_of(event);
            let first_place = places.first().map(|p| p.id);
            if places.is_empty() {
                let placed = (*event, "Elsewhere".to_owned(), first_place);
                by_place
                    .entry((1, String::new(), None))
                    .or_default()
                    .push(placed);
                continue;
            }
            let titles: Vec<&str> = places.iter().map(|p| p.title.as_str()).collect();
            let text = titles.join(", ");
            for place in places {
                by_place
                    .entry((0, place.title.clone(), Some(place.id)))
                    .or_default()
                    .push((*event, text.clone(), first_place));
            }
        }
        let first = events
            .iter()
            .map(|e| e.start.timestamp())
            .min()
            .unwrap_or(0);
        let start = first.div_euclid(SLOT) * SLOT;
        let last = events
            .iter()
            .map(|e| e.end.timestamp())
            .max()
            .unwrap_or(first);
        let rows = ((last - start + SLOT - 1) / SLOT).clamp(1, MAX_ROWS);
        let row_of = |ts: i64| ((ts - start).div_euclid(SLOT)).clamp(0, rows) as usize + 2;
        let row_end_of =
            |ts: i64| ((ts - start + SLOT - 1).div_euclid(SLOT)).clamp(0, rows) as usize + 2;

        let mut columns = Vec::new();
        let mut items = Vec::new();
        let mut next_column = 2;
        for ((_, _, id), list) in by_place {
            let mut lanes: Vec<i64> = Vec::new();
            let mut placed = Vec::new();
            for (event, text, first_place) in list {
                let (s, e) = (event.start.timestamp(), event.end.timestamp());
                let lane = match lanes.iter().position(|end| *end <= s) {
                    Some(lane) => lane,
                    None => {
                        lanes.push(0);
                        lanes.len() - 1
                    }
                };
                lanes[lane] = e;
                placed.push((event, text, first_place, lane));
            }
            let link = match &id {
                Some(id) => self.resource_link(id),
                None => Link::new(String::new(), "Elsewhere"),
            };
            for (event, text, first_place, lane) in placed {
                // Under its other places an event gets a faded repeat.
                let repeat = first_place != id;
                let row_start = row_of(event.start.timestamp());
                let row_end = row_end_of(event.end.timestamp()).max(row_start + 1);
                items.push((
                    (row_start, next_column + lane),
                    GridItem {
                        card: &cards[&event.id],
                        place: text,
                        repeat,
                        short: row_end - row_start <= 2,
                        style: format!(
                            "grid-column: {}; grid-row: {row_start} / {row_end};",
                            next_column + lane
                        ),
                    },
                ));
            }
            columns.push(GridColumn {
                link,
                style: format!("grid-column: {} / span {};", next_column, lanes.len()),
            });
            next_column += lanes.len();
        }
        items.sort_by_key(|(key, _)| *key);

        let mut times = Vec::new();
        for slot in 0..rows {
            let local = chrono::DateTime::from_timestamp(start + slot * SLOT, 0)
                .expect("in range")
                .with_timezone(&self.zone);
            if local.minute() == 0 || slot == 0 {
                times.push(GridTime {
                    label: local.format("%H:%M").to_string(),
                    row: slot as usize + 2,
                });
            }
        }
        Grid {
            style: format!(
                "grid-template-columns: 4rem repeat({}, minmax(10rem, 1fr)); \
                 grid-template-rows: auto repeat({rows}, var(--slot, 1.75rem));",
                (next_column - 2).max(1)
            ),
            columns,
            times,
            items: items.into_iter().map(|(_, item)| item).collect(),
        }
    }
}
