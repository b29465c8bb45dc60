//! The owner policies, [`overlapping_confirmed`] and [`awaiting_decision`]:
//! Bea owns the first-come-first-served kayak, Ada the manual boathouse.

use super::tests::model_of;
use super::*;
use crate::entry::{DocumentId, KeyPair};
use crate::operation::Decision;

/// An event `id` by `author` with title `title` on 2027-07-16 from `start`
/// to `end` ("HH:MM", +02:00), requesting `resource`, and its owner's
/// confirmation when `confirmed`.
fn event(id: &str, title: &str, start: &str, end: &str, resource: &str, confirmed: bool) -> String {
    let mut steps = format!(
        "[[op]]\ndo = \"event\"\nid = \"{id}\"\nauthor = \"ada\"\nfestival = \"camp\"\ntitle = \"{title}\"\ndescription = \"\"\nstart = \"2027-07-16T{start}:00+02:00\"\nend = \"2027-07-16T{end}:00+02:00\"\nresources = [\"{resource}\"]\n\n"
    );
    if confirmed {
        steps.push_str(&format!(
            "[[op]]\ndo = \"authorize\"\nevent = \"{id}\"\nresource = \"{resource}\"\ndecision = \"confirmed\"\n\n"
        ));
    }
    steps
}

fn ask(model: &Model, resource: DocumentId, event: DocumentId) -> Option<PolicyDecision> {
    let resource = &model.resources[&resource];
    let request = PolicyRequest::new(model, resource, &model.events[&event]);
    policy_for(resource.policy).decide(&request)
}

#[test]
fn first_come_first_served_confirms_a_free_resource() {
    let (model, outcome) = model_of("");
    assert_eq!(
        ask(
            &model,
            outcome.documents["kayak"],
            outcome.documents["rowing"]
        ),
        Some(PolicyDecision {
            decision: Decision::Confirmed,
            note: String::new(),
        })
    );
}

#[test]
fn first_come_first_served_denies_a_held_resource_naming_the_holder() {
    let steps = [
        "[[op]]\ndo = \"authorize\"\nevent = \"rowing\"\nresource = \"kayak\"\ndecision = \"confirmed\"\n\n".to_owned(),
        event("opening", "Opening", "10:30", "11:30", "kayak", false),
    ]
    .concat();
    let (model, outcome) = model_of(&steps);
    let (kayak, rowing) = (outcome.documents["kayak"], outcome.documents["rowing"]);
    assert_eq!(
        ask(&model, kayak, outcome.documents["opening"]),
        Some(PolicyDecision {
            decision: Decision::Denied,
            note: format!("held by `Rowing` ({rowing})"),
        })
    );
    // The holder is not held by itself.
    assert_eq!(
        ask(&model, kayak, rowing).map(|d| d.decision),
        Some(Decision::Confirmed)
    );
}

#[test]
fn first_come_first_served_has_nothing_to_decide_for_a_resource_not_requested() {
    let steps = event("swim", "Swim", "10:00", "11:00", "boathouse", false);
    let (model, outcome) = model_of(&steps);
    assert_eq!(
        ask(
            &model,
            outcome.documents["kayak"],
            outcome.documents["swim"]
        ),
        None
    );
}

#[test]
fn manual_leaves_every_request_to_the_owner() {
    let (model, outcome) = model_of("");
    assert_eq!(
        ask(
            &model,
            outcome.documents["boathouse"],
            outcome.documents["rowing"]
        ),
        None
    );
}

#[test]
fn overlapping_confirmed_lists_holders_only_and_not_back_to_back_ones() {
    let steps = [
        "[[op]]\ndo = \"authorize\"\nevent = \"rowing\"\nresource = \"kayak\"\ndecision = \"confirmed\"\n\n".to_owned(),
        event("late", "Late", "11:00", "12:00", "kayak", true),
        // A conflict with rowing: not effective, so it holds nothing.
        event("clash", "Clash", "10:30", "10:50", "kayak", true),
        event("probe", "Probe", "10:45", "11:15", "kayak", false),
        event("first", "First hour", "10:00", "11:00", "kayak", false),
    ]
    .concat();
    let (model, outcome) = model_of(&steps);
    let kayak = &model.resources[&outcome.documents["kayak"]];
    let docs = &outcome.documents;
    assert_eq!(
        model.events[&docs["clash"]].requests[0].state,
        RequestState::Conflict {
            with: docs["rowing"]
        }
    );
    let overlapping =
        |event: &str| overlapping_confirmed(&model, kayak, &model.events[&docs[event]]);
    assert_eq!(overlapping("probe"), [docs["rowing"], docs["late"]]);
    assert_eq!(overlapping("first"), [docs["rowing"]]);
    assert_eq!(overlapping("rowing"), Vec::<DocumentId>::new());
}

#[test]
fn awaiting_decision_lists_the_owners_pending_and_lapsed_requests() {
    let steps = [
        event("held", "Held", "10:30", "11:30", "boathouse", true),
        event("moved", "Moved", "12:00", "13:00", "boathouse", true),
        "[[op]]\ndo = \"update_event\"\nevent = \"moved\"\nstart = \"2027-07-16T11:00:00+02:00\"\nend = \"2027-07-16T12:00:00+02:00\"\n\n".to_owned(),
        event("gone", "Gone", "09:00", "10:00", "boathouse", false),
        "[[op]]\ndo = \"delete_event\"\nevent = \"gone\"\n\n".to_owned(),
    ]
    .concat();
    let (model, outcome) = model_of(&steps);
    let docs = &outcome.documents;
    let ada = KeyPair::from_name("ada").public_key();
    let moved = &model.events[&docs["moved"]];
    assert_ne!(moved.version.id, moved.id);
    assert_eq!(
        awaiting_decision(&model, &ada),
        [
            AwaitingRequest {
                event: docs["rowing"],
                version: docs["rowing"],
                resource: docs["boathouse"],
                state: RequestState::Pending,
                overlapping: vec![docs["held"]],
            },
            AwaitingRequest {
                event: moved.id,
                version: moved.version.id,
                resource: docs["boathouse"],
                state: RequestState::Lapsed,
                overlapping: vec![docs["held"]],
            },
        ]
    );
    let bea = KeyPair::from_name("bea").public_key();
    assert_eq!(
        awaiting_decision(&model, &bea),
        [AwaitingRequest {
            event: docs["rowing"],
            version: docs["rowing"],
            resource: docs["kayak"],
            state: RequestState::Pending,
            overlapping: Vec::new(),
        }]
    );
}
