//! The serendipity bot (`examples/serendipity_bot.rs`) against copies of
//! the sample festival: it meets at a free location, the site shows the
//! meeting there, and a seed repeats its choice.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use chrono::{DateTime, Duration, FixedOffset};
use pandafest::author::Session;
use pandafest::entry::{DocumentId, KeyPair, key_path};
use pandafest::materialize::{Event, Model, RequestState, materialize};

/// The bot's binary, built once per test run (a no-op when it is fresh).
fn bot_binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args([
                "build",
                "--locked",
                "--quiet",
                "--example",
                "serendipity_bot",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        // What cargo sets for this test run, not for builds: ring's build
        // script reruns when CARGO_MANIFEST_DIR changes, and the next
        // plain build would then compile ring and its dependents again.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            let per_run = ["CARGO_PKG_", "CARGO_BIN_EXE_", "CARGO_MANIFEST_"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
                || [
                    "CARGO_CRATE_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_RUSTC_CURRENT_DIR",
                    "OUT_DIR",
                ]
                .contains(&name.as_ref());
            if per_run {
                cargo.env_remove(name.as_ref());
            }
        }
        let out = cargo.output().unwrap();
        assert!(
            out.status.success(),
            "building the bot: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // This test runs from target/<profile>/deps/.
        let exe = std::env::current_exe().unwrap();
        let profile = exe.parent().unwrap().parent().unwrap();
        let bot = profile
            .join("examples")
            .join(format!("serendipity_bot{}", std::env::consts::EXE_SUFFIX));
        assert!(bot.is_file(), "{} was not built", bot.display());
        bot
    })
}

fn bot(dir: &Path, args: &[&str]) -> Output {
    Command::new(bot_binary())
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

/// Runs the bot and returns the id it printed.
fn meet(dir: &Path, args: &[&str]) -> DocumentId {
    let out = bot(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bot {args:?}: {stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "only the id on stdout: {stdout:?}");
    lines[0].parse().expect("a document id")
}

/// A copy of the sample festival with a fresh key of its own.
fn sample_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    common::copy_dir(&root.join("sample-festival"), dir.path());
    KeyPair::generate()
        .unwrap()
        .save(&key_path(dir.path()))
        .unwrap();
    dir
}

/// The directory's model (its logs brought into the store first).
fn model(dir: &Path) -> Model {
    let session = Session::open(dir, None).unwrap();
    materialize(&session.dir.store).unwrap()
}

/// A meeting as the bot chose it: the people's names, the location and
/// the timeframe.
#[derive(Debug, PartialEq)]
struct Choice {
    persons: Vec<String>,
    location: DocumentId,
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
}

fn choice(event: &Event) -> Choice {
    assert_eq!(
        event.requests.len(),
        1,
        "one location: {:?}",
        event.requests
    );
    Choice {
        persons: event.persons.clone(),
        location: event.requests[0].resource,
        start: event.start,
        end: event.end,
    }
}

/// The live events other than `except` that hold `location` in part of
/// `[start, end)` in `model`: confirmed, pending or lapsed requests.
fn holders(
    model: &Model,
    location: DocumentId,
    (start, end): (DateTime<FixedOffset>, DateTime<FixedOffset>),
    except: Option<DocumentId>,
) -> Vec<String> {
    model
        .events
        .values()
        .filter(|e| !e.version.deleted && Some(e.id) != except)
        .filter(|e| e.start < end && start < e.end)
        .filter(|e| {
            e.requests.iter().any(|r| {
                r.resource == location
                    && matches!(
                        r.state,
                        RequestState::Confirmed | RequestState::Pending | RequestState::Lapsed
                    )
            })
        })
        .map(|e| e.title.clone())
        .collect()
}

#[test]
fn meets_at_a_free_location_and_the_schedule_shows_it_there() {
    let dir = sample_copy();
    let before = model(dir.path());
    let id = meet(dir.path(), &["--seed", "7", "--people", "3"]);

    let after = model(dir.path());
    let meeting = &after.events[&id];
    let chosen = choice(meeting);
    assert_eq!(meeting.end - meeting.start, Duration::hours(1));
    assert_eq!(meeting.tags, ["serendipity"]);
    // The location is a location of the festival, and was free.
    let location = &before.resources[&chosen.location];
    assert!(
        location.location.is_some(),
        "{} has a place",
        location.title
    );
    let festival = &before.festivals[&meeting.festival];
    assert!(festival.start <= meeting.start && meeting.end <= festival.end);
    assert_eq!(
        holders(&before, chosen.location, (meeting.start, meeting.end), None),
        Vec::<String>::new(),
        "`{}` was free at {}",
        location.title,
        meeting.start
    );
    // Three different people of the festival, named in the title too.
    let names: Vec<String> = before.people.values().map(|p| p.name()).collect();
    assert_eq!(chosen.persons.len(), 3);
    for person in &chosen.persons {
        assert!(names.contains(person), "{person} is one of {names:?}");
        assert!(meeting.title.contains(person.as_str()), "{}", meeting.title);
        assert!(meeting.description.contains(person.as_str()));
    }
    let mut unique = chosen.persons.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 3, "{:?}", chosen.persons);

    // The site puts the meeting on the schedule, in its location's room.
    let site = dir.path().join("public");
    let out = Command::new(env!("CARGO_BIN_EXE_pandafest"))
        .arg("build")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let schedule: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(site.join("schedule.json")).unwrap())
            .unwrap();
    let zone = festival.time_zone;
    let local = meeting.start.with_timezone(&zone);
    let days = schedule["schedule"]["conference"]["days"]
        .as_array()
        .unwrap();
    let listed: Vec<(&str, &str)> = days
        .iter()
        .flat_map(|day| day["rooms"].as_object().unwrap())
        .flat_map(|(room, events)| events.as_array().unwrap().iter().map(move |e| (room, e)))
        .filter(|(_, e)| e["title"] == meeting.title.as_str())
        .map(|(room, e)| (room.as_str(), e["start"].as_str().unwrap()))
        .collect();
    let start = local.format("%H:%M").to_string();
    assert_eq!(listed, [(location.title.as_str(), start.as_str())]);
    let day_page = site
        .join("schedule")
        .join(local.format("%Y-%m-%d").to_string())
        .join("index.html");
    let day_html = std::fs::read_to_string(&day_page).unwrap();
    assert!(
        day_html.contains(&format!("events/{id}/")),
        "{}",
        day_page.display()
    );
    let page = std::fs::read_to_string(site.join("events").join(id.to_string()).join("index.html"))
        .unwrap();
    let escaped = location.title.replace('\'', "&#x27;");
    assert!(
        page.contains(&location.title) || page.contains(&escaped),
        "the event page names `{}`",
        location.title
    );
}

#[test]
fn the_same_seed_makes_the_same_choice_and_another_seed_may_not() {
    let runs: Vec<Choice> = ["11", "11", "12", "13", "14"]
        .into_iter()
        .map(|seed| {
            let dir = sample_copy();
            let id = meet(dir.path(), &["--seed", seed]);
            choice(&model(dir.path()).events[&id])
        })
        .collect();
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[2..].iter().any(|run| *run != runs[0]),
        "seeds 12 to 14 all chose as 11 did: {:?}",
        runs[0]
    );
}

#[test]
fn meetings_in_one_directory_never_share_a_location_or_a_person_in_time() {
    let dir = sample_copy();
    let ids: Vec<DocumentId> = (1..=6)
        .map(|seed| meet(dir.path(), &["--seed", &seed.to_string(), "--people", "4"]))
        .collect();
    let model = model(dir.path());
    for (n, id) in ids.iter().enumerate() {
        let meeting = &model.events[id];
        let chosen = choice(meeting);
        // Free of every other event, the other meetings included.
        assert_eq!(
            holders(
                &model,
                chosen.location,
                (chosen.start, chosen.end),
                Some(*id)
            ),
            Vec::<String>::new(),
            "meeting {n} `{}`",
            meeting.title
        );
        for other in &ids[..n] {
            let other = choice(&model.events[other]);
            if other.start < chosen.end && chosen.start < other.end {
                let shared: Vec<&String> = chosen
                    .persons
                    .iter()
                    .filter(|p| other.persons.contains(p))
                    .collect();
                assert!(shared.is_empty(), "{shared:?} are in two meetings at once");
            }
        }
    }
}

#[test]
fn asking_for_more_people_than_the_festival_has_publishes_nothing() {
    let dir = sample_copy();
    let manifest = dir.path().join("logs").join("manifest.json");
    let bundle = std::fs::read(&manifest).unwrap();
    let out = bot(dir.path(), &["--seed", "1", "--people", "9"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "festival `Lanternwick Lake Camp 2027` has 8 people besides this key, and the meeting asks for 9"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read(&manifest).unwrap(), bundle);

    let out = bot(dir.path(), &["--people", "1"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--people 1: a meeting needs at least 2 people"),
        "{stderr}"
    );
}

#[test]
fn a_directory_without_a_key_is_refused() {
    let dir = sample_copy();
    std::fs::remove_file(key_path(dir.path())).unwrap();
    let out = bot(dir.path(), &["--seed", "1"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no author key here"), "{stderr}");
    assert!(out.stdout.is_empty());
}
