//! Plain text for feeds: Markdown flattened, control characters removed.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// Removes control characters other than newline and tab, and turns CRLF
/// and lone CR into newlines, so a value can be written to any feed.
pub fn clean_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// Flattens Markdown into plain text: paragraphs and list items on their
/// own lines, link targets in angle brackets after the link text, no markup.
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
                if let Some(url) = links.pop() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_markdown() {
        let text = markdown_to_text("Bring **tools**.\n\n- a [kit](https://example.org)\n- tea");
        assert_eq!(text, "Bring tools.\n- a kit <https://example.org>\n- tea");
    }

    #[test]
    fn removes_control_characters() {
        assert_eq!(clean_text("a\u{7}b\r\nc\u{1b}[31m"), "ab\nc[31m");
    }
}
