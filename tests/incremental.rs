//! Incremental rebuilds: a seeded random sequence of 50 edits to a small
//! festival, published through the authoring library as the commands do.
//! After each, the site serve keeps ([`SiteState::update`]) must be byte
//! for byte a cold build of the same logs into a fresh directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pandafest::author::{EventInput, FestivalInput, Place, ResourceInput, Session};
use pandafest::entry::{DocumentId, KeyPair};
use pandafest::festival_dir::FestivalDir;
use pandafest::operation::{Policy, ResourceKind};
use pandafest::pipeline::{SiteState, build_site};

/// A small deterministic generator (xorshift64*), so that a failing
/// sequence can be run again from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The festival as the test knows it: who may edit what.
struct Festival {
    root: PathBuf,
    organiser: PathBuf,
    speakers: Vec<PathBuf>,
    rooms: Vec<DocumentId>,
    /// Live events with their author's key file.
    events: Vec<(DocumentId, PathBuf)>,
    /// Requests an organiser may decide: (event, room).
    requests: Vec<(DocumentId, DocumentId)>,
    added: usize,
}

fn session(root: &Path, key: &Path) -> Session {
    Session::open(root, Some(key)).unwrap()
}

fn room_input(n: usize) -> ResourceInput {
    ResourceInput {
        title: Some(format!("Hall {n}")),
        kind: Some(ResourceKind::Room),
        description: Some(format!("Hall number *{n}*.")),
        place: Place {
            address: Some(format!("Street {n}, Berlin")),
            ..Place::default()
        },
        policy: Some(Policy::Manual),
        ..ResourceInput::default()
    }
}

impl Festival {
    fn new(root: &Path) -> Festival {
        FestivalDir::init(root).unwrap();
        let organiser = root.join(".pandafest/key");
        let mut s = session(root, &organiser);
        s.festival_create(&FestivalInput {
            name: Some("Camp".into()),
            start: Some("2027-07-10 10:00".into()),
            end: Some("2027-07-12 22:00".into()),
            time_zone: Some("Europe/Berlin".into()),
            description: Some("A *small* camp.".into()),
            ..FestivalInput::default()
        })
        .unwrap();
        let rooms = (0..3)
            .map(|n| s.resource_add(&room_input(n)).unwrap())
            .collect();
        drop(s);
        let mut festival = Festival {
            root: root.to_owned(),
            organiser,
            speakers: Vec::new(),
            rooms,
            events: Vec::new(),
            requests: Vec::new(),
            added: 0,
        };
        for _ in 0..2 {
            festival.new_person();
        }
        festival
    }

    /// A new key with a profile.
    fn new_person(&mut self) {
        let n = self.speakers.len();
        let key = self.root.join(format!(".pandafest/speaker{n}.key"));
        KeyPair::generate().unwrap().save(&key).unwrap();
        session(&self.root, &key)
            .profile_set(&format!("Speaker {n}"), "Talks about *things*.")
            .unwrap();
        self.speakers.push(key);
    }

    fn add_event(&mut self, rng: &mut Rng) {
        let key = self.speakers[rng.below(self.speakers.len())].clone();
        let room = self.rooms[rng.below(self.rooms.len())];
        self.added += 1;
        let input = EventInput {
            title: Some(format!("Talk {}", self.added)),
            start: Some(format!(
                "2027-07-{} {}:{:02}",
                10 + rng.below(3),
                10 + rng.below(10),
                15 * rng.below(4)
            )),
            duration: Some(format!("{}m", 30 + 15 * rng.below(4))),
            requests: vec![room.to_string()],
            description: Some(format!("About **{}**.", self.added)),
            ..EventInput::default()
        };
        let (id, _) = session(&self.root, &key).event_add(&input).unwrap();
        self.events.push((id, key));
        self.requests.push((id, room));
    }

    /// One random edit; returns what it was.
    fn edit(&mut self, rng: &mut Rng, step: usize) -> &'static str {
        loop {
            let kind = rng.below(9);
            if self.events.is_empty() && (1..=5).contains(&kind) {
                continue;
            }
            match kind {
                0 => {
                    self.add_event(rng);
                    return "add";
                }
                1 | 2 => {
                    let (id, key) = self.events[rng.below(self.events.len())].clone();
                    let input = match kind {
                        1 => EventInput {
                            start: Some(format!(
                                "2027-07-{} {}:30",
                                10 + rng.below(3),
                                9 + rng.below(12)
                            )),
                            ..EventInput::default()
                        },
                        _ => EventInput {
                            title: Some(format!("Retitled talk {step}")),
                            ..EventInput::default()
                        },
                    };
                    session(&self.root, &key)
                        .event_update(&id.to_string(), &input)
                        .unwrap();
                    return if kind == 1 {
                        "update time"
                    } else {
                        "update title"
                    };
                }
                3 => {
                    let (id, key) = self.events.remove(rng.below(self.events.len()));
                    self.requests.retain(|(e, _)| *e != id);
                    session(&self.root, &key)
                        .event_cancel(&id.to_string())
                        .unwrap();
                    return "cancel";
                }
                4 | 5 => {
                    if self.requests.is_empty() {
                        continue;
                    }
                    let (event, room) = self.requests[rng.below(self.requests.len())];
                    let mut s = session(&self.root, &self.organiser);
                    let done = match kind {
                        4 => s.confirm(&event.to_string(), &room.to_string(), "welcome"),
                        _ => s.deny(&event.to_string(), &room.to_string(), "sorry"),
                    };
                    // A confirmation can be refused (an overlap): try another edit.
                    if done.is_err() {
                        continue;
                    }
                    self.requests.retain(|r| *r != (event, room));
                    return if kind == 4 { "confirm" } else { "deny" };
                }
                6 => {
                    let n = self.rooms.len();
                    let room = session(&self.root, &self.organiser)
                        .resource_add(&room_input(n))
                        .unwrap();
                    self.rooms.push(room);
                    return "new resource";
                }
                7 => {
                    self.new_person();
                    return "new person";
                }
                _ => {
                    let templates = self.root.join("templates");
                    std::fs::create_dir_all(&templates).unwrap();
                    let (_, row) = pandafest::render::BUILTIN
                        .iter()
                        .find(|(name, _)| *name == "event_row.html")
                        .unwrap();
                    let text = format!("{row}<!-- edit {step} -->\n");
                    std::fs::write(templates.join("event_row.html"), text).unwrap();
                    return "template";
                }
            }
        }
    }
}

/// Every file under `dir` with its bytes, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            (
                rel.to_string_lossy().replace('\\', "/"),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// A cold build of `root`'s logs, settings and templates, with a fresh
/// store, into `work/cold`.
fn cold_build(root: &Path, work: &Path) -> BTreeMap<String, Vec<u8>> {
    let copy = work.join("copy");
    let _ = std::fs::remove_dir_all(&copy);
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(root).unwrap();
        if rel.starts_with(".pandafest") || rel.starts_with("public") {
            continue;
        }
        let to = copy.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    let out = work.join("cold");
    let mut dir = FestivalDir::open(&copy).unwrap();
    build_site(&mut dir, &out, |_| indicatif::ProgressBar::hidden()).unwrap();
    files(&out)
}

fn assert_same(step: usize, what: &str, site: &Path, cold: &BTreeMap<String, Vec<u8>>) {
    let warm = files(site);
    let only = |a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>| -> Vec<String> {
        a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
    };
    let differ: Vec<&String> = warm
        .iter()
        .filter(|(path, bytes)| cold.get(*path).is_some_and(|c| c != *bytes))
        .map(|(path, _)| path)
        .collect();
    assert!(
        only(&warm, cold).is_empty() && only(cold, &warm).is_empty() && differ.is_empty(),
        "step {step} ({what}): the rebuilt site is not the cold build's:\n  only rebuilt: {:?}\n  only cold: {:?}\n  differ: {differ:?}",
        only(&warm, cold),
        only(cold, &warm),
    );
}

#[test]
fn fifty_random_edits_each_give_the_cold_build() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("fest");
    let mut festival = Festival::new(&root);
    let mut rng = Rng(0x5eed_1234_abcd_0014);
    for _ in 0..6 {
        festival.add_event(&mut rng);
    }
    let out = work.path().join("public");
    let mut dir = FestivalDir::open(&root).unwrap();
    let (mut state, _) =
        SiteState::build(&mut dir, &out, |_| indicatif::ProgressBar::hidden()).expect("cold build");
    let mut partial = 0;
    for step in 0..50 {
        let what = festival.edit(&mut rng, step);
        let rebuilt = if what == "template" {
            state.rebuild_whole(&mut dir)
        } else {
            state.update(&mut dir)
        }
        .unwrap_or_else(|e| panic!("step {step} ({what}): {e:#}"));
        eprintln!(
            "step {step}: {what}: {} ({} files written or removed)",
            if rebuilt.whole.is_some() {
                "whole"
            } else {
                "partial"
            },
            rebuilt.changed.len()
        );
        if rebuilt.whole.is_none() {
            partial += 1;
            // A partial rebuild writes what changed, not every event page.
            let events = rebuilt
                .changed
                .iter()
                .filter(|p| p.starts_with("events/") && p.ends_with("/index.html"))
                .count();
            assert!(events <= 3, "step {step} ({what}): {:?}", rebuilt.changed);
        }
        if matches!(what, "update title" | "update time" | "add" | "cancel") {
            assert!(rebuilt.whole.is_none(), "step {step} ({what}) built whole");
        }
        let cold = cold_build(&root, work.path());
        assert_same(step, what, &out, &cold);
    }
    assert!(partial >= 25, "only {partial} of 50 rebuilds were partial");
}
