//! Markdown from the logs -> safe HTML: pulldown-cmark (CommonMark with
//! tables and strikethrough), then ammonia, because log content comes from
//! strangers.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The sanitizer: no script, style, iframe, form or image; no event
/// handlers; URLs only http, https and mailto, never relative; every link
/// gets `rel="noopener noreferrer nofollow"`.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .rm_tags(["img", "area", "map", "nav", "header", "footer"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer nofollow"));
    builder
});

/// Renders Markdown `text` as sanitized HTML.
///
/// Headings move down two levels (`#` becomes `<h3>`), so a description
/// fits under the page's own headings, and images become links to the
/// image, so that nothing is loaded from outside the site.
pub fn to_html(text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(text, options).map(|event| match event {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: shift(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(shift(level))),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    });
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    SANITIZER.clean(&html).to_string()
}

/// Renders plain text (a bio, a note) as escaped paragraphs, one per
/// blank-line-separated block; single line breaks become `<br>`.
pub fn plain_to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::new();
    for block in text.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        out.push_str("<p>");
        let lines: Vec<String> = block.lines().map(escape).collect();
        out.push_str(&lines.join("<br>\n"));
        out.push_str("</p>\n");
    }
    out
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and quoted attributes.
pub fn escape(text: &str) -> String {
    let bytes = text.as_bytes();
    let special = |b: &u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'');
    let Some(first) = bytes.iter().position(special) else {
        return text.to_owned();
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    let mut start = first;
    for (i, b) in bytes.iter().enumerate().skip(first) {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // Only ASCII bytes are special, so `i` is a character boundary.
        out.push_str(&text[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out
}

fn shift(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_inert(html: &str) {
        let lower = html.to_ascii_lowercase();
        for bad in [
            "<script",
            "javascript:",
            "onerror",
            "onload",
            "onclick",
            "<iframe",
            "<svg",
            "<img",
            "<style",
            "<object",
            "<embed",
            "<form",
            "vbscript:",
            "data:",
        ] {
            assert!(!lower.contains(bad), "`{bad}` in {html}");
        }
    }

    #[test]
    fn renders_markdown() {
        assert_eq!(
            to_html("Hello **lake**\n\n- one\n- two"),
            "<p>Hello <strong>lake</strong></p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        );
    }

    #[test]
    fn strips_script_tags_and_their_content() {
        let html = to_html("before <script>alert(1)</script> after");
        assert_eq!(html, "<p>before  after</p>\n");
    }

    #[test]
    fn strips_event_handlers() {
        let html = to_html("<img src=x onerror=alert(1)> <b onclick=\"alert(1)\">bold</b>");
        assert_inert(&html);
        assert_eq!(html, "<p> <b>bold</b></p>\n");
    }

    #[test]
    fn drops_javascript_urls() {
        for text in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](  javascript:alert(1))",
            "[x](java\tscript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
            "[x](vbscript:msgbox(1))",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        ] {
            let html = to_html(text);
            assert_inert(&html);
            assert!(
                html.contains(">x</a>") || html.contains("[x]"),
                "{text} -> {html}"
            );
        }
    }

    #[test]
    fn strips_iframes_svg_and_style() {
        let html = to_html(
            "\"><svg onload=alert(1)>\n\n<iframe src=\"https://evil.example\"></iframe>\n\n<style>body{display:none}</style>\n\n<object data=x></object>",
        );
        assert_inert(&html);
    }

    #[test]
    fn links_get_rel_and_keep_http_urls() {
        let html = to_html("[notes](https://notes.example.org/a?b=1&c=2) <mailto:ada@example.org>");
        assert_eq!(
            html,
            "<p><a href=\"https://notes.example.org/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\">notes</a> \
             <a href=\"mailto:ada@example.org\" rel=\"noopener noreferrer nofollow\">mailto:ada@example.org</a></p>\n"
        );
    }

    #[test]
    fn relative_links_lose_their_target() {
        let html = to_html("[home](../../index.html)");
        assert_eq!(
            html,
            "<p><a rel=\"noopener noreferrer nofollow\">home</a></p>\n"
        );
    }

    #[test]
    fn images_become_links() {
        let html = to_html("![a lake](https://example.org/lake.png)");
        assert_eq!(
            html,
            "<p><a href=\"https://example.org/lake.png\" rel=\"noopener noreferrer nofollow\">a lake</a></p>\n"
        );
    }

    #[test]
    fn headings_move_down_two_levels() {
        assert_eq!(to_html("# Big\n## Less"), "<h3>Big</h3>\n<h4>Less</h4>\n");
    }

    #[test]
    fn escapes_html_special_characters() {
        assert_eq!(escape("plain ünïcode"), "plain ünïcode");
        assert_eq!(
            escape(r#"<a href="x">Tom & Jerry's</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(escape("ä&ö"), "ä&amp;ö");
    }

    #[test]
    fn plain_text_is_escaped() {
        assert_eq!(
            plain_to_html("<script>alert(1)</script>\nline two\n\nnext"),
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;<br>\nline two</p>\n<p>next</p>\n"
        );
    }
}
