//! Generates a festival of a given size into `DIR/logs/`, for benchmarks:
//! `cargo run --release --example generate_festival -- DIR EVENTS ROOMS DAYS [--keys]`.
//!
//! One organiser owns the rooms (policy `manual`) and confirms every
//! request; the events are spread over 40 speakers. The keys are derived
//! from names, so the same arguments give the same bundle. `--keys` also
//! writes the organiser's key as the directory's key (`DIR/.pandafest/key`)
//! and the first speaker's as `DIR/.pandafest/speaker.key`, so that the
//! authoring commands can publish into the festival (`benches/authoring.sh`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Duration};
use pandafest::bundle::write_bundle;
use pandafest::entry::{DocumentId, KeyPair, key_path};
use pandafest::operation::{
    AuthorizationFields, Decision, EventFields, FestivalFields, Fields, Link, Location, Operation,
    Policy, ProfileFields, ResourceFields, ResourceKind,
};
use pandafest::publish::Publisher;
use pandafest::store::Store;

const SPEAKERS: usize = 40;

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let keys = args.iter().any(|a| a == "--keys");
    args.retain(|a| a != "--keys");
    let [dir, events, rooms, days] = &args[..] else {
        anyhow::bail!("usage: generate_festival DIR EVENTS ROOMS DAYS [--keys]");
    };
    let dir = PathBuf::from(dir);
    let (events, rooms, days): (usize, usize, i64) =
        (events.parse()?, rooms.parse()?, days.parse()?);
    println!("{}", generate(&dir, events, rooms, days, keys)?);
    Ok(())
}

/// Writes the festival of `events` events in `rooms` rooms over `days`
/// days into `dir/logs/` (and its keys with `keys`); returns a line that
/// says what it wrote. `benches/incremental.rs` calls it too.
pub fn generate(
    dir: &Path,
    events: usize,
    rooms: usize,
    days: i64,
    keys: bool,
) -> anyhow::Result<String> {
    let mut store = Store::in_memory()?;
    let organiser = KeyPair::from_name("organiser");
    let start = DateTime::parse_from_rfc3339("2027-12-27T10:00:00+01:00")?;

    let mut publisher = Publisher::new(&mut store, &organiser);
    let festival = publisher.publish(
        0,
        &Operation::create(Fields::Festival(FestivalFields {
            name: "Generated Congress".into(),
            description: "A generated festival for benchmarks.".into(),
            start: start.to_rfc3339(),
            end: (start + Duration::days(days) + Duration::hours(14)).to_rfc3339(),
            time_zone: "Europe/Berlin".into(),
            parent: None,
            forked_from: None,
            source: None,
            acronym: None,
            days: None,
        })),
    )?;
    let rooms: Vec<DocumentId> = (0..rooms)
        .map(|n| {
            publisher.publish(
                0,
                &Operation::create(Fields::Resource(ResourceFields {
                    festival,
                    title: format!("Hall {n}"),
                    description: format!("Room number {n}, on floor {}.", n % 4),
                    kind: ResourceKind::Room,
                    location: Some(Location::Gps {
                        lat: 53.5 + n as f64 / 1000.0,
                        lon: 10.0 + n as f64 / 1000.0,
                    }),
                    policy: Policy::Manual,
                    derived_from: None,
                    source: None,
                })),
            )
        })
        .collect::<Result<_, _>>()?;

    let speakers: Vec<KeyPair> = (0..SPEAKERS)
        .map(|n| KeyPair::from_name(&format!("speaker {n}")))
        .collect();
    let mut requests = Vec::new();
    for (n, key) in speakers.iter().enumerate() {
        let mut publisher = Publisher::new(&mut store, key);
        publisher.publish(
            0,
            &Operation::create(Fields::Profile(ProfileFields {
                display_name: format!("Speaker {n}"),
                bio: "Talks about things.".into(),
            })),
        )?;
    }
    let slots_per_day = 12usize;
    for n in 0..events {
        let room = n % rooms.len();
        let slot = (n / rooms.len()) as i64;
        let day = slot / slots_per_day as i64 % days;
        let at =
            start + Duration::days(day) + Duration::minutes(60 * (slot % slots_per_day as i64));
        let key = &speakers[n % SPEAKERS];
        let mut publisher = Publisher::new(&mut store, key);
        let fields = EventFields {
            festival,
            title: format!("Talk {n}: on the care and feeding of signed logs"),
            description: format!(
                "In this talk number {n} we look at **verifiable archives**, replication and \
                 why festivals deserve good tools.\n\n- append-only logs\n- [links](https://example.org/{n})\n\n{}",
                "A longer paragraph that describes the talk in some detail, as real abstracts do. "
                    .repeat(6)
            ),
            start: at.to_rfc3339(),
            end: (at + Duration::minutes(40)).to_rfc3339(),
            resources: vec![rooms[room]],
            tags: vec!["talk".into(), format!("track {}", n % 7)],
            links: vec![Link {
                title: "Recording".into(),
                url: format!("https://example.org/recordings/{n}"),
            }],
            subtitle: Some("A generated talk".into()),
            summary: None,
            language: Some("en".into()),
            persons: None,
            derived_from: None,
            source: None,
            track: None,
            kind: None,
            url: None,
            do_not_record: None,
        };
        let log_id = publisher.log_for(Some(festival))?;
        let id = publisher.publish(log_id, &Operation::create(Fields::Event(fields)))?;
        requests.push((id, rooms[room]));
    }
    let mut publisher = Publisher::new(&mut store, &organiser);
    for (event, room) in requests {
        publisher.publish(
            0,
            &Operation::create(Fields::Authorization(AuthorizationFields {
                event,
                event_version: event,
                resource: room,
                decision: Decision::Confirmed,
                note: String::new(),
            })),
        )?;
    }
    let logs = dir.join("logs");
    if logs.exists() {
        std::fs::remove_dir_all(&logs).with_context(|| format!("clearing {}", logs.display()))?;
    }
    let manifest = write_bundle(&store, &logs)?;
    if keys {
        // `save` never overwrites: a key of an earlier run must be the same.
        for (key, path) in [
            (&organiser, key_path(dir)),
            (&speakers[0], dir.join(".pandafest").join("speaker.key")),
        ] {
            if !path.exists() {
                key.save(&path)?;
            }
            let saved = KeyPair::load(&path)?;
            anyhow::ensure!(
                saved.public_key() == key.public_key(),
                "{} holds another key than the generated festival's",
                path.display()
            );
        }
    }
    Ok(format!(
        "wrote {} entries in {} logs to {}",
        manifest.logs.iter().map(|l| l.height).sum::<u64>(),
        manifest.logs.len(),
        logs.display()
    ))
}
