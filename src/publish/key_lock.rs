//! What sits beside a key file while a publisher signs with it: the lock
//! file (`<key path>.lock`), held exclusively so that one process at a
//! time signs with the key, and the log record (`<key path>.logs`), which
//! lists every log the key signs so that directories sharing the key never
//! give two festivals one log id.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::PublishError;
use crate::entry::{DocumentId, key_lock_path, key_logs_path};

/// How long a publisher waits for the key's lock before it says so.
const WAIT_NOTICE: Duration = Duration::from_secs(2);

/// What the record knows of one log of the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RecordedLog {
    /// The festival the log belongs to; `None` for a profile log.
    pub festival: Option<DocumentId>,
    /// The highest seq num signed into it, in any directory.
    pub height: u64,
}

/// The exclusive lock on the file beside a key (`<key path>.lock`), held
/// until this is dropped, with the key's log record (`<key path>.logs`).
/// Take it with [`KeyLock::acquire`] to read what the key published and
/// publish on it in one turn ([`super::Publisher::with_lock`]); a
/// long-running process (a server) should take it per turn, not for its
/// whole life, so that commands run beside it can publish too.
pub struct KeyLock {
    /// The locked file; closing it releases the lock.
    _file: File,
    /// `<key path>.logs`.
    record_path: PathBuf,
    /// The record as read when the lock was taken, with what was signed
    /// since.
    logs: BTreeMap<u64, RecordedLog>,
}

impl KeyLock {
    /// Takes the exclusive lock on `<key_path>.lock` (creating the file,
    /// mode 0600 on Unix),
    /// waiting for another process that holds it; after 2 s of waiting it
    /// says so on the log (a warning, shown on stderr). Then it reads the
    /// log record. A second lock in the same process waits as well (the
    /// lock belongs to the open file, not the process), so one thread must
    /// not take it twice.
    ///
    /// Errors: [`PublishError::Lock`] if the lock file cannot be opened or
    /// locked, [`PublishError::RecordIo`] or [`PublishError::Record`] if
    /// the record cannot be read or is malformed.
    pub fn acquire(key_path: &Path) -> Result<KeyLock, PublishError> {
        let lock_path = key_lock_path(key_path);
        let lock_error = |source| PublishError::Lock {
            path: lock_path.clone(),
            source,
        };
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&lock_path).map_err(lock_error)?;
        lock_file(&file, &lock_path, WAIT_NOTICE).map_err(lock_error)?;
        let record_path = key_logs_path(key_path);
        let logs = read_record(&record_path)?;
        Ok(KeyLock {
            _file: file,
            record_path,
            logs,
        })
    }

    /// The log record's file, `<key path>.logs`.
    pub fn record_path(&self) -> &Path {
        &self.record_path
    }

    /// The recorded log of `festival`, if the key signs one.
    pub(super) fn festival_log(&self, festival: DocumentId) -> Option<u64> {
        self.logs
            .iter()
            .find(|(_, log)| log.festival == Some(festival))
            .map(|(id, _)| *id)
    }

    /// The lowest log id above every recorded one.
    pub(super) fn next_free(&self) -> u64 {
        self.logs.keys().next_back().map_or(0, |id| id + 1)
    }

    /// What the record knows of log `log_id`.
    pub(super) fn get(&self, log_id: u64) -> Option<RecordedLog> {
        self.logs.get(&log_id).copied()
    }

    /// Notes that log `log_id` of `festival` reached seq `height` (a
    /// lower height than recorded changes nothing). Returns whether the
    /// record changed. A log recorded for another festival keeps its
    /// entry: the first festival to take a log id holds it.
    pub(super) fn note(&mut self, log_id: u64, festival: Option<DocumentId>, height: u64) -> bool {
        match self.logs.get_mut(&log_id) {
            None => {
                self.logs.insert(log_id, RecordedLog { festival, height });
                true
            }
            Some(log) if log.festival == festival && log.height < height => {
                log.height = height;
                true
            }
            Some(_) => false,
        }
    }

    /// Writes the record atomically: a temporary file beside it, synced,
    /// then renamed over it. Only the lock's holder writes it.
    ///
    /// Errors: [`PublishError::RecordIo`] naming the file.
    pub(super) fn save(&self) -> Result<(), PublishError> {
        let mut text = String::from(
            "# The logs this key signs, kept by pandafest beside the key so that\n\
             # directories sharing the key never give two festivals one log id.\n\
             # One log a line: log id, festival document id (`-` for none), highest seq.\n",
        );
        for (id, log) in &self.logs {
            let festival = log.festival.map_or_else(|| "-".to_owned(), |f| f.to_hex());
            writeln!(text, "{id} {festival} {}", log.height).expect("writing to a string");
        }
        let mut temporary = self.record_path.as_os_str().to_owned();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| PublishError::RecordIo { path, source }
        };
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary).map_err(io(&temporary))?;
        file.write_all(text.as_bytes()).map_err(io(&temporary))?;
        file.sync_all().map_err(io(&temporary))?;
        drop(file);
        fs::rename(&temporary, &self.record_path).map_err(io(&self.record_path))
    }
}

/// Locks `file` (the lock file at `lock_path`) exclusively, waiting for
/// its holder; says so once if that takes longer than `notice_after`.
/// Returns whether it said so.
fn lock_file(file: &File, lock_path: &Path, notice_after: Duration) -> std::io::Result<bool> {
    match fs4::FileExt::try_lock(file) {
        Ok(()) => return Ok(false),
        Err(fs4::TryLockError::WouldBlock) => {}
        Err(fs4::TryLockError::Error(source)) => return Err(source),
    }
    let (locked, waiting) = std::sync::mpsc::channel::<()>();
    let path = lock_path.to_owned();
    let notice = std::thread::spawn(move || {
        let timed_out = matches!(
            waiting.recv_timeout(notice_after),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout)
        );
        if timed_out {
            tracing::warn!(
                "waiting for {}: another pandafest process is publishing with this key",
                path.display()
            );
        }
        timed_out
    });
    let outcome = fs4::FileExt::lock(file);
    drop(locked);
    let noticed = notice.join().unwrap_or(false);
    outcome.map(|()| noticed)
}

/// Reads the log record at `path`; a missing file is an empty record.
///
/// Errors: [`PublishError::RecordIo`] if it cannot be read,
/// [`PublishError::Record`] naming the line that is not `LOG_ID FESTIVAL
/// SEQ`.
fn read_record(path: &Path) -> Result<BTreeMap<u64, RecordedLog>, PublishError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => {
            return Err(PublishError::RecordIo {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut logs = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |reason: String| PublishError::Record {
            path: path.to_owned(),
            line: index + 1,
            reason,
        };
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [id, festival, height] = fields[..] else {
            return Err(bad(format!(
                "expected `LOG_ID FESTIVAL SEQ`, found `{}`",
                line.chars().take(200).collect::<String>()
            )));
        };
        let id: u64 = id
            .parse()
            .map_err(|_| bad(format!("log id `{id}` is not a number")))?;
        let festival = match festival {
            "-" => None,
            hex => Some(hex.parse::<DocumentId>().map_err(|_| {
                bad(format!(
                    "festival `{hex}` is neither `-` nor a document id of 68 hex digits"
                ))
            })?),
        };
        let height: u64 = height
            .parse()
            .map_err(|_| bad(format!("seq `{height}` is not a number")))?;
        if logs.insert(id, RecordedLog { festival, height }).is_some() {
            return Err(bad(format!("log {id} is listed twice")));
        }
    }
    Ok(logs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Hash;

    fn festival(n: u8) -> DocumentId {
        Hash([n; 32])
    }

    #[test]
    fn record_round_trips_and_grows_only() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key");
        let mut lock = KeyLock::acquire(&key).unwrap();
        assert_eq!(lock.next_free(), 0);
        assert!(lock.note(0, None, 3));
        assert!(lock.note(1, Some(festival(7)), 12));
        assert!(
            !lock.note(1, Some(festival(7)), 5),
            "a lower seq is no news"
        );
        assert!(
            !lock.note(1, Some(festival(8)), 20),
            "log 1 is festival 7's"
        );
        lock.save().unwrap();
        drop(lock);
        let lock = KeyLock::acquire(&key).unwrap();
        assert_eq!(lock.next_free(), 2);
        assert_eq!(lock.festival_log(festival(7)), Some(1));
        assert_eq!(lock.festival_log(festival(8)), None);
        assert_eq!(
            lock.get(0),
            Some(RecordedLog {
                festival: None,
                height: 3
            })
        );
        assert!(key_lock_path(&key).exists());
    }

    #[test]
    fn rejects_a_malformed_record_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key");
        let record = key_logs_path(&key);
        for (text, reason) in [
            ("# fine\n0 - 1\n0 - 2\n", "line 3: log 0 is listed twice"),
            ("x - 1\n", "line 1: log id `x` is not a number"),
            (
                "0 - 1 extra\n",
                "line 1: expected `LOG_ID FESTIVAL SEQ`, found `0 - 1 extra`",
            ),
            (
                "\n0 abc 1\n",
                "line 2: festival `abc` is neither `-` nor a document id",
            ),
            ("0 - -1\n", "line 1: seq `-1` is not a number"),
        ] {
            fs::write(&record, text).unwrap();
            let error = KeyLock::acquire(&key).err().unwrap().to_string();
            assert!(
                error.starts_with(&format!("log record {}", record.display())),
                "{error}"
            );
            assert!(error.contains(reason), "{error}");
        }
    }

    #[test]
    fn a_long_wait_for_the_lock_is_told_and_a_short_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.lock");
        let open = || {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .unwrap()
        };
        for (notice_after, held, told) in [
            (Duration::from_secs(30), Duration::from_millis(100), false),
            (Duration::from_millis(50), Duration::from_millis(400), true),
        ] {
            let holder = open();
            assert!(!lock_file(&holder, &path, notice_after).unwrap());
            let release = std::thread::spawn(move || {
                std::thread::sleep(held);
                drop(holder);
            });
            assert_eq!(lock_file(&open(), &path, notice_after).unwrap(), told);
            release.join().unwrap();
        }
    }

    #[test]
    fn a_second_lock_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key");
        let first = KeyLock::acquire(&key).unwrap();
        let (taken, second_taken) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let second = KeyLock::acquire(&key).unwrap();
            taken.send(()).unwrap();
            drop(second);
        });
        assert!(
            second_taken
                .recv_timeout(Duration::from_millis(300))
                .is_err(),
            "the second lock waits while the first is held"
        );
        drop(first);
        second_taken
            .recv_timeout(Duration::from_secs(10))
            .expect("the second lock is taken once the first is released");
        waiter.join().unwrap();
    }
}
