//! Fetching from http(s) URLs with a well-kept blocking client (ureq):
//! timeouts for stalled servers, a redirect limit, and a size limit for
//! every body, so a hostile server can neither hang nor flood pandafest.

use std::io::Read;
use std::time::Duration;

/// Errors from fetching a URL; each names the URL.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request failed: no connection, a timeout, too many redirects, or
    /// an HTTP error status.
    #[error("{url}: {reason}")]
    Request {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The body is larger than allowed.
    #[error("{url}: the response is larger than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
}

/// Limits of one [`Fetcher`].
#[derive(Clone, Copy, Debug)]
pub struct FetchLimits {
    /// Connecting must finish within this time.
    pub connect: Duration,
    /// Each read from the server must deliver within this time; a server
    /// that stalls longer fails the request.
    pub read: Duration,
    /// One whole request, body included, must finish within this time.
    pub total: Duration,
    /// At most this many redirects are followed.
    pub redirects: u32,
}

impl Default for FetchLimits {
    /// 10 s to connect, 30 s per read, 10 minutes per request, 5 redirects.
    fn default() -> FetchLimits {
        FetchLimits {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            total: Duration::from_secs(600),
            redirects: 5,
        }
    }
}

/// A reusable HTTP client (connections are kept alive between requests).
pub struct Fetcher {
    agent: ureq::Agent,
}

impl Fetcher {
    /// A client with the given limits.
    pub fn new(limits: FetchLimits) -> Fetcher {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(limits.connect))
            .timeout_per_read(Some(limits.read))
            .timeout_per_call(Some(limits.total))
            .max_redirects(limits.redirects)
            .user_agent(concat!("pandafest/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Fetcher { agent }
    }

    /// Fetches `url` and returns its body, at most `limit` bytes.
    ///
    /// Errors: [`FetchError::Request`] for a failed request or an HTTP status
    /// of 400 or more, [`FetchError::TooLarge`] past `limit`.
    pub fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        let response = self.call(url)?;
        response
            .into_body()
            .into_with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge {
                    url: url.to_owned(),
                    limit,
                },
                other => FetchError::Request {
                    url: url.to_owned(),
                    reason: other.to_string(),
                },
            })
    }

    fn call(&self, url: &str) -> Result<ureq::http::Response<ureq::Body>, FetchError> {
        self.agent.get(url).call().map_err(|e| FetchError::Request {
            url: url.to_owned(),
            reason: e.to_string(),
        })
    }

    /// Fetches `url` and returns a reader over its body that fails once more
    /// than `limit` bytes arrive.
    ///
    /// Errors: [`FetchError::Request`] if the request fails before the body.
    pub fn reader(&self, url: &str, limit: u64) -> Result<BodyReader, FetchError> {
        let reader = self
            .call(url)?
            .into_body()
            .into_with_config()
            .limit(limit)
            .reader();
        Ok(BodyReader {
            inner: Box::new(reader),
            url: url.to_owned(),
            limit,
        })
    }
}

/// A response body of at most a limit in bytes; its errors name the URL.
pub struct BodyReader {
    inner: Box<dyn Read + Send>,
    url: String,
    limit: u64,
}

impl Read for BodyReader {
    /// Reads the body; past the limit it fails with "the response is larger
    /// than N bytes", other errors say which URL they are about.
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let past_limit = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                .is_some_and(|u| matches!(u, ureq::Error::BodyExceedsLimit(_)));
            if past_limit {
                std::io::Error::other(format!("the response is larger than {} bytes", self.limit))
            } else {
                std::io::Error::new(e.kind(), format!("{}: {e}", self.url))
            }
        })
    }
}

/// Whether `source` is an http or https URL rather than a path.
pub fn is_url(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}
