//! Reading a schedule source (a file or an http(s) URL) within a size
//! limit, and telling its format from its content.

use std::io::Read;

use super::{Format, ImportError};
use crate::fetch::{FetchError, FetchLimits, Fetcher, is_url};

/// The default size limit of a schedule source: 64 MiB.
pub const MAX_SOURCE_SIZE: u64 = 64 * 1024 * 1024;

/// Reads `source` (a path, or an http or https URL) as UTF-8 text of at most
/// `limit` bytes, without a byte order mark.
///
/// Errors: [`ImportError::Read`] if it cannot be read or is not UTF-8,
/// [`ImportError::TooLarge`] past `limit`.
pub fn read_source(source: &str, limit: u64) -> Result<String, ImportError> {
    let read_error = |reason: String| ImportError::Read {
        source_name: source.to_owned(),
        reason,
    };
    let too_large = || ImportError::TooLarge {
        source_name: source.to_owned(),
        limit,
    };
    // One byte more than the limit is read, to tell "too large" apart.
    let over = limit.saturating_add(1);
    let mut bytes = Vec::new();
    let read = if is_url(source) {
        let body = Fetcher::new(FetchLimits::default())
            .reader(source, over)
            .map_err(|e| match e {
                FetchError::TooLarge { .. } | FetchError::TotalTooLarge { .. } => too_large(),
                other @ FetchError::PastDeadline { .. } => read_error(other.to_string()),
                FetchError::Request { reason, .. } => read_error(reason),
            })?;
        body.take(over).read_to_end(&mut bytes)
    } else {
        let file = std::fs::File::open(source).map_err(|e| read_error(e.to_string()))?;
        file.take(over).read_to_end(&mut bytes)
    };
    if let Err(e) = read {
        return Err(if bytes.len() as u64 >= limit {
            too_large()
        } else {
            read_error(e.to_string())
        });
    }
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        read_error(format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// Tells the format from the first characters: `<` is XML, `{` is JSON,
/// `BEGIN:VCALENDAR` is iCalendar.
///
/// Errors: [`ImportError::NotASchedule`] for anything else.
pub fn detect_format(source: &str, text: &str) -> Result<Format, ImportError> {
    let start = text.trim_start();
    if start.starts_with('<') {
        Ok(Format::Xml)
    } else if start.starts_with('{') {
        Ok(Format::Json)
    } else if start
        .get(..15)
        .is_some_and(|s| s.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
    {
        Ok(Format::Ical)
    } else {
        let shown: String = start.chars().take(30).collect();
        Err(ImportError::NotASchedule {
            source_name: source.to_owned(),
            reason: if start.is_empty() {
                "the file is empty".to_owned()
            } else {
                format!(
                    "it starts with `{}`, not with XML, JSON or BEGIN:VCALENDAR",
                    shown.escape_debug()
                )
            },
        })
    }
}
