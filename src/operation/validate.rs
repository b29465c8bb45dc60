//! Field rules of each schema: sizes, times, time zones, URLs.

use chrono::{DateTime, FixedOffset};

use super::{Action, Fields, Location, Operation, OperationError, SchemaId};

/// Size limits of fields, in bytes (UTF-8) or items.
pub mod limits {
    /// A festival name or a profile display name.
    pub const NAME: usize = 200;
    /// A title or subtitle.
    pub const TITLE: usize = 200;
    /// A Markdown description or abstract.
    pub const DESCRIPTION: usize = 32 * 1024;
    /// A profile bio or an authorization note.
    pub const NOTE: usize = 2000;
    /// A postal address.
    pub const ADDRESS: usize = 500;
    /// A URL.
    pub const URL: usize = 2048;
    /// One tag, one person's name, one link title, a language tag.
    pub const SHORT: usize = 100;
    /// Items in a list: tags, links, persons, requested resources.
    pub const ITEMS: usize = 64;
    /// The import key of a document (`source`).
    pub const SOURCE: usize = 200;
    /// The days of an imported schedule a festival keeps.
    pub const DAYS: usize = 400;
}

struct Check {
    schema: SchemaId,
}

impl Check {
    fn fail(&self, field: &str, reason: impl Into<String>) -> OperationError {
        OperationError::Field {
            schema: self.schema,
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    fn text(&self, field: &str, value: &str, limit: usize) -> Result<(), OperationError> {
        if value.len() > limit {
            return Err(self.fail(
                field,
                format!("{} bytes, the limit is {limit}", value.len()),
            ));
        }
        if value.contains('\0') {
            return Err(self.fail(field, "contains a NUL character"));
        }
        Ok(())
    }

    fn non_empty(&self, field: &str, value: &str, limit: usize) -> Result<(), OperationError> {
        if value.trim().is_empty() {
            return Err(self.fail(field, "must not be empty"));
        }
        self.text(field, value, limit)
    }

    fn items<T>(&self, field: &str, items: &[T]) -> Result<(), OperationError> {
        if items.len() > limits::ITEMS {
            return Err(self.fail(
                field,
                format!("{} items, the limit is {}", items.len(), limits::ITEMS),
            ));
        }
        Ok(())
    }

    fn url(&self, field: &str, url: &str) -> Result<(), OperationError> {
        self.text(field, url, limits::URL)?;
        let lower = url.to_ascii_lowercase();
        let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
        if !scheme_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) || url.len() < 9 {
            let shown: String = url.chars().take(60).collect();
            return Err(self.fail(field, format!("`{shown}` is not an http or https URL")));
        }
        Ok(())
    }

    fn time(&self, field: &str, value: &str) -> Result<DateTime<FixedOffset>, OperationError> {
        DateTime::parse_from_rfc3339(value).map_err(|e| {
            let shown: String = value.chars().take(60).collect();
            self.fail(
                field,
                format!("`{shown}` is not an RFC 3339 time with offset: {e}"),
            )
        })
    }

    fn timeframe(&self, start: &str, end: &str, allow_empty: bool) -> Result<(), OperationError> {
        self.timeframe_of("", start, end, allow_empty)
    }

    /// [`Check::timeframe`] of the `start` and `end` fields under `prefix`
    /// (`days` names `days.start`, `days.end`).
    fn timeframe_of(
        &self,
        prefix: &str,
        start: &str,
        end: &str,
        allow_empty: bool,
    ) -> Result<(), OperationError> {
        let name = |field: &str| match prefix {
            "" => field.to_owned(),
            _ => format!("{prefix}.{field}"),
        };
        let start_time = self.time(&name("start"), start)?;
        let end_time = self.time(&name("end"), end)?;
        if end_time < start_time || (!allow_empty && end_time == start_time) {
            return Err(self.fail(&name("end"), format!("{end} is not after start {start}")));
        }
        Ok(())
    }
}

/// Checks the fields of an operation against its schema's rules.
pub(super) fn validate(operation: &Operation) -> Result<(), OperationError> {
    let check = Check {
        schema: operation.schema,
    };
    match (&operation.action, &operation.fields) {
        (Action::Delete, None) => return Ok(()),
        (Action::Delete, Some(_)) => {
            return Err(OperationError::Malformed(
                "a DELETE carries no fields".into(),
            ));
        }
        (_, None) => {
            return Err(OperationError::Malformed(format!(
                "{} operation without fields",
                operation.schema
            )));
        }
        _ => {}
    }
    let fields = operation.fields.as_ref().expect("checked above");
    let source = match fields {
        Fields::Festival(f) => f.source.as_deref(),
        Fields::Resource(f) => f.source.as_deref(),
        Fields::Event(f) => f.source.as_deref(),
        Fields::Profile(_) | Fields::Authorization(_) => None,
    };
    if let Some(source) = source {
        check.non_empty("source", source, limits::SOURCE)?;
    }
    match fields {
        Fields::Festival(f) => {
            check.non_empty("name", &f.name, limits::NAME)?;
            check.text("description", &f.description, limits::DESCRIPTION)?;
            check.timeframe(&f.start, &f.end, true)?;
            if f.time_zone.parse::<chrono_tz::Tz>().is_err() {
                let shown: String = f.time_zone.chars().take(60).collect();
                return Err(check.fail("time_zone", format!("`{shown}` is not an IANA time zone")));
            }
            if let Some(url) = f.forked_from.as_ref().and_then(|f| f.archive_url.as_ref()) {
                check.url("forked_from.archive_url", url)?;
            }
            if let Some(acronym) = &f.acronym {
                check.non_empty("acronym", acronym, limits::SHORT)?;
            }
            if let Some(days) = &f.days {
                if days.len() > limits::DAYS {
                    return Err(check.fail(
                        "days",
                        format!("{} days, the limit is {}", days.len(), limits::DAYS),
                    ));
                }
                for day in days {
                    if chrono::NaiveDate::parse_from_str(&day.date, "%Y-%m-%d").is_err() {
                        let shown: String = day.date.chars().take(40).collect();
                        return Err(check.fail(
                            "days.date",
                            format!("`{shown}` is not a date as YYYY-MM-DD"),
                        ));
                    }
                    check.timeframe_of("days", &day.start, &day.end, false)?;
                }
            }
        }
        Fields::Profile(f) => {
            check.non_empty("display_name", &f.display_name, limits::NAME)?;
            check.text("bio", &f.bio, limits::NOTE)?;
        }
        Fields::Resource(f) => {
            check.non_empty("title", &f.title, limits::TITLE)?;
            check.text("description", &f.description, limits::DESCRIPTION)?;
            match &f.location {
                Some(Location::Gps { lat, lon }) => {
                    if !(-90.0..=90.0).contains(lat) {
                        return Err(
                            check.fail("location.lat", format!("{lat} is not within -90..90"))
                        );
                    }
                    if !(-180.0..=180.0).contains(lon) {
                        return Err(
                            check.fail("location.lon", format!("{lon} is not within -180..180"))
                        );
                    }
                }
                Some(Location::Address { address }) => {
                    check.non_empty("location.address", address, limits::ADDRESS)?
                }
                Some(Location::Virtual { url, position }) => {
                    if let Some(url) = url {
                        check.url("location.url", url)?;
                    }
                    if position.is_some_and(|p| p.iter().any(|c| !c.is_finite())) {
                        return Err(check.fail("location.position", "coordinates must be finite"));
                    }
                    if url.is_none() && position.is_none() {
                        return Err(
                            check.fail("location", "a virtual place needs a url or a position")
                        );
                    }
                }
                None => {}
            }
        }
        Fields::Event(f) => {
            check.non_empty("title", &f.title, limits::TITLE)?;
            check.text("description", &f.description, limits::DESCRIPTION)?;
            check.timeframe(&f.start, &f.end, false)?;
            check.items("resources", &f.resources)?;
            let mut seen = std::collections::BTreeSet::new();
            if let Some(repeat) = f.resources.iter().find(|r| !seen.insert(**r)) {
                return Err(check.fail("resources", format!("{repeat} is requested twice")));
            }
            check.items("tags", &f.tags)?;
            for tag in &f.tags {
                check.non_empty("tags", tag, limits::SHORT)?;
            }
            check.items("links", &f.links)?;
            for link in &f.links {
                check.text("links.title", &link.title, limits::TITLE)?;
                check.url("links.url", &link.url)?;
            }
            if let Some(subtitle) = &f.subtitle {
                check.text("subtitle", subtitle, limits::TITLE)?;
            }
            if let Some(summary) = &f.summary {
                check.text("abstract", summary, limits::DESCRIPTION)?;
            }
            if let Some(language) = &f.language {
                check.non_empty("language", language, limits::SHORT)?;
            }
            if let Some(persons) = &f.persons {
                check.items("persons", persons)?;
                for person in persons {
                    check.non_empty("persons", person, limits::SHORT)?;
                }
            }
            if let Some(track) = &f.track {
                check.non_empty("track", track, limits::SHORT)?;
            }
            if let Some(kind) = &f.kind {
                check.non_empty("type", kind, limits::SHORT)?;
            }
            if let Some(url) = &f.url {
                check.url("url", url)?;
            }
        }
        Fields::Authorization(f) => {
            check.text("note", &f.note, limits::NOTE)?;
        }
    }
    Ok(())
}
