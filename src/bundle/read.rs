//! Reading a bundle as a stream of raw entries for ingest.

use std::fs::{self, File};
use std::io::{BufReader, ErrorKind, Read};
use std::path::{Component, Path, PathBuf};

use std::sync::Arc;

use super::{BundleError, LogFile, LogPart, Manifest, PartKind};
use crate::entry::MAX_ENTRY_SIZE;
use crate::fetch::Fetcher;
use crate::ingest::{Position, RawEntry, Reason, Rejection};
use crate::operation::MAX_PAYLOAD_SIZE;

/// The largest manifest read, in bytes: 8 MiB, some 25,000 logs (a log
/// takes about 300 bytes of JSON, or 600 with held entries and fork
/// proofs). Parsed, a manifest takes about three times its size, so this
/// keeps a hostile one within the memory a check may use.
pub const MAX_MANIFEST_SIZE: u64 = 8 * 1024 * 1024;

/// The most bytes fetched for one log file over HTTP, whatever its
/// manifest says: 256 MiB, after decompression. (A whole import is bounded
/// by [`crate::fetch::MAX_FETCHED_TOTAL`].)
pub const MAX_FETCHED_LOG_FILE: u64 = 256 * 1024 * 1024;

/// Where a bundle's files are: a `logs/` directory, or the URL of one.
pub enum BundleLocation {
    /// A directory holding `manifest.json`.
    Dir(PathBuf),
    /// The URL of a `logs/` directory, ending in `/`, with the client that
    /// fetches from it.
    Url(String, Arc<Fetcher>),
}

impl BundleLocation {
    /// Where the manifest is, for messages.
    pub fn describe(&self, file: &str) -> String {
        match self {
            BundleLocation::Dir(dir) => dir.join(file).display().to_string(),
            BundleLocation::Url(base, _) => format!("{base}{file}"),
        }
    }

    /// Opens one file of a log after checking its manifest path.
    fn open_log(&self, log: &LogFile, part: &LogPart<'_>) -> Result<Box<dyn Read + Send>, String> {
        let path = safe_path(log, part)?;
        match self {
            BundleLocation::Dir(dir) => {
                let full = no_symlinks(dir, &path)?;
                // A FIFO or device would block or never end.
                if fs::metadata(&full).is_ok_and(|m| !m.is_file()) {
                    return Err("the log file is not a regular file".into());
                }
                match File::open(&full) {
                    Ok(file) => Ok(Box::new(file)),
                    Err(e) if e.kind() == ErrorKind::NotFound => {
                        Err("the log file is missing".into())
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            BundleLocation::Url(base, fetcher) => {
                // One record past the announced size is allowed, so a
                // manifest that understates the size is caught by its
                // check; the server's own claim is capped.
                let limit = part
                    .size
                    .saturating_add((4 + MAX_ENTRY_SIZE + 4 + MAX_PAYLOAD_SIZE) as u64)
                    .min(MAX_FETCHED_LOG_FILE);
                let reader = fetcher
                    .reader(&format!("{base}{path}"), limit)
                    .map_err(|e| e.to_string())?;
                Ok(Box::new(reader))
            }
        }
    }
}

/// A bundle with its parsed manifest.
pub struct BundleReader {
    location: BundleLocation,
    manifest: Manifest,
}

impl BundleReader {
    /// Opens the bundle in `dir` (the `logs/` directory) and reads its
    /// manifest.
    ///
    /// Errors: [`BundleError::Io`] if `manifest.json` cannot be read,
    /// [`BundleError::Manifest`] if it is too large, not JSON of the bundle
    /// format, or lists a log twice.
    pub fn open(dir: &Path) -> Result<BundleReader, BundleError> {
        let path = dir.join("manifest.json");
        let io = |source| BundleError::Io {
            path: path.clone(),
            source,
        };
        let meta = fs::metadata(&path).map_err(io)?;
        if !meta.is_file() {
            return Err(BundleError::Manifest {
                path: path.clone(),
                reason: "not a regular file".into(),
            });
        }
        let size = meta.len();
        if size > MAX_MANIFEST_SIZE {
            return Err(BundleError::Manifest {
                path: path.clone(),
                reason: format!("{size} bytes, the limit is {MAX_MANIFEST_SIZE}"),
            });
        }
        // Read no more than the limit even if the file grew meanwhile.
        let mut bytes = Vec::new();
        File::open(&path)
            .and_then(|f| f.take(MAX_MANIFEST_SIZE + 1).read_to_end(&mut bytes))
            .map_err(io)?;
        let manifest = Manifest::parse(&bytes, &path)?;
        Ok(BundleReader {
            location: BundleLocation::Dir(dir.to_owned()),
            manifest,
        })
    }

    /// Opens the bundle at `url`, the URL of a `logs/` directory (a trailing
    /// `/` is added if missing), fetching its manifest with `fetcher`.
    ///
    /// Errors: [`BundleError::Fetch`] if the manifest cannot be fetched
    /// within [`MAX_MANIFEST_SIZE`], [`BundleError::Manifest`] if it is not
    /// valid.
    pub fn open_url(url: &str, fetcher: Arc<Fetcher>) -> Result<BundleReader, BundleError> {
        let base = if url.ends_with('/') {
            url.to_owned()
        } else {
            format!("{url}/")
        };
        let manifest_url = format!("{base}manifest.json");
        let bytes = fetcher.get(&manifest_url, MAX_MANIFEST_SIZE)?;
        let manifest = Manifest::parse(&bytes, Path::new(&manifest_url))?;
        Ok(BundleReader {
            location: BundleLocation::Url(base, fetcher),
            manifest,
        })
    }

    /// A bundle at `location` with an already parsed manifest (for the fuzz
    /// targets, which parse manifests from memory).
    pub(crate) fn with_manifest(location: BundleLocation, manifest: Manifest) -> BundleReader {
        BundleReader { location, manifest }
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Where the bundle is.
    pub fn location(&self) -> &BundleLocation {
        &self.location
    }

    /// The number of entries the manifest announces.
    pub fn entry_count(&self) -> u64 {
        // Saturating: the heights come from a stranger's manifest.
        self.manifest
            .logs
            .iter()
            .fold(0, |n, l| n.saturating_add(l.entry_count()))
    }

    /// Streams every record of every log, in manifest order, one record in
    /// memory at a time: per log its entries, then its held entries, then
    /// both entries of each fork proof (without payloads). Problems with a
    /// log's file (an unsafe or missing path, a truncated record, a size,
    /// hash or record count that differs from the manifest) come as `Err`
    /// items naming the file; the records before them still come.
    pub fn entries(&self) -> impl Iterator<Item = Result<RawEntry, Rejection>> + Send + '_ {
        self.entries_of(self.manifest.logs.iter())
    }

    /// Streams the records of the given logs of this bundle, like
    /// [`BundleReader::entries`]; resuming imports pass only the logs they
    /// lack.
    pub fn entries_of<'a>(
        &'a self,
        logs: impl Iterator<Item = &'a LogFile> + Send + 'a,
    ) -> impl Iterator<Item = Result<RawEntry, Rejection>> + Send + 'a {
        logs.flat_map(move |log| {
            log.parts()
                .into_iter()
                .flat_map(move |part| LogRecords::open(&self.location, log, part))
        })
    }
}

/// Streams the records of one file of `log` (`kind`) read from `reader`,
/// as [`BundleReader::entries`] does for a file in a bundle: the same
/// limits, and the same checks of size, BLAKE3 and record count against
/// the manifest's `log`. For the fuzz targets and their corpus test.
pub(crate) fn read_log_part<'a>(
    log: &'a LogFile,
    kind: PartKind,
    reader: Box<dyn Read + Send>,
) -> impl Iterator<Item = Result<RawEntry, Rejection>> + 'a {
    let part = log.parts().into_iter().find(|p| p.kind == kind);
    part.map(|part| LogRecords::from_reader(log, part, reader))
        .into_iter()
        .flatten()
}

fn source_error(log: &LogFile, part: &LogPart<'_>, reason: String) -> Rejection {
    Rejection {
        at: Position {
            author: Some(log.author),
            log_id: Some(log.log_id),
            seq_num: None,
        },
        origin: Some(format!("logs/{}", part.path)),
        reason: Reason::Source(reason),
    }
}

/// Checks that a manifest path is the canonical path of that file of the
/// log (`<author>/<log id>.bamboo` for its entries): relative, without
/// `..`.
fn safe_path(log: &LogFile, part: &LogPart<'_>) -> Result<String, String> {
    let expected = LogFile::part_path(&log.author, log.log_id, part.kind);
    let rel = Path::new(part.path);
    if part.path.contains('\\')
        || rel.is_absolute()
        || rel.components().any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(format!("path `{}` leaves the bundle directory", part.path));
    }
    if part.path != expected {
        return Err(format!(
            "path `{}` is not the log's path `{expected}`",
            part.path
        ));
    }
    Ok(expected)
}

/// Joins `rel` to `dir`, refusing symbolic links on the way.
fn no_symlinks(dir: &Path, rel: &str) -> Result<PathBuf, String> {
    let mut current = dir.to_owned();
    for component in Path::new(rel).components() {
        current.push(component);
        if let Ok(meta) = fs::symlink_metadata(&current)
            && meta.file_type().is_symlink()
        {
            return Err(format!("`{}` is a symbolic link", current.display()));
        }
    }
    Ok(current)
}

/// One record of a log file, or a record refused on its own.
enum Record {
    Entry(RawEntry),
    Rejected(Rejection),
}

/// The records of one file of a log.
struct LogRecords<'a> {
    log: &'a LogFile,
    part: LogPart<'a>,
    reader: Option<BufReader<Box<dyn Read + Send>>>,
    hasher: blake3::Hasher,
    offset: u64,
    records: u64,
    pending: Vec<Rejection>,
    /// The second entry of a fork proof, which comes after the first.
    second: Option<RawEntry>,
}

impl<'a> LogRecords<'a> {
    fn open(location: &BundleLocation, log: &'a LogFile, part: LogPart<'a>) -> LogRecords<'a> {
        let mut records = LogRecords {
            log,
            part,
            reader: None,
            hasher: blake3::Hasher::new(),
            offset: 0,
            records: 0,
            pending: Vec::new(),
            second: None,
        };
        match location.open_log(log, &part) {
            Ok(reader) => records.reader = Some(BufReader::with_capacity(64 * 1024, reader)),
            Err(reason) => records.pending.push(source_error(log, &part, reason)),
        }
        records
    }

    /// The records of `part` of `log` read from `reader`, with the checks
    /// against the manifest that [`LogRecords::open`] makes (for the fuzz
    /// targets, which read log files from memory).
    fn from_reader(log: &'a LogFile, part: LogPart<'a>, reader: Box<dyn Read + Send>) -> Self {
        LogRecords {
            log,
            part,
            reader: Some(BufReader::with_capacity(64 * 1024, reader)),
            hasher: blake3::Hasher::new(),
            offset: 0,
            records: 0,
            pending: Vec::new(),
            second: None,
        }
    }

    fn read_part(&mut self, what: &str, limit: usize) -> Result<Option<Vec<u8>>, String> {
        let reader = self.reader.as_mut().expect("only called while open");
        let mut len = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match reader.read(&mut len[got..]) {
                Ok(0) if got == 0 && what == "entry" => return Ok(None),
                Ok(0) => {
                    return Err(format!(
                        "truncated at byte {}: record {} ends inside its {what} length",
                        self.offset + got as u64,
                        self.records + 1
                    ));
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        let size = u32::from_be_bytes(len) as usize;
        if size > limit {
            return Err(format!(
                "record {} at byte {}: {what} length {size} is more than the limit {limit}",
                self.records + 1,
                self.offset
            ));
        }
        let mut buf = vec![0u8; size];
        if let Err(e) = reader.read_exact(&mut buf) {
            return Err(if e.kind() == ErrorKind::UnexpectedEof {
                format!(
                    "truncated at byte {}: record {} announces {size} {what} bytes that are not there",
                    self.offset + 4,
                    self.records + 1
                )
            } else {
                e.to_string()
            });
        }
        self.hasher.update(&len);
        self.hasher.update(&buf);
        self.offset += 4 + size as u64;
        Ok(Some(buf))
    }

    /// The next record; a fork proof record whose entries are not of this
    /// log is a rejection, and the file goes on.
    fn next_record(&mut self) -> Result<Option<Record>, String> {
        let Some(entry) = self.read_part("entry", MAX_ENTRY_SIZE)? else {
            return Ok(None);
        };
        if self.part.kind == PartKind::Forks {
            let second = self
                .read_part("second entry", MAX_ENTRY_SIZE)?
                .unwrap_or_default();
            self.records += 1;
            let origin = format!("logs/{} record {}", self.part.path, self.records);
            // A proof is of this log: both entries are its author's, in it.
            let own = |bytes: &[u8]| {
                let at = Position::guess(bytes);
                (at.author, at.log_id) == (Some(self.log.author), Some(self.log.log_id))
            };
            if !own(&entry) || !own(&second) {
                return Ok(Some(Record::Rejected(Rejection {
                    at: Position {
                        author: Some(self.log.author),
                        log_id: Some(self.log.log_id),
                        seq_num: None,
                    },
                    origin: Some(origin),
                    reason: Reason::Source(
                        "a fork proof's two entries must both be of this log".into(),
                    ),
                })));
            }
            self.second = Some(RawEntry {
                entry: second,
                payload: None,
                origin: format!("{origin}, second entry"),
            });
            return Ok(Some(Record::Entry(RawEntry {
                entry,
                payload: None,
                origin: format!("{origin}, first entry"),
            })));
        }
        let payload = self
            .read_part("payload", MAX_PAYLOAD_SIZE)?
            .unwrap_or_default();
        self.records += 1;
        Ok(Some(Record::Entry(RawEntry {
            entry,
            payload: Some(payload),
            origin: format!("logs/{} record {}", self.part.path, self.records),
        })))
    }

    /// Compares what was read with the manifest once the file ends.
    fn finish(&mut self) {
        let (log, part) = (self.log, self.part);
        let hash = self.hasher.finalize().to_hex().to_string();
        if self.offset != part.size {
            self.pending.push(source_error(
                log,
                &part,
                format!(
                    "the manifest says {} bytes, the file has {}",
                    part.size, self.offset
                ),
            ));
        } else if hash != part.blake3 {
            self.pending.push(source_error(
                log,
                &part,
                format!(
                    "the manifest's BLAKE3 {} does not match the file's {hash}",
                    part.blake3
                ),
            ));
        }
        if self.records != part.records {
            let what = match part.kind {
                PartKind::Entries => "height",
                PartKind::Held | PartKind::Forks => "records",
            };
            self.pending.push(source_error(
                log,
                &part,
                format!(
                    "the manifest says {what} {}, the file has {} records",
                    part.records, self.records
                ),
            ));
        }
    }
}

impl Iterator for LogRecords<'_> {
    type Item = Result<RawEntry, Rejection>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(second) = self.second.take() {
            return Some(Ok(second));
        }
        if let Some(rejection) = self.pending.pop() {
            return Some(Err(rejection));
        }
        self.reader.as_ref()?;
        match self.next_record() {
            Ok(Some(Record::Entry(raw))) => Some(Ok(raw)),
            Ok(Some(Record::Rejected(rejection))) => Some(Err(rejection)),
            Ok(None) => {
                self.reader = None;
                self.finish();
                self.pending.reverse();
                self.pending.pop().map(Err)
            }
            Err(reason) => {
                self.reader = None;
                Some(Err(source_error(self.log, &self.part, reason)))
            }
        }
    }
}
