use super::*;
use crate::script::run_script;
use crate::store::Store;

pub(super) const PEOPLE: &str = r#"
[[op]]
do = "profile"
person = "ada"
display_name = "Ada"
bio = "Owns the boathouse."

[[op]]
do = "profile"
person = "bea"
display_name = "Bea"
bio = ""

[[op]]
do = "festival"
id = "camp"
author = "ada"
name = "Camp"
description = ""
start = "2027-07-16T10:00:00+02:00"
end = "2027-07-18T22:00:00+02:00"
time_zone = "Europe/Berlin"

[[op]]
do = "resource"
id = "boathouse"
owner = "ada"
festival = "camp"
title = "Boathouse"
description = ""
kind = "room"
policy = "manual"
location = { mode = "gps", lat = 53.5, lon = 10.0 }

[[op]]
do = "resource"
id = "kayak"
owner = "bea"
festival = "camp"
title = "Kayak"
description = ""
kind = "thing"
policy = "first_come_first_served"

[[op]]
do = "event"
id = "rowing"
author = "bea"
festival = "camp"
title = "Rowing"
description = ""
start = "2027-07-16T10:00:00+02:00"
end = "2027-07-16T11:00:00+02:00"
resources = ["boathouse", "kayak"]
"#;

pub(super) fn model_of(steps: &str) -> (Model, crate::script::ScriptOutcome) {
    let mut store = Store::in_memory().unwrap();
    let outcome = run_script(&mut store, &format!("{PEOPLE}{steps}")).unwrap();
    (materialize(&store).unwrap(), outcome)
}

pub(super) fn state(
    model: &Model,
    outcome: &crate::script::ScriptOutcome,
    event: &str,
    resource: &str,
) -> RequestState {
    let event = &model.events[&outcome.documents[event]];
    let resource = outcome.documents[resource];
    event
        .requests
        .iter()
        .find(|r| r.resource == resource)
        .unwrap()
        .state
        .clone()
}

#[test]
fn requests_start_pending() {
    let (model, outcome) = model_of("");
    assert_eq!(
        state(&model, &outcome, "rowing", "boathouse"),
        RequestState::Pending
    );
    let rowing = &model.events[&outcome.documents["rowing"]];
    assert_eq!(rowing.confirmation(), (0, 2));
    assert_eq!(rowing.confirmed_percent(), 0);
}

#[test]
fn confirms_with_ratio() {
    let (model, outcome) = model_of(
        r#"
[[op]]
do = "authorize"
event = "rowing"
resource = "boathouse"
decision = "confirmed"
note = "Welcome!"
"#,
    );
    assert_eq!(
        state(&model, &outcome, "rowing", "boathouse"),
        RequestState::Confirmed
    );
    let rowing = &model.events[&outcome.documents["rowing"]];
    assert_eq!(rowing.confirmed_percent(), 50);
    assert_eq!(rowing.requests[0].note.as_deref(), Some("Welcome!"));
    let boathouse = &model.resources[&outcome.documents["boathouse"]];
    assert_eq!(boathouse.bookings.len(), 1);
}

#[test]
fn owners_latest_decision_wins() {
    let (model, outcome) = model_of(
        r#"
[[op]]
do = "authorize"
event = "rowing"
resource = "boathouse"
decision = "confirmed"

[[op]]
do = "authorize"
event = "rowing"
resource = "boathouse"
decision = "denied"
note = "Sorry, the roof leaks."
"#,
    );
    assert_eq!(
        state(&model, &outcome, "rowing", "boathouse"),
        RequestState::Denied
    );
}

#[test]
fn confirmation_lapses_when_time_changes() {
    let (model, outcome) = model_of(
        r#"
[[op]]
do = "authorize"
event = "rowing"
resource = "boathouse"
decision = "confirmed"

[[op]]
do = "update_event"
event = "rowing"
start = "2027-07-16T12:00:00+02:00"
end = "2027-07-16T13:00:00+02:00"
"#,
    );
    assert_eq!(
        state(&model, &outcome, "rowing", "boathouse"),
        RequestState::Lapsed
    );
    assert_eq!(
        model.events[&outcome.documents["rowing"]].version.sequence,
        1
    );
}

#[test]
fn confirmation_holds_when_only_title_changes() {
    let (model, outcome) = model_of(
        r#"
[[op]]
do = "authorize"
event = "rowing"
resource = "boathouse"
decision = "confirmed"

[[op]]
do = "update_event"
event = "rowing"
title = "Rowing at dawn"
"#,
    );
    assert_eq!(
        state(&model, &outcome, "rowing", "boathouse"),
        RequestState::Confirmed
    );
    assert_eq!(
        model.events[&outcome.documents["rowing"]].title,
        "Rowing at dawn"
    );
}

#[test]
fn confirms_first_request_only() {
    let (model, outcome) = model_of(
        r#"
[[op]]
do = "event"
id = "polo"
author = "ada"
festival = "camp"
title = "Canoe polo"
description = ""
start = "2027-07-16T10:30:00+02:00"
end = "2027-07-16T12:00:00+02:00"
resources = ["boathouse"]

[[op]]
do = "event"
id = "later"
author = "ada"
festival = "camp"
title = "Back to back"
description = ""
start = "2027-07-16T11:00:00+02:00"
end = "2027-07-16T12:00:00+02:00"
resources = ["boathouse"]

[[op]]
do = "authorize"
event = "rowing"
resource = "boathouse"
decision = "confirmed"

[[op]]
do = "authorize"
event = "polo"
resource = "boathouse"
decision = "confirmed"

[[op]]
do = "authorize"
event = "later"
resource = "boathouse"
decision = "confirmed"
"#,
    );
    assert_eq!(
        state(&model, &outcome, "rowing", "boathouse"),
        RequestState::Confirmed
    );
    assert_eq!(
        state(&model, &outcome, "polo", "boathouse"),
        RequestState::Conflict {
            with: outcome.documents["rowing"]
        }
    );
    // Back to back with rowing, so no overlap; polo is not effective.
    assert_eq!(
        state(&model, &outcome, "later", "boathouse"),
        RequestState::Confirmed
    );
    assert_eq!(model.conflicts().len(), 1);
}

#[test]
fn deleted_event_frees_its_resources() {
    let (model, outcome) = model_of(
        r#"
[[op]]
do = "authorize"
event = "rowing"
resource = "boathouse"
decision = "confirmed"

[[op]]
do = "delete_event"
event = "rowing"
"#,
    );
    let rowing = &model.events[&outcome.documents["rowing"]];
    assert!(rowing.version.deleted);
    assert!(
        model.resources[&outcome.documents["boathouse"]]
            .bookings
            .is_empty()
    );
}

#[test]
fn profiles_name_people() {
    let (model, _) = model_of("");
    let ada = crate::entry::KeyPair::from_name("ada").public_key();
    assert_eq!(model.people[&ada].name(), "Ada");
    assert_eq!(
        model.people[&ada].bio.as_deref(),
        Some("Owns the boathouse.")
    );
}

#[test]
fn conflict_names_the_holder_among_many() {
    // Three back-to-back confirmed events, then one that overlaps the middle one only.
    let mut steps = String::new();
    for (id, start, end) in [
        ("one", "10:00", "11:00"),
        ("two", "11:00", "12:00"),
        ("three", "12:00", "13:00"),
        ("late", "11:30", "11:45"),
    ] {
        steps.push_str(&format!(
            "[[op]]\ndo = \"event\"\nid = \"{id}\"\nauthor = \"bea\"\nfestival = \"camp\"\ntitle = \"{id}\"\ndescription = \"\"\nstart = \"2027-07-17T{start}:00+02:00\"\nend = \"2027-07-17T{end}:00+02:00\"\nresources = [\"boathouse\"]\n\n[[op]]\ndo = \"authorize\"\nevent = \"{id}\"\nresource = \"boathouse\"\ndecision = \"confirmed\"\n\n"
        ));
    }
    let (model, outcome) = model_of(&steps);
    for id in ["one", "two", "three"] {
        assert_eq!(
            state(&model, &outcome, id, "boathouse"),
            RequestState::Confirmed,
            "{id}"
        );
    }
    assert_eq!(
        state(&model, &outcome, "late", "boathouse"),
        RequestState::Conflict {
            with: outcome.documents["two"]
        }
    );
}

#[test]
fn a_festival_whose_parents_lead_back_to_it_loses_its_parent() {
    let (mut model, outcome) = model_of(
        r#"
[[op]]
do = "festival"
id = "kids"
author = "ada"
name = "Kids"
description = ""
start = "2027-07-16T10:00:00+02:00"
end = "2027-07-18T22:00:00+02:00"
time_zone = "Europe/Berlin"
parent = "camp"
"#,
    );
    let camp = outcome.documents["camp"];
    let kids = outcome.documents["kids"];
    assert_eq!(model.festivals[&kids].parent, Some(camp));
    // Logs could say so: camp in kids, and kids in camp.
    model.festivals.get_mut(&camp).unwrap().parent = Some(kids);
    documents::break_parent_cycles(&mut model);
    assert_eq!(model.festivals[&camp].parent, None);
    assert_eq!(model.festivals[&kids].parent, Some(camp));
    assert!(
        model.notes.iter().any(|n| n
            == &format!(
                "festival {camp}: its parent festivals lead back to it; shown at the top level"
            )),
        "{:?}",
        model.notes
    );
    // Its own parent.
    model.festivals.get_mut(&kids).unwrap().parent = Some(kids);
    documents::break_parent_cycles(&mut model);
    assert_eq!(model.festivals[&kids].parent, None);
    // A long ring: only its first festival by id loses its parent.
    let ring: Vec<crate::entry::DocumentId> = (0..5000u32)
        .map(|n| {
            let mut id = [0u8; 32];
            id[..4].copy_from_slice(&n.to_be_bytes());
            crate::entry::Hash(id)
        })
        .collect();
    for (n, id) in ring.iter().enumerate() {
        let mut festival = model.festivals[&kids].clone();
        festival.id = *id;
        festival.parent = Some(ring[(n + 1) % ring.len()]);
        model.festivals.insert(*id, festival);
    }
    documents::break_parent_cycles(&mut model);
    assert_eq!(model.festivals[&ring[0]].parent, None);
    assert!(
        ring[1..]
            .iter()
            .all(|id| model.festivals[id].parent.is_some())
    );
}

#[test]
fn confirmed_percent_rounds_to_the_nearest_but_never_to_all_or_none() {
    use super::model::percent;
    for (part, whole, expected) in [
        (0, 0, 100),
        (0, 3, 0),
        (1, 3, 33),
        (2, 3, 67),
        (3, 3, 100),
        (1, 2, 50),
        (1, 8, 13),
        (1, 400, 1),
        (399, 400, 99),
        (400, 400, 100),
    ] {
        assert_eq!(percent(part, whole), expected, "{part} of {whole}");
    }
}
