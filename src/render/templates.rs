//! tera templates: built in (compiled from `templates/`), overridable file
//! by file by a theme's `templates/` and then by the festival directory's
//! `templates/`; and the theme's stylesheet.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use tera::Tera;

use super::RenderError;

/// The built-in templates, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    (
        "components.html",
        include_str!("../../templates/components.html"),
    ),
    ("forked.html", include_str!("../../templates/forked.html")),
    (
        "event_row.html",
        include_str!("../../templates/event_row.html"),
    ),
    ("index.html", include_str!("../../templates/index.html")),
    (
        "schedule.html",
        include_str!("../../templates/schedule.html"),
    ),
    ("day.html", include_str!("../../templates/day.html")),
    ("event.html", include_str!("../../templates/event.html")),
    (
        "resource.html",
        include_str!("../../templates/resource.html"),
    ),
    ("person.html", include_str!("../../templates/person.html")),
    (
        "festival.html",
        include_str!("../../templates/festival.html"),
    ),
    ("people.html", include_str!("../../templates/people.html")),
    (
        "resources.html",
        include_str!("../../templates/resources.html"),
    ),
    (
        "redirect.html",
        include_str!("../../templates/redirect.html"),
    ),
];

/// The default theme's stylesheet, written to `style.css`.
pub const DEFAULT_STYLE: &str = include_str!("../../themes/default/style.css");

/// The loaded templates and stylesheet.
#[derive(Debug)]
pub struct Templates {
    tera: Tera,
    style: Vec<u8>,
    /// Where each overridden template came from, for error messages.
    origins: BTreeMap<String, PathBuf>,
}

impl Templates {
    /// Loads the built-in templates, then every `.html` file under
    /// `theme_dir/templates/` and under `templates_dir` (the later one wins
    /// for a name). The stylesheet is `theme_dir/style.css` if there is one.
    ///
    /// Errors: [`RenderError::Io`] if a file cannot be read,
    /// [`RenderError::Templates`] if a template does not parse.
    pub fn load(
        theme_dir: Option<&Path>,
        templates_dir: Option<&Path>,
    ) -> Result<Templates, RenderError> {
        let (sources, origins) = template_sources(theme_dir, templates_dir)?;
        let mut tera = Tera::new();
        // tera's own escaping: `&`, `<`, `>`, `"` and `'`, as `markdown::escape`.
        tera.autoescape_on([".html"]);
        tera.add_raw_templates(sources).map_err(|source| {
            let overrides = origins
                .values()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>();
            RenderError::Templates {
                what: if overrides.is_empty() {
                    "the built-in templates".into()
                } else {
                    format!("the templates with overrides from {}", overrides.join(", "))
                },
                source,
            }
        })?;
        let style = read_style(theme_dir)?;
        Ok(Templates {
            tera,
            style,
            origins,
        })
    }

    /// Renders the template `name` for the page at `page`.
    ///
    /// Errors: [`RenderError::Page`] naming the page and the template file.
    pub fn render(
        &self,
        name: &str,
        context: &tera::Context,
        page: &str,
    ) -> Result<String, RenderError> {
        self.tera
            .render(name, context)
            .map_err(|source| self.page_error(name, page, source))
    }

    /// Renders the template `name` for the page at `page` into `out`.
    ///
    /// Errors: [`RenderError::Page`] naming the page and the template file;
    /// a failed write is its cause.
    pub fn render_to(
        &self,
        name: &str,
        context: &tera::Context,
        page: &str,
        out: &mut dyn std::io::Write,
    ) -> Result<(), RenderError> {
        self.tera
            .render_to(name, context, out)
            .map_err(|source| self.page_error(name, page, source))
    }

    fn page_error(&self, name: &str, page: &str, source: tera::Error) -> RenderError {
        RenderError::Page {
            page: page.to_owned(),
            template: self
                .origins
                .get(name)
                .map_or_else(|| format!("{name} (built in)"), |p| p.display().to_string()),
            source,
        }
    }

    /// The stylesheet's bytes.
    pub fn style(&self) -> &[u8] {
        &self.style
    }
}

/// The effective template sources by name (built-ins, then the theme's,
/// then the festival's own), and where each override came from.
#[allow(clippy::type_complexity)]
fn template_sources(
    theme_dir: Option<&Path>,
    templates_dir: Option<&Path>,
) -> Result<(BTreeMap<String, String>, BTreeMap<String, PathBuf>), RenderError> {
    let mut sources: BTreeMap<String, String> = BUILTIN
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    let mut origins = BTreeMap::new();
    let theme_templates = theme_dir.map(|d| d.join("templates"));
    for dir in [theme_templates.as_deref(), templates_dir]
        .into_iter()
        .flatten()
    {
        read_overrides(dir, &mut sources, &mut origins)?;
    }
    Ok((sources, origins))
}

/// The theme's `style.css`, or the default stylesheet.
fn read_style(theme_dir: Option<&Path>) -> Result<Vec<u8>, RenderError> {
    match theme_dir.map(|d| d.join("style.css")) {
        Some(path) if path.is_file() => fs::read(&path).map_err(|source| RenderError::Io {
            path: path.clone(),
            source,
        }),
        _ => Ok(DEFAULT_STYLE.as_bytes().to_vec()),
    }
}

/// A BLAKE3 hash (64 hex digits) of everything the theme contributes: each
/// effective template's name and text, and the stylesheet. Two builds with
/// the same fingerprint use the same theme.
///
/// Errors: [`RenderError::Io`] if an override cannot be read.
pub fn theme_fingerprint(
    theme_dir: Option<&Path>,
    templates_dir: Option<&Path>,
) -> Result<String, RenderError> {
    let (sources, _) = template_sources(theme_dir, templates_dir)?;
    let mut hasher = blake3::Hasher::new();
    for (name, text) in &sources {
        for part in [name.as_bytes(), text.as_bytes()] {
            hasher.update(&(part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
    }
    let style = read_style(theme_dir)?;
    hasher.update(&(style.len() as u64).to_be_bytes());
    hasher.update(&style);
    Ok(hasher.finalize().to_hex().to_string())
}

/// Reads every `.html` file under `dir` (if it exists) as a template named
/// by its `/`-separated path relative to `dir`.
fn read_overrides(
    dir: &Path,
    sources: &mut BTreeMap<String, String>,
    origins: &mut BTreeMap<String, PathBuf>,
) -> Result<(), RenderError> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| RenderError::Io {
            path: e.path().unwrap_or(dir).to_owned(),
            source: e.into(),
        })?;
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let name = path
            .strip_prefix(dir)
            .expect("walkdir stays under its root")
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let text = fs::read_to_string(path).map_err(|source| RenderError::Io {
            path: path.to_owned(),
            source,
        })?;
        sources.insert(name.clone(), text);
        origins.insert(name, path.to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn festival_templates_override_the_theme_and_the_builtins() {
        let theme = tempfile::tempdir().unwrap();
        let own = tempfile::tempdir().unwrap();
        fs::create_dir_all(theme.path().join("templates")).unwrap();
        fs::write(theme.path().join("templates/people.html"), "theme people").unwrap();
        fs::write(
            theme.path().join("templates/resources.html"),
            "theme resources",
        )
        .unwrap();
        fs::write(theme.path().join("style.css"), "body{}").unwrap();
        fs::write(own.path().join("people.html"), "own {{ title }}").unwrap();
        let templates = Templates::load(Some(theme.path()), Some(own.path())).unwrap();
        let mut context = tera::Context::new();
        context.insert("title", "<b>");
        let render = |name| templates.render(name, &context, "x/index.html").unwrap();
        assert_eq!(render("people.html"), "own &lt;b&gt;");
        assert_eq!(render("resources.html"), "theme resources");
        assert_eq!(templates.style(), b"body{}");
    }

    #[test]
    fn tera_escapes_as_the_rows_do() {
        let own = tempfile::tempdir().unwrap();
        fs::write(own.path().join("people.html"), "{{ title }}").unwrap();
        let templates = Templates::load(None, Some(own.path())).unwrap();
        let text = "a & b < c > d \" e ' f / g ü";
        let mut context = tera::Context::new();
        context.insert("title", text);
        let html = templates.render("people.html", &context, "x").unwrap();
        assert_eq!(html, super::super::markdown::escape(text));
        assert_eq!(html, "a &amp; b &lt; c &gt; d &quot; e &#39; f / g ü");
    }

    #[test]
    fn map_loops_follow_the_fields_order() {
        #[derive(serde::Serialize)]
        struct Page {
            zulu: u8,
            alpha: u8,
            mike: u8,
            bravo: u8,
            yankee: u8,
            charlie: u8,
            xray: u8,
            delta: u8,
        }
        let own = tempfile::tempdir().unwrap();
        let loop_ = "{% for key, value in page %}{{ key }}={{ value }} {% endfor %}";
        fs::write(own.path().join("people.html"), loop_).unwrap();
        let templates = Templates::load(None, Some(own.path())).unwrap();
        let mut context = tera::Context::new();
        let page = Page {
            zulu: 1,
            alpha: 2,
            mike: 3,
            bravo: 4,
            yankee: 5,
            charlie: 6,
            xray: 7,
            delta: 8,
        };
        context.insert("page", &page);
        let html = templates.render("people.html", &context, "x").unwrap();
        assert_eq!(
            html,
            "zulu=1 alpha=2 mike=3 bravo=4 yankee=5 charlie=6 xray=7 delta=8 "
        );
    }

    #[test]
    fn names_the_override_that_does_not_parse() {
        let own = tempfile::tempdir().unwrap();
        fs::write(own.path().join("index.html"), "{% if %}").unwrap();
        let err = Templates::load(None, Some(own.path())).unwrap_err();
        assert!(err.to_string().contains("index.html"), "{err}");
    }
}
