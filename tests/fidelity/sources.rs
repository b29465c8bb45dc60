//! The sources read for the comparison: frab XML, frab/pretalx JSON,
//! iCalendar, and the sample festival's model.

use super::*;

/// The importer's Markdown (abstract, description) by (start, title), for
/// HTML source texts.
pub(super) type Markdown = HashMap<(String, String), (String, String)>;

pub(super) fn importer_markdown(path: &Path, zone: Option<Tz>) -> Markdown {
    let source = fs::read_to_string(path).unwrap();
    let schedule = parse_schedule(path.to_str().unwrap(), &source, None, zone).unwrap();
    schedule
        .events
        .into_iter()
        .map(|e| {
            let key = (e.start.to_utc().to_rfc3339(), text(&e.title));
            (key, (e.summary.unwrap_or_default(), e.description))
        })
        .collect()
}

/// A source text as the export should carry it (see the crate docs).
fn prose(raw: &str, markdown: Option<&str>) -> Vec<String> {
    match markdown {
        Some(md) if is_html(raw) => one(md),
        _ => one(raw),
    }
}

/// Fields shared by frab XML and JSON events, from their raw texts.
#[allow(clippy::too_many_arguments)]
fn frab_event(
    raw: &dyn Fn(&str) -> String,
    guid: String,
    id: String,
    room: String,
    persons: Vec<String>,
    links: Vec<String>,
    markdown: &Markdown,
) -> SourceEvent {
    let date = raw("date");
    let key = (instant(&date), text(&raw("title")));
    let md = markdown.get(&key);
    let mut want = BTreeMap::new();
    want.insert("guid", one(guid.to_lowercase()));
    for field in ["title", "subtitle", "type", "track", "language"] {
        want.insert(field, one(raw(field)));
    }
    want.insert(
        "abstract",
        prose(&raw("abstract"), md.map(|m| m.0.as_str())),
    );
    want.insert(
        "description",
        prose(&raw("description"), md.map(|m| m.1.as_str())),
    );
    want.insert("persons", vec![names(persons)]);
    want.insert("links", vec![urls(links)]);
    want.insert("room", one(room));
    want.insert("date", vec![instant(&date)]);
    want.insert("start", vec![clock(&raw("start"))]);
    want.insert("duration", vec![duration(&raw("duration"))]);
    let find = match guid.is_empty() {
        false => Find::Key(format!("frab:{}", guid.to_lowercase())),
        true => Find::Key(format!("frab-id:{id}")),
    };
    SourceEvent {
        label: format!("{guid} “{}”", text(&raw("title"))),
        guid: Some(guid.to_lowercase()).filter(|g| !g.is_empty()),
        find,
        want,
    }
}

pub(super) fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.has_tag_name(name))
}

pub(super) fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |c| c.has_tag_name(name))
}

/// All text inside the child `name`.
pub(super) fn child_text(node: Node, name: &str) -> String {
    child(node, name).map(all_text).unwrap_or_default()
}

pub(super) fn all_text(node: Node) -> String {
    node.descendants()
        .filter_map(|n| n.text().filter(|_| n.is_text()))
        .collect()
}

/// A frab `schedule.xml`.
pub(super) fn read_xml(path: &Path, markdown: &Markdown) -> (Conference, Vec<SourceEvent>) {
    let source = fs::read_to_string(path).unwrap();
    let doc = Document::parse(&source).unwrap();
    let conf = child(doc.root_element(), "conference").unwrap();
    let days = children(doc.root_element(), "day").collect::<Vec<_>>();
    let mut events = Vec::new();
    for day in &days {
        for room in children(*day, "room") {
            for event in children(room, "event") {
                let raw = |f: &str| child_text(event, f);
                let room = Some(raw("room"))
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or_else(|| room.attribute("name").unwrap_or("").to_owned());
                let persons = child(event, "persons")
                    .into_iter()
                    .flat_map(|p| children(p, "person"))
                    .map(all_text)
                    .collect();
                let mut links = vec![raw("url")];
                for (list, item) in [("links", "link"), ("attachments", "attachment")] {
                    for node in child(event, list)
                        .into_iter()
                        .flat_map(|l| children(l, item))
                    {
                        links.extend(node.attribute("href").map(str::to_owned));
                    }
                }
                let guid = event.attribute("guid").unwrap_or("").to_owned();
                let id = event.attribute("id").unwrap_or("").to_owned();
                events.push(frab_event(&raw, guid, id, room, persons, links, markdown));
            }
        }
    }
    let conference = Conference {
        acronym: Some(text(&child_text(conf, "acronym"))),
        title: Some(text(&child_text(conf, "title"))),
        zone: Some(text(&child_text(conf, "time_zone_name"))).filter(|z| !z.is_empty()),
        days: Some(
            days.iter()
                .map(|d| {
                    let attr = |a| d.attribute(a).unwrap_or("");
                    (
                        text(attr("date")),
                        instant(attr("start")),
                        instant(attr("end")),
                    )
                })
                .collect(),
        ),
    };
    (conference, events)
}

/// A JSON string (or number) as text; anything else is empty.
pub(super) fn json_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A person entry of `schedule.json`: `public_name`, `name` or a string.
pub(super) fn json_person(person: &Value) -> String {
    ["public_name", "name"]
        .iter()
        .map(|k| json_text(person.get(k)))
        .find(|n| !n.trim().is_empty())
        .unwrap_or_else(|| json_text(Some(person)))
}

pub(super) fn json_list(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// A frab/pretalx `schedule.json`.
pub(super) fn read_json(path: &Path, markdown: &Markdown) -> (Conference, Vec<SourceEvent>) {
    let doc: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    let conf = &doc["schedule"]["conference"];
    let days = json_list(conf.get("days"));
    let mut events = Vec::new();
    for day in days {
        for (room, list) in day["rooms"].as_object().unwrap() {
            for event in json_list(Some(list)) {
                let raw = |f: &str| json_text(event.get(f));
                let room = Some(raw("room"))
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or(room.clone());
                let persons = json_list(event.get("persons"))
                    .iter()
                    .map(json_person)
                    .collect();
                let mut links = vec![raw("url")];
                for list in ["links", "attachments"] {
                    for link in json_list(event.get(list)) {
                        links.push(
                            Some(json_text(link.get("url")))
                                .filter(|u| !u.is_empty())
                                .unwrap_or_else(|| json_text(Some(link))),
                        );
                    }
                }
                let (guid, id) = (raw("guid"), raw("id"));
                events.push(frab_event(&raw, guid, id, room, persons, links, markdown));
            }
        }
    }
    let field = |name: &str| text(&json_text(conf.get(name)));
    let conference = Conference {
        acronym: Some(field("acronym")),
        title: Some(field("title")),
        zone: Some(field("time_zone_name")).filter(|z| !z.is_empty()),
        days: Some(
            days.iter()
                .map(|d| {
                    let f = |k: &str| json_text(d.get(k));
                    (
                        text(&f("date")),
                        instant(&f("day_start")),
                        instant(&f("day_end")),
                    )
                })
                .collect(),
        ),
    };
    (conference, events)
}

/// One iCalendar property: upper-case name, parameters, raw value.
struct Property {
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

/// Splits a content line at `sep` outside double quotes.
fn split_unquoted(line: &str, sep: char, once: bool) -> Vec<&str> {
    let (mut parts, mut from, mut quoted) = (Vec::new(), 0, false);
    for (at, c) in line.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted && (!once || parts.is_empty()) {
            parts.push(&line[from..at]);
            from = at + 1;
        }
    }
    parts.push(&line[from..]);
    parts
}

/// RFC 5545 §3.3.11 TEXT unescaped.
fn unescape(value: &str) -> String {
    let (mut out, mut chars) = (String::new(), value.chars());
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// The VEVENTs of an iCalendar file (RFC 5545 §3.1 unfolding), each as its
/// properties, and the calendar's own properties.
fn ical_components(source: &str) -> (Vec<Property>, Vec<Vec<Property>>) {
    let mut lines: Vec<String> = Vec::new();
    for line in source
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
    {
        match (line.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ => lines.push(line.to_owned()),
        }
    }
    let (mut calendar, mut events, mut current) = (Vec::new(), Vec::new(), None::<Vec<Property>>);
    for line in lines.iter().filter(|l| !l.is_empty()) {
        let [head, value] = split_unquoted(line, ':', true)[..] else {
            panic!("no colon: {line}")
        };
        let mut head = split_unquoted(head, ';', false).into_iter();
        let name = head.next().unwrap().to_ascii_uppercase();
        let params = head
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_ascii_uppercase(), v.trim_matches('"').to_owned()))
            .collect();
        let prop = Property {
            name,
            params,
            value: value.to_owned(),
        };
        match (
            prop.name.as_str(),
            prop.value.to_ascii_uppercase().as_str(),
            &mut current,
        ) {
            ("BEGIN", "VEVENT", _) => current = Some(Vec::new()),
            ("END", "VEVENT", _) => events.push(current.take().unwrap()),
            (_, _, Some(event)) => event.push(prop),
            (_, _, None) => calendar.push(prop),
        }
    }
    (calendar, events)
}

/// A DATE-TIME: UTC, with an IANA TZID, or floating in `zone`.
fn ical_time(prop: &Property, zone: Tz) -> DateTime<FixedOffset> {
    let value = prop.value.trim();
    if let Some(utc) = value.strip_suffix('Z') {
        let naive = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").unwrap();
        return chrono::Utc.from_utc_datetime(&naive).fixed_offset();
    }
    let zone = match prop.params.iter().find(|(k, _)| k == "TZID") {
        Some((_, tzid)) => tzid.parse::<Tz>().unwrap(),
        None => zone,
    };
    let naive = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
        .unwrap_or_else(|_| NaiveDate::parse_from_str(value, "%Y%m%d").unwrap().into());
    zone.from_local_datetime(&naive)
        .earliest()
        .unwrap()
        .fixed_offset()
}

/// An iCalendar file, read in `zone`.
pub(super) fn read_ical(
    path: &Path,
    zone: Tz,
    markdown: &Markdown,
) -> (Conference, Vec<SourceEvent>) {
    let (calendar, vevents) = ical_components(&fs::read_to_string(path).unwrap());
    let get = |props: &[Property], name: &str| {
        props
            .iter()
            .find(|p| p.name == name)
            .map(|p| unescape(&p.value))
            .unwrap_or_default()
    };
    let mut events = Vec::new();
    for props in &vevents {
        let (uid, title) = (get(props, "UID"), text(&get(props, "SUMMARY")));
        let prop = |name| props.iter().find(|p| p.name == name).unwrap();
        let (start, end) = (
            ical_time(prop("DTSTART"), zone),
            ical_time(prop("DTEND"), zone),
        );
        let all = |name: &'static str| props.iter().filter(move |p| p.name == name);
        let categories: Vec<String> = all("CATEGORIES")
            .flat_map(|p| split_unquoted_escaped(&p.value))
            .collect();
        let persons = all("ATTENDEE").filter_map(|p| {
            p.params
                .iter()
                .find(|(k, _)| k == "CN")
                .map(|(_, v)| v.clone())
        });
        let md = markdown.get(&(start.to_utc().to_rfc3339(), title.clone()));
        let mut want = BTreeMap::new();
        want.insert("title", one(title.clone()));
        for field in ["subtitle", "abstract", "language"] {
            want.insert(field, one(""));
        }
        want.insert(
            "description",
            prose(&get(props, "DESCRIPTION"), md.map(|m| m.1.as_str())),
        );
        let mut types = categories.clone();
        types.push(String::new());
        want.insert("type", types);
        // The track is the first category that is not the type: any
        // category when there are two or more.
        let tracks = match categories.len() {
            0 => one(""),
            1 => vec![categories[0].clone(), String::new()],
            _ => categories.clone(),
        };
        want.insert("track", tracks);
        want.insert("persons", vec![names(persons)]);
        want.insert("links", vec![urls(all("URL").map(|p| unescape(&p.value)))]);
        want.insert("room", one(get(props, "LOCATION")));
        want.insert("date", vec![start.to_utc().to_rfc3339()]);
        want.insert("start", vec![local_clock(start, zone)]);
        want.insert("duration", vec![minutes(end - start)]);
        events.push(SourceEvent {
            label: format!("{uid} at {} “{title}”", start.to_rfc3339()),
            guid: None,
            find: Find::Ical(uid, start),
            want,
        });
    }
    let conference = Conference {
        title: Some(text(&get(&calendar, "X-WR-CALNAME"))),
        zone: Some(zone.name().to_owned()),
        ..Conference::default()
    };
    (conference, events)
}

/// A CATEGORIES value split at unescaped commas, each item unescaped.
fn split_unquoted_escaped(value: &str) -> Vec<String> {
    let (mut items, mut item, mut chars) = (Vec::new(), String::new(), value.chars());
    while let Some(c) = chars.next() {
        match c {
            '\\' => item.extend(chars.next()),
            ',' => items.push(text(&std::mem::take(&mut item))),
            c => item.push(c),
        }
    }
    items.push(text(&item));
    items.into_iter().filter(|i| !i.is_empty()).collect()
}

/// The sample festival's events and days, from its model.
pub(super) fn read_native(
    model: &Model,
    festival: DocumentId,
    day_change: NaiveTime,
) -> (Conference, Vec<SourceEvent>) {
    let fest = &model.festivals[&festival];
    let zone = fest.time_zone;
    let events: Vec<_> = pandafest::feeds::festival_events(model, festival)
        .into_iter()
        .filter(|e| !e.version.deleted && pandafest::feeds::inexpressible(e, zone).is_none())
        .collect();
    let local_date = |at: DateTime<FixedOffset>| at.with_timezone(&zone).date_naive();
    let mut dates: BTreeSet<NaiveDate> = local_date(fest.start)
        .iter_days()
        .take_while(|d| *d <= local_date(fest.end))
        .collect();
    let change = day_change - NaiveTime::MIN;
    dates.extend(
        events
            .iter()
            .map(|e| (e.start.with_timezone(&zone).naive_local() - change).date()),
    );
    let boundary = |d: NaiveDate| {
        instant(
            &zone
                .from_local_datetime(&d.and_time(day_change))
                .earliest()
                .unwrap()
                .to_rfc3339(),
        )
    };
    let days = dates
        .iter()
        .map(|d| (d.to_string(), boundary(*d), boundary(d.succ_opt().unwrap())))
        .collect();
    let mut out = Vec::new();
    for event in events {
        let hex = event.id.to_hex();
        let guid = Uuid::new_v5(
            &Uuid::NAMESPACE_URL,
            format!("pandafest:event:{hex}").as_bytes(),
        )
        .to_string();
        let mut want = BTreeMap::new();
        want.insert("guid", one(guid.clone()));
        want.insert("title", one(event.title.clone()));
        want.insert("subtitle", one(event.subtitle.clone().unwrap_or_default()));
        want.insert("abstract", one(event.summary.clone().unwrap_or_default()));
        want.insert("description", one(event.description.clone()));
        want.insert("language", one(event.language.clone().unwrap_or_default()));
        let tags: Vec<String> = event.tags.iter().map(|t| text(t)).collect();
        want.insert(
            "type",
            tags.iter().cloned().chain(["other".to_owned()]).collect(),
        );
        want.insert(
            "track",
            tags.iter().cloned().chain([String::new()]).collect(),
        );
        let mut persons = vec![names(&event.persons)];
        if event.persons.iter().all(|p| p.trim().is_empty()) {
            persons.extend(
                model
                    .people
                    .get(&event.author)
                    .and_then(|p| p.display_name.clone())
                    .map(|n| names([n])),
            );
        }
        want.insert("persons", persons);
        want.insert("links", vec![urls(event.links.iter().map(|l| &l.url))]);
        let places = |confirmed: bool| -> Vec<String> {
            event
                .requests
                .iter()
                .filter(|r| {
                    r.state != RequestState::Denied
                        && (!confirmed || r.state == RequestState::Confirmed)
                })
                .filter_map(|r| model.resources.get(&r.resource))
                .filter(|r| r.location.is_some())
                .map(|r| text(&r.title))
                .collect()
        };
        let rooms = [
            places(true),
            places(false),
            one(pandafest::feeds::ELSEWHERE),
        ]
        .into_iter()
        .find(|r| !r.is_empty())
        .unwrap();
        want.insert("room", rooms);
        want.insert("date", vec![event.start.to_utc().to_rfc3339()]);
        want.insert("start", vec![local_clock(event.start, zone)]);
        want.insert("duration", vec![minutes(event.end - event.start)]);
        out.push(SourceEvent {
            label: format!("{} “{}”", event.id.short(), text(&event.title)),
            guid: Some(guid),
            find: Find::Native,
            want,
        });
    }
    let conference = Conference {
        acronym: None,
        title: Some(text(&fest.name)),
        zone: Some(zone.name().to_owned()),
        days: Some(days),
    };
    (conference, out)
}
