use super::*;

/// The relative luminance of `#rrggbb` (WCAG 2.x).
fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap()) / 255.0;
        match c <= 0.04045 {
            true => c / 12.92,
            false => ((c + 0.055) / 1.055).powf(2.4),
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (a, b) = (luminance(a), luminance(b));
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// The custom properties of the stylesheet's `:root`, by name.
fn colours() -> Vec<(String, String)> {
    let root = STYLE
        .split(":root {")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    root.lines()
        .filter_map(|line| line.trim().strip_prefix("--"))
        .map(|decl| {
            let (name, value) = decl.split_once(':').unwrap();
            (
                name.to_owned(),
                value.trim().trim_end_matches(';').to_owned(),
            )
        })
        .collect()
}

#[test]
fn text_colours_reach_seven_to_one_on_both_backgrounds() {
    let colours = colours();
    let get = |name: &str| &colours.iter().find(|(n, _)| n == name).unwrap().1;
    for text in ["fg", "dim", "accent", "bad"] {
        for background in ["bg", "panel"] {
            let ratio = contrast(get(text), get(background));
            assert!(ratio >= 7.0, "--{text} on --{background}: {ratio:.2}:1");
        }
    }
    // Every colour the stylesheet uses is one of those properties.
    let rules = STYLE
        .split(":root {")
        .nth(1)
        .unwrap()
        .split_once('}')
        .unwrap()
        .1;
    for (property, value) in declarations(rules) {
        let literal = value.contains('#') || value.contains("rgb") || value.contains("hsl");
        assert!(!literal, "{property}: {value} is a colour outside :root");
    }
}

/// The `property: value` declarations of `css`, trimmed.
fn declarations(css: &str) -> Vec<(&str, &str)> {
    css.split([';', '{', '}'])
        .filter_map(|d| d.split_once(':'))
        .map(|(p, v)| (p.trim(), v.trim()))
        .filter(|(p, _)| !p.contains(' ') && !p.is_empty())
        .collect()
}

#[test]
fn sizes_are_in_viewport_units() {
    let sized = [
        "font-size",
        "padding",
        "gap",
        "height",
        "margin",
        "margin-top",
        "top",
        "bottom",
        "left",
        "right",
        "border-left",
        "border-left-width",
    ];
    let mut checked = 0;
    for (property, value) in declarations(STYLE) {
        if !sized.contains(&property) {
            continue;
        }
        checked += 1;
        for part in value.split_whitespace() {
            let ok = ["0", "100%", "auto", "solid", "var(--accent)"].contains(&part)
                || ["vh", "vw", "vmin", "vmax"]
                    .iter()
                    .any(|u| part.ends_with(u));
            assert!(ok, "{property}: {value}");
        }
    }
    assert!(checked > 30, "{checked}");
}

#[test]
fn nothing_flashes_and_nothing_is_external() {
    // Changes are slow: no transition or animation under a second.
    let mut timed = 0;
    for (property, value) in declarations(STYLE) {
        if !["transition", "animation"].contains(&property) {
            continue;
        }
        for part in value.split_whitespace() {
            assert!(!part.ends_with("ms"), "{property}: {value}");
            if let Some(s) = part.strip_suffix('s').and_then(|s| s.parse::<f64>().ok()) {
                assert!(s >= 1.0, "{property}: {value}");
                timed += 1;
            }
        }
    }
    assert!(timed >= 3);
    for (name, text) in [
        ("index.html", INDEX_HTML),
        ("screen.js", SCRIPT),
        ("screen.css", STYLE),
    ] {
        for bad in ["://", "@import", "url(", "@font-face"] {
            assert!(!text.contains(bad), "{name}: {bad}");
        }
    }
}

#[test]
fn script_puts_text_in_through_text_content_only() {
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "Function(",
    ] {
        assert!(!SCRIPT.contains(sink), "screen.js uses {sink}");
    }
    assert!(SCRIPT.contains("textContent"));
    // The version file is polled without the cache, at least every 30 s.
    assert!(SCRIPT.contains(r#"cache: "no-store""#));
    let poll: u64 = SCRIPT
        .split("const POLL_MS = ")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(poll <= 30_000);
}

fn model_of(script: &str) -> crate::materialize::Model {
    let mut store = crate::store::Store::in_memory().unwrap();
    crate::script::run_script(&mut store, script).unwrap();
    crate::materialize::materialize(&store).unwrap()
}

const SCRIPT_OPS: &str = r#"
[[op]]
do = "festival"
id = "f"
author = "ada"
name = "Fest\nival"
description = ""
start = "2027-03-27T10:00:00+01:00"
end = "2027-03-29T22:00:00+02:00"
time_zone = "Europe/Berlin"

[[op]]
do = "resource"
id = "a"
owner = "ada"
festival = "f"
title = "Hall"
description = ""
kind = "room"
policy = "manual"
location = { mode = "address", address = "Road 1" }

[[op]]
do = "event"
id = "moved"
author = "ada"
festival = "f"
title = "Moved"
description = ""
start = "2027-03-27T11:00:00+01:00"
end = "2027-03-27T12:00:00+01:00"
resources = ["a"]

[[op]]
do = "update_event"
event = "moved"
start = "2027-03-27T13:00:00+01:00"
end = "2027-03-27T14:00:00+01:00"

[[op]]
do = "event"
id = "renamed"
author = "ada"
festival = "f"
title = "Old"
description = ""
start = "2027-03-27T15:00:00+01:00"
end = "2027-03-27T16:00:00+01:00"
resources = ["a"]

[[op]]
do = "update_event"
event = "renamed"
title = "New"

[[op]]
do = "event"
id = "gone"
author = "ada"
festival = "f"
title = "Gone"
description = ""
start = "2027-03-28T10:00:00+02:00"
end = "2027-03-28T11:00:00+02:00"
resources = ["a"]

[[op]]
do = "delete_event"
event = "gone"

[[op]]
do = "event"
id = "nowhere"
author = "ada"
festival = "f"
title = "Nowhere"
description = ""
start = "2027-03-28T10:00:00+02:00"
end = "2027-03-28T11:00:00+02:00"
"#;

#[test]
fn data_marks_moved_and_cancelled_events_and_days_follow_the_zone() {
    let model = model_of(SCRIPT_OPS);
    let festival = model.festivals.values().next().unwrap();
    let day_change = chrono::NaiveTime::from_hms_opt(4, 0, 0).unwrap();
    let data = screen_data(&model, festival, day_change);
    assert_eq!(data.festival, "Fest ival");
    assert_eq!(data.zone, "Europe/Berlin");
    let titles: Vec<&str> = data.events.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Moved", "New", "Gone"],
        "an event at no location is left out"
    );
    let moved = &data.events[0];
    assert_eq!(moved.moved_from, Some(1_806_141_600)); // 2027-03-27T11:00+01:00
    assert_eq!(moved.start, 1_806_148_800);
    assert_eq!(data.events[1].moved_from, None, "a new title is no move");
    assert!(data.events[2].cancelled && !moved.cancelled);
    assert_eq!((moved.percent, moved.requested, moved.conflicts), (0, 1, 0));
    // The night of the DST change is an hour short: 04:00 CET to 04:00 CEST.
    let days: Vec<(&str, i64)> = data
        .days
        .iter()
        .map(|d| (d.date.as_str(), d.end - d.start))
        .collect();
    assert_eq!(
        days,
        [
            ("2027-03-27", 23 * 3600),
            ("2027-03-28", 24 * 3600),
            ("2027-03-29", 24 * 3600)
        ]
    );
}

#[test]
fn version_changes_with_the_data_only() {
    let model = model_of(SCRIPT_OPS);
    let settings = crate::settings::RenderSettings {
        festival: *model.festivals.keys().next().unwrap(),
        day_change: chrono::NaiveTime::from_hms_opt(4, 0, 0).unwrap(),
        base_url: None,
        theme_dir: None,
        templates_dir: None,
    };
    let files = |model: &crate::materialize::Model| {
        let mut output = Output::memory();
        write_screen(model, &settings, &mut output).unwrap();
        output.commit().unwrap()
    };
    let first = files(&model);
    assert_eq!(files(&model), first, "the same model gives the same bytes");
    let version: serde_json::Value = serde_json::from_slice(&first[VERSION_PATH]).unwrap();
    assert_eq!(version["version"].as_str().unwrap().len(), 16);
    let mut changed = model.clone();
    changed.events.values_mut().next().unwrap().title.push('!');
    let second = files(&changed);
    assert_ne!(second[DATA_PATH], first[DATA_PATH]);
    assert_ne!(second[VERSION_PATH], first[VERSION_PATH]);
    assert_eq!(second["screen/index.html"], first["screen/index.html"]);
}
