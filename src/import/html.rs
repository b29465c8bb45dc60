//! HTML in schedule texts turned into Markdown: paragraphs, line breaks,
//! lists, headings, emphasis, links and code are kept, scripts and styles
//! are dropped with their content, any other tag is dropped.

use super::text::clean;

/// Tags whose presence marks a text as HTML rather than Markdown.
const HTML_TAGS: &[&str] = &[
    "a",
    "b",
    "blockquote",
    "br",
    "center",
    "code",
    "del",
    "div",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "iframe",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "script",
    "small",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "sup",
    "table",
    "td",
    "th",
    "tr",
    "u",
    "ul",
];

/// Marks the converter's own indentation and hard line breaks until lines
/// are trimmed; [`clean`] removes control characters from the input, so
/// they cannot come from it.
const INDENT: char = '\u{1}';
const BREAK: char = '\u{2}';

/// Tags dropped together with their content.
const DROPPED: &[&str] = &[
    "script", "style", "iframe", "object", "noscript", "template", "head",
];

/// Markdown from a source text: [`clean`] Markdown or plain text stays as it
/// is; HTML is converted (paragraphs, line breaks, lists, headings,
/// emphasis, links, code) and anything else is dropped, scripts and styles
/// with their content.
pub fn markdown(text: &str) -> String {
    let text = clean(text);
    if !looks_like_html(&text) {
        return text;
    }
    let converted = html_to_markdown(&text);
    let mut out = String::with_capacity(converted.len());
    let mut blank = 0;
    for line in converted.lines() {
        // Indentation from the source is dropped (it would make code
        // blocks); the converter's own is kept.
        let line = line.trim_matches([' ', '\t']);
        if line.trim_matches([INDENT, BREAK, ' ']).is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(&line.replace(INDENT, " ").replace(BREAK, "  "));
    }
    out.trim().to_owned()
}

/// Whether `text` holds a known HTML tag such as `<p>` or `</a>` outside
/// Markdown code (`` `<script>` `` in a code span or fence is text about
/// HTML, not HTML).
fn looks_like_html(text: &str) -> bool {
    // The length of the backtick run that opened the code we are in.
    let mut code = 0;
    let mut run = 0;
    for (i, c) in text.char_indices() {
        if c == '`' {
            run += 1;
            continue;
        }
        if run > 0 {
            code = match code {
                0 => run,
                open if open == run => 0,
                open => open,
            };
            run = 0;
        }
        if c == '<'
            && code == 0
            && tag_at(&text[i..]).is_some_and(|t| HTML_TAGS.contains(&t.name.as_str()))
        {
            return true;
        }
    }
    false
}

struct Tag {
    name: String,
    closing: bool,
    /// The `href` attribute, if any.
    href: Option<String>,
    /// The tag's length in bytes.
    len: usize,
}

/// Reads a tag at the start of `text` (which begins with `<`).
fn tag_at(text: &str) -> Option<Tag> {
    let inner = &text[1..];
    let closing = inner.starts_with('/');
    let inner = inner.trim_start_matches('/');
    let name_len = inner
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(inner.len());
    if name_len == 0 || !inner.as_bytes()[0].is_ascii_alphabetic() {
        return None;
    }
    let after = inner[name_len..].chars().next()?;
    if !(after == '>' || after == '/' || after.is_whitespace()) {
        return None;
    }
    // The tag ends at the next `>`, unless a `<` comes first: then this is
    // text, and no search runs over the rest of a long text for every `<`.
    let end = 1 + text[1..].find(['<', '>'])?;
    if text.as_bytes()[end] != b'>' {
        return None;
    }
    let attrs = &text[1 + usize::from(closing) + name_len..end];
    Some(Tag {
        name: inner[..name_len].to_ascii_lowercase(),
        closing,
        href: attribute(attrs, "href"),
        len: end + 1,
    })
}

/// The value of attribute `name` in `attrs`, quoted or not.
fn attribute(attrs: &str, name: &str) -> Option<String> {
    let lower = attrs.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))? + name.len() + 1;
    let rest = &attrs[at..];
    let value = match rest.chars().next()? {
        q @ ('"' | '\'') => rest[1..].split(q).next()?,
        _ => rest.split(|c: char| c.is_whitespace() || c == '>').next()?,
    };
    Some(decode_entities(value))
}

fn html_to_markdown(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    let mut links: Vec<Option<String>> = Vec::new();
    let mut ordered: Vec<bool> = Vec::new();
    while let Some(i) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..i]));
        rest = &rest[i..];
        let Some(tag) = tag_at(rest) else {
            out.push_str("&lt;");
            rest = &rest[1..];
            continue;
        };
        rest = &rest[tag.len..];
        if DROPPED.contains(&tag.name.as_str()) && !tag.closing {
            rest = closing_tag(rest, &tag.name).map_or("", |e| &rest[e..]);
            continue;
        }
        let name = tag.name.as_str();
        let open = !tag.closing;
        match name {
            "p" | "div" | "table" | "blockquote" | "center" => out.push_str("\n\n"),
            "tr" => out.push('\n'),
            "td" | "th" if open => out.push(' '),
            "br" => {
                out.push(BREAK);
                out.push('\n');
            }
            "hr" => out.push_str("\n\n---\n\n"),
            "ul" | "ol" => {
                if open {
                    ordered.push(name == "ol");
                } else {
                    ordered.pop();
                }
                out.push_str("\n\n");
            }
            "li" if open => {
                let depth = ordered.len().saturating_sub(1);
                let marker = if ordered.last() == Some(&true) {
                    "1."
                } else {
                    "-"
                };
                out.push('\n');
                out.extend(std::iter::repeat_n(INDENT, 2 * depth));
                out.push_str(marker);
                out.push(' ');
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                out.push_str("\n\n");
                if open {
                    let level = name[1..].parse::<usize>().unwrap_or(2);
                    out.push_str(&format!("{} ", "#".repeat(level)));
                }
            }
            "b" | "strong" => out.push_str("**"),
            "i" | "em" => out.push('*'),
            "code" => out.push('`'),
            "pre" => out.push_str(if open { "\n\n```\n" } else { "\n```\n\n" }),
            "a" if open => {
                let href = tag.href.filter(|h| {
                    let h = h.to_ascii_lowercase();
                    h.starts_with("http://")
                        || h.starts_with("https://")
                        || h.starts_with("mailto:")
                });
                if href.is_some() {
                    out.push('[');
                }
                links.push(href);
            }
            "a" => {
                if let Some(Some(href)) = links.pop() {
                    out.push_str(&format!("]({href})"));
                }
            }
            _ => {}
        }
    }
    out.push_str(&decode_entities(rest));
    out
}

/// Where `</name` (any case) starts in `text`, if it does.
fn closing_tag(text: &str, name: &str) -> Option<usize> {
    text.match_indices("</").map(|(i, _)| i).find(|&i| {
        text.as_bytes()[i + 2..]
            .get(..name.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
    })
}

/// Decodes the common character references; `&lt;` and `&gt;` stay, so no
/// markup comes back.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        // A reference is short: look for its `;` in the next few bytes only.
        let end = rest.bytes().take(11).position(|b| b == b';');
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => '&',
                "quot" => '"',
                "apos" | "#39" => '\'',
                "nbsp" => ' ',
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    char::from_u32(u32::from_str_radix(&name[2..], 16).ok()?)?
                }
                _ if name.starts_with('#') => char::from_u32(name[1..].parse().ok()?)?,
                _ => return None,
            };
            (!matches!(c, '<' | '>') && (!c.is_control() || c == '\n')).then_some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_html_to_markdown() {
        assert_eq!(
            markdown(
                "XSS talk: we look at `<script>` and `<img onerror>` payloads.\n\n**Bring a laptop.**"
            ),
            "XSS talk: we look at `<script>` and `<img onerror>` payloads.\n\n**Bring a laptop.**",
            "tags in code are Markdown text"
        );
        let html = "<p>Intro with <strong>bold</strong> &amp; <a href=\"https://x.org/\">a link</a>.</p>\r\n<ul> <li>one</li> <li>two</li> </ul><script>alert(1)</script>end &lt;b&gt;";
        assert_eq!(
            markdown(html),
            "Intro with **bold** & [a link](https://x.org/).\n\n- one\n- two\n\nend &lt;b&gt;"
        );
    }

    #[test]
    fn leaves_markdown_alone() {
        let text = "A [link](https://x.org) and a < b, <https://auto.link>\r\n\r\n> quote";
        assert_eq!(
            markdown(text),
            "A [link](https://x.org) and a < b, <https://auto.link>\n\n> quote"
        );
    }

    #[test]
    fn a_stray_lt_is_text_and_dropped_tags_close_in_any_case() {
        let html = "<p>a <b <i>x</i> &amp c</p><SCRIPT>alert(1)</Script>after &amp;";
        assert_eq!(markdown(html), "a &lt;b *x* &amp c\n\nafter &");
        // Many `<` without `>`, and `&` without `;`: each is text.
        let text = format!("<p>{}</p>", "<a &x ".repeat(50_000));
        let out = markdown(&text);
        assert_eq!(out.matches("&lt;a").count(), 50_000);
    }
}
