//! The random meeting bot: it picks a few people of a festival at random,
//! finds a location that is free for an hour, and proposes a meeting event
//! there that names them.
//!
//! ```text
//! cargo run --example serendipity_bot -- --dir DIR [--seed N] [--people 3] [--key PATH]
//! ```
//!
//! It prints the new event's id as the only line on stdout; what it chose
//! goes to stderr. It uses the library only: a [`Session`] on the festival
//! directory, the festival model from [`materialize`], and
//! [`Session::event_add`] to publish, so it signs and stores exactly as
//! `pandafest event add` does.
//!
//! The rules it follows:
//!
//! - **The festival** is the directory's (`pandafest.toml`'s `festival`, else
//!   its only root festival).
//! - **People of the festival** are the keys that wrote the festival, one of
//!   its nested festivals, or a live event or resource of one of them. The
//!   bot's own key is left out. They are ordered by public key, then
//!   shuffled with the seed, and the first `--people` are invited.
//! - **Times**: a meeting lasts one hour and starts on a full hour between
//!   09:00 and 21:00 in the festival's time zone, inside the festival's
//!   timeframe (a local hour that a DST change skips or repeats is left
//!   out).
//! - **Locations** are the live resources with a place (GPS, address or
//!   virtual) offered at the festival or one of its nested festivals.
//! - **A location is free** for an hour when no live event overlaps that
//!   hour with a request of it that is confirmed (effectively: a
//!   confirmation in conflict with an earlier one does not hold the place),
//!   pending, or lapsed (it awaits the owner's decision again). Denied
//!   requests do not hold it. Overlap is of half-open timeframes, so a
//!   meeting may start when another event ends.
//! - **A person is free** for an hour when no live event that they wrote,
//!   or that names them (by display name) among its persons, overlaps it.
//! - **The choice**: of every (hour, location) pair where the location and
//!   all invited people are free, one is drawn uniformly with the seed.
//!
//! The same seed on the same logs gives the same people, hour and location.
//! Without `--seed` a random seed is drawn and printed on stderr, so a run
//! can be repeated. The random numbers come from SplitMix64 on the seed
//! (Steele, Lea and Flood, "Fast splittable pseudorandom number
//! generators", 2014): small, and the same on every platform.

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone};
use clap::Parser;
use pandafest::author::{EventInput, Session};
use pandafest::entry::{DocumentId, PublicKey};
use pandafest::materialize::{Event, Festival, Model, Person, RequestState, Resource, materialize};
use pandafest::operation::limits;

/// How long a meeting lasts.
const MEETING_MINUTES: i64 = 60;
/// The earliest and latest full hour a meeting starts at, local time.
const FIRST_HOUR: u32 = 9;
const LAST_HOUR: u32 = 21;

/// Proposes a meeting of a few people picked at random, at a free location.
#[derive(Parser, Debug)]
#[command(name = "serendipity_bot")]
struct Args {
    /// The festival directory.
    #[arg(short = 'C', long = "dir", value_name = "DIR")]
    dir: PathBuf,
    /// The seed of the random choices (default: a random one, printed).
    #[arg(long)]
    seed: Option<u64>,
    /// How many people to invite (at least 2).
    #[arg(long, default_value_t = 3)]
    people: usize,
    /// The key to sign with (default DIR/.pandafest/key).
    #[arg(long, value_name = "PATH")]
    key: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.people < 2 {
        bail!(
            "--people {}: a meeting needs at least 2 people",
            args.people
        );
    }
    // Without --seed: the standard library's per-process random hash keys.
    let seed = args
        .seed
        .unwrap_or_else(|| RandomState::new().build_hasher().finish());
    let mut session = Session::open(&args.dir, args.key.as_deref())
        .with_context(|| format!("opening the festival directory {}", args.dir.display()))?;
    let festival = session.festival(None)?;
    let model = materialize(&session.dir.store).context("reading the festival")?;
    let meeting = plan(&model, festival, session.public_key()?, args.people, seed)?;
    eprintln!(
        "seed {seed}: {} at `{}` ({}), {}",
        meeting.names().join(", "),
        meeting.location.title,
        meeting.location.id,
        meeting.start.to_rfc3339()
    );
    let (id, decided) = session.event_add(&meeting.input(festival, seed))?;
    for decision in decided {
        eprintln!("{decision}");
    }
    println!("{id}");
    Ok(())
}

/// A meeting the bot chose: who, where and when.
struct Meeting<'m> {
    people: Vec<&'m Person>,
    location: &'m Resource,
    start: DateTime<FixedOffset>,
}

impl Meeting<'_> {
    fn end(&self) -> DateTime<FixedOffset> {
        self.start + Duration::minutes(MEETING_MINUTES)
    }

    fn names(&self) -> Vec<String> {
        self.people.iter().map(|p| p.name()).collect()
    }

    /// The event to publish: it requests the location and names the people
    /// as its persons, in its title and in its description.
    fn input(&self, festival: DocumentId, seed: u64) -> EventInput {
        let names: Vec<String> = self
            .names()
            .iter()
            .map(|name| clip(name, limits::SHORT))
            .collect();
        let mut title = format!("Serendipity meeting: {}", and_list(&names));
        if title.len() > limits::TITLE {
            title = format!("Serendipity meeting of {} people", names.len());
        }
        let invited: Vec<String> = self
            .people
            .iter()
            .map(|p| format!("- {} (`{}`)", p.name(), p.key.short()))
            .collect();
        let description = format!(
            "A random meeting, one hour at **{}**. The serendipity bot picked these people \
             of the festival to meet (seed {seed}):\n\n{}\n\nCome and say hello!",
            self.location.title,
            invited.join("\n")
        );
        EventInput {
            title: Some(title),
            start: Some(self.start.to_rfc3339()),
            duration: Some(format!("{MEETING_MINUTES}m")),
            requests: vec![self.location.id.to_string()],
            description: Some(description),
            tags: vec!["serendipity".into()],
            persons: names,
            festival: Some(festival.to_string()),
            ..EventInput::default()
        }
    }
}

/// Chooses the people, hour and location of a meeting at `festival`, by
/// the rules in the module docs, with `me` (the bot's key) left out.
///
/// Errors: the festival is not in the model, it has fewer than `count`
/// people besides `me`, it has no location, or no hour is free for a
/// location and all the people chosen.
fn plan(
    model: &Model,
    festival: DocumentId,
    me: PublicKey,
    count: usize,
    seed: u64,
) -> anyhow::Result<Meeting<'_>> {
    let mut rng = SplitMix64(seed);
    let Some(root) = model.festivals.get(&festival) else {
        bail!("festival {festival} is not in the trusted part of the logs");
    };
    let tree = festival_tree(model, festival);
    let mut people = people_of(model, &tree, me);
    if people.len() < count {
        bail!(
            "festival `{}` has {} people besides this key, and the meeting asks for {count}",
            root.name,
            people.len()
        );
    }
    rng.shuffle(&mut people);
    people.truncate(count);
    let locations: Vec<&Resource> = model
        .resources
        .values()
        .filter(|r| r.location.is_some() && !r.version.deleted && tree.contains(&r.festival))
        .collect();
    if locations.is_empty() {
        bail!("festival `{}` has no location to meet at", root.name);
    }
    let mut free = Vec::new();
    for start in hours(root) {
        let end = start + Duration::minutes(MEETING_MINUTES);
        if people.iter().any(|p| person_busy(model, p, start, end)) {
            continue;
        }
        for location in &locations {
            if location_holder(model, location, start, end).is_none() {
                free.push((start, *location));
            }
        }
    }
    if free.is_empty() {
        let names: Vec<String> = people.iter().map(|p| p.name()).collect();
        bail!(
            "no location of festival `{}` is free for an hour when {} are all free",
            root.name,
            and_list(&names)
        );
    }
    let (start, location) = free[rng.below(free.len())];
    let meeting = Meeting {
        people,
        location,
        start,
    };
    debug_assert!(location_holder(model, location, start, meeting.end()).is_none());
    Ok(meeting)
}

/// `festival` and its nested festivals, at any depth.
fn festival_tree(model: &Model, festival: DocumentId) -> BTreeSet<DocumentId> {
    let mut tree = BTreeSet::new();
    let mut todo = vec![festival];
    while let Some(id) = todo.pop() {
        if tree.insert(id)
            && let Some(f) = model.festivals.get(&id)
        {
            todo.extend(f.children.iter().copied());
        }
    }
    tree
}

/// The people of the festivals in `tree` but `me`, by public key: the
/// authors of the festivals and of their live events and resources.
fn people_of<'m>(model: &'m Model, tree: &BTreeSet<DocumentId>, me: PublicKey) -> Vec<&'m Person> {
    let festivals = tree
        .iter()
        .filter_map(|id| model.festivals.get(id))
        .map(|f| f.author);
    let events = model
        .events
        .values()
        .filter(|e| !e.version.deleted && tree.contains(&e.festival))
        .map(|e| e.author);
    let resources = model
        .resources
        .values()
        .filter(|r| !r.version.deleted && tree.contains(&r.festival))
        .map(|r| r.owner);
    let keys: BTreeSet<PublicKey> = festivals.chain(events).chain(resources).collect();
    keys.into_iter()
        .filter(|key| *key != me)
        .filter_map(|key| model.people.get(&key))
        .collect()
}

/// The full hours a meeting may start at: from `FIRST_HOUR` to `LAST_HOUR`
/// local time on each day of the festival, where the whole meeting fits in
/// the festival's timeframe; in time order.
fn hours(festival: &Festival) -> Vec<DateTime<FixedOffset>> {
    let zone = festival.time_zone;
    let first = festival.start.with_timezone(&zone).date_naive();
    let last = festival.end.with_timezone(&zone).date_naive();
    let meeting = Duration::minutes(MEETING_MINUTES);
    let mut out = Vec::new();
    for day in first.iter_days().take_while(|d| *d <= last) {
        for hour in FIRST_HOUR..=LAST_HOUR {
            let local = day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).expect("a valid hour"));
            let Some(start) = zone.from_local_datetime(&local).single() else {
                continue;
            };
            let start = start.fixed_offset();
            if start >= festival.start && start + meeting <= festival.end {
                out.push(start);
            }
        }
    }
    out
}

/// Whether the half-open timeframes `[a_start, a_end)` and `[b_start, b_end)` overlap.
fn overlaps(
    (a_start, a_end): (DateTime<FixedOffset>, DateTime<FixedOffset>),
    (b_start, b_end): (DateTime<FixedOffset>, DateTime<FixedOffset>),
) -> bool {
    a_start < b_end && b_start < a_end
}

/// The first live event (by start) that holds `location` in part of
/// `[start, end)`: its request is confirmed, pending or lapsed. `None` when
/// the location is free.
fn location_holder<'m>(
    model: &'m Model,
    location: &Resource,
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
) -> Option<&'m Event> {
    location
        .bookings
        .iter()
        .filter(|b| {
            matches!(
                b.state,
                RequestState::Confirmed | RequestState::Pending | RequestState::Lapsed
            )
        })
        .filter_map(|b| model.events.get(&b.event))
        .find(|e| !e.version.deleted && overlaps((e.start, e.end), (start, end)))
}

/// Whether `person` wrote, or is named in, a live event that overlaps
/// `[start, end)`.
fn person_busy(
    model: &Model,
    person: &Person,
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
) -> bool {
    let name = person.display_name.as_deref();
    model.events.values().any(|e| {
        !e.version.deleted
            && (e.author == person.key || name.is_some_and(|n| e.persons.iter().any(|p| p == n)))
            && overlaps((e.start, e.end), (start, end))
    })
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `text` cut to at most `limit` bytes, at a character boundary.
fn clip(text: &str, limit: usize) -> String {
    let mut end = text.len().min(limit);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// SplitMix64: a tiny, fast generator whose stream is fixed by its seed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0), by Lemire's multiply-shift.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Shuffles `items` in place (Fisher–Yates).
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}
