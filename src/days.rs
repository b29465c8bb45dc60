//! Schedule days and local times in a festival's IANA time zone.
//!
//! A schedule day runs from the day-change time (default 04:00 local) to the
//! same time the next morning, so a 01:30 talk belongs to the night before.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;

/// The schedule day of the instant `at`: the local date (in `zone`) of
/// `at - day_change`.
pub fn schedule_day(at: DateTime<FixedOffset>, zone: Tz, day_change: NaiveTime) -> NaiveDate {
    let local = at.with_timezone(&zone).naive_local();
    (local - (day_change - NaiveTime::MIN)).date()
}

/// The schedule days from the one of `start` to the one of `end`, both
/// included; empty if `end` is before `start`.
pub fn days_between(
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
    zone: Tz,
    day_change: NaiveTime,
) -> Vec<NaiveDate> {
    if end < start {
        return Vec::new();
    }
    let first = schedule_day(start, zone, day_change);
    // An end at the day change exactly belongs to the day before.
    let last = schedule_day(end - chrono::Duration::seconds(1), zone, day_change).max(first);
    first.iter_days().take_while(|d| *d <= last).collect()
}

/// `Fri 16 Jul, 18:00–19:30`; when the end is on another local date,
/// `Fri 16 Jul, 23:00 – Sat 17 Jul, 01:00`.
pub fn format_span(start: DateTime<FixedOffset>, end: DateTime<FixedOffset>, zone: Tz) -> String {
    let (s, e) = (start.with_timezone(&zone), end.with_timezone(&zone));
    if s.date_naive() == e.date_naive() {
        format!("{}–{}", s.format("%a %-d %b, %H:%M"), e.format("%H:%M"))
    } else {
        format!(
            "{} – {}",
            s.format("%a %-d %b, %H:%M"),
            e.format("%a %-d %b, %H:%M")
        )
    }
}

/// `18:00–19:30`, local times only.
pub fn format_times(start: DateTime<FixedOffset>, end: DateTime<FixedOffset>, zone: Tz) -> String {
    let (s, e) = (
        time_of_day(start.with_timezone(&zone)),
        time_of_day(end.with_timezone(&zone)),
    );
    format!("{s}–{e}")
}

/// The local time of `at` as `HH:MM` (what `%H:%M` prints), written out
/// rather than through a pattern: every event's card, row and feed entry
/// needs it, and the pattern would be parsed each time.
pub fn time_of_day(at: DateTime<Tz>) -> String {
    format!("{:02}:{:02}", at.hour(), at.minute())
}

/// `Friday 16 July 2027`.
pub fn format_day_long(day: NaiveDate) -> String {
    day.format("%A %-d %B %Y").to_string()
}

/// `Fri 16 Jul`.
pub fn format_day_short(day: NaiveDate) -> String {
    day.format("%a %-d %b").to_string()
}

/// `16–18 July 2027`, `30 July – 2 August 2027` or with both years.
pub fn format_date_range(
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
    zone: Tz,
) -> String {
    let (s, e) = (
        start.with_timezone(&zone).date_naive(),
        end.with_timezone(&zone).date_naive(),
    );
    if s == e {
        s.format("%-d %B %Y").to_string()
    } else if s.format("%Y%m").to_string() == e.format("%Y%m").to_string() {
        format!("{}–{}", s.format("%-d"), e.format("%-d %B %Y"))
    } else if s.format("%Y").to_string() == e.format("%Y").to_string() {
        format!("{} – {}", s.format("%-d %B"), e.format("%-d %B %Y"))
    } else {
        format!("{} – {}", s.format("%-d %B %Y"), e.format("%-d %B %Y"))
    }
}

/// The UTC offset name of `at` in `zone`, such as `CEST`.
pub fn zone_abbreviation(at: DateTime<FixedOffset>, zone: Tz) -> String {
    // What `%Z` prints, without parsing the pattern.
    zone.offset_from_utc_datetime(&at.naive_utc()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    fn four() -> NaiveTime {
        NaiveTime::from_hms_opt(4, 0, 0).unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn past_midnight_event_belongs_to_the_night_before() {
        let talk = at("2027-07-17T01:30:00+02:00");
        assert_eq!(schedule_day(talk, BERLIN, four()), day("2027-07-16"));
        let breakfast = at("2027-07-17T04:00:00+02:00");
        assert_eq!(schedule_day(breakfast, BERLIN, four()), day("2027-07-17"));
        let midnight = NaiveTime::MIN;
        assert_eq!(schedule_day(talk, BERLIN, midnight), day("2027-07-17"));
    }

    #[test]
    fn days_follow_the_festival_zone_not_the_written_offset() {
        // 23:30 UTC is 01:30 the next day in Berlin: still the night before.
        let talk = at("2027-07-16T23:30:00+00:00");
        assert_eq!(schedule_day(talk, BERLIN, four()), day("2027-07-16"));
        let late = at("2027-07-17T02:30:00+00:00"); // 04:30 CEST
        assert_eq!(schedule_day(late, BERLIN, four()), day("2027-07-17"));
    }

    #[test]
    fn day_change_follows_local_time_across_dst() {
        // Clocks go back from 03:00 CEST to 02:00 CET on 31 October 2027.
        let second_half_past_two = at("2027-10-31T02:30:00+01:00");
        assert_eq!(
            schedule_day(second_half_past_two, BERLIN, four()),
            day("2027-10-30")
        );
        let before_change = at("2027-10-31T03:59:00+01:00");
        assert_eq!(
            schedule_day(before_change, BERLIN, four()),
            day("2027-10-30")
        );
        let after_change = at("2027-10-31T04:00:00+01:00");
        assert_eq!(
            schedule_day(after_change, BERLIN, four()),
            day("2027-10-31")
        );
        // Clocks go forward from 02:00 CET to 03:00 CEST on 28 March 2027.
        let spring = at("2027-03-28T03:30:00+02:00");
        assert_eq!(schedule_day(spring, BERLIN, four()), day("2027-03-27"));
        assert_eq!(zone_abbreviation(spring, BERLIN), "CEST");
        assert_eq!(zone_abbreviation(second_half_past_two, BERLIN), "CET");
    }

    #[test]
    fn lists_the_days_of_a_festival() {
        let days = days_between(
            at("2027-07-16T10:00:00+02:00"),
            at("2027-07-19T04:00:00+02:00"),
            BERLIN,
            four(),
        );
        assert_eq!(
            days,
            vec![day("2027-07-16"), day("2027-07-17"), day("2027-07-18")]
        );
    }

    #[test]
    fn formats_local_times() {
        let (s, e) = (at("2027-07-16T16:00:00Z"), at("2027-07-16T17:30:00Z"));
        assert_eq!(format_span(s, e, BERLIN), "Fri 16 Jul, 18:00–19:30");
        let (s, e) = (
            at("2027-07-16T23:00:00+02:00"),
            at("2027-07-17T01:00:00+02:00"),
        );
        assert_eq!(
            format_span(s, e, BERLIN),
            "Fri 16 Jul, 23:00 – Sat 17 Jul, 01:00"
        );
        assert_eq!(
            format_date_range(
                at("2027-07-16T10:00:00+02:00"),
                at("2027-07-18T23:00:00+02:00"),
                BERLIN
            ),
            "16–18 July 2027"
        );
        assert_eq!(format_day_long(day("2027-07-16")), "Friday 16 July 2027");
        let (s, e) = (at("2027-07-16T07:05:00Z"), at("2027-07-16T22:30:00Z"));
        assert_eq!(format_times(s, e, BERLIN), "09:05–00:30");
    }

    #[test]
    fn zone_abbreviations_are_what_percent_z_prints() {
        let at = at("2027-01-16T12:00:00Z");
        for zone in [
            BERLIN,
            chrono_tz::America::Sao_Paulo,
            chrono_tz::Asia::Kolkata,
        ] {
            let expected = at.with_timezone(&zone).format("%Z").to_string();
            assert_eq!(zone_abbreviation(at, zone), expected);
        }
        assert_eq!(zone_abbreviation(at, chrono_tz::America::Sao_Paulo), "-03");
    }
}
