//! Fetching from http(s) URLs with a well-kept blocking client (ureq):
//! timeouts for stalled servers, a redirect limit, and a size limit for
//! every body, so a hostile server can neither hang nor flood pandafest.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The most bytes one [`Fetcher`] takes in all its responses together,
/// whatever a manifest announces: 2 GiB. Bodies are counted as they are
/// read, after any decompression, so a small compressed body cannot
/// unpack past it.
pub const MAX_FETCHED_TOTAL: u64 = 2 * 1024 * 1024 * 1024;

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
    /// The client's requests together took longer than allowed.
    #[error("{url}: the requests so far took longer than {seconds} s in all (the limit)")]
    PastDeadline {
        /// The URL being fetched then.
        url: String,
        /// The limit, [`FetchLimits::deadline`], in seconds.
        seconds: u64,
    },
    /// The responses of this client together are larger than allowed.
    #[error("{url}: the responses fetched so far are larger than {limit} bytes in all (the limit)")]
    TotalTooLarge {
        /// The URL whose body went past the limit.
        url: String,
        /// The limit in bytes, [`MAX_FETCHED_TOTAL`] by default.
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
    /// All bodies together may be at most this many bytes, counted after
    /// decompression.
    pub total_bytes: u64,
    /// All requests of one client together must finish within this time:
    /// a server that trickles bytes just fast enough for the per-read
    /// timeout cannot hold an import for days.
    pub deadline: Duration,
}

impl Default for FetchLimits {
    /// 10 s to connect, 30 s per read, 10 minutes per request, 5
    /// redirects, [`MAX_FETCHED_TOTAL`] bytes and one hour in all.
    fn default() -> FetchLimits {
        FetchLimits {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            total: Duration::from_secs(600),
            redirects: 5,
            total_bytes: MAX_FETCHED_TOTAL,
            deadline: Duration::from_secs(3600),
        }
    }
}

/// A reusable HTTP client (connections are kept alive between requests)
/// that counts the bytes of every body against
/// [`FetchLimits::total_bytes`].
pub struct Fetcher {
    agent: ureq::Agent,
    fetched: Arc<AtomicU64>,
    total_bytes: u64,
    /// When the client's requests must be done by.
    deadline: Instant,
    deadline_seconds: u64,
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
        Fetcher {
            agent,
            fetched: Arc::new(AtomicU64::new(0)),
            total_bytes: limits.total_bytes,
            deadline: Instant::now() + limits.deadline,
            deadline_seconds: limits.deadline.as_secs(),
        }
    }

    /// The bytes of all bodies read so far, after decompression.
    pub fn fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }

    /// Fetches `url` and returns its body, at most `limit` bytes.
    ///
    /// Errors: [`FetchError::Request`] for a failed request or an HTTP status
    /// of 400 or more, [`FetchError::TooLarge`] past `limit`,
    /// [`FetchError::TotalTooLarge`] past the client's total.
    pub fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        let mut body = Vec::new();
        let mut reader = self.reader(url, limit)?;
        reader.read_to_end(&mut body).map_err(|e| {
            let limit_error = e.get_ref().and_then(|i| i.downcast_ref::<LimitError>());
            match limit_error.map(|l| &l.limit) {
                Some(Limit::File) => FetchError::TooLarge {
                    url: url.to_owned(),
                    limit,
                },
                Some(Limit::Total) => FetchError::TotalTooLarge {
                    url: url.to_owned(),
                    limit: self.total_bytes,
                },
                Some(Limit::Deadline) => FetchError::PastDeadline {
                    url: url.to_owned(),
                    seconds: self.deadline_seconds,
                },
                None => FetchError::Request {
                    url: url.to_owned(),
                    reason: e.to_string(),
                },
            }
        })?;
        Ok(body)
    }

    fn call(&self, url: &str) -> Result<ureq::http::Response<ureq::Body>, FetchError> {
        if Instant::now() > self.deadline {
            return Err(FetchError::PastDeadline {
                url: url.to_owned(),
                seconds: self.deadline_seconds,
            });
        }
        self.agent.get(url).call().map_err(|e| FetchError::Request {
            url: url.to_owned(),
            reason: e.to_string(),
        })
    }

    /// Fetches `url` and returns a reader over its body that fails once more
    /// than `limit` bytes arrive, or once this client's bodies together
    /// pass [`FetchLimits::total_bytes`]. Bytes are counted as the reader
    /// gives them, after any decompression.
    ///
    /// Errors: [`FetchError::Request`] if the request fails before the body.
    pub fn reader(&self, url: &str, limit: u64) -> Result<BodyReader, FetchError> {
        // ureq's own limit is only a backstop: BodyReader counts.
        let reader = self
            .call(url)?
            .into_body()
            .into_with_config()
            .limit(limit.saturating_add(1))
            .reader();
        Ok(BodyReader {
            inner: Box::new(reader),
            url: url.to_owned(),
            limit,
            read: 0,
            fetched: self.fetched.clone(),
            total_bytes: self.total_bytes,
            deadline: self.deadline,
            deadline_seconds: self.deadline_seconds,
        })
    }
}

/// Which limit a body went past.
#[derive(Debug)]
enum Limit {
    File,
    Total,
    Deadline,
}

/// A response body of at most a limit in bytes, counted against its
/// client's total too; its errors name the URL.
pub struct BodyReader {
    inner: Box<dyn Read + Send>,
    url: String,
    limit: u64,
    read: u64,
    fetched: Arc<AtomicU64>,
    total_bytes: u64,
    deadline: Instant,
    deadline_seconds: u64,
}

impl Read for BodyReader {
    /// Reads the body. Past the limit it fails with "the response is larger
    /// than N bytes"; past the client's total with "the responses fetched
    /// so far are larger than N bytes in all"; past its deadline with "the
    /// requests so far took longer than N s in all"; other errors say which
    /// URL they are about.
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf).map_err(|e| {
            let past_limit = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                .is_some_and(|u| matches!(u, ureq::Error::BodyExceedsLimit(_)));
            if past_limit {
                self.past(Limit::File)
            } else {
                std::io::Error::new(e.kind(), format!("{}: {e}", self.url))
            }
        })?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(self.past(Limit::File));
        }
        let before = self.fetched.fetch_add(n as u64, Ordering::Relaxed);
        if before + n as u64 > self.total_bytes {
            return Err(self.past(Limit::Total));
        }
        if Instant::now() > self.deadline {
            return Err(self.past(Limit::Deadline));
        }
        Ok(n)
    }
}

impl BodyReader {
    fn past(&self, limit: Limit) -> std::io::Error {
        let message = match limit {
            Limit::File => format!("the response is larger than {} bytes", self.limit),
            Limit::Total => format!(
                "the responses fetched so far are larger than {} bytes in all (the limit)",
                self.total_bytes
            ),
            Limit::Deadline => format!(
                "the requests so far took longer than {} s in all (the limit)",
                self.deadline_seconds
            ),
        };
        std::io::Error::other(LimitError { message, limit })
    }
}

/// The error a [`BodyReader`] gives past a limit: its message, and which
/// limit for [`Fetcher::get`].
#[derive(Debug)]
struct LimitError {
    message: String,
    limit: Limit,
}

impl std::fmt::Display for LimitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LimitError {}

/// Whether `source` is an http or https URL rather than a path.
pub fn is_url(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}
