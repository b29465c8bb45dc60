//! Line folding (RFC 5545 §3.1): content lines of at most 75 octets.
//!
//! The `icalendar` crate folds on character boundaries, but its last
//! continuation line can reach 76 octets (75 plus the leading space), so its
//! output is unfolded and folded again here.

/// Marks that should stay with the character before them when a fold can
/// go elsewhere: combining marks, zero-width joiner, variation selectors,
/// emoji modifiers and tag characters.
fn joins_previous(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F | 0x200C..=0x200D | 0xFE00..=0xFE0F | 0x1F3FB..=0x1F3FF
        | 0xE0020..=0xE007F | 0xE0100..=0xE01EF)
}

/// Whether a fold before byte `at` of `line` is a good one: it separates
/// no combining mark (or joiner, selector, modifier) from the character
/// before it, and no space or tab touches it (some readers drop whitespace
/// around a fold).
fn good_fold(line: &str, at: usize) -> bool {
    let blank = |c: char| c == ' ' || c == '\t';
    let before = line[..at].chars().next_back();
    let after = line[at..].chars().next();
    !after.is_some_and(|c| joins_previous(c) || blank(c)) && !before.is_some_and(blank)
}

/// The start of the character before byte `at`, 0 at the start.
fn previous_char(line: &str, at: usize) -> usize {
    line[..at].char_indices().next_back().map_or(0, |(i, _)| i)
}

/// Folds one unfolded content line: the first physical line holds at most
/// 75 octets, each continuation a space and at most 74. A fold never
/// splits a UTF-8 sequence; it avoids separating a combining mark (or
/// joiner, selector, modifier) from the character before it, and falling
/// next to whitespace, unless no other place on the line will do.
pub fn fold_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 37);
    push_folded(&mut out, line);
    out
}

/// Appends [`fold_line`] of `line` to `out`.
fn push_folded(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = 75;
    while rest.len() > limit {
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut good = cut;
        while good > 0 && !good_fold(rest, good) {
            good = previous_char(rest, good);
        }
        if good == 0 {
            // No good place: at least keep marks with their base character.
            good = cut;
            while good > 0 && rest[good..].chars().next().is_some_and(joins_previous) {
                good = previous_char(rest, good);
            }
        }
        if good > 0 {
            cut = good;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = 74;
    }
    out.push_str(rest);
}

/// Undoes every fold in `ics` and folds each content line again with
/// [`fold_line`]; line ends are CRLF.
pub fn refold(ics: &str) -> String {
    let mut unfolded = without(ics, "\r\n ");
    if unfolded.contains("\r\n\t") {
        unfolded = without(&unfolded, "\r\n\t");
    }
    let mut out = String::with_capacity(ics.len() + ics.len() / 37);
    let mut rest = unfolded.as_str();
    while !rest.is_empty() {
        let (line, next) = match find_crlf(rest, 0) {
            Some(at) => (&rest[..at], &rest[at + 2..]),
            None => (rest, ""),
        };
        if !line.is_empty() {
            push_folded(&mut out, line);
            out.push_str("\r\n");
        }
        rest = next;
    }
    out
}

/// The byte offset of the first CRLF in `text` at or after `from`.
fn find_crlf(text: &str, from: usize) -> Option<usize> {
    let mut from = from;
    loop {
        // `find` with a char looks for its byte with memchr.
        let at = from + text[from..].find('\r')?;
        if text.as_bytes().get(at + 1) == Some(&b'\n') {
            return Some(at);
        }
        from = at + 1;
    }
}

/// `text` with every `pattern` (CRLF and one more character) removed, left
/// to right, as `text.replace(pattern, "")` does.
fn without(text: &str, pattern: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut done, mut from) = (0, 0);
    while let Some(at) = find_crlf(text, from) {
        if text[at..].starts_with(pattern) {
            out.push_str(&text[done..at]);
            done = at + pattern.len();
            from = done;
        } else {
            from = at + 1;
        }
    }
    out.push_str(&text[done..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn physical(folded: &str) -> Vec<&str> {
        folded.split("\r\n").collect()
    }

    #[test]
    fn folds_at_75_octets_then_74_plus_the_space() {
        let line = format!("SUMMARY:{}", "a".repeat(67 + 74 + 75));
        let folded = fold_line(&line);
        let lines = physical(&folded);
        assert_eq!(
            lines.iter().map(|l| l.len()).collect::<Vec<_>>(),
            [75, 75, 75, 2]
        );
        assert_eq!(folded.replace("\r\n ", ""), line);
    }

    #[test]
    fn never_splits_a_character_or_a_mark_from_its_base() {
        for pad in 60..80 {
            for piece in ["🎪", "e\u{301}", "👩\u{200d}🔧", "👍🏽", "中"] {
                let line = format!("X:{}{}", "a".repeat(pad), piece.repeat(10));
                let folded = fold_line(&line);
                for l in physical(&folded) {
                    assert!(l.len() <= 75, "{} octets in {l:?}", l.len());
                    let body = l.strip_prefix(' ').unwrap_or(l);
                    let first = body.chars().next().unwrap();
                    assert!(!joins_previous(first), "{l:?} starts with a mark");
                }
                assert_eq!(folded.replace("\r\n ", ""), line);
            }
        }
    }

    #[test]
    fn keeps_whitespace_away_from_the_fold() {
        for pad in 0..12 {
            let line = format!(
                "DESCRIPTION:{}{}",
                "x".repeat(pad),
                "ab cd ".repeat(30) + "z"
            );
            let folded = fold_line(&line);
            for l in physical(&folded) {
                assert!(
                    l.len() <= 75 && !l.ends_with(' ') && !l.starts_with("  "),
                    "{l:?}"
                );
            }
            assert_eq!(folded.replace("\r\n ", ""), line);
        }
        let spaces = format!("X:{}", " ".repeat(200));
        assert_eq!(fold_line(&spaces).replace("\r\n ", ""), spaces);
    }

    #[test]
    fn folds_a_run_of_marks_when_it_must() {
        let line = format!("X:a{}", "\u{301}".repeat(100));
        let folded = fold_line(&line);
        assert!(physical(&folded).iter().all(|l| l.len() <= 75));
        assert_eq!(folded.replace("\r\n ", ""), line);
    }

    /// [`refold`] as whole-string replaces and a split say it.
    fn refold_by_replace(ics: &str) -> String {
        let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "");
        let mut out = String::new();
        for line in unfolded.split("\r\n").filter(|l| !l.is_empty()) {
            out.push_str(&fold_line(line));
            out.push_str("\r\n");
        }
        out
    }

    #[test]
    fn refold_unfolds_as_replace_does() {
        for ics in [
            "",
            "\r\n",
            "A:b\r\n c\r\n\td\r\n",
            "\r\r\n \n\tX\r",
            "A\r\n\r\n B\r\n \r\n\t\r\nC",
            "x\ry\nz\r\n\r\n\r\n",
        ] {
            assert_eq!(refold(ics), refold_by_replace(ics), "{ics:?}");
        }
        let long = format!("DESCRIPTION:{}\r\n", "ab, cd\r\n ef".repeat(40));
        assert_eq!(refold(&long), refold_by_replace(&long));
    }

    proptest::proptest! {
        #[test]
        fn refold_matches_replace_on_any_line_breaks(ics in "[\r\n \tab]{0,40}") {
            proptest::prop_assert_eq!(refold(&ics), refold_by_replace(&ics));
        }
    }

    #[test]
    fn refolds_the_crates_76_octet_line() {
        let line = format!("SUMMARY:{}", "x".repeat(67 + 75));
        let crate_style = format!("{}\r\n {}\r\n", &line[..75], &line[75..]);
        assert_eq!(physical(&crate_style)[1].len(), 76);
        let refolded = refold(&crate_style);
        assert!(physical(&refolded).iter().all(|l| l.len() <= 75));
        assert_eq!(refolded.replace("\r\n ", ""), format!("{line}\r\n"));
    }
}
