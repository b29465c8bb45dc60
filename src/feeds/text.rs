//! Plain text for feeds: Markdown flattened, control characters removed,
//! slugs and URIs that the schedule schemas accept.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// Removes control characters other than newline and tab, and the
/// noncharacters U+FFFE and U+FFFF (not allowed in XML 1.0), and turns CRLF
/// and lone CR into newlines, so a value can be written to any feed.
pub fn clean_text(text: &str) -> String {
    if is_clean(text) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                out.push('\n');
                chars.next_if_eq(&'\n');
            }
            '\n' | '\t' => out.push(c),
            '\u{FFFE}' | '\u{FFFF}' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether [`clean_text`] leaves `text` as it is: it holds no CR, no
/// control character but newline and tab (C0, DEL, C1) and no U+FFFE or
/// U+FFFF. Looks at bytes, not characters.
fn is_clean(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Most text is printable ASCII, newlines and tabs: checked in blocks
    // without a branch per byte.
    let plain = |b: &u8| (0x20..0x7F).contains(b) || *b == b'\n' || *b == b'\t';
    if bytes
        .chunks(64)
        .all(|block| block.iter().fold(true, |all, b| all & plain(b)))
    {
        return true;
    }
    bytes.iter().enumerate().all(|(at, byte)| match byte {
        b'\n' | b'\t' => true,
        0..0x20 | 0x7F => false,
        0xC2 => !matches!(bytes.get(at + 1), Some(0x80..=0x9F)),
        0xEF => !matches!(bytes[at + 1..], [0xBF, 0xBE | 0xBF, ..]),
        _ => true,
    })
}

/// Whether [`one_line`] leaves `text` as it is: printable ASCII with
/// single spaces between words.
fn is_one_line(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().all(|b| (0x20..0x7F).contains(b))
        && bytes.first() != Some(&b' ')
        && bytes.last() != Some(&b' ')
        && !text.contains("  ")
}

/// [`clean_text`] on one line: runs of whitespace (newlines included) become
/// one space, and the ends are trimmed. For titles, names and tags.
pub fn one_line(text: &str) -> String {
    if is_one_line(text) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        match c {
            // What clean_text keeps or makes of them: whitespace.
            '\r' | '\n' | '\t' => space = !out.is_empty(),
            // What clean_text removes: it joins what is around it.
            '\u{FFFE}' | '\u{FFFF}' => {}
            c if c.is_control() => {}
            c if c.is_whitespace() => space = !out.is_empty(),
            c => {
                if space {
                    out.push(' ');
                    space = false;
                }
                out.push(c);
            }
        }
    }
    out
}

/// The Markdown `markdown` as the schedule exports carry it: as it is
/// (frab and pretalx descriptions are Markdown, and apps show them so), when
/// it holds no raw HTML and every link and image goes to an http, https or
/// mailto URL; else flattened with [`markdown_to_text`], so no raw HTML or
/// script URL from the logs reaches an app that might render it. Control
/// characters are removed ([`clean_text`]) and the end is trimmed.
pub fn markdown_for_apps(markdown: &str) -> String {
    let safe_url = |url: &str| {
        let lower = url.trim().to_ascii_lowercase();
        ["https://", "http://", "mailto:"]
            .iter()
            .any(|s| lower.starts_with(s))
    };
    let safe = Parser::new(markdown).all(|event| match event {
        Event::Html(_) | Event::InlineHtml(_) => false,
        Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
            safe_url(&dest_url)
        }
        _ => true,
    });
    if safe {
        clean_text(markdown.trim())
    } else {
        markdown_to_text(markdown)
    }
}

/// Flattens Markdown into plain text: paragraphs and list items on their
/// own lines, http(s) and mailto link targets in angle brackets after the
/// link text; no markup, and raw HTML is dropped.
pub fn markdown_to_text(markdown: &str) -> String {
    let mut out = String::new();
    let mut links = Vec::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(text) | Event::Code(text) => out.push_str(&text),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Item) => out.push_str("- "),
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url),
            Event::End(TagEnd::Link) => {
                let url = links.pop().map(|u| u.to_string()).unwrap_or_default();
                let lower = url.to_ascii_lowercase();
                if ["https://", "http://", "mailto:"]
                    .iter()
                    .any(|s| lower.starts_with(s))
                {
                    out.push_str(" <");
                    out.push_str(&url);
                    out.push('>');
                }
            }
            Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_) | TagEnd::CodeBlock,
            ) if !out.ends_with('\n') => out.push('\n'),
            Event::End(TagEnd::List(_) | TagEnd::BlockQuote(_)) => out.push('\n'),
            _ => {}
        }
    }
    clean_text(out.trim_end())
}

/// Lowercase ASCII letters and digits of `text`, every other run of
/// characters turned into one `separator`, trimmed, at most `max` bytes:
/// `"Rust for Boats!"` -> `"rust-for-boats"`. May be empty.
pub fn slugify(text: &str, separator: char, max: usize) -> String {
    let mut slug = String::new();
    // Adds one lowercase character; false when the slug is full.
    let mut add = |c: char| {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if slug.len() >= max {
                return false;
            }
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with(separator) {
            slug.push(separator);
        }
        true
    };
    for c in text.chars() {
        // ASCII lowercases to itself, without the Unicode tables.
        let more = match c.is_ascii() {
            true => add(c.to_ascii_lowercase()),
            false => c.to_lowercase().all(&mut add),
        };
        if !more {
            break;
        }
    }
    slug.trim_end_matches(separator).to_owned()
}

/// `url` with every byte that RFC 3986 does not allow in a URI (spaces,
/// quotes, angle brackets, non-ASCII) percent-encoded, so that it passes as
/// `format: uri` and `xs:anyURI`. Existing `%XX` escapes stay as they are;
/// a `%` not followed by two hex digits becomes `%25`.
pub fn uri_escape(url: &str) -> String {
    const ALLOWED: &[u8] = b"-._~:/?#[]@!$&'()*+,;=";
    let bytes = url.as_bytes();
    let mut out = String::with_capacity(url.len());
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = byte == b'%'
            && bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        if byte.is_ascii_alphanumeric() || ALLOWED.contains(&byte) || escape {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The base URL of a site as `https://host/path/` (one trailing slash),
/// when `base_url` is an absolute http or https URL; `None` otherwise, as
/// the frab XSD wants `https?://` URLs.
pub fn http_base(base_url: Option<&str>) -> Option<String> {
    let base = base_url?.trim();
    let lower = base.to_ascii_lowercase();
    let ok = lower.starts_with("https://") || lower.starts_with("http://");
    (ok && base.len() > "https://".len())
        .then(|| format!("{}/", uri_escape(base.trim_end_matches('/'))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_markdown() {
        let text = markdown_to_text("Bring **tools**.\n\n- a [kit](https://example.org)\n- tea");
        assert_eq!(text, "Bring tools.\n- a kit <https://example.org>\n- tea");
    }

    #[test]
    fn drops_html_and_unsafe_link_targets() {
        let text = markdown_to_text(
            "a <img src=x onerror=alert(1)> [x](javascript:alert(1)) <b>b</b>\n\n<script>alert(1)</script>",
        );
        assert_eq!(text, "a  x b");
    }

    #[test]
    fn removes_control_characters() {
        assert_eq!(
            clean_text("a\u{7}b\r\nc\u{1b}[31m\u{FFFF}\u{85}"),
            "ab\nc[31m"
        );
        assert_eq!(one_line(" a\n\tb  c\u{0}\r\n"), "a b c");
    }

    proptest::proptest! {
        #[test]
        fn one_line_is_clean_text_with_whitespace_runs_joined(
            text in "[ a\t\n\r\u{0}\u{7}\u{b}\u{1f}\u{7f}\u{85}\u{a0}\u{2028}\u{3000}\u{fffe}\u{ffff}é]{0,24}"
        ) {
            let joined = clean_text(&text).split_whitespace().collect::<Vec<_>>().join(" ");
            proptest::prop_assert_eq!(one_line(&text), joined);
        }

        #[test]
        fn clean_text_removes_and_turns_as_replace_does(
            text in "[ a\t\n\r\u{0}\u{7}\u{1f}\u{7f}\u{80}\u{85}\u{9f}\u{a0}\u{fffd}\u{fffe}\u{ffff}é]{0,24}"
        ) {
            let reference: String = text
                .replace("\r\n", "\n")
                .replace('\r', "\n")
                .chars()
                .filter(|c| {
                    (!c.is_control() || *c == '\n' || *c == '\t')
                        && !matches!(c, '\u{FFFE}' | '\u{FFFF}')
                })
                .collect();
            proptest::prop_assert_eq!(clean_text(&text), reference);
        }
    }

    #[test]
    fn markdown_for_apps_keeps_markdown_and_flattens_html_and_script_links() {
        let plain = "Bring **tools**; see [notes](https://notes.example/a).\n\n- one\n- two";
        assert_eq!(markdown_for_apps(plain), plain);
        assert_eq!(
            markdown_for_apps("Hi <script>alert(1)</script> **there**"),
            "Hi alert(1) there"
        );
        assert_eq!(
            markdown_for_apps("[click](javascript:alert(1)) *now*"),
            "click now"
        );
    }

    #[test]
    fn makes_slugs() {
        assert_eq!(
            slugify("Rust for Boats! (2027)", '-', 64),
            "rust-for-boats-2027"
        );
        assert_eq!(slugify("Øl & Ähre", '_', 64), "l_hre");
        assert_eq!(slugify("🎪🎪", '-', 64), "");
        assert_eq!(slugify("abc def ghi", '-', 5), "abc-d");
        assert_eq!(slugify("abcd efgh", '-', 5), "abcd");
    }

    #[test]
    fn escapes_what_a_uri_cannot_hold() {
        assert_eq!(
            uri_escape("https://ex.org/a b/\"ü\"?q=1%20"),
            "https://ex.org/a%20b/%22%C3%BC%22?q=1%20"
        );
        assert_eq!(
            uri_escape("https://ex.org/100%/x%2"),
            "https://ex.org/100%25/x%252"
        );
        assert_eq!(
            http_base(Some("https://fest.example/2027/")).as_deref(),
            Some("https://fest.example/2027/")
        );
        assert_eq!(http_base(Some("file:///srv/site")), None);
        assert_eq!(http_base(None), None);
    }
}
