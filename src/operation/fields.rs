//! The fields of each schema, as serde structs that map to CBOR maps.

use serde::{Deserialize, Serialize};

use super::SchemaId;
use crate::entry::{DocumentId, OperationId};

/// The fields of one operation, by schema.
#[derive(Clone, Debug, PartialEq)]
pub enum Fields {
    /// `festival_v1`.
    Festival(FestivalFields),
    /// `profile_v1`.
    Profile(ProfileFields),
    /// `resource_v1`.
    Resource(ResourceFields),
    /// `event_v1`.
    Event(EventFields),
    /// `authorization_v1`.
    Authorization(AuthorizationFields),
}

impl Fields {
    /// The schema these fields belong to.
    pub fn schema(&self) -> SchemaId {
        match self {
            Fields::Festival(_) => SchemaId::Festival,
            Fields::Profile(_) => SchemaId::Profile,
            Fields::Resource(_) => SchemaId::Resource,
            Fields::Event(_) => SchemaId::Event,
            Fields::Authorization(_) => SchemaId::Authorization,
        }
    }
}

/// `festival_v1`: a festival, possibly nested in a parent festival.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FestivalFields {
    /// The festival's name (at most [`super::limits::NAME`] bytes).
    pub name: String,
    /// Markdown.
    pub description: String,
    /// Start, RFC 3339 with offset.
    pub start: String,
    /// End, RFC 3339 with offset; not before `start`.
    pub end: String,
    /// IANA time zone name, e.g. `Europe/Berlin`: days and local times follow it.
    pub time_zone: String,
    /// The parent festival's document id, for a nested festival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<DocumentId>,
    /// The festival this one was forked from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_from: Option<ForkedFrom>,
    /// The key of the schedule item this document was imported from, such as
    /// `frab:<guid>` or `ical:<UID>` (at most [`super::limits::SOURCE`]
    /// bytes); a schedule bridge finds its earlier documents by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The imported schedule's conference acronym as it was, such as `38c3`
    /// (at most [`super::limits::SHORT`] bytes); the exports keep it where
    /// it fits their schemas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acronym: Option<String>,
    /// The imported schedule's days with their boundaries, in date order
    /// (at most [`super::limits::DAYS`]); the exports list exactly these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<ScheduleDay>>,
}

/// One day of an imported schedule (frab's `<day date start end>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDay {
    /// The day's date, `YYYY-MM-DD`.
    pub date: String,
    /// When the day starts, RFC 3339 with offset.
    pub start: String,
    /// When it ends, RFC 3339 with offset; after `start`.
    pub end: String,
}

/// Where a forked festival came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForkedFrom {
    /// The source festival's document id.
    pub festival: DocumentId,
    /// The source festival's version (operation id) at the fork.
    pub version: OperationId,
    /// The URL of the source archive, when known (http or https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_url: Option<String>,
}

/// `profile_v1`: how a person wants to be shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFields {
    /// The display name (at most [`super::limits::NAME`] bytes).
    pub display_name: String,
    /// Plain text, may be empty.
    pub bio: String,
}

/// What kind of resource it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// A room or an area: usually a location.
    Room,
    /// A physical thing to borrow.
    Thing,
    /// A tool.
    Tool,
    /// A skill a person offers.
    Skill,
    /// Money.
    Money,
    /// A URL, such as a stream or a pad.
    Url,
    /// Anything else.
    Other,
}

impl ResourceKind {
    /// The lowercase name, as written in operations.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Room => "room",
            ResourceKind::Thing => "thing",
            ResourceKind::Tool => "tool",
            ResourceKind::Skill => "skill",
            ResourceKind::Money => "money",
            ResourceKind::Url => "url",
            ResourceKind::Other => "other",
        }
    }
}

/// How a resource owner decides on requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// The owner's node confirms requests in the order they reach the
    /// owner's log, as long as the resource is free.
    FirstComeFirstServed,
    /// The owner confirms or denies each request by hand.
    Manual,
}

impl Policy {
    /// The name as written in operations.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::FirstComeFirstServed => "first_come_first_served",
            Policy::Manual => "manual",
        }
    }
}

/// The place of a location. In CBOR it is a map with `mode` (`gps`,
/// `address` or `virtual`) and that mode's fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LocationMap", into = "LocationMap")]
pub enum Location {
    /// A GPS position in decimal degrees (WGS 84).
    Gps {
        /// Latitude, -90..=90.
        lat: f64,
        /// Longitude, -180..=180.
        lon: f64,
    },
    /// A postal address, free text.
    Address {
        /// The address.
        address: String,
    },
    /// A virtual place: a URL, a position in a 3D world, or both.
    Virtual {
        /// An http or https URL.
        url: Option<String>,
        /// A position `[x, y, z]` in the virtual world.
        position: Option<[f64; 3]>,
    },
}

/// The map form of [`Location`], so unknown keys are refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationMap {
    mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lon: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    position: Option<[f64; 3]>,
}

impl TryFrom<LocationMap> for Location {
    type Error = String;

    fn try_from(map: LocationMap) -> Result<Location, String> {
        let extra = |fields: &[bool]| fields.iter().any(|f| *f);
        match map.mode.as_str() {
            "gps"
                if !extra(&[
                    map.address.is_some(),
                    map.url.is_some(),
                    map.position.is_some(),
                ]) =>
            {
                match (map.lat, map.lon) {
                    (Some(lat), Some(lon)) => Ok(Location::Gps { lat, lon }),
                    _ => Err("location mode `gps` needs `lat` and `lon`".into()),
                }
            }
            "address"
                if !extra(&[
                    map.lat.is_some(),
                    map.lon.is_some(),
                    map.url.is_some(),
                    map.position.is_some(),
                ]) =>
            {
                match map.address {
                    Some(address) => Ok(Location::Address { address }),
                    None => Err("location mode `address` needs `address`".into()),
                }
            }
            "virtual" if !extra(&[map.lat.is_some(), map.lon.is_some(), map.address.is_some()]) => {
                Ok(Location::Virtual {
                    url: map.url,
                    position: map.position,
                })
            }
            "gps" | "address" | "virtual" => Err(format!(
                "location mode `{}` has fields of another mode",
                map.mode
            )),
            other => Err(format!(
                "unknown location mode `{}`, expected gps, address or virtual",
                other.chars().take(40).collect::<String>()
            )),
        }
    }
}

impl From<Location> for LocationMap {
    fn from(location: Location) -> LocationMap {
        let empty = LocationMap {
            mode: String::new(),
            lat: None,
            lon: None,
            address: None,
            url: None,
            position: None,
        };
        match location {
            Location::Gps { lat, lon } => LocationMap {
                mode: "gps".into(),
                lat: Some(lat),
                lon: Some(lon),
                ..empty
            },
            Location::Address { address } => LocationMap {
                mode: "address".into(),
                address: Some(address),
                ..empty
            },
            Location::Virtual { url, position } => LocationMap {
                mode: "virtual".into(),
                url,
                position,
                ..empty
            },
        }
    }
}

/// `resource_v1`: something shared; a location when it has a place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceFields {
    /// The festival it is offered at.
    pub festival: DocumentId,
    /// The title (at most [`super::limits::TITLE`] bytes).
    pub title: String,
    /// Markdown.
    pub description: String,
    /// What it is.
    pub kind: ResourceKind,
    /// The place, which makes it a location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// How requests are decided.
    pub policy: Policy,
    /// The resource this one was cloned from, in a forked festival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<DocumentId>,
    /// The key of the schedule item this document was imported from, such as
    /// `frab:<guid>` or `ical:<UID>` (at most [`super::limits::SOURCE`]
    /// bytes); a schedule bridge finds its earlier documents by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A titled link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// The link text.
    pub title: String,
    /// An http or https URL.
    pub url: String,
}

/// `event_v1`: an event that requests resources for its timeframe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFields {
    /// The festival it belongs to.
    pub festival: DocumentId,
    /// The title (at most [`super::limits::TITLE`] bytes).
    pub title: String,
    /// Markdown.
    pub description: String,
    /// Start, RFC 3339 with offset.
    pub start: String,
    /// End, RFC 3339 with offset; after `start`.
    pub end: String,
    /// The resources requested for the timeframe, without repeats.
    pub resources: Vec<DocumentId>,
    /// Free tags, such as the track and the type.
    pub tags: Vec<String>,
    /// Links.
    pub links: Vec<Link>,
    /// A subtitle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// A short abstract, Markdown.
    #[serde(rename = "abstract", default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The language, as a BCP 47 tag such as `en` or `de`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The names of the people who speak or host, when they are not users
    /// (imported schedules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persons: Option<Vec<String>>,
    /// The event this one was cloned from, in a forked festival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<DocumentId>,
    /// The key of the schedule item this document was imported from, such as
    /// `frab:<guid>` or `ical:<UID>` (at most [`super::limits::SOURCE`]
    /// bytes); a schedule bridge finds its earlier documents by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The track, as an imported schedule names it (at most
    /// [`super::limits::SHORT`] bytes). Without it the exports take the
    /// track from `tags`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<String>,
    /// The event's type (frab's `type`: `lecture`, `workshop`, or any
    /// other word a schedule uses), as an imported schedule names it (at
    /// most [`super::limits::SHORT`] bytes).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The event's own page elsewhere, such as an imported schedule's event
    /// URL (http or https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `true` when the speakers opted out of recording (frab's
    /// `recording/optout`, schedule.json's `do_not_record`); left out
    /// otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub do_not_record: Option<bool>,
}

/// A resource owner's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The resource is the event's for its timeframe.
    Confirmed,
    /// The request is turned down.
    Denied,
}

/// `authorization_v1`: the owner of a resource decides on a request of one
/// event version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationFields {
    /// The event's document id.
    pub event: DocumentId,
    /// The event version decided on: the operation id of that version.
    pub event_version: OperationId,
    /// The resource.
    pub resource: DocumentId,
    /// Confirmed or denied.
    pub decision: Decision,
    /// A note to the requester, may be empty.
    pub note: String,
}
