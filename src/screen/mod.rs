//! The now-and-next screen for a projector, part of every site:
//! `screen/index.html` with its own script and stylesheet (nothing
//! external), the compact `screen/data.json` ([`ScreenData`]) and
//! `screen/version.json`, which changes whenever the data does.
//!
//! From a static host the screen polls `version.json` (no-store) and
//! fetches `data.json` again only when the version changed; under
//! `pandafest serve` it is also told at once (an event stream). Text from
//! the logs goes into the page through `textContent` only.

mod data;

pub use data::{
    DATA_FORMAT, MAX_DAYS, ScreenData, ScreenDay, ScreenEvent, ScreenLocation, screen_data,
};

use crate::materialize::Model;
use crate::output::{Output, OutputError};
use crate::settings::RenderSettings;

/// The screen's page.
pub const INDEX_HTML: &str = include_str!("assets/index.html");
/// The screen's script.
pub const SCRIPT: &str = include_str!("assets/screen.js");
/// The screen's stylesheet.
pub const STYLE: &str = include_str!("assets/screen.css");
/// The screen's icon, so that browsers do not ask the host for one.
pub const ICON: &str = include_str!("assets/icon.svg");

/// The path of the screen's data in the site.
pub const DATA_PATH: &str = "screen/data.json";
/// The path of the screen's version file in the site.
pub const VERSION_PATH: &str = "screen/version.json";

/// `screen/version.json` for the data `data` (the bytes of
/// `screen/data.json`): `{"version":"<the first 16 hex digits of its
/// BLAKE3 hash>"}`.
pub fn version_json(data: &[u8]) -> String {
    let hash = blake3::hash(data).to_hex();
    format!("{{\"version\":\"{}\"}}\n", &hash[..16])
}

/// Writes the screen of `settings.festival` into `output`:
/// `screen/index.html`, `screen/screen.js`, `screen/screen.css`,
/// `screen/icon.svg`,
/// [`DATA_PATH`] and [`VERSION_PATH`]. Nothing is written when the festival
/// is unknown.
///
/// Errors: [`OutputError`] if a file cannot be written.
pub fn write_screen(
    model: &Model,
    settings: &RenderSettings,
    output: &mut Output,
) -> Result<(), OutputError> {
    let Some(festival) = model.festivals.get(&settings.festival) else {
        return Ok(());
    };
    let data = screen_data(model, festival, settings.day_change);
    let mut bytes = serde_json::to_vec(&data).expect("screen data serializes");
    bytes.push(b'\n');
    output.write(VERSION_PATH, version_json(&bytes))?;
    output.write(DATA_PATH, bytes)?;
    output.write("screen/index.html", INDEX_HTML)?;
    output.write("screen/screen.js", SCRIPT)?;
    output.write("screen/screen.css", STYLE)?;
    output.write("screen/icon.svg", ICON)?;
    Ok(())
}

#[cfg(test)]
mod tests;
