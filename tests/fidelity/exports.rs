//! The exports read back: `schedule.xml` and `schedule.json` of a site.

use super::*;
use crate::sources::{all_text, child, child_text, children, json_list, json_person, json_text};

/// `schedule.xml` of a built site.
pub(super) fn export_xml(site: &Path) -> Export {
    let source = fs::read_to_string(site.join("schedule.xml")).unwrap();
    let doc = Document::parse(&source).unwrap();
    let root = doc.root_element();
    let conf = child(root, "conference").unwrap();
    let mut conference = Fields::new();
    for (row, name) in [
        ("acronym", "acronym"),
        ("conference title", "title"),
        ("time zone", "time_zone_name"),
    ] {
        conference.insert(row, text(&child_text(conf, name)));
    }
    let (mut days, mut events) = (Vec::new(), Vec::new());
    for day in children(root, "day") {
        let attr = |a| day.attribute(a).unwrap_or("");
        let before = events.len();
        for event in children(day, "room").flat_map(|r| children(r, "event")) {
            let raw = |f: &str| child_text(event, f);
            let mut fields = Fields::new();
            for field in [
                "title",
                "subtitle",
                "abstract",
                "description",
                "type",
                "track",
                "language",
                "room",
            ] {
                fields.insert(field, text(&raw(field)));
            }
            let guid = event.attribute("guid").unwrap_or("").to_lowercase();
            fields.insert("guid", guid.clone());
            let list = |l, i| {
                child(event, l)
                    .into_iter()
                    .flat_map(move |n| children(n, i))
            };
            fields.insert("persons", names(list("persons", "person").map(all_text)));
            let hrefs =
                list("links", "link").filter_map(|l| l.attribute("href").map(str::to_owned));
            fields.insert("links", urls(hrefs.chain([raw("url")])));
            fields.insert("date", instant(&raw("date")));
            fields.insert("start", clock(&raw("start")));
            fields.insert("duration", duration(&raw("duration")));
            events.push((guid, fields));
        }
        let bounds = (
            text(attr("date")),
            instant(attr("start")),
            instant(attr("end")),
        );
        days.push((bounds, events.len() - before));
    }
    Export {
        conference,
        days,
        events,
    }
}

/// `schedule.json` of a built site.
pub(super) fn export_json(site: &Path) -> Export {
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(site.join("schedule.json")).unwrap()).unwrap();
    let conf = &doc["schedule"]["conference"];
    let mut conference = Fields::new();
    for (row, name) in [
        ("acronym", "acronym"),
        ("conference title", "title"),
        ("time zone", "time_zone_name"),
    ] {
        conference.insert(row, text(&json_text(conf.get(name))));
    }
    let (mut days, mut events) = (Vec::new(), Vec::new());
    for day in json_list(conf.get("days")) {
        let before = events.len();
        for event in day["rooms"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|l| json_list(Some(l)))
        {
            let raw = |f: &str| json_text(event.get(f));
            let mut fields = Fields::new();
            for field in [
                "title",
                "subtitle",
                "abstract",
                "description",
                "type",
                "track",
                "language",
                "room",
            ] {
                fields.insert(field, text(&raw(field)));
            }
            let guid = raw("guid").to_lowercase();
            fields.insert("guid", guid.clone());
            fields.insert(
                "persons",
                names(json_list(event.get("persons")).iter().map(json_person)),
            );
            let hrefs = json_list(event.get("links"))
                .iter()
                .map(|l| json_text(l.get("url")));
            fields.insert("links", urls(hrefs.chain([raw("url")])));
            fields.insert("date", instant(&raw("date")));
            fields.insert("start", clock(&raw("start")));
            fields.insert("duration", duration(&raw("duration")));
            events.push((guid, fields));
        }
        let f = |k: &str| json_text(day.get(k));
        days.push((
            (
                text(&f("date")),
                instant(&f("day_start")),
                instant(&f("day_end")),
            ),
            events.len() - before,
        ));
    }
    Export {
        conference,
        days,
        events,
    }
}
