//! The commands that publish documents: festivals, profiles, resources and
//! events. Each validates what it is given, publishes one operation and
//! returns the document id.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, TimeDelta};
use chrono_tz::Tz;

use super::session::{Current, Session};
use super::time::{check_order, parse_duration, parse_time, parse_time_zone};
use super::{AuthorError, Decided};
use crate::entry::DocumentId;
use crate::operation::{
    EventFields, FestivalFields, Fields, Link, Location, Operation, Policy, ProfileFields,
    ResourceFields, ResourceKind, SchemaId,
};

/// What `festival create` and `festival update` are given; `None` keeps
/// the current value (every field but `parent` and the description is
/// required for a new festival). Times are TIME strings (see
/// [`super::parse_time`]), local ones in `time_zone`.
#[derive(Clone, Debug, Default)]
pub struct FestivalInput {
    /// The name.
    pub name: Option<String>,
    /// Start (TIME).
    pub start: Option<String>,
    /// End (TIME).
    pub end: Option<String>,
    /// IANA time zone.
    pub time_zone: Option<String>,
    /// The parent festival's id or prefix.
    pub parent: Option<String>,
    /// The description (Markdown).
    pub description: Option<String>,
    /// A file to read the description from.
    pub description_file: Option<PathBuf>,
}

/// A location's place, as given on the command line.
#[derive(Clone, Debug, Default)]
pub struct Place {
    /// `LAT,LON` in decimal degrees.
    pub gps: Option<String>,
    /// A postal address.
    pub address: Option<String>,
    /// A virtual place's URL.
    pub url: Option<String>,
    /// `X,Y,Z` in a virtual world.
    pub position: Option<String>,
    /// Remove the place (update only).
    pub remove: bool,
}

/// What `resource add` and `resource update` are given; `None` keeps the
/// current value (`title` and `kind` are required for a new resource, whose
/// policy is `manual` unless given).
#[derive(Clone, Debug, Default)]
pub struct ResourceInput {
    /// The title.
    pub title: Option<String>,
    /// The kind.
    pub kind: Option<ResourceKind>,
    /// The description (Markdown).
    pub description: Option<String>,
    /// A file to read the description from.
    pub description_file: Option<PathBuf>,
    /// The place, which makes it a location.
    pub place: Place,
    /// How its requests are decided.
    pub policy: Option<Policy>,
    /// The festival's id or prefix (add only).
    pub festival: Option<String>,
}

/// What `event add` and `event update` are given. `None` and empty lists
/// keep the current value; on update, non-empty `tags`, `links` and
/// `persons` replace the old ones, `requests` are added and
/// `drop_requests` removed. A new start alone keeps the duration.
#[derive(Clone, Debug, Default)]
pub struct EventInput {
    /// The title.
    pub title: Option<String>,
    /// Start (TIME, local in the festival's zone unless it has an offset).
    pub start: Option<String>,
    /// End (TIME).
    pub end: Option<String>,
    /// Duration (DUR), instead of an end.
    pub duration: Option<String>,
    /// Resources to request (ids or prefixes).
    pub requests: Vec<String>,
    /// Resources to stop requesting (update only).
    pub drop_requests: Vec<String>,
    /// The description (Markdown).
    pub description: Option<String>,
    /// A file to read the description from.
    pub description_file: Option<PathBuf>,
    /// Tags.
    pub tags: Vec<String>,
    /// http(s) links.
    pub links: Vec<String>,
    /// A subtitle.
    pub subtitle: Option<String>,
    /// An abstract (Markdown).
    pub summary: Option<String>,
    /// A language tag.
    pub language: Option<String>,
    /// Speakers or hosts who are not users.
    pub persons: Vec<String>,
    /// The festival's id or prefix (add only).
    pub festival: Option<String>,
}

fn description(
    text: &Option<String>,
    file: &Option<PathBuf>,
) -> Result<Option<String>, AuthorError> {
    match (text, file) {
        (Some(text), _) => Ok(Some(text.clone())),
        (None, Some(path)) => {
            std::fs::read_to_string(path)
                .map(Some)
                .map_err(|source| AuthorError::Io {
                    path: path.clone(),
                    source,
                })
        }
        (None, None) => Ok(None),
    }
}

fn required<T: Clone>(value: &Option<T>, flag: &'static str) -> Result<T, AuthorError> {
    value.clone().ok_or(AuthorError::Missing(flag))
}

fn numbers<const N: usize>(flag: &'static str, text: &str) -> Result<[f64; N], AuthorError> {
    let bad = |reason: String| AuthorError::BadValue {
        flag,
        text: text.to_owned(),
        reason,
    };
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    if parts.len() != N {
        return Err(bad(format!("expected {N} numbers separated by commas")));
    }
    let mut out = [0.0; N];
    for (slot, part) in out.iter_mut().zip(parts) {
        *slot = part
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad(format!("`{part}` is not a number")))?;
    }
    Ok(out)
}

impl Place {
    /// The location this place gives: `Some(None)` removes it, `None`
    /// keeps the current one.
    fn location(&self) -> Result<Option<Option<Location>>, AuthorError> {
        if self.remove {
            return Ok(Some(None));
        }
        let location = if let Some(text) = &self.gps {
            let [lat, lon] = numbers::<2>("--gps", text)?;
            Location::Gps { lat, lon }
        } else if let Some(address) = &self.address {
            Location::Address {
                address: address.clone(),
            }
        } else if let Some(url) = &self.url {
            Location::Virtual {
                url: Some(url.clone()),
                position: None,
            }
        } else if let Some(text) = &self.position {
            Location::Virtual {
                url: None,
                position: Some(numbers::<3>("--position", text)?),
            }
        } else {
            return Ok(None);
        };
        Ok(Some(Some(location)))
    }
}

impl Session {
    /// `festival create`: publishes a new festival in a new log of this key
    /// and returns its id. When `pandafest.toml` names no festival yet, it
    /// names this one (or, for a nested festival, its parent).
    ///
    /// Errors: [`AuthorError::Missing`] for a missing name, start, end or
    /// time zone; [`AuthorError::TimeZone`], the time errors of
    /// [`super::parse_time`], [`AuthorError::EndBeforeStart`],
    /// [`AuthorError::Invalid`] for a field over its limit.
    pub fn festival_create(&mut self, input: &FestivalInput) -> Result<DocumentId, AuthorError> {
        let zone = parse_time_zone(&required(&input.time_zone, "--time-zone")?)?;
        let name = required(&input.name, "--name")?;
        let start = parse_time("--start", &required(&input.start, "--start")?, zone)?;
        let end = parse_time("--end", &required(&input.end, "--end")?, zone)?;
        check_order(start, end, true)?;
        let parent = input
            .parent
            .as_deref()
            .map(|p| self.resolve(SchemaId::Festival, p))
            .transpose()?;
        let fields = FestivalFields {
            name,
            description: description(&input.description, &input.description_file)?
                .unwrap_or_default(),
            start: start.to_rfc3339(),
            end: end.to_rfc3339(),
            time_zone: zone.name().to_owned(),
            parent,
            forked_from: None,
            source: None,
            acronym: None,
            days: None,
        };
        let log_id = self.log_for(None)?;
        let id = self.publish(log_id, &[Operation::create(Fields::Festival(fields))])?[0];
        // A nested festival belongs to its parent's site.
        self.dir.name_festival_if_unset(parent.unwrap_or(id))?;
        Ok(id)
    }

    /// `festival update`: publishes a new version of one of this key's
    /// festivals with the fields given changed. Returns the festival's id.
    ///
    /// Errors: as [`Session::festival_create`], and
    /// [`AuthorError::NotAuthor`] for another author's festival.
    pub fn festival_update(
        &mut self,
        id: &str,
        input: &FestivalInput,
    ) -> Result<DocumentId, AuthorError> {
        let id = self.resolve(SchemaId::Festival, id)?;
        let current = self.current(SchemaId::Festival, &id)?;
        let Fields::Festival(mut f) = current.fields.clone() else {
            unreachable!("a festival's fields")
        };
        self.own(&current, "festival", &f.name)?;
        if let Some(zone) = &input.time_zone {
            f.time_zone = parse_time_zone(zone)?.name().to_owned();
        }
        let zone = parse_time_zone(&f.time_zone)?;
        if let Some(name) = &input.name {
            f.name = name.clone();
        }
        if let Some(start) = &input.start {
            f.start = parse_time("--start", start, zone)?.to_rfc3339();
        }
        if let Some(end) = &input.end {
            f.end = parse_time("--end", end, zone)?.to_rfc3339();
        }
        check_order(rfc3339(&f.start), rfc3339(&f.end), true)?;
        if let Some(parent) = &input.parent {
            f.parent = Some(self.resolve(SchemaId::Festival, parent)?);
        }
        if let Some(text) = description(&input.description, &input.description_file)? {
            f.description = text;
        }
        let operation = Operation::update(current.version, Fields::Festival(f));
        self.publish(current.log_id, &[operation])?;
        Ok(id)
    }

    /// `profile set`: publishes this key's display name and bio. The
    /// profile goes into the key's log of the directory's festival when
    /// there is one, so it travels with it, else into the key's profile
    /// log (see [`crate::publish::Publisher::profile_log`]), and updates
    /// the key's earlier profile there.
    ///
    /// Errors: [`AuthorError::Invalid`] for an empty or too long name.
    pub fn profile_set(&mut self, name: &str, bio: &str) -> Result<DocumentId, AuthorError> {
        let me = self.public_key()?;
        let festival = self.festival(None).ok();
        let log_id = self.profile_log(festival)?;
        let fields = Fields::Profile(ProfileFields {
            display_name: name.to_owned(),
            bio: bio.to_owned(),
        });
        // The key's latest profile in that log, if there is one.
        let reader = self.dir.store.read();
        let mut earlier = None;
        for id in reader.documents_of(SchemaId::Profile)? {
            if let Ok(current) = self.current(SchemaId::Profile, &id)
                && current.author == me
                && current.log_id == log_id
                && !current.deleted
            {
                earlier = Some(current);
            }
        }
        let (operation, id) = match earlier {
            Some(current) => (Operation::update(current.version, fields), Some(current.id)),
            None => (Operation::create(fields), None),
        };
        let published = self.publish(log_id, &[operation])?[0];
        Ok(id.unwrap_or(published))
    }

    /// `resource add`: offers a resource at a festival and returns its id.
    ///
    /// Errors: [`AuthorError::Missing`] for a missing title or kind, the
    /// errors of [`Session::festival`], [`AuthorError::BadValue`] for a
    /// place that cannot be read, [`AuthorError::Invalid`] for a field over
    /// its limit.
    pub fn resource_add(&mut self, input: &ResourceInput) -> Result<DocumentId, AuthorError> {
        let title = required(&input.title, "--title")?;
        let kind = required(&input.kind, "--kind")?;
        let festival = self.festival(input.festival.as_deref())?;
        let fields = ResourceFields {
            festival,
            title,
            description: description(&input.description, &input.description_file)?
                .unwrap_or_default(),
            kind,
            location: input.place.location()?.flatten(),
            policy: input.policy.unwrap_or(Policy::Manual),
            derived_from: None,
            source: None,
        };
        let log_id = self.log_for(Some(festival))?;
        Ok(self.publish(log_id, &[Operation::create(Fields::Resource(fields))])?[0])
    }

    /// `resource update`: a new version of one of this key's resources.
    /// Returns its id.
    ///
    /// Errors: as [`Session::resource_add`], [`AuthorError::NotAuthor`] for
    /// another owner's resource, [`AuthorError::Deleted`] for a removed one.
    pub fn resource_update(
        &mut self,
        id: &str,
        input: &ResourceInput,
    ) -> Result<DocumentId, AuthorError> {
        let id = self.resolve(SchemaId::Resource, id)?;
        let current = self.current(SchemaId::Resource, &id)?;
        let Fields::Resource(mut f) = current.fields.clone() else {
            unreachable!("a resource's fields")
        };
        self.own(&current, "resource", &f.title)?;
        self.live(&current, "resource", &f.title)?;
        if let Some(title) = &input.title {
            f.title = title.clone();
        }
        if let Some(kind) = input.kind {
            f.kind = kind;
        }
        if let Some(text) = description(&input.description, &input.description_file)? {
            f.description = text;
        }
        if let Some(location) = input.place.location()? {
            f.location = location;
        }
        if let Some(policy) = input.policy {
            f.policy = policy;
        }
        let operation = Operation::update(current.version, Fields::Resource(f));
        self.publish(current.log_id, &[operation])?;
        Ok(id)
    }

    /// `resource remove`: deletes one of this key's resources. Returns its id.
    ///
    /// Errors: [`AuthorError::NotAuthor`], [`AuthorError::Deleted`] if it
    /// was removed already.
    pub fn resource_remove(&mut self, id: &str) -> Result<DocumentId, AuthorError> {
        let id = self.resolve(SchemaId::Resource, id)?;
        let current = self.current(SchemaId::Resource, &id)?;
        let title = match &current.fields {
            Fields::Resource(f) => f.title.clone(),
            _ => unreachable!("a resource's fields"),
        };
        self.own(&current, "resource", &title)?;
        self.live(&current, "resource", &title)?;
        let operation = Operation::delete(SchemaId::Resource, current.version);
        self.publish(current.log_id, &[operation])?;
        Ok(id)
    }

    /// `event add`: proposes an event at a festival and returns its id. Then
    /// the owner policies of this key's requested resources decide (see
    /// [`Session::decide`]); their decisions are returned too.
    ///
    /// Errors: [`AuthorError::Missing`] for a missing title, start, or end
    /// and duration; the time errors; [`AuthorError::EndBeforeStart`]; the
    /// id errors and [`AuthorError::Deleted`] for a requested resource;
    /// [`AuthorError::BadValue`] for a link; [`AuthorError::Invalid`] for a
    /// field over its limit.
    pub fn event_add(
        &mut self,
        input: &EventInput,
    ) -> Result<(DocumentId, Vec<Decided>), AuthorError> {
        let festival = self.festival(input.festival.as_deref())?;
        let zone = self.zone_of(&festival)?;
        let title = required(&input.title, "--title")?;
        let start = parse_time("--start", &required(&input.start, "--start")?, zone)?;
        let end = match (&input.end, &input.duration) {
            (Some(end), _) => parse_time("--end", end, zone)?,
            (None, Some(duration)) => start + parse_duration(duration)?,
            (None, None) => return Err(AuthorError::Missing("--end or --duration")),
        };
        check_order(start, end, false)?;
        let mut resources = Vec::new();
        for text in &input.requests {
            let resource = self.requestable(text)?;
            if !resources.contains(&resource) {
                resources.push(resource);
            }
        }
        let fields = EventFields {
            festival,
            title,
            description: description(&input.description, &input.description_file)?
                .unwrap_or_default(),
            start: start.to_rfc3339(),
            end: end.to_rfc3339(),
            resources: resources.clone(),
            tags: input.tags.clone(),
            links: links(&input.links)?,
            subtitle: input.subtitle.clone(),
            summary: input.summary.clone(),
            language: input.language.clone(),
            persons: (!input.persons.is_empty()).then(|| input.persons.clone()),
            derived_from: None,
            source: None,
            track: None,
            kind: None,
            url: None,
            do_not_record: None,
        };
        let log_id = self.log_for(Some(festival))?;
        let id = self.publish(log_id, &[Operation::create(Fields::Event(fields))])?[0];
        let decided = self.decide_own_requests(&resources)?;
        Ok((id, decided))
    }

    /// `event update`: a new version of one of this key's events. Returns
    /// its id and what the owner policies of this key decided on it.
    ///
    /// Errors: as [`Session::event_add`], [`AuthorError::NotAuthor`] for
    /// another author's event, [`AuthorError::Deleted`] for a cancelled one,
    /// [`AuthorError::BadValue`] for dropping a resource it does not request.
    pub fn event_update(
        &mut self,
        id: &str,
        input: &EventInput,
    ) -> Result<(DocumentId, Vec<Decided>), AuthorError> {
        let id = self.resolve(SchemaId::Event, id)?;
        let current = self.current(SchemaId::Event, &id)?;
        let Fields::Event(mut f) = current.fields.clone() else {
            unreachable!("an event's fields")
        };
        self.own(&current, "event", &f.title)?;
        self.live(&current, "event", &f.title)?;
        let zone = self.zone_of(&f.festival)?;
        let (old_start, old_end) = (rfc3339(&f.start), rfc3339(&f.end));
        let start = match &input.start {
            Some(text) => parse_time("--start", text, zone)?,
            None => old_start,
        };
        let end = match (&input.end, &input.duration) {
            (Some(end), _) => parse_time("--end", end, zone)?,
            (None, Some(duration)) => start + parse_duration(duration)?,
            // A new start alone keeps the duration.
            (None, None) => start + (old_end - old_start).max(TimeDelta::zero()),
        };
        check_order(start, end, false)?;
        f.start = start.to_rfc3339();
        f.end = end.to_rfc3339();
        if let Some(title) = &input.title {
            f.title = title.clone();
        }
        if let Some(text) = description(&input.description, &input.description_file)? {
            f.description = text;
        }
        for text in &input.drop_requests {
            let resource = self.resolve(SchemaId::Resource, text)?;
            let before = f.resources.len();
            f.resources.retain(|r| *r != resource);
            if f.resources.len() == before {
                return Err(AuthorError::BadValue {
                    flag: "--drop-request",
                    text: text.clone(),
                    reason: format!("event `{}` does not request it", f.title),
                });
            }
        }
        let mut added = Vec::new();
        for text in &input.requests {
            let resource = self.requestable(text)?;
            if !f.resources.contains(&resource) {
                f.resources.push(resource);
                added.push(resource);
            }
        }
        if !input.tags.is_empty() {
            f.tags = input.tags.clone();
        }
        if !input.links.is_empty() {
            f.links = links(&input.links)?;
        }
        if !input.persons.is_empty() {
            f.persons = Some(input.persons.clone());
        }
        for (slot, value) in [
            (&mut f.subtitle, &input.subtitle),
            (&mut f.summary, &input.summary),
            (&mut f.language, &input.language),
        ] {
            if let Some(value) = value {
                *slot = Some(value.clone()).filter(|v| !v.is_empty());
            }
        }
        let resources = f.resources.clone();
        let operation = Operation::update(current.version, Fields::Event(f));
        self.publish(current.log_id, &[operation])?;
        let decided = self.decide_own_requests(&resources)?;
        Ok((id, decided))
    }

    /// `event cancel`: deletes one of this key's events. Returns its id.
    ///
    /// Errors: [`AuthorError::NotAuthor`], [`AuthorError::Deleted`] if it
    /// was cancelled already.
    pub fn event_cancel(&mut self, id: &str) -> Result<DocumentId, AuthorError> {
        let id = self.resolve(SchemaId::Event, id)?;
        let current = self.current(SchemaId::Event, &id)?;
        let title = match &current.fields {
            Fields::Event(f) => f.title.clone(),
            _ => unreachable!("an event's fields"),
        };
        self.own(&current, "event", &title)?;
        self.live(&current, "event", &title)?;
        let operation = Operation::delete(SchemaId::Event, current.version);
        self.publish(current.log_id, &[operation])?;
        Ok(id)
    }

    /// A resource that can be requested: it exists and is not removed.
    fn requestable(&self, text: &str) -> Result<DocumentId, AuthorError> {
        let resource = self.resolve(SchemaId::Resource, text)?;
        let current = self.current(SchemaId::Resource, &resource)?;
        if let Fields::Resource(f) = &current.fields {
            self.live(&current, "resource", &f.title)?;
        }
        Ok(resource)
    }

    /// The time zone of festival `id`.
    pub(super) fn zone_of(&self, id: &DocumentId) -> Result<Tz, AuthorError> {
        match self.current(SchemaId::Festival, id)?.fields {
            Fields::Festival(f) => parse_time_zone(&f.time_zone),
            _ => unreachable!("a festival's fields"),
        }
    }

    fn own(&self, current: &Current, what: &'static str, title: &str) -> Result<(), AuthorError> {
        let me = self.public_key()?;
        if current.author != me {
            return Err(AuthorError::NotAuthor {
                what,
                title: title.to_owned(),
                id: current.id,
                owner: current.author.to_string(),
                me: me.to_string(),
            });
        }
        Ok(())
    }

    fn live(&self, current: &Current, what: &'static str, title: &str) -> Result<(), AuthorError> {
        if current.deleted {
            return Err(AuthorError::Deleted {
                what,
                title: title.to_owned(),
                id: current.id,
            });
        }
        Ok(())
    }
}

fn rfc3339(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).expect("stored times are validated at ingest")
}

fn links(urls: &[String]) -> Result<Vec<Link>, AuthorError> {
    urls.iter()
        .map(|url| {
            let lower = url.to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                return Err(AuthorError::BadValue {
                    flag: "--link",
                    text: url.clone(),
                    reason: "not an http or https URL".into(),
                });
            }
            Ok(Link {
                title: url.clone(),
                url: url.clone(),
            })
        })
        .collect()
}
