//! Held entries: what a log keeps beside its trusted run, within bounds,
//! and what the report says about them.

use std::collections::HashMap;
use std::fmt;

use crate::entry::PublicKey;
use crate::store::{Reader, StoreError};

/// The most entries one log holds: entries above a gap in its trusted run,
/// from the fork point on, and those known only from a fork proof. A log
/// that holds this many keeps the lowest (seq num, hash) and lets go of the
/// highest, which is reported as rejected ("not held").
pub const HELD_PER_LOG: usize = 4096;

/// The most entries the store holds in all logs. Beyond it, a new entry
/// that would be held is reported as rejected ("not held") and not kept.
pub const HELD_IN_ALL: usize = 65_536;

/// What one log holds after an ingest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The author.
    pub author: PublicKey,
    /// The log id.
    pub log_id: u64,
    /// How many entries are held.
    pub entries: u64,
    /// The lowest seq num held.
    pub first: u64,
    /// The highest seq num held.
    pub last: u64,
    /// The seq num the log's trusted run needs next, unless the run ends at
    /// a fork.
    pub waits_for: Option<u64>,
    /// Where the log is forked, if it is.
    pub forked_at: Option<u64>,
}

impl fmt::Display for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "author {} log {} ", self.author, self.log_id)?;
        match self.entries {
            1 => write!(f, "seq {}: ", self.first)?,
            n => write!(f, "seq {}–{} ({n} entries): ", self.first, self.last)?,
        }
        let verb = if self.entries == 1 { "waits" } else { "wait" };
        match self.waits_for {
            Some(seq) => write!(f, "{verb} for seq {seq}")?,
            None => write!(f, "kept as evidence")?,
        }
        match self.forked_at {
            Some(fork) => write!(
                f,
                "; the log is forked at seq {fork}, and is not trusted from there on"
            ),
            None => Ok(()),
        }
    }
}

/// What every log of the store holds, ordered by author and log id.
///
/// Errors: [`StoreError`] if the store cannot be read.
pub(super) fn held_report(reader: &Reader<'_>) -> Result<Vec<Held>, StoreError> {
    let held = reader.held_logs()?;
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let logs: HashMap<(PublicKey, u64), (u64, Option<u64>)> = reader
        .logs()?
        .into_iter()
        .map(|log| ((log.author, log.log_id), (log.height, log.forked_at)))
        .collect();
    Ok(held
        .into_iter()
        .map(|h| {
            let (height, forked_at) = logs
                .get(&(h.author, h.log_id))
                .copied()
                .unwrap_or((0, None));
            let next = height + 1;
            Held {
                author: h.author,
                log_id: h.log_id,
                entries: h.entries,
                first: h.first,
                last: h.last,
                waits_for: forked_at.is_none_or(|f| next < f).then_some(next),
                forked_at,
            }
        })
        .collect())
}
