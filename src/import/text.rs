//! Text from schedules: line endings and control characters, cutting to
//! the field limits, iCalendar TEXT escapes.

/// Trims, turns CRLF and CR into LF and removes control characters other
/// than newline and tab.
pub fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .trim()
        .to_owned()
}

/// One line of text: [`clean`], with runs of whitespace made one space.
pub fn one_line(text: &str) -> String {
    clean(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts `text` to at most `limit` bytes at a character boundary, ending in
/// `…`. Returns the text and whether it was cut.
pub fn fit(text: String, limit: usize) -> (String, bool) {
    if text.len() <= limit {
        return (text, false);
    }
    let mut end = limit.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (format!("{}…", text[..end].trim_end()), true)
}

/// Unescapes an iCalendar TEXT value (RFC 5545 3.3.11): `\n`, `\N`, `\,`,
/// `\;` and `\\`.
pub fn unescape_ical(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_a_character_boundary() {
        let (cut, was_cut) = fit("äääää".into(), 7);
        assert!(was_cut);
        assert!(cut.len() <= 7, "{cut}");
        assert_eq!(cut, "ää…");
        assert_eq!(fit("short".into(), 7), ("short".into(), false));
    }

    #[test]
    fn unescapes_ical_text() {
        assert_eq!(unescape_ical(r"a\, b\; c\nd\\e"), "a, b; c\nd\\e");
    }
}
