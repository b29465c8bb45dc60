//! Times and durations as people type them.
//!
//! A TIME is RFC 3339 with an offset (`2027-07-10T18:00:00+02:00`) or a
//! local `YYYY-MM-DD HH:MM` in the festival's IANA time zone. A local time
//! that does not exist there (the spring DST gap) or exists twice (the
//! autumn hour) is an error, never a guess. A DUR is `90m`, `1h30m` or `2h`.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, TimeDelta, TimeZone};
use chrono_tz::Tz;

use super::AuthorError;

/// Parses an IANA time zone name such as `Europe/Berlin`.
///
/// Errors: [`AuthorError::TimeZone`] if the name is unknown.
pub fn parse_time_zone(name: &str) -> Result<Tz, AuthorError> {
    name.parse::<Tz>().map_err(|_| AuthorError::TimeZone {
        name: name.to_owned(),
    })
}

/// Parses a TIME for `field` (named in errors, e.g. `--start`): RFC 3339
/// with an offset, or local `YYYY-MM-DD HH:MM` (seconds allowed) in `zone`.
/// The result keeps the offset it was written with, or the zone's offset
/// at that local time.
///
/// Errors: [`AuthorError::Time`] if it is neither form,
/// [`AuthorError::LocalTimeGap`] if the local time does not exist in
/// `zone`, [`AuthorError::LocalTimeAmbiguous`] (with both instants) if it
/// exists twice.
pub fn parse_time(field: &str, text: &str, zone: Tz) -> Result<DateTime<FixedOffset>, AuthorError> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time);
    }
    let local = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .ok_or_else(|| AuthorError::Time {
        field: field.to_owned(),
        text: text.to_owned(),
    })?;
    match zone.from_local_datetime(&local) {
        LocalResult::Single(time) => Ok(time.fixed_offset()),
        LocalResult::None => Err(AuthorError::LocalTimeGap {
            field: field.to_owned(),
            text: text.to_owned(),
            zone: zone.name().to_owned(),
        }),
        LocalResult::Ambiguous(first, second) => Err(AuthorError::LocalTimeAmbiguous {
            field: field.to_owned(),
            text: text.to_owned(),
            zone: zone.name().to_owned(),
            first: first.fixed_offset().to_rfc3339(),
            second: second.fixed_offset().to_rfc3339(),
        }),
    }
}

/// Parses a DUR: whole hours and minutes such as `90m`, `1h30m`, `2h`.
/// It must be positive and at most 366 days.
///
/// Errors: [`AuthorError::Duration`] otherwise.
pub fn parse_duration(text: &str) -> Result<TimeDelta, AuthorError> {
    let bad = || AuthorError::Duration {
        text: text.to_owned(),
    };
    let mut rest = text.trim();
    let mut minutes: i64 = 0;
    let mut seen_hours = false;
    let mut seen_minutes = false;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 6 {
            return Err(bad());
        }
        let value: i64 = rest[..digits].parse().map_err(|_| bad())?;
        let unit = rest[digits..].chars().next().ok_or_else(bad)?;
        match unit {
            'h' if !seen_hours && !seen_minutes => {
                seen_hours = true;
                minutes += value * 60;
            }
            'm' if !seen_minutes => {
                seen_minutes = true;
                minutes += value;
            }
            _ => return Err(bad()),
        }
        rest = &rest[digits + 1..];
    }
    if minutes <= 0 || minutes > 366 * 24 * 60 {
        return Err(bad());
    }
    Ok(TimeDelta::minutes(minutes))
}

/// Checks that `end` is after `start`.
///
/// Errors: [`AuthorError::EndBeforeStart`] naming both.
pub fn check_order(
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
    allow_equal: bool,
) -> Result<(), AuthorError> {
    if end < start || (end == start && !allow_equal) {
        return Err(AuthorError::EndBeforeStart {
            start: start.to_rfc3339(),
            end: end.to_rfc3339(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn reads_local_times_in_the_festival_zone() {
        let time = parse_time("--start", "2027-07-10 18:00", BERLIN).unwrap();
        assert_eq!(time.to_rfc3339(), "2027-07-10T18:00:00+02:00");
        let winter = parse_time("--start", "2027-01-10 18:00", BERLIN).unwrap();
        assert_eq!(winter.to_rfc3339(), "2027-01-10T18:00:00+01:00");
    }

    #[test]
    fn keeps_an_explicit_offset() {
        let time = parse_time("--start", "2027-07-10T18:00:00Z", BERLIN).unwrap();
        assert_eq!(time.to_rfc3339(), "2027-07-10T18:00:00+00:00");
    }

    #[test]
    fn refuses_a_local_time_in_the_spring_gap() {
        let err = parse_time("--start", "2027-03-28 02:30", BERLIN).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--start `2027-03-28 02:30` does not exist in Europe/Berlin: the clocks skip that hour (daylight saving time begins); give a time outside the gap or an offset"
        );
    }

    #[test]
    fn refuses_an_ambiguous_local_time_and_shows_both_instants() {
        let err = parse_time("--end", "2027-10-31 02:30", BERLIN).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--end `2027-10-31 02:30` happens twice in Europe/Berlin (daylight saving time ends): 2027-10-31T02:30:00+02:00 or 2027-10-31T02:30:00+01:00; give one of them with its offset"
        );
    }

    #[test]
    fn refuses_garbage_times() {
        let err = parse_time("--start", "tomorrow", BERLIN).unwrap_err();
        assert!(
            err.to_string().contains("`tomorrow` is not a time"),
            "{err}"
        );
    }

    #[test]
    fn reads_durations() {
        assert_eq!(parse_duration("90m").unwrap(), TimeDelta::minutes(90));
        assert_eq!(parse_duration("1h30m").unwrap(), TimeDelta::minutes(90));
        assert_eq!(parse_duration("2h").unwrap(), TimeDelta::minutes(120));
        for bad in ["", "0m", "1m2h", "h", "1.5h", "90", "1h1h", "-5m"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(
                err.to_string().contains("is not a duration"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn unknown_time_zone_is_named() {
        let err = parse_time_zone("Europe/Atlantis").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown time zone `Europe/Atlantis`: give an IANA name such as Europe/Berlin"
        );
    }
}
