//! The HTTP side of serve: a site directory's files with the right
//! `Content-Type`, `Cache-Control`, `ETag` (304 on `If-None-Match`),
//! `Last-Modified`, `HEAD`, a 404 page, a `Content-Security-Policy`, and no
//! path that leads outside the site.

use std::collections::HashMap;
use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use tiny_http::{Header, Method, Request, Response, StatusCode};

/// The policy every answer carries: only the site's own scripts, styles,
/// images and connections; no plugins, frames or forms elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Where serve's own files live; no site path starts with it.
pub const OWN_PREFIX: &str = "/_pandafest/";

/// The hook added to pages while they are served (never to built files).
pub const LIVE_HOOK: &str = "<script src=\"/_pandafest/live.js\"></script>";

/// Why a request path was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum PathRefusal {
    /// Not `/`-rooted, a bad escape, a `.` or `..` segment, an escaped `/`
    /// or `\`, a NUL byte, or an empty segment.
    Bad(String),
    /// It resolves (through a symlink) outside the site.
    Outside,
}

/// The site path a request URL names, as segments: percent escapes
/// decoded (UTF-8), the query dropped.
///
/// Errors: [`PathRefusal::Bad`] for anything that could climb out of the
/// site or name something else than it seems.
pub fn url_segments(url: &str) -> Result<(Vec<String>, bool), PathRefusal> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let bad = |why: &str| Err(PathRefusal::Bad(format!("{path}: {why}")));
    let Some(rest) = path.strip_prefix('/') else {
        return bad("not an absolute path");
    };
    let directory = rest.is_empty() || rest.ends_with('/');
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let mut segments = Vec::new();
    if rest.is_empty() {
        return Ok((segments, true));
    }
    for raw in rest.split('/') {
        let Some(bytes) = percent_decode(raw) else {
            return bad("a bad percent escape");
        };
        let Ok(segment) = String::from_utf8(bytes) else {
            return bad("not UTF-8");
        };
        if segment.is_empty() {
            return bad("an empty segment");
        }
        if segment == "." || segment == ".." {
            return bad("a dot segment");
        }
        if segment.contains(['/', '\\', '\0']) {
            return bad("an escaped separator or NUL");
        }
        segments.push(segment);
    }
    Ok((segments, directory))
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The `Content-Type` of a site file, by its extension, with a charset for
/// text.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json; charset=utf-8",
        Some("xml") => "application/xml; charset=utf-8",
        Some("ics") => "text/calendar; charset=utf-8",
        Some("svg") => "image/svg+xml; charset=utf-8",
        Some("txt") | Some("md") => "text/plain; charset=utf-8",
        Some("toml") => "application/toml; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The `Cache-Control` of a site file: the screen's data is never stored;
/// everything else is checked again each time (its `ETag` makes that a
/// 304).
pub fn cache_control(path: &str) -> &'static str {
    match path {
        crate::screen::DATA_PATH | crate::screen::VERSION_PATH => "no-store",
        _ => "no-cache",
    }
}

/// An HTTP date (RFC 9110, IMF-fixdate).
pub fn http_date(at: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(at)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// The files of the site directory being served, with their ETags: the
/// BLAKE3 of their bytes, kept while a file's size and modification time
/// stay.
#[derive(Debug)]
pub struct SiteFiles {
    root: PathBuf,
    etags: Mutex<HashMap<PathBuf, (u64, SystemTime, String)>>,
}

/// One file to answer with.
struct Found {
    rel: String,
    bytes: Vec<u8>,
    etag: String,
    modified: SystemTime,
}

impl SiteFiles {
    /// The site at `root` (it may not exist yet).
    pub fn new(root: PathBuf) -> SiteFiles {
        SiteFiles {
            root,
            etags: Mutex::new(HashMap::new()),
        }
    }

    /// The site directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file `segments` name (a directory's `index.html`), if it is a
    /// file inside the site once symlinks are resolved.
    fn find(&self, segments: &[String], directory: bool) -> Result<Option<Found>, PathRefusal> {
        let mut path = self.root.clone();
        path.extend(segments);
        let mut rel = segments.join("/");
        if directory || path.is_dir() {
            path.push("index.html");
            rel = match rel.is_empty() {
                true => "index.html".into(),
                false => format!("{rel}/index.html"),
            };
        }
        let (Ok(root), Ok(full)) = (self.root.canonicalize(), path.canonicalize()) else {
            return Ok(None);
        };
        if !full.starts_with(&root) {
            return Err(PathRefusal::Outside);
        }
        let Ok(meta) = fs::metadata(&full) else {
            return Ok(None);
        };
        if !meta.is_file() {
            return Ok(None);
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let Ok(bytes) = fs::read(&full) else {
            return Ok(None);
        };
        let mut etags = self.etags.lock().expect("not poisoned");
        let etag = match etags.get(&full) {
            Some((len, at, etag)) if *len == meta.len() && *at == modified => etag.clone(),
            _ => {
                let etag = format!("\"{}\"", &blake3::hash(&bytes).to_hex()[..20]);
                etags.insert(full, (meta.len(), modified, etag.clone()));
                etag
            }
        };
        Ok(Some(Found {
            rel,
            bytes,
            etag,
            modified,
        }))
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

/// The headers every answer carries.
fn common_headers() -> Vec<Header> {
    vec![
        header("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        header("X-Content-Type-Options", "nosniff"),
        header("Referrer-Policy", "no-referrer"),
    ]
}

/// An answer with `status`, `body` and `content_type`.
pub fn plain(status: u16, content_type: &str, body: Vec<u8>) -> Response<Cursor<Vec<u8>>> {
    let mut response = Response::from_data(body).with_status_code(StatusCode(status));
    for h in common_headers() {
        response.add_header(h);
    }
    response.with_header(header("Content-Type", content_type))
}

/// The 404 page.
pub fn not_found(what: &str) -> Response<Cursor<Vec<u8>>> {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Not found</title></head>\n<body>\n<h1>Not found</h1>\n<p>This site has no page at <code>{}</code>. See <a href=\"/\">the festival's home page</a>.</p>\n</body>\n</html>\n",
        escape_html(what)
    );
    plain(404, "text/html; charset=utf-8", body.into_bytes())
        .with_header(header("Cache-Control", "no-store"))
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Whether `If-None-Match` (a list of ETags, or `*`) holds `etag`; weak
/// tags compare as their strong selves.
fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// Answers a GET or HEAD of a site file; other methods get 405. With
/// `live`, HTML pages get [`LIVE_HOOK`] before `</body>` (their ETag then
/// differs from the file's). Errors writing to the client are ignored: it
/// went away.
pub fn answer(files: &SiteFiles, request: Request, live: bool) {
    let method = request.method().clone();
    if method != Method::Get && method != Method::Head {
        let response = plain(
            405,
            "text/plain; charset=utf-8",
            b"only GET and HEAD\n".to_vec(),
        )
        .with_header(header("Allow", "GET, HEAD"));
        let _ = request.respond(response);
        return;
    }
    let url = request.url().to_owned();
    let found = url_segments(&url).and_then(|(segments, directory)| {
        let found = files.find(&segments, directory)?;
        // A directory without its slash: send the browser to it, so that
        // relative links resolve.
        let bare_directory = found.as_ref().is_some_and(|found| {
            !directory
                && found.rel.ends_with("index.html")
                && segments.last().is_none_or(|s| s != "index.html")
        });
        if bare_directory {
            return Ok(Some(Err(format!("/{}/", segments.join("/")))));
        }
        Ok(found.map(Ok))
    });
    let response = match found {
        Err(PathRefusal::Bad(why)) => {
            tracing::info!("refused {why}");
            plain(400, "text/plain; charset=utf-8", b"bad path\n".to_vec())
        }
        Err(PathRefusal::Outside) => {
            tracing::warn!("refused {url}: it leads outside the site");
            not_found(&url)
        }
        Ok(None) => not_found(&url),
        Ok(Some(Err(location))) => plain(301, "text/plain; charset=utf-8", Vec::new())
            .with_header(header("Location", &location)),
        Ok(Some(Ok(found))) => file_response(found, &request, live),
    };
    let _ = request.respond(response);
}

fn file_response(found: Found, request: &Request, live: bool) -> Response<Cursor<Vec<u8>>> {
    let html = found.rel.ends_with(".html");
    let (bytes, etag) = match live && html {
        true => (
            with_hook(&found.bytes),
            format!("{}-live\"", found.etag.trim_end_matches('"')),
        ),
        false => (found.bytes, found.etag),
    };
    let cache = cache_control(&found.rel);
    let if_none_match = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("If-None-Match"))
        .map(|h| h.value.as_str().to_owned());
    let meta = [
        header("ETag", &etag),
        header("Last-Modified", &http_date(found.modified)),
        header("Cache-Control", cache),
    ];
    let response = match if_none_match.is_some_and(|v| matches(&v, &etag)) {
        true => {
            let mut response = Response::from_data(Vec::new()).with_status_code(StatusCode(304));
            for h in common_headers() {
                response.add_header(h);
            }
            response
        }
        false => plain(200, content_type(&found.rel), bytes),
    };
    meta.into_iter().fold(response, |r, h| r.with_header(h))
}

/// `html` with [`LIVE_HOOK`] before its last `</body>` (at the end when
/// it has none).
pub fn with_hook(html: &[u8]) -> Vec<u8> {
    let at = html
        .windows(7)
        .rposition(|w| w.eq_ignore_ascii_case(b"</body>"))
        .unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + LIVE_HOOK.len() + 1);
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(LIVE_HOOK.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&html[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_climb_out_or_hide_what_they_name() {
        for url in [
            "/..",
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/etc/passwd",
            "/%2E%2e%2fetc",
            "/a%2f..%2f..%2fb",
            "/a%5c..%5cb",
            "/a%00.html",
            "/./index.html",
            "//etc/passwd",
            "/a//b",
            "/%zz",
            "/%ff",
            "relative",
        ] {
            assert!(
                matches!(url_segments(url), Err(PathRefusal::Bad(_))),
                "{url}"
            );
        }
        assert_eq!(
            url_segments("/events/a%20b/?x=1"),
            Ok((vec!["events".into(), "a b".into()], true))
        );
        assert_eq!(url_segments("/"), Ok((vec![], true)));
        assert_eq!(
            url_segments("/schedule.xml"),
            Ok((vec!["schedule.xml".into()], false))
        );
    }

    #[test]
    fn the_hook_goes_before_the_last_body_end() {
        assert_eq!(
            with_hook(b"<p></body></BODY>"),
            format!("<p></body>{LIVE_HOOK}\n</BODY>").into_bytes()
        );
        assert_eq!(with_hook(b"x"), format!("x{LIVE_HOOK}\n").into_bytes());
    }

    #[test]
    fn etags_match_lists_weak_tags_and_stars() {
        assert!(matches("\"a\", W/\"b\"", "\"b\""));
        assert!(matches("*", "\"b\""));
        assert!(!matches("\"a\"", "\"b\""));
    }
}
