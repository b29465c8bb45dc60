//! Feeds that calendars and festival apps read: iCalendar (RFC 5545).

mod ical;
mod text;

pub use ical::{CalendarFeed, festival_events};
pub use text::{clean_text, markdown_to_text};

use crate::entry::DocumentId;
use crate::materialize::Model;
use crate::render::{Output, OutputError};

/// Writes `calendar.ics` (the festival and its sub-festivals) and
/// `events/<id>.ics` for every event, deleted ones included (STATUS
/// CANCELLED), into `output`.
///
/// `base_url` makes the URL property of each event absolute; without it the
/// property is left out, since RFC 5545 wants an absolute URI.
///
/// Errors: [`OutputError`] if a file cannot be written.
pub fn write_feeds(
    model: &Model,
    festival: DocumentId,
    base_url: Option<&str>,
    output: &mut Output,
) -> Result<(), OutputError> {
    let Some(root) = model.festivals.get(&festival) else {
        return Ok(());
    };
    let feed = CalendarFeed { model, base_url };
    let events = festival_events(model, festival);
    let live: Vec<_> = events
        .iter()
        .copied()
        .filter(|e| !e.version.deleted)
        .collect();
    output.write("calendar.ics", feed.calendar(&root.name, &live))?;
    for event in events {
        output.write(
            &format!("events/{}.ics", event.id),
            feed.calendar(&event.title, &[event]),
        )?;
    }
    Ok(())
}
