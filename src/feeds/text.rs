//! Plain text for feeds: Markdown flattened, control characters removed,
//! slugs and URIs that the schedule schemas accept.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// Removes control characters other than newline and tab, and the
/// noncharacters U+FFFE and U+FFFF (not allowed in XML 1.0), and turns CRLF
/// and lone CR into newlines, so a value can be written to any feed.
pub fn clean_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| {
            (!c.is_control() || *c == '\n' || *c == '\t') && !matches!(c, '\u{FFFE}' | '\u{FFFF}')
        })
        .collect()
}

/// [`clean_text`] on one line: runs of whitespace (newlines included) become
/// one space, and the ends are trimmed. For titles, names and tags.
pub fn one_line(text: &str) -> String {
    clean_text(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
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
                    out.push_str(&format!(" <{url}>"));
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
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if slug.len() >= max {
                break;
            }
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with(separator) {
            slug.push(separator);
        }
    }
    slug.trim_end_matches(separator).to_owned()
}

/// `url` with every byte that RFC 3986 does not allow in a URI (spaces,
/// quotes, angle brackets, non-ASCII) percent-encoded, so that it passes as
/// `format: uri` and `xs:anyURI`. Existing `%XX` escapes stay as they are.
pub fn uri_escape(url: &str) -> String {
    const ALLOWED: &[u8] = b"-._~:/?#[]@!$&'()*+,;=%";
    let mut out = String::with_capacity(url.len());
    for byte in url.bytes() {
        if byte.is_ascii_alphanumeric() || ALLOWED.contains(&byte) {
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
            http_base(Some("https://fest.example/2027/")).as_deref(),
            Some("https://fest.example/2027/")
        );
        assert_eq!(http_base(Some("file:///srv/site")), None);
        assert_eq!(http_base(None), None);
    }
}
