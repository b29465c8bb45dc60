//! The authorization rules of `docs/authorization.md`, one case each: Bea's
//! events request Ada's boathouse, and Ada decides.

use super::tests::{model_of, state};
use super::*;
use crate::entry::{KeyPair, OperationId};
use crate::operation::{AuthorizationFields, Decision, Fields, Operation};
use crate::publish::Publisher;
use crate::script::ScriptOutcome;
use crate::store::Store;

fn quoted(resources: &[&str]) -> String {
    let items: Vec<String> = resources.iter().map(|r| format!("\"{r}\"")).collect();
    format!("[{}]", items.join(", "))
}

/// Bea's event `id` (also its title) on 2027-07-16 from `start` to `end`
/// ("HH:MM", +02:00), requesting `resources`.
fn event(id: &str, start: &str, end: &str, resources: &[&str]) -> String {
    format!(
        "[[op]]\ndo = \"event\"\nid = \"{id}\"\nauthor = \"bea\"\nfestival = \"camp\"\ntitle = \"{id}\"\ndescription = \"\"\nstart = \"2027-07-16T{start}:00+02:00\"\nend = \"2027-07-16T{end}:00+02:00\"\nresources = {}\n\n",
        quoted(resources)
    )
}

/// Ada's decision on the boathouse for `event`'s current version.
fn decide(event: &str, decision: &str, note: &str) -> String {
    format!(
        "[[op]]\ndo = \"authorize\"\nevent = \"{event}\"\nresource = \"boathouse\"\ndecision = \"{decision}\"\nnote = \"{note}\"\n\n"
    )
}

/// Bea moves `event` to `start`–`end` on 2027-07-16.
fn move_to(event: &str, start: &str, end: &str) -> String {
    format!(
        "[[op]]\ndo = \"update_event\"\nevent = \"{event}\"\nstart = \"2027-07-16T{start}:00+02:00\"\nend = \"2027-07-16T{end}:00+02:00\"\n\n"
    )
}

/// Bea changes what `event` requests.
fn request(event: &str, resources: &[&str]) -> String {
    format!(
        "[[op]]\ndo = \"update_event\"\nevent = \"{event}\"\nresources = {}\n\n",
        quoted(resources)
    )
}

/// Bea changes only `event`'s title.
fn retitle(event: &str, title: &str) -> String {
    format!("[[op]]\ndo = \"update_event\"\nevent = \"{event}\"\ntitle = \"{title}\"\n\n")
}

/// The script names of the events whose boathouse confirmation is
/// effective.
fn holders(model: &Model, outcome: &ScriptOutcome) -> Vec<String> {
    let boathouse = &model.resources[&outcome.documents["boathouse"]];
    boathouse
        .bookings
        .iter()
        .filter(|b| b.state == RequestState::Confirmed)
        .map(|b| {
            let (name, _) = outcome
                .documents
                .iter()
                .find(|(_, id)| **id == b.event)
                .unwrap();
            name.clone()
        })
        .collect()
}

fn boathouse_state(model: &Model, outcome: &ScriptOutcome, event: &str) -> RequestState {
    state(model, outcome, event, "boathouse")
}

/// Asserts each named event's boathouse state, and the events that hold
/// the boathouse.
fn expect(
    model: &Model,
    outcome: &ScriptOutcome,
    states: &[(&str, RequestState)],
    holding: &[&str],
) {
    for (event, expected) in states {
        assert_eq!(&boathouse_state(model, outcome, event), expected, "{event}");
    }
    assert_eq!(holders(model, outcome), holding);
}

/// Asserts that `holder` holds the boathouse and that the confirmation of
/// `clash` is a conflict with it.
fn expect_held(model: &Model, outcome: &ScriptOutcome, holder: &str, clash: &str) {
    let with = outcome.documents[holder];
    let states = [
        (holder, RequestState::Confirmed),
        (clash, RequestState::Conflict { with }),
    ];
    expect(model, outcome, &states, &[holder]);
}

/// Asserts that `two` alone holds the boathouse and `other` is in state
/// `other_state`.
fn expect_two_holds(
    model: &Model,
    outcome: &ScriptOutcome,
    other: &str,
    other_state: RequestState,
) {
    let states = [(other, other_state), ("two", RequestState::Confirmed)];
    expect(model, outcome, &states, &["two"]);
}

/// The note shown with `event`'s boathouse request.
fn note<'m>(model: &'m Model, outcome: &ScriptOutcome, event: &str) -> Option<&'m str> {
    let boathouse = outcome.documents["boathouse"];
    model.events[&outcome.documents[event]]
        .requests
        .iter()
        .find(|r| r.resource == boathouse)
        .and_then(|r| r.note.as_deref())
}

/// Events `one` (14:00–15:00) and `two` (from `start` to `end`), both
/// requesting the boathouse.
fn one_and_two(start: &str, end: &str) -> String {
    [
        event("one", "14:00", "15:00", &["boathouse"]),
        event("two", start, end, &["boathouse"]),
    ]
    .concat()
}

/// [`one_and_two`], then `steps`.
fn one_and_two_then(start: &str, end: &str, steps: &[String]) -> (Model, ScriptOutcome) {
    model_of(&[one_and_two(start, end), steps.concat()].concat())
}

#[test]
fn moving_an_event_back_does_not_revive_its_lapsed_confirmation() {
    let (model, outcome) = one_and_two_then(
        "14:00",
        "15:00",
        &[
            decide("one", "confirmed", ""),
            move_to("one", "16:00", "17:00"),
            decide("two", "confirmed", ""),
            move_to("one", "14:00", "15:00"),
        ],
    );
    expect_two_holds(&model, &outcome, "one", RequestState::Lapsed);
    assert!(model.conflicts().is_empty(), "{:?}", model.conflicts());
}

#[test]
fn dropping_and_re_adding_a_request_does_not_revive_its_confirmation() {
    let (model, outcome) = one_and_two_then(
        "14:00",
        "15:00",
        &[
            decide("one", "confirmed", ""),
            request("one", &["kayak"]),
            decide("two", "confirmed", ""),
            request("one", &["kayak", "boathouse"]),
        ],
    );
    expect_two_holds(&model, &outcome, "one", RequestState::Lapsed);
}

#[test]
fn a_decision_on_a_version_that_did_not_request_the_resource_never_applies() {
    let (model, outcome) = model_of(
        &[
            event("three", "14:00", "15:00", &["kayak"]),
            event("two", "14:00", "15:00", &["boathouse"]),
            decide("three", "confirmed", ""),
            decide("two", "confirmed", ""),
            request("three", &["kayak", "boathouse"]),
        ]
        .concat(),
    );
    expect_two_holds(&model, &outcome, "three", RequestState::Pending);
    let three = outcome.documents["three"];
    let note = format!(
        "authorization of event {three} ignored: its version {three} does not request resource {}",
        outcome.documents["boathouse"]
    );
    assert!(model.notes.contains(&note), "{:?}", model.notes);
}

/// `one` holds the boathouse, the owner confirms the overlapping `two` by
/// mistake, `one` gets a new title, and then `last`.
fn clashing_then(last: String) -> String {
    [
        one_and_two("14:30", "15:30"),
        decide("one", "confirmed", ""),
        decide("two", "confirmed", ""),
        retitle("one", "One, retitled"),
        last,
    ]
    .concat()
}

#[test]
fn re_confirming_the_holder_keeps_its_place() {
    let (model, outcome) = model_of(&clashing_then(decide(
        "one",
        "confirmed",
        "See you at the jetty",
    )));
    expect_held(&model, &outcome, "one", "two");
    // The latest confirmation's note is shown.
    assert_eq!(note(&model, &outcome, "one"), Some("See you at the jetty"));
}

#[test]
fn a_confirmation_after_a_denial_takes_its_place_from_the_confirmation() {
    let (model, outcome) = one_and_two_then(
        "14:30",
        "15:30",
        &[
            decide("one", "denied", "Not yet"),
            decide("two", "confirmed", ""),
            decide("one", "confirmed", ""),
        ],
    );
    expect_held(&model, &outcome, "two", "one");
}

#[test]
fn a_denial_of_a_later_version_frees_the_resource() {
    let (model, outcome) = model_of(&clashing_then(decide("one", "denied", "The roof leaks")));
    expect_two_holds(&model, &outcome, "one", RequestState::Denied);
    assert_eq!(note(&model, &outcome, "one"), Some("The roof leaks"));
}

/// Event `one` (14:00–15:00) requesting the boathouse, then `steps`.
fn only_one_then(steps: &[String]) -> (Model, ScriptOutcome) {
    model_of(
        &[
            event("one", "14:00", "15:00", &["boathouse"]),
            steps.concat(),
        ]
        .concat(),
    )
}

#[test]
fn a_lapsed_denial_leaves_the_request_pending() {
    let (model, outcome) = only_one_then(&[
        decide("one", "denied", ""),
        move_to("one", "16:00", "17:00"),
    ]);
    expect(&model, &outcome, &[("one", RequestState::Pending)], &[]);
}

#[test]
fn the_latest_decision_on_a_version_wins_a_confirmation_after_a_denial() {
    let (model, outcome) = only_one_then(&[
        decide("one", "denied", "Not yet"),
        decide("one", "confirmed", "Now it is fixed"),
    ]);
    expect(
        &model,
        &outcome,
        &[("one", RequestState::Confirmed)],
        &["one"],
    );
    assert_eq!(note(&model, &outcome, "one"), Some("Now it is fixed"));
}

/// Runs the shared script plus `steps`, then lets `decide` publish as Ada
/// (`publish(festival, operation)` signs into her log of the festival named
/// and gives the operation id), and materializes.
fn with_ada_publishing(
    steps: &str,
    decide: impl FnOnce(&ScriptOutcome, &mut dyn FnMut(&str, Operation) -> OperationId),
) -> (Model, ScriptOutcome) {
    let mut store = Store::in_memory().unwrap();
    let outcome =
        crate::script::run_script(&mut store, &format!("{}{steps}", super::tests::PEOPLE)).unwrap();
    let ada = KeyPair::from_name("ada");
    let mut publisher = Publisher::new(&mut store, &ada);
    let mut publish = |festival: &str, operation: Operation| {
        let log = publisher
            .log_for(Some(outcome.documents[festival]))
            .unwrap();
        publisher.publish(log, &operation).unwrap()
    };
    decide(&outcome, &mut publish);
    (materialize(&store).unwrap(), outcome)
}

/// Ada's decision on the boathouse for the first version of `event`.
fn authorization(outcome: &ScriptOutcome, event: &str, decision: Decision, note: &str) -> Fields {
    Fields::Authorization(AuthorizationFields {
        event: outcome.documents[event],
        event_version: outcome.documents[event],
        resource: outcome.documents["boathouse"],
        decision,
        note: note.into(),
    })
}

#[test]
fn decisions_are_ordered_by_log_id_then_seq_num_not_by_when_they_were_signed() {
    // Ada's nested festival opens a second log of hers, with a higher id.
    let kids = "[[op]]\ndo = \"festival\"\nid = \"kids\"\nauthor = \"ada\"\nname = \"Kids\"\ndescription = \"\"\nstart = \"2027-07-16T10:00:00+02:00\"\nend = \"2027-07-18T22:00:00+02:00\"\ntime_zone = \"Europe/Berlin\"\nparent = \"camp\"\n\n";
    let steps = [event("one", "14:00", "15:00", &["boathouse"]), kids.into()].concat();
    let (model, outcome) = with_ada_publishing(&steps, |outcome, publish| {
        let decide =
            |decision, note| Operation::create(authorization(outcome, "one", decision, note));
        // Signed first, but in the later log: it comes last.
        publish("kids", decide(Decision::Denied, "later log"));
        publish("camp", decide(Decision::Confirmed, "earlier log"));
    });
    expect(&model, &outcome, &[("one", RequestState::Denied)], &[]);
    assert_eq!(note(&model, &outcome, "one"), Some("later log"));
}

#[test]
fn editing_a_confirmations_note_keeps_its_place() {
    let (model, outcome) =
        with_ada_publishing(&one_and_two("14:30", "15:30"), |outcome, publish| {
            let confirm = |event| authorization(outcome, event, Decision::Confirmed, "");
            let first = publish("camp", Operation::create(confirm("one")));
            publish("camp", Operation::create(confirm("two")));
            let edited = authorization(outcome, "one", Decision::Confirmed, "Bring a towel");
            publish("camp", Operation::update(first, edited));
        });
    expect_held(&model, &outcome, "one", "two");
    assert_eq!(note(&model, &outcome, "one"), Some("Bring a towel"));
}

#[test]
fn a_decision_naming_another_events_version_is_ignored() {
    let (model, outcome) =
        with_ada_publishing(&one_and_two("16:00", "17:00"), |outcome, publish| {
            let mistaken = AuthorizationFields {
                event: outcome.documents["one"],
                event_version: outcome.documents["two"],
                resource: outcome.documents["boathouse"],
                decision: Decision::Confirmed,
                note: String::new(),
            };
            publish("camp", Operation::create(Fields::Authorization(mistaken)));
        });
    let states = [
        ("one", RequestState::Pending),
        ("two", RequestState::Pending),
    ];
    expect(&model, &outcome, &states, &[]);
    let (one, two) = (outcome.documents["one"], outcome.documents["two"]);
    let note = format!("authorization of event {one} ignored: {two} is not a version of it");
    assert!(model.notes.contains(&note), "{:?}", model.notes);
}
