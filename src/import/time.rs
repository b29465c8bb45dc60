//! Times in schedules: durations (`01:30`, `1:30:00`, ISO 8601 `PT1H30M`),
//! clock times, IANA time zones and local times resolved to instants.

use chrono::{
    DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Timelike,
};
use chrono_tz::Tz;

use super::schedule::Problem;

/// The longest duration an event may have: 366 days, in seconds.
pub const MAX_DURATION_SECONDS: i64 = 366 * 86400;

/// Parses a duration: `H:MM`, `HH:MM`, `H:MM:SS` (minutes and seconds
/// below 60), `D:HH:MM:SS`, or ISO 8601 / RFC 5545 `PnDTnHnMnS` and `PnW`.
/// `None` if it is none of these, or longer than [`MAX_DURATION_SECONDS`].
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.starts_with(['P', 'p', '+']) {
        return parse_iso_duration(text.trim_start_matches('+'));
    }
    let parts: Vec<&str> = text.split(':').collect();
    let numbers: Vec<i64> = parts
        .iter()
        .map(|p| {
            (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect::<Option<_>>()?;
    let below_60 = |n: &[i64]| n.iter().all(|v| *v < 60);
    let seconds = match numbers.as_slice() {
        [h, m] if below_60(&[*m]) => h * 3600 + m * 60,
        [h, m, s] if below_60(&[*m, *s]) => h * 3600 + m * 60 + s,
        [d, h, m, s] if *h < 24 && below_60(&[*m, *s]) => d * 86400 + h * 3600 + m * 60 + s,
        _ => return None,
    };
    bounded(seconds)
}

/// `seconds` as a duration, if it is no longer than an event may be.
fn bounded(seconds: i64) -> Option<Duration> {
    (0..=MAX_DURATION_SECONDS)
        .contains(&seconds)
        .then(|| Duration::seconds(seconds))
}

/// `P1DT2H30M`, `PT45M`, `P2W`: RFC 5545 durations (no years or months).
fn parse_iso_duration(text: &str) -> Option<Duration> {
    let rest = text.strip_prefix(['P', 'p'])?;
    let mut total = 0i64;
    let mut number = String::new();
    let mut in_time = false;
    let mut any = false;
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            '0'..='9' => number.push(c),
            'T' if number.is_empty() && !in_time => in_time = true,
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                let unit = match (unit, in_time) {
                    ('W', false) => 7 * 86400,
                    ('D', false) => 86400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                total = n.checked_mul(unit)?.checked_add(total)?;
                any = true;
            }
        }
    }
    if !any || !number.is_empty() {
        return None;
    }
    bounded(total)
}

/// Parses a clock time `HH:MM` or `HH:MM:SS` (one-digit hours too).
pub fn parse_clock(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()
}

/// Resolves a time zone name: an IANA name in any case, also behind a
/// prefix such as `/mozilla.org/20050126_1/Europe/Berlin`; `Z` is UTC.
pub fn parse_zone(name: &str) -> Option<Tz> {
    let name = name.trim().trim_matches('"');
    if name.eq_ignore_ascii_case("z") {
        return Some(Tz::UTC);
    }
    if let Ok(zone) = name.parse::<Tz>() {
        return Some(zone);
    }
    if let Some(zone) = insensitive(name) {
        return Some(zone);
    }
    // A suffix of slash-separated parts, longest first.
    let parts: Vec<&str> = name.split('/').collect();
    (1..parts.len()).find_map(|skip| {
        let suffix = parts[skip..].join("/");
        insensitive(&suffix)
    })
}

/// The IANA zone named `name` in any case.
fn insensitive(name: &str) -> Option<Tz> {
    chrono_tz::TZ_VARIANTS
        .iter()
        .find(|zone| zone.name().eq_ignore_ascii_case(name))
        .copied()
}

/// A zone with this fixed UTC offset: `UTC`, or `Etc/GMT-1` for +01:00
/// (whole hours only; the `Etc` names have inverted signs).
pub fn zone_for_offset(offset: FixedOffset) -> Option<Tz> {
    let seconds = offset.local_minus_utc();
    if seconds == 0 {
        return Some(Tz::UTC);
    }
    if seconds % 3600 != 0 {
        return None;
    }
    let hours = -seconds / 3600;
    format!("Etc/GMT{hours:+}").parse().ok()
}

/// The instant of a local date and time in `zone`. In a repeated hour (DST
/// ends) the earlier instant is taken; in a skipped hour (DST starts) the
/// local time is moved one hour on, as calendar programs do.
pub fn local_instant(date: NaiveDate, time: NaiveTime, zone: Tz) -> DateTime<FixedOffset> {
    let naive = NaiveDateTime::new(date, time);
    let resolved = zone
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .unwrap_or_else(|| zone.from_utc_datetime(&naive));
    resolved.with_timezone(&resolved.offset().fix())
}

/// Parses a date-time with offset (RFC 3339 / ISO 8601, `T` or space).
pub fn parse_datetime(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M%:z"))
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
}

/// Parses a date `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// A conference bound: a date-time with offset, or a date taken as local
/// midnight (`end_of_day` false) or the end of that local day (true).
pub fn parse_bound(text: &str, zone: Tz, end_of_day: bool) -> Option<DateTime<FixedOffset>> {
    if let Some(at) = parse_datetime(text) {
        return Some(at);
    }
    let date = parse_date(text)?;
    let date = if end_of_day { date.succ_opt()? } else { date };
    let at = local_instant(date, NaiveTime::MIN, zone);
    Some(if end_of_day {
        at - Duration::seconds(1)
    } else {
        at
    })
}

/// Writes an instant as RFC 3339 in `zone`'s offset at that instant, to the
/// second: `2024-12-27T10:30:00+01:00`.
pub fn format_instant(at: DateTime<FixedOffset>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The festival's zone: `given` (from `--time-zone`), else the zone the
/// source names in `field`, else one that fits the events' UTC offsets
/// (`Etc/GMT-1` when they are all +01:00), else UTC. An unknown name is
/// reported in `problems`, a guess in `notes`.
pub(crate) fn choose_zone(
    given: Option<Tz>,
    named: Option<&str>,
    field: &str,
    offsets: &[FixedOffset],
    problems: &mut Vec<Problem>,
    notes: &mut Vec<String>,
) -> Tz {
    if let Some(zone) = given {
        return zone;
    }
    if let Some(name) = named.map(str::trim).filter(|n| !n.is_empty()) {
        match parse_zone(name) {
            Some(zone) => return zone,
            None => problems.push(Problem {
                event: None,
                key: None,
                field: field.to_owned(),
                message: format!(
                    "`{}` is not an IANA time zone such as Europe/Berlin; pass --time-zone",
                    super::event::short(name)
                ),
            }),
        }
    }
    if let Some(first) = offsets.first().filter(|o| offsets.iter().all(|x| x == *o))
        && let Some(zone) = zone_for_offset(*first)
    {
        notes.push(format!(
            "no time zone in the source: using {} from the events' UTC offset {first}; \
                 pass --time-zone to choose one",
            zone.name()
        ));
        return zone;
    }
    notes.push("no time zone in the source: using UTC; pass --time-zone to choose one".to_owned());
    Tz::UTC
}

/// The day change a schedule's own day boundaries show: the local time
/// most common among the days' starts (but the first day's) and ends (but
/// the last day's). An end at `:59` stands for the minute after it
/// (`03:59` for a 04:00 day change, as pretalx writes it). On a tie an end
/// wins: a day's start may be its first event, its end is where the next
/// day begins. `None` without any such boundary.
pub(crate) fn source_day_change(
    days: &[(NaiveDate, DateTime<FixedOffset>, DateTime<FixedOffset>)],
    zone: Tz,
) -> Option<NaiveTime> {
    let mut counts: std::collections::BTreeMap<NaiveTime, (usize, usize)> = Default::default();
    let local = |t: &DateTime<FixedOffset>| t.with_timezone(&zone).time();
    for (_, start, _) in days.iter().skip(1) {
        counts.entry(local(start)).or_default().0 += 1;
    }
    for (_, _, end) in days.iter().take(days.len().saturating_sub(1)) {
        let mut time = local(end);
        if time.minute() == 59 {
            time = time.with_second(0).unwrap_or(time) + chrono::Duration::minutes(1);
        }
        counts.entry(time).or_default().1 += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(time, (starts, ends))| (starts + ends, *ends, std::cmp::Reverse(*time)))
        .map(|(time, _)| time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_duration_form() {
        let minutes = |t| parse_duration(t).map(|d| d.num_minutes());
        assert_eq!(minutes("01:30"), Some(90));
        assert_eq!(minutes("1:30"), Some(90));
        assert_eq!(minutes("1:30:00"), Some(90));
        assert_eq!(minutes("0:45"), Some(45));
        assert_eq!(minutes("100:00"), Some(6000));
        assert_eq!(minutes("1:02:30:00"), Some(1590));
        assert_eq!(minutes("PT1H30M"), Some(90));
        assert_eq!(minutes("P1D"), Some(1440));
        assert_eq!(minutes("P1W"), Some(10080));
        assert_eq!(minutes("P366D"), Some(366 * 1440));
        for bad in [
            "",
            "90",
            "1:75",
            "1h30",
            "1:3a",
            "PT",
            "P1H",
            "-0:30",
            "1::30",
            // Longer than an event may be, or past what a number holds.
            "P367D",
            "9999:00",
            "P99999999D",
            "PT9999999999999999S",
            "P9999999999999999999W",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn resolves_zone_names() {
        assert_eq!(parse_zone("Europe/Berlin"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(parse_zone("europe/berlin"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(
            parse_zone("/mozilla.org/20050126_1/Europe/Berlin"),
            Some(chrono_tz::Europe::Berlin)
        );
        assert_eq!(parse_zone("Mars/Olympus_Mons"), None);
        let plus_one = FixedOffset::east_opt(3600).unwrap();
        assert_eq!(zone_for_offset(plus_one), Some(chrono_tz::Etc::GMTMinus1));
    }

    #[test]
    fn local_times_keep_their_offset_across_dst() {
        let zone = chrono_tz::Europe::Berlin;
        let summer = local_instant(
            NaiveDate::from_ymd_opt(2020, 9, 18).unwrap(),
            NaiveTime::from_hms_opt(13, 0, 0).unwrap(),
            zone,
        );
        assert_eq!(format_instant(summer, zone), "2020-09-18T13:00:00+02:00");
        let gap = local_instant(
            NaiveDate::from_ymd_opt(2021, 3, 28).unwrap(),
            NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
            zone,
        );
        assert_eq!(format_instant(gap, zone), "2021-03-28T03:30:00+02:00");
    }
}
