//! iCalendar content lines and properties: unfolding, case-insensitive
//! lookup, parameters, TEXT lists, and TZIDs resolved to IANA zones.

use chrono_tz::Tz;
use ical::property::Property;

use super::text::one_line;
use super::time::parse_zone;

/// The zone of a TZID: a VTIMEZONE naming an IANA zone, or an IANA name.
pub(super) fn resolve(aliases: &[(String, Tz)], tzid: &str) -> Option<Tz> {
    aliases
        .iter()
        .find(|(id, _)| id == tzid)
        .map(|(_, zone)| *zone)
        .or_else(|| parse_zone(tzid))
}

/// Joins folded lines (a line break followed by one space or tab), for CRLF
/// and LF files alike.
pub(super) fn unfold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match line.strip_prefix([' ', '\t']) {
            Some(rest) if !out.is_empty() => out.push_str(rest),
            _ => {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(line);
            }
        }
    }
    out.push('\n');
    out
}

/// The first property named `name`, in any case.
pub(super) fn prop<'a>(props: &'a [Property], name: &str) -> Option<&'a Property> {
    props.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// The first value of parameter `name`.
pub(super) fn param(property: &Property, name: &str) -> Option<String> {
    let params = property.params.as_ref()?;
    let (_, values) = params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))?;
    values
        .first()
        .map(|v| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// A comma-separated TEXT list, with `\,` kept inside items.
pub(super) fn split_list(value: &str) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut escaped = false;
    for c in value.chars() {
        match (escaped, c) {
            (false, '\\') => escaped = true,
            (false, ',') => items.push(String::new()),
            (true, c) => {
                let last = items.last_mut().expect("one item");
                last.push(if c == 'n' || c == 'N' { ' ' } else { c });
                escaped = false;
            }
            (false, c) => items.last_mut().expect("one item").push(c),
        }
    }
    items
        .into_iter()
        .map(|i| one_line(&i))
        .filter(|i| !i.is_empty())
        .collect()
}

/// The file name without its extension, as a title of last resort.
pub(super) fn file_stem(source_name: &str) -> String {
    let name = source_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(source_name);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    if stem.is_empty() {
        "Calendar".to_owned()
    } else {
        stem.to_owned()
    }
}
