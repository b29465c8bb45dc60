//! Where an archive is: a site directory, a bundle directory, or a URL.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ArchiveError;
use crate::bundle::BundleReader;
use crate::fetch::{FetchLimits, Fetcher, is_url};

/// Where the files of the published site are, when the source is a site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SiteLocation {
    /// A site directory.
    Dir(PathBuf),
    /// The site's URL, ending in `/`.
    Url(String),
    /// The source is a bare bundle, without a site around it.
    None,
}

/// An opened archive: its bundle and where its site is.
pub struct ArchiveSource {
    /// The log bundle.
    pub bundle: BundleReader,
    /// The site around it.
    pub site: SiteLocation,
    /// The client for URL sources, for fetching site files.
    pub fetcher: Arc<Fetcher>,
    /// The source as given, for messages and `forked_from.archive_url`.
    pub given: String,
}

impl ArchiveSource {
    /// Opens `source`: an http(s) URL of a site (its bundle is at
    /// `logs/`) or of a bundle (ending in `logs` or `manifest.json`); or a
    /// directory holding `logs/manifest.json` (a site or festival directory)
    /// or `manifest.json` (a bundle).
    ///
    /// Errors: [`ArchiveError::NotAnArchive`] if there is no manifest where
    /// one should be; bundle errors if it cannot be fetched or parsed.
    pub fn open(source: &str) -> Result<ArchiveSource, ArchiveError> {
        ArchiveSource::open_with(source, FetchLimits::default())
    }

    /// Like [`ArchiveSource::open`], with the given limits for URLs.
    ///
    /// Errors: as [`ArchiveSource::open`].
    pub fn open_with(source: &str, limits: FetchLimits) -> Result<ArchiveSource, ArchiveError> {
        let fetcher = Arc::new(Fetcher::new(limits));
        let given = source.to_owned();
        if is_url(source) {
            let trimmed = source
                .trim_end_matches("manifest.json")
                .trim_end_matches('/');
            let (logs, site) = if trimmed.ends_with("/logs") {
                let site = trimmed.trim_end_matches("logs");
                (format!("{trimmed}/"), SiteLocation::Url(site.to_owned()))
            } else {
                (
                    format!("{trimmed}/logs/"),
                    SiteLocation::Url(format!("{trimmed}/")),
                )
            };
            let bundle = BundleReader::open_url(&logs, fetcher.clone())?;
            return Ok(ArchiveSource {
                bundle,
                site,
                fetcher,
                given,
            });
        }
        let path = Path::new(source);
        let (logs, site) = if path.join("logs/manifest.json").is_file() {
            (path.join("logs"), SiteLocation::Dir(path.to_owned()))
        } else if path.join("manifest.json").is_file() {
            let parent = path.parent().filter(|p| p.join("index.html").is_file());
            (
                path.to_owned(),
                parent.map_or(SiteLocation::None, |p| SiteLocation::Dir(p.to_owned())),
            )
        } else {
            return Err(ArchiveError::NotAnArchive(source.to_owned()));
        };
        let bundle = BundleReader::open(&logs)?;
        Ok(ArchiveSource {
            bundle,
            site,
            fetcher,
            given,
        })
    }

    /// The source's URL, when it is one.
    pub fn url(&self) -> Option<&str> {
        match &self.site {
            SiteLocation::Url(url) => Some(url),
            _ => None,
        }
    }
}
