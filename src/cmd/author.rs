//! The authoring commands: wiring only; the logic is `pandafest::author`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use pandafest::author::{
    Decided, EventInput, FestivalInput, ListingKind, Place, ResourceInput, Session,
};

use crate::cli::{
    DecisionArgs, EventAction, EventArgs, FestivalAction, FestivalArgs, LsWhat, PlaceArgs,
    ProfileAction, ResourceAction, ResourceArgs,
};

fn open(key: Option<&Path>) -> anyhow::Result<Session> {
    Ok(Session::open(Path::new("."), key)?)
}

/// Prints what the owner policies decided, on stderr.
fn report(decided: &[Decided]) {
    for decision in decided {
        eprintln!("{decision}");
    }
}

fn festival_input(args: FestivalArgs) -> FestivalInput {
    FestivalInput {
        name: args.name,
        start: args.start,
        end: args.end,
        time_zone: args.time_zone,
        parent: args.parent,
        description: args.description.description,
        description_file: args.description.description_file,
    }
}

fn place(args: PlaceArgs) -> Place {
    Place {
        gps: args.gps,
        address: args.address,
        url: args.url,
        position: args.position,
        remove: args.no_place,
    }
}

fn resource_input(args: ResourceArgs) -> ResourceInput {
    ResourceInput {
        title: args.title,
        kind: args.kind,
        description: args.description.description,
        description_file: args.description.description_file,
        place: place(args.place),
        policy: args.policy,
        festival: args.festival,
    }
}

fn event_input(args: EventArgs, drop_requests: Vec<String>) -> EventInput {
    EventInput {
        title: args.title,
        start: args.start,
        end: args.end,
        duration: args.duration,
        requests: args.request,
        drop_requests,
        description: args.description.description,
        description_file: args.description.description_file,
        tags: args.tag,
        links: args.link,
        subtitle: args.subtitle,
        summary: args.summary,
        language: args.language,
        persons: args.person,
        festival: args.festival,
    }
}

pub fn festival(action: FestivalAction, key: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mut session = open(key)?;
    let id = match action {
        FestivalAction::Create(args) => session.festival_create(&festival_input(args))?,
        FestivalAction::Update { id, fields } => {
            session.festival_update(&id, &festival_input(fields))?
        }
    };
    println!("{id}");
    Ok(ExitCode::SUCCESS)
}

pub fn profile(action: ProfileAction, key: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mut session = open(key)?;
    let ProfileAction::Set { name, bio } = action;
    println!("{}", session.profile_set(&name, &bio)?);
    Ok(ExitCode::SUCCESS)
}

pub fn resource(action: ResourceAction, key: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mut session = open(key)?;
    let id = match action {
        ResourceAction::Add(args) => session.resource_add(&resource_input(args))?,
        ResourceAction::Update { id, fields } => {
            session.resource_update(&id, &resource_input(fields))?
        }
        ResourceAction::Remove { id } => session.resource_remove(&id)?,
    };
    println!("{id}");
    Ok(ExitCode::SUCCESS)
}

pub fn event(action: EventAction, key: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mut session = open(key)?;
    let (id, decided) = match action {
        EventAction::Add(args) => session.event_add(&event_input(args, Vec::new()))?,
        EventAction::Update {
            id,
            fields,
            drop_request,
        } => session.event_update(&id, &event_input(fields, drop_request))?,
        EventAction::Cancel { id } => (session.event_cancel(&id)?, Vec::new()),
    };
    report(&decided);
    println!("{id}");
    Ok(ExitCode::SUCCESS)
}

pub fn pending(key: Option<&Path>) -> anyhow::Result<ExitCode> {
    let session = open(key)?;
    let lines = session.pending()?;
    if lines.is_empty() {
        eprintln!("no requests await your decision");
    }
    for line in lines {
        let mut text = format!(
            "{}  {}  {}  requested by {}  for `{}` ({})",
            line.event,
            line.when,
            line.event_title,
            line.requester_name,
            line.resource_title,
            line.resource
        );
        if line.lapsed {
            text.push_str("  (moved since your last decision)");
        }
        for (id, title) in &line.overlaps {
            text.push_str(&format!("  overlaps confirmed `{title}` ({id})"));
        }
        println!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn decision(args: DecisionArgs, confirm: bool, key: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mut session = open(key)?;
    let decided = match confirm {
        true => session.confirm(&args.event, &args.resource, &args.note)?,
        false => session.deny(&args.event, &args.resource, &args.note)?,
    };
    eprintln!("{decided}");
    println!("{}", decided.id);
    Ok(ExitCode::SUCCESS)
}

pub fn decide(key: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mut session = open(key)?;
    let decided = session.decide()?;
    if decided.is_empty() {
        eprintln!("nothing to decide");
    }
    report(&decided);
    Ok(ExitCode::SUCCESS)
}

pub fn ls(
    what: LsWhat,
    day: Option<String>,
    json: bool,
    key: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let session = open(key)?;
    let kind = match what {
        LsWhat::Events => ListingKind::Events,
        LsWhat::Resources => ListingKind::Resources,
        LsWhat::People => ListingKind::People,
        LsWhat::Festivals => ListingKind::Festivals,
    };
    let day = day
        .map(|d| {
            chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .with_context(|| format!("--day `{d}` is not a date as YYYY-MM-DD"))
        })
        .transpose()?;
    let rows = session.list(kind, day)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for row in rows {
            println!("{}", row.table_row());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the owner policies after entries came in, when the directory has a
/// key; prints what they decided.
pub fn run_policies(dir: &Path, key: Option<&Path>) -> anyhow::Result<()> {
    match Session::open(dir, key) {
        Ok(mut session) => report(&session.decide()?),
        Err(pandafest::author::AuthorError::NoKey { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
