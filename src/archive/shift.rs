//! Durations for `fork --shift`: `365d`, `52w`, `1d12h`, `-90m`.

use chrono::Duration;

use super::ArchiveError;

/// Parses a duration: an optional `-`, then one or more number-unit pairs
/// with the units `w` (weeks), `d` (days), `h` (hours) and `m` (minutes).
///
/// Errors: [`ArchiveError::BadShift`] for anything else.
pub fn parse_shift(text: &str) -> Result<Duration, ArchiveError> {
    let bad = || ArchiveError::BadShift(text.chars().take(40).collect());
    let (negative, rest) = match text.trim().strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.trim()),
    };
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::zero();
    let mut number = String::new();
    for c in rest.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().map_err(|_| bad())?;
        number.clear();
        let part = match c {
            'w' => Duration::try_weeks(n),
            'd' => Duration::try_days(n),
            'h' => Duration::try_hours(n),
            'm' => Duration::try_minutes(n),
            _ => None,
        }
        .ok_or_else(bad)?;
        total = total.checked_add(&part).ok_or_else(bad)?;
    }
    if !number.is_empty() {
        return Err(bad());
    }
    Ok(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_sums() {
        assert_eq!(parse_shift("365d").unwrap(), Duration::days(365));
        assert_eq!(
            parse_shift("1w2d3h4m").unwrap(),
            Duration::minutes(((9 * 24) + 3) * 60 + 4)
        );
        assert_eq!(parse_shift("-90m").unwrap(), Duration::minutes(-90));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for text in ["", "365", "d", "5y", "1.5d", "--1d"] {
            let err = parse_shift(text).unwrap_err();
            assert!(
                err.to_string().contains("is not a duration"),
                "{text}: {err}"
            );
        }
    }
}
