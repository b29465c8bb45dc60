//! A small festival model built by hand for the feed unit tests.

use chrono::{DateTime, FixedOffset, NaiveTime};
use chrono_tz::Tz;

use crate::entry::{DocumentId, Hash, PublicKey};
use crate::materialize::{
    Event, Festival, Model, Person, Request, RequestState, Resource, Version,
};
use crate::operation::{Link, Location, Policy, ResourceKind};

pub fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

pub fn id(n: u8) -> DocumentId {
    Hash([n; 32])
}

pub fn four() -> NaiveTime {
    NaiveTime::from_hms_opt(4, 0, 0).unwrap()
}

pub const ADA: PublicKey = PublicKey([7; 32]);

fn version(sequence: u32) -> Version {
    Version {
        id: Hash([sequence as u8 + 100; 32]),
        sequence,
        deleted: false,
    }
}

/// A festival (id 1) in `zone` from `start` to `end`, with one GPS location
/// "Big Tent" (id 2), one address location "Boathouse" (id 3) and a person.
pub fn model(zone: Tz, start: &str, end: &str) -> Model {
    let mut model = Model::default();
    model.festivals.insert(
        id(1),
        Festival {
            id: id(1),
            author: ADA,
            version: version(0),
            name: "Lake Camp, 2027; the \"best\"".into(),
            description: String::new(),
            start: at(start),
            end: at(end),
            time_zone: zone,
            parent: None,
            children: Vec::new(),
            forked_from: None,
            acronym: None,
            days: Vec::new(),
        },
    );
    let place = |n: u8, title: &str, location: Location| Resource {
        id: id(n),
        owner: ADA,
        version: version(0),
        festival: id(1),
        title: title.into(),
        description: String::new(),
        kind: ResourceKind::Room,
        location: Some(location),
        policy: Policy::Manual,
        derived_from: None,
        bookings: Vec::new(),
    };
    let tent = place(
        2,
        "Big Tent",
        Location::Gps {
            lat: 52.5,
            lon: 13.25,
        },
    );
    let boathouse = place(
        3,
        "Boathouse",
        Location::Address {
            address: "Jetty 1, Lakeside".into(),
        },
    );
    model.resources.insert(id(2), tent);
    model.resources.insert(id(3), boathouse);
    model.people.insert(
        ADA,
        Person {
            key: ADA,
            display_name: Some("Ada".into()),
            bio: None,
        },
    );
    model
}

/// Adds event `n` at the Big Tent (confirmed) with the given title and
/// times.
pub fn add_event(model: &mut Model, n: u8, title: &str, start: &str, end: &str) -> DocumentId {
    let event = Event {
        id: id(n),
        author: ADA,
        version: version(2),
        festival: id(1),
        title: title.into(),
        description: "Bring **tools**; tea, too.\n\nSee [notes](https://notes.example/a).".into(),
        start: at(start),
        end: at(end),
        tags: vec!["Workshop".into(), "hard, ware".into()],
        links: vec![Link {
            title: "Slides".into(),
            url: "https://slides.example/x?a=1&b=<2>".into(),
        }],
        subtitle: Some("a subtitle".into()),
        summary: Some("Short *abstract*.".into()),
        language: Some("en".into()),
        persons: Vec::new(),
        derived_from: None,
        source: None,
        track: None,
        kind: None,
        url: None,
        do_not_record: false,
        moved_from: None,
        requests: vec![Request {
            resource: id(2),
            state: RequestState::Confirmed,
            note: None,
        }],
    };
    model.events.insert(id(n), event);
    id(n)
}
