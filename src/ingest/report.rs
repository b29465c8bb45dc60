//! What an ingest found: counts, rejected entries and fork proofs.

use std::fmt;

use crate::entry::{Entry, EntryError, OperationId, PublicKey};
use crate::operation::OperationError;
use crate::store::ForkProof;

use super::Held;

/// Where an entry sits: author, log id and seq num, as far as they are known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// The author.
    pub author: Option<PublicKey>,
    /// The log id.
    pub log_id: Option<u64>,
    /// The seq num.
    pub seq_num: Option<u64>,
}

impl Position {
    /// The position of a decoded entry.
    pub fn of(entry: &Entry) -> Position {
        Position {
            author: Some(entry.author),
            log_id: Some(entry.log_id),
            seq_num: Some(entry.seq_num),
        }
    }

    /// The position read leniently from bytes that failed strict decoding.
    pub fn guess(bytes: &[u8]) -> Position {
        match bamboo_rs_core_ed25519_yasmf::entry::decode(bytes) {
            Ok(entry) => Position {
                author: Some(PublicKey(entry.author.to_bytes())),
                log_id: Some(entry.log_id),
                seq_num: Some(entry.seq_num),
            },
            Err(_) => Position::default(),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(author) = self.author {
            parts.push(format!("author {author}"));
        }
        if let Some(log_id) = self.log_id {
            parts.push(format!("log {log_id}"));
        }
        if let Some(seq_num) = self.seq_num {
            parts.push(format!("seq {seq_num}"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// Why an entry, or a part of a source, was rejected.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Reason {
    /// The entry bytes are not a canonical Bamboo entry.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// The ed25519 signature does not verify.
    #[error("invalid signature")]
    BadSignature,
    /// The payload's size is not the one the entry states.
    #[error("payload is {actual} bytes but the entry says {expected}")]
    PayloadSize {
        /// The payload's size.
        actual: u64,
        /// The size in the entry.
        expected: u64,
    },
    /// The payload's hash is not the one the entry states.
    #[error("payload does not match the entry's payload hash")]
    PayloadHash,
    /// The entry is not part of its log's trusted run (yet), and the
    /// entries held already fill a bound (see [`crate::ingest::HELD_PER_LOG`]
    /// and [`crate::ingest::HELD_IN_ALL`]).
    #[error(
        "not held: {scope} already holds {limit} entries outside the trusted run of their log (the limit); send it again once the entries before it are in"
    )]
    NotHeld {
        /// `this log` or `the store`.
        scope: &'static str,
        /// The bound.
        limit: usize,
    },
    /// The payload is not a valid operation.
    #[error(transparent)]
    Operation(#[from] OperationError),
    /// An update or delete by someone who is not the document's author.
    #[error("{schema} operation by a non-author: document {document} belongs to {owner}")]
    NotAuthor {
        /// The schema.
        schema: &'static str,
        /// The document.
        document: OperationId,
        /// The document's author.
        owner: PublicKey,
    },
    /// An operation that names another document's schema.
    #[error("operation says {said}, but document {document} is {actual}")]
    SchemaMismatch {
        /// The schema the operation names.
        said: &'static str,
        /// The document's schema.
        actual: &'static str,
        /// The document.
        document: OperationId,
    },
    /// An update or delete in another log than the operation it follows:
    /// a document lives in one log, which orders its operations.
    #[error(
        "follows operation {previous} of document {document} in log {log_id}; a document's operations must stay in one log"
    )]
    OtherLog {
        /// The operation it follows.
        previous: OperationId,
        /// The document.
        document: OperationId,
        /// The log that operation is in.
        log_id: u64,
    },
    /// An authorization by someone who does not own the resource.
    #[error(
        "authorization_v1 field `resource`: resource {resource} is owned by {owner}, not by the author"
    )]
    NotOwner {
        /// The resource.
        resource: OperationId,
        /// Its owner.
        owner: PublicKey,
    },
    /// An authorization of a document that is not a resource.
    #[error("authorization_v1 field `resource`: document {resource} is not a resource")]
    NotAResource {
        /// The document.
        resource: OperationId,
    },
    /// An earlier ingest stored this entry and found its operation invalid.
    #[error("{0}")]
    Stored(String),
    /// The source itself is broken: a truncated or unreadable file.
    #[error("{0}")]
    Source(String),
}

/// A rejected entry or a broken part of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Where the entry sits, as far as known.
    pub at: Position,
    /// Where it came from (file and record), if the source says.
    pub origin: Option<String>,
    /// Why it was rejected.
    pub reason: Reason,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(origin) = &self.origin {
            write!(f, "{origin}: ")?;
        }
        if self.at != Position::default() {
            write!(f, "{}: ", self.at)?;
        }
        write!(f, "{}", self.reason)
    }
}

/// The number of rejections an ingest keeps in detail; past it, they are
/// only counted (see [`Rejections`]).
pub const KEPT_REJECTIONS: usize = 1000;

/// The most detail lines [`IngestReport::lines`] gives, of all kinds
/// together.
pub const REPORT_LINES: usize = 990;

/// A run of rejections folded into one: the first, and how far the run
/// goes. Consecutive records of one file, or consecutive seq nums of one
/// log, rejected for the same reason are one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectionRun {
    /// The run's first rejection.
    pub first: Rejection,
    /// How many rejections the run holds, the first included.
    pub count: u64,
    /// The run's last seq num, when its rejections have seq nums.
    last_seq: Option<u64>,
    /// Whether its seq nums go down (entries that came in descending order).
    descending: bool,
    /// The run's last record number, when its origins name records.
    last_record: Option<u64>,
}

impl fmt::Display for RejectionRun {
    /// The first rejection, or for a longer run its range:
    /// `author A log L seq 5–2000000: reason` or
    /// `logs/A/L.bamboo records 5–2000000: reason`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 1 {
            return self.first.fmt(f);
        }
        let first = &self.first;
        match (self.last_seq, self.last_record) {
            (Some(last), _) => {
                if let Some(origin) = &first.origin {
                    match record_of(origin) {
                        Some((file, _)) => write!(f, "{file}: ")?,
                        None => write!(f, "{origin}: ")?,
                    }
                }
                let at = Position {
                    seq_num: None,
                    ..first.at.clone()
                };
                let start = first.at.seq_num.unwrap_or_default();
                let (low, high) = (start.min(last), start.max(last));
                write!(f, "{at} seq {low}\u{2013}{high}: {}", first.reason)
            }
            (None, Some(last)) => {
                let (file, start) = first
                    .origin
                    .as_deref()
                    .and_then(record_of)
                    .expect("a run of records has a record origin");
                write!(f, "{file} records {start}\u{2013}{last}: ")?;
                if first.at != Position::default() {
                    write!(f, "{}: ", first.at)?;
                }
                write!(f, "{}", first.reason)
            }
            (None, None) => write!(f, "{first} ({} times)", self.count),
        }
    }
}

/// Splits `logs/a/1.bamboo record 17` into the file and the record number.
fn record_of(origin: &str) -> Option<(&str, u64)> {
    let (file, record) = origin.rsplit_once(" record ")?;
    Some((file, record.parse().ok()?))
}

/// The rejections of one ingest, in bounded memory: runs of like
/// rejections are folded into one ([`RejectionRun`]), the first
/// [`KEPT_REJECTIONS`] runs are kept in detail, and the rest only counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rejections {
    runs: Vec<RejectionRun>,
    total: u64,
    /// Rejections in runs past the kept ones.
    dropped: u64,
}

impl Rejections {
    /// Adds a rejection: to the last run if it continues it, as a new run
    /// while fewer than [`KEPT_REJECTIONS`] are kept, else to the count.
    pub fn push(&mut self, rejection: Rejection) {
        self.total += 1;
        let seq = rejection.at.seq_num;
        let record = rejection
            .origin
            .as_deref()
            .and_then(record_of)
            .map(|(file, n)| (file.to_owned(), n));
        if let Some(run) = self.runs.last_mut() {
            let first = &run.first;
            let alike = first.reason == rejection.reason
                && first.at.author == rejection.at.author
                && first.at.log_id == rejection.at.log_id;
            let (up, down) = match (run.last_seq, seq) {
                (Some(last), Some(seq)) => {
                    (seq == last.wrapping_add(1), seq.wrapping_add(1) == last)
                }
                _ => (false, false),
            };
            // A run goes one way: the second rejection sets which.
            let next_seq = match run.count {
                1 => up || down,
                _ => (up && !run.descending) || (down && run.descending),
            };
            let next_record = match (run.last_record, &record, first.origin.as_deref()) {
                (Some(last), Some((file, n)), Some(origin)) => {
                    *n == last + 1 && record_of(origin).is_some_and(|(f, _)| f == file)
                }
                _ => false,
            };
            let same_file = match (first.origin.as_deref(), rejection.origin.as_deref()) {
                (Some(a), Some(b)) => record_of(a).map(|r| r.0) == record_of(b).map(|r| r.0),
                (None, None) => true,
                _ => false,
            };
            if alike && same_file && (next_seq || (seq.is_none() && next_record)) {
                if run.count == 1 {
                    run.descending = down;
                }
                run.count += 1;
                if next_seq {
                    run.last_seq = seq;
                    run.last_record = None;
                } else {
                    run.last_record = record.map(|r| r.1);
                }
                return;
            }
        }
        if self.runs.len() >= KEPT_REJECTIONS {
            self.dropped += 1;
            return;
        }
        self.runs.push(RejectionRun {
            first: rejection,
            count: 1,
            last_seq: seq,
            descending: false,
            last_record: record.map(|r| r.1),
        });
    }

    /// How many rejections there were in all.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Whether there were none.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The first rejection.
    pub fn first(&self) -> Option<&Rejection> {
        self.runs.first().map(|run| &run.first)
    }

    /// The kept runs, in the order their first rejections came.
    pub fn runs(&self) -> &[RejectionRun] {
        &self.runs
    }

    /// The first rejection of each kept run.
    pub fn iter(&self) -> impl Iterator<Item = &Rejection> {
        self.runs.iter().map(|run| &run.first)
    }

    /// Rejections counted but not kept, past [`KEPT_REJECTIONS`] runs.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// An operation still waiting for the operation it follows or the resource
/// it decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The operation's entry.
    pub at: Position,
    /// The operation or resource it waits for.
    pub previous: OperationId,
}

/// The outcome of one ingest.
#[derive(Debug, Default)]
pub struct IngestReport {
    /// Entries stored for the first time.
    pub ingested: u64,
    /// Entries that were stored already.
    pub duplicates: u64,
    /// Rejected entries, and broken parts of the source (bounded: see
    /// [`Rejections`]).
    pub rejected: Rejections,
    /// Fork proofs stored, one per log that this ingest found forked (or
    /// found a lesser proof for).
    pub forks: Vec<ForkProof>,
    /// Per log, the entries held outside its trusted run: waiting for an
    /// earlier entry, or kept as evidence beyond a fork.
    pub held: Vec<Held>,
    /// Operations whose previous operation is not known yet; they take
    /// effect once it arrives.
    pub waiting: Vec<Waiting>,
}

impl IngestReport {
    /// Whether nothing was rejected and no fork was found.
    pub fn is_clean(&self) -> bool {
        self.rejected.is_empty() && self.forks.is_empty()
    }

    /// The one-line summary: `ingested N, duplicates N, rejected N, forks
    /// N, held N` (held: entries, in all logs).
    pub fn summary(&self) -> String {
        format!(
            "ingested {}, duplicates {}, rejected {}, forks {}, held {}",
            self.ingested,
            self.duplicates,
            self.rejected.len(),
            self.forks.len(),
            self.held.iter().map(|h| h.entries).sum::<u64>()
        )
    }

    /// The rejection runs, forks, logs that hold entries and waiting
    /// operations, one a line, then the summary: at most [`REPORT_LINES`]
    /// of them in all, in that order; past those, one line for each kind
    /// counts the rest, so a report is at most 995 lines.
    pub fn lines(&self) -> Vec<String> {
        let mut budget = REPORT_LINES;
        let mut take = |len: usize| {
            let shown = len.min(budget);
            budget -= shown;
            shown
        };
        let runs = self.rejected.runs();
        let shown = take(runs.len());
        let mut lines: Vec<String> = runs[..shown]
            .iter()
            .map(|r| format!("rejected: {r}"))
            .collect();
        let hidden = runs[shown..].iter().map(|r| r.count).sum::<u64>() + self.rejected.dropped();
        if hidden > 0 {
            lines.push(format!("rejected: {hidden} more, not listed"));
        }
        let shown = take(self.forks.len());
        for fork in &self.forks[..shown] {
            let (first, second) = fork.hashes();
            lines.push(format!(
                "fork: author {} log {} seq {}: {} (entries {} and {}); the log is not trusted from seq {} on",
                fork.author, fork.log_id, fork.seq_num, fork.kind.as_str(), first, second, fork.seq_num
            ));
        }
        if self.forks.len() > shown {
            lines.push(format!(
                "fork: {} more forked logs, not listed",
                self.forks.len() - shown
            ));
        }
        let shown = take(self.held.len());
        for held in &self.held[..shown] {
            lines.push(format!("held: {held}"));
        }
        if self.held.len() > shown {
            lines.push(format!(
                "held: {} more logs that hold entries, not listed",
                self.held.len() - shown
            ));
        }
        let shown = take(self.waiting.len());
        for waiting in &self.waiting[..shown] {
            lines.push(format!(
                "waiting: {}: operation {} it depends on is not known yet",
                waiting.at, waiting.previous
            ));
        }
        if self.waiting.len() > shown {
            lines.push(format!(
                "waiting: {} more operations, not listed",
                self.waiting.len() - shown
            ));
        }
        lines.push(self.summary());
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ForkKind;

    fn rejection(seq: u64) -> Rejection {
        Rejection {
            at: Position {
                author: Some(PublicKey([1; 32])),
                log_id: Some(0),
                seq_num: Some(seq),
            },
            origin: None,
            reason: Reason::PayloadHash,
        }
    }

    #[test]
    fn runs_fold_up_and_down() {
        let mut up = Rejections::default();
        let mut down = Rejections::default();
        for seq in 5..=2000 {
            up.push(rejection(seq));
            down.push(rejection(2005 - seq));
        }
        for runs in [&up, &down] {
            assert_eq!(runs.runs().len(), 1);
            assert_eq!(runs.len(), 1996);
        }
        assert!(
            up.runs()[0]
                .to_string()
                .contains("seq 5\u{2013}2000: payload does not match")
        );
        assert!(
            down.runs()[0]
                .to_string()
                .contains("seq 5\u{2013}2000: payload does not match")
        );
    }

    #[test]
    fn lines_are_bounded_whatever_the_number_of_logs() {
        let proof = |log_id| ForkProof {
            author: PublicKey([2; 32]),
            log_id,
            seq_num: 1,
            kind: ForkKind::SameSeqNum,
            first_entry: vec![1],
            second_entry: vec![2],
        };
        let report = IngestReport {
            forks: (0..3000).map(proof).collect(),
            ..IngestReport::default()
        };
        let lines = report.lines();
        assert_eq!(lines.len(), REPORT_LINES + 2);
        assert_eq!(
            lines[REPORT_LINES],
            "fork: 2010 more forked logs, not listed"
        );
    }
}
