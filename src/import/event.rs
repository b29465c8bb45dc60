//! One event's raw fields, as frab and pretalx give them, checked and turned
//! into an [`Item`]: its key, its exact start and end, Markdown text, tags,
//! persons and links within the field limits.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use chrono_tz::Tz;

use super::html::markdown;
use super::schedule::{Item, Problem, event_name, limit_key};
use super::text::{fit, one_line};
use super::time::{local_instant, parse_clock, parse_datetime, parse_duration};
use crate::operation::{Link, limits};

/// An event's fields as strings, before any checks.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawEvent {
    pub guid: Option<String>,
    pub id: Option<String>,
    pub title: Option<String>,
    pub subtitle: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// The start with offset (frab `date`).
    pub date: Option<String>,
    /// The local start `HH:MM` (Pentabarf and frab `start`).
    pub start: Option<String>,
    pub duration: Option<String>,
    /// The end with offset (schedule.json `end`).
    pub end: Option<String>,
    pub room: Option<String>,
    /// The schedule day it is listed under (`day@date`).
    pub day: Option<NaiveDate>,
    pub tags: Vec<String>,
    /// The track and the type, as the source names them (also in `tags`).
    pub track: Option<String>,
    pub kind: Option<String>,
    /// The event's own page (`url`).
    pub url: Option<String>,
    /// The speakers opted out of recording.
    pub do_not_record: bool,
    pub language: Option<String>,
    pub persons: Vec<String>,
    /// (title, URL) pairs.
    pub links: Vec<(String, String)>,
}

/// What reading times and links needs to know about the schedule.
pub(crate) struct Context {
    /// The zone local `start` times are in.
    pub zone: Tz,
    /// Local times before it belong to the next calendar date of their day.
    pub day_change: NaiveTime,
    /// The base for relative link URLs.
    pub base_url: Option<String>,
}

impl RawEvent {
    /// Checks the fields and builds the item; warnings go to `notes`.
    ///
    /// Errors: a [`Problem`] naming the event and the field: no guid or id,
    /// no title, no start, an unreadable date, start or duration, or an end
    /// not after the start.
    pub(crate) fn build(self, ctx: &Context, notes: &mut Vec<String>) -> Result<Item, Problem> {
        let ident = self.guid.clone().or_else(|| self.id.clone());
        let name = event_name(ident.as_deref(), self.title.as_deref());
        let problem = |field: &str, message: String, key: Option<String>| Problem {
            event: Some(name.clone()),
            key,
            field: field.to_owned(),
            message,
        };
        let key = match (&self.guid, &self.id) {
            (Some(guid), _) => format!("frab:{}", guid.to_ascii_lowercase()),
            (None, Some(id)) => format!("frab-id:{id}"),
            (None, None) => {
                return Err(problem(
                    "guid",
                    "the event has neither a guid nor an id".into(),
                    None,
                ));
            }
        };
        let key = limit_key(key);
        let fail = |field: &str, message: String| problem(field, message, Some(key.clone()));
        let title = self.title.as_deref().map(one_line).unwrap_or_default();
        if title.is_empty() {
            return Err(fail("title", "the event has no title".into()));
        }
        let start = self.start_instant(ctx).map_err(|(f, m)| fail(f, m))?;
        let parsed_end = self.end.as_deref().and_then(parse_datetime);
        let end = match (parsed_end, &self.end, &self.duration) {
            (Some(end), _, _) => end,
            (None, _, Some(duration)) => {
                let length = parse_duration(duration).ok_or_else(|| {
                    fail(
                        "duration",
                        format!(
                            "`{}` is not a duration such as 01:30 or 1:30:00",
                            short(duration)
                        ),
                    )
                })?;
                start + length
            }
            (None, Some(end), None) => {
                return Err(fail(
                    "end",
                    format!("`{}` is not a date-time with offset", short(end)),
                ));
            }
            (None, None, None) => {
                return Err(fail("duration", "the event has no duration".into()));
            }
        };
        if end <= start {
            return Err(fail(
                "duration",
                format!("the event must end after its start {}", start.to_rfc3339()),
            ));
        }
        let mut item = Item {
            key,
            title,
            subtitle: self
                .subtitle
                .as_deref()
                .map(one_line)
                .filter(|s| !s.is_empty()),
            summary: self
                .summary
                .as_deref()
                .map(markdown)
                .filter(|s| !s.is_empty()),
            description: self
                .description
                .as_deref()
                .map(markdown)
                .unwrap_or_default(),
            start,
            end,
            room: self.room.as_deref().map(one_line).filter(|r| !r.is_empty()),
            tags: self.tags,
            do_not_record: self.do_not_record,
            track: self
                .track
                .as_deref()
                .map(one_line)
                .filter(|t| !t.is_empty()),
            kind: self.kind.as_deref().map(one_line).filter(|t| !t.is_empty()),
            url: self
                .url
                .as_deref()
                .and_then(|u| {
                    links(vec![(String::new(), u.to_owned())], ctx.base_url.as_deref()).pop()
                })
                .map(|l| l.url),
            language: self
                .language
                .as_deref()
                .map(one_line)
                .filter(|l| !l.is_empty()),
            persons: self.persons,
            links: {
                let mut dropped = Vec::new();
                let kept = links_noting(self.links, ctx.base_url.as_deref(), &mut dropped);
                for why in dropped {
                    notes.push(format!(
                        "event {name}: field `links.url`: {why}; the link is left out, the event imported"
                    ));
                }
                kept
            },
            day: self.day,
            all_day: false,
        };
        fit_item(&mut item, &name, notes);
        Ok(item)
    }

    /// The start: `date` if given, else the day's date and `start` in the
    /// zone (a time before the day change is on the next calendar date).
    fn start_instant(
        &self,
        ctx: &Context,
    ) -> Result<DateTime<FixedOffset>, (&'static str, String)> {
        if let Some(date) = self.date.as_deref().filter(|d| !d.trim().is_empty()) {
            return parse_datetime(date).ok_or_else(|| {
                (
                    "date",
                    format!("`{}` is not a date-time with offset", short(date)),
                )
            });
        }
        let Some(start) = self.start.as_deref().filter(|s| !s.trim().is_empty()) else {
            return Err((
                "start",
                "the event has no start (no `date` and no `start`)".into(),
            ));
        };
        let time = parse_clock(start).ok_or_else(|| {
            (
                "start",
                format!("`{}` is not a time such as 09:30", short(start)),
            )
        })?;
        let Some(day) = self.day else {
            return Err((
                "date",
                "the event has no `date` and its day has no date".into(),
            ));
        };
        let date = if time < ctx.day_change {
            day.succ_opt().unwrap_or(day)
        } else {
            day
        };
        Ok(local_instant(date, time, ctx.zone))
    }
}

/// At most 40 characters of a value, for messages.
pub(crate) fn short(text: &str) -> String {
    let mut out: String = text.trim().chars().take(40).collect();
    if out.len() < text.trim().len() {
        out.push('…');
    }
    out
}

/// Keeps http(s) links (relative ones joined to `base`), without repeats.
pub(crate) fn links(raw: Vec<(String, String)>, base: Option<&str>) -> Vec<Link> {
    links_noting(raw, base, &mut Vec::new())
}

/// [`links`], saying in `dropped` why each link left out is.
pub(crate) fn links_noting(
    raw: Vec<(String, String)>,
    base: Option<&str>,
    dropped: &mut Vec<String>,
) -> Vec<Link> {
    let mut out: Vec<Link> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (title, url) in raw {
        let url = url.trim();
        let lower = url.to_ascii_lowercase();
        let url = if lower.starts_with("http://") || lower.starts_with("https://") {
            url.to_owned()
        } else if let (Some(base), true) = (base, url.starts_with('/') && !url.starts_with("//")) {
            match base
                .find("://")
                .and_then(|s| base[s + 3..].find('/').map(|p| s + 3 + p))
            {
                Some(host_end) => format!("{}{url}", &base[..host_end]),
                None => format!("{}{url}", base.trim_end_matches('/')),
            }
        } else {
            if !url.is_empty() {
                dropped.push(format!("`{}` is not an http or https URL", short(url)));
            }
            continue;
        };
        if url.len() > limits::URL {
            dropped.push(format!(
                "`{}` is {} bytes, the limit is {}",
                short(&url),
                url.len(),
                limits::URL
            ));
            continue;
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            dropped.push(format!(
                "`{}` holds spaces or control characters",
                short(&url)
            ));
            continue;
        }
        if seen.insert(url.clone()) {
            let title = one_line(&title);
            let title = if title.is_empty() { url.clone() } else { title };
            out.push(Link {
                title: fit(title, limits::TITLE).0,
                url,
            });
        }
    }
    out
}

/// Cuts every field of `item` to its limit, noting what was cut.
pub(crate) fn fit_item(item: &mut Item, name: &str, notes: &mut Vec<String>) {
    let mut cut = Vec::new();
    let mut fit_text = |field: &str, text: &mut String, limit: usize| {
        let (fitted, was_cut) = fit(std::mem::take(text), limit);
        *text = fitted;
        if was_cut {
            cut.push(field.to_owned());
        }
    };
    fit_text("title", &mut item.title, limits::TITLE);
    fit_text("description", &mut item.description, limits::DESCRIPTION);
    if let Some(subtitle) = &mut item.subtitle {
        fit_text("subtitle", subtitle, limits::TITLE);
    }
    if let Some(summary) = &mut item.summary {
        fit_text("abstract", summary, limits::DESCRIPTION);
    }
    if let Some(language) = &mut item.language {
        fit_text("language", language, limits::SHORT);
    }
    if let Some(track) = &mut item.track {
        fit_text("track", track, limits::SHORT);
    }
    if let Some(kind) = &mut item.kind {
        fit_text("type", kind, limits::SHORT);
    }
    for (field, list) in [("tags", &mut item.tags), ("persons", &mut item.persons)] {
        let mut seen = std::collections::BTreeSet::new();
        let before = list.len();
        let mut empty = 0;
        let cleaned: Vec<String> = list
            .drain(..)
            .map(|t| fit(one_line(&t), limits::SHORT).0)
            .filter(|t| {
                empty += t.is_empty() as usize;
                !t.is_empty() && seen.insert(t.clone())
            })
            .collect();
        if empty > 0 {
            notes.push(format!(
                "event {name}: field `{field}`: {empty} empty, left out; the event imported"
            ));
        }
        *list = cleaned;
        if list.len() > limits::ITEMS {
            list.truncate(limits::ITEMS);
            notes.push(format!(
                "event {name}: only the first {} of {before} {field} are kept",
                limits::ITEMS
            ));
        }
    }
    if item.links.len() > limits::ITEMS {
        item.links.truncate(limits::ITEMS);
        notes.push(format!(
            "event {name}: only the first {} links are kept",
            limits::ITEMS
        ));
    }
    if !cut.is_empty() {
        notes.push(format!(
            "event {name}: {} cut to the field limit",
            cut.join(", ")
        ));
    }
}
