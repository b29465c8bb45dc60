//! Event rows: an event's `<li>` in the lists of the schedule, the
//! festival pages, the person pages and the index.
//!
//! The long lists show the same events on several pages, at different
//! depths of the site. So each event's row is rendered once, through
//! `event_row.html`, with a mark in place of the two things a page sets:
//! `root` (the path back to the site root) and `time` (`18:00–19:30`, or
//! with the day on a person's page). [`Row::fill`] puts in a page's own.
//!
//! A mark holds a random nonce drawn once per render, so no text from the
//! logs can be taken for one: it would have to guess 128 random bits.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use super::RenderError;
use super::markdown::escape;
use super::site::event_path;
use super::templates::Templates;
use super::view::{Cards, EventCard};
use crate::entry::DocumentId;

/// The template a row is rendered with.
pub const ROW_TEMPLATE: &str = "event_row.html";

/// Which time text a row shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RowTime {
    /// `18:00–19:30`: under a day's heading.
    Times,
    /// `Fri 16 Jul, 18:00–19:30`: in a list across days.
    When,
}

/// One event's rendered row, cut at its marks.
#[derive(Debug)]
pub(super) struct Row {
    parts: Vec<Part>,
    /// `times` and `when`, escaped for HTML.
    times: String,
    when: String,
}

#[derive(Debug, PartialEq, Eq)]
enum Part {
    Html(String),
    Root,
    Time,
}

/// Every event's row by event id.
pub(super) type Rows = HashMap<DocumentId, Row>;

/// The marks of one render.
struct Marks {
    /// What both marks begin with: U+0001 and the nonce.
    prefix: String,
}

impl Marks {
    /// Marks with a fresh nonce from the operating system.
    fn new() -> Marks {
        let nonce = crate::random::random_bytes::<16>();
        Marks {
            prefix: format!("\u{1}{}", hex::encode(nonce)),
        }
    }

    fn root(&self) -> String {
        format!("{}r\u{1}", self.prefix)
    }

    fn time(&self) -> String {
        format!("{}t\u{1}", self.prefix)
    }

    /// Cuts `html` at its marks.
    fn cut(&self, html: &str) -> Vec<Part> {
        let mut parts = Vec::new();
        let mut rest = html;
        while let Some(at) = rest.find(&self.prefix) {
            let after = &rest[at + self.prefix.len()..];
            let part = match after.as_bytes() {
                [b'r', 1, ..] => Part::Root,
                [b't', 1, ..] => Part::Time,
                // The nonce without a mark's end: only a template could
                // write it, and it stays as it is.
                _ => {
                    let end = at + self.prefix.len();
                    push_html(&mut parts, &rest[..end]);
                    rest = &rest[end..];
                    continue;
                }
            };
            push_html(&mut parts, &rest[..at]);
            parts.push(part);
            rest = &after[2..];
        }
        push_html(&mut parts, rest);
        parts
    }
}

fn push_html(parts: &mut Vec<Part>, html: &str) {
    if html.is_empty() {
        return;
    }
    match parts.last_mut() {
        Some(Part::Html(last)) => last.push_str(html),
        _ => parts.push(Part::Html(html.to_owned())),
    }
}

#[derive(Serialize)]
struct RowContext<'c> {
    e: &'c EventCard,
    root: &'c str,
    time: &'c str,
}

/// Renders the row of every card, on all threads.
///
/// Errors: [`RenderError::Page`] naming the event whose row failed.
pub(super) fn render_rows(cards: &Cards, templates: &Templates) -> Result<Rows, RenderError> {
    let all: Vec<(&DocumentId, &EventCard)> = cards.iter().collect();
    render_rows_of(&all, templates)
}

/// Renders the rows of `cards` (event id and card), on all threads. A row
/// holds no trace of the marks it was cut at, so rows of different renders
/// may be mixed.
///
/// Errors: [`RenderError::Page`] naming the event whose row failed.
pub(super) fn render_rows_of(
    cards: &[(&DocumentId, &EventCard)],
    templates: &Templates,
) -> Result<Rows, RenderError> {
    let marks = Marks::new();
    let (root, time) = (marks.root(), marks.time());
    cards
        .par_iter()
        .map(|(id, card)| {
            let context = tera::Context::from_serialize(&RowContext {
                e: card,
                root: &root,
                time: &time,
            })
            .expect("a row's context is a map");
            let what = format!("the list row of {}", event_path(id));
            let html = templates.render(ROW_TEMPLATE, &context, &what)?;
            let row = Row {
                parts: marks.cut(&html),
                times: escape(&card.times),
                when: escape(&card.when),
            };
            Ok((**id, row))
        })
        .collect()
}

impl Row {
    /// The row's HTML for a page whose path back to the site root is
    /// `root` (`""`, `"../"`, …), showing `time`.
    pub fn fill(&self, root: &str, time: RowTime) -> String {
        let time = match time {
            RowTime::Times => &self.times,
            RowTime::When => &self.when,
        };
        let mut html = String::with_capacity(self.len_with(root.len(), time.len()));
        for part in &self.parts {
            match part {
                Part::Html(text) => html.push_str(text),
                Part::Root => html.push_str(root),
                Part::Time => html.push_str(time),
            }
        }
        html
    }

    fn len_with(&self, root: usize, time: usize) -> usize {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Html(text) => text.len(),
                Part::Root => root,
                Part::Time => time,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(marks: &Marks, html: &str) -> Row {
        Row {
            parts: marks.cut(html),
            times: "18:00–19:30".into(),
            when: "Fri 16 Jul, 18:00–19:30".into(),
        }
    }

    #[test]
    fn marks_are_filled_per_page() {
        let marks = Marks::new();
        let html = format!(
            "<li><span>{t}</span><a href=\"{r}events/x/index.html\">A</a>{r}</li>",
            t = marks.time(),
            r = marks.root()
        );
        let row = row(&marks, &html);
        assert_eq!(
            row.fill("../../", RowTime::When),
            "<li><span>Fri 16 Jul, 18:00–19:30</span><a href=\"../../events/x/index.html\">A</a>../../</li>"
        );
        assert_eq!(
            row.fill("", RowTime::Times),
            "<li><span>18:00–19:30</span><a href=\"events/x/index.html\">A</a></li>"
        );
    }

    #[test]
    fn text_that_looks_like_a_mark_stays_text() {
        let marks = Marks::new();
        // A title cannot know the nonce: what it holds is kept as it is.
        let html = "<li>\u{1}r\u{1} and \u{1}0000r\u{1}</li>";
        assert_eq!(row(&marks, html).fill("../", RowTime::Times), html);
        // The nonce without a mark's end stays as well.
        let html = format!("<li>{}x</li>", marks.prefix);
        assert_eq!(row(&marks, &html).fill("../", RowTime::Times), html);
        // Two renders draw different nonces.
        assert_ne!(Marks::new().prefix, marks.prefix);
    }
}
