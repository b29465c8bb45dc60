//! Feeds that calendars and festival apps read: iCalendar (RFC 5545) per
//! festival, location, person and event, and the frab/pretalx "Fahrplan"
//! exports `schedule.xml` (C3VOC XSD) and `schedule.json` (v1 JSON schema).

#[cfg(test)]
mod fixture;
mod fold;
mod ical;
mod parts;
mod plan;
mod schedule_json;
mod schedule_xml;
mod select;
mod slot;
mod text;
mod write;

pub use fold::{fold_line, refold};
pub use ical::{CALENDAR_END, CalendarFeed, PRODID, escape_text};
pub use parts::ELSEWHERE;
pub use plan::{Day, Plan, Room};
pub use schedule_json::{schedule_json, write_schedule_json};
pub use schedule_xml::{MAX_XML_DURATION_MINUTES, schedule_xml, write_schedule_xml};
pub use select::{
    event_places, festival_events, festival_tree, inexpressible, inexpressible_time,
    location_events, person_events, site_locations,
};
pub use slot::{PlanPerson, Slot};
pub use text::{
    clean_text, http_base, markdown_for_apps, markdown_to_text, one_line, slugify, uri_escape,
};
pub use write::{FeedCache, write_feeds, write_feeds_cached};
