//! A festival directory: `pandafest.toml`, `logs/`, `templates/`,
//! `.pandafest/` (store and key, never published) and `public/`.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::bundle::{BundleError, BundleReader};
use crate::entry::{DocumentId, KeyError, KeyPair, key_path};
use crate::ingest::{DecodedOperations, IngestReport, ingest_keeping};
use crate::store::{Store, StoreError, store_path};

/// The settings file's name.
pub const CONFIG_FILE: &str = "pandafest.toml";

/// Site settings from `pandafest.toml`. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The absolute URL the site is published at, e.g.
    /// `https://camp.example.org/2027/`; used in feeds.
    pub base_url: Option<String>,
    /// The theme under `themes/<name>/`; `default` is built in.
    pub theme: Option<String>,
    /// The festival the site is about. Every command that starts or brings
    /// in a festival names it here when nothing is named yet; with none
    /// named, `build` takes the only root festival and refuses when there
    /// are several.
    pub festival: Option<DocumentId>,
    /// The local time (`HH:MM`, festival time zone) at which one schedule
    /// day turns into the next; default `04:00`.
    pub day_change: Option<String>,
}

impl Config {
    /// The day-change time; 04:00 when unset.
    ///
    /// Errors: [`DirError::Config`] if it is not `HH:MM`.
    pub fn day_change(&self, path: &Path) -> Result<NaiveTime, DirError> {
        match &self.day_change {
            None => Ok(NaiveTime::from_hms_opt(4, 0, 0).expect("valid time")),
            Some(text) => NaiveTime::parse_from_str(text, "%H:%M").map_err(|_| DirError::Config {
                path: path.to_owned(),
                reason: format!("day_change `{text}` is not a time as HH:MM"),
            }),
        }
    }

    /// The theme name; `default` when unset.
    pub fn theme(&self) -> &str {
        self.theme.as_deref().unwrap_or("default")
    }
}

/// Errors about a festival directory.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    /// `pandafest.toml` is not valid.
    #[error("{path}: {reason}")]
    Config {
        /// The settings file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `logs/` holds files but no `manifest.json`, so none can be read.
    #[error("{0} holds files but no manifest.json: its logs cannot be read")]
    LogsWithoutManifest(PathBuf),
    /// The directory exists already (for `init`).
    #[error("{0} exists already and is not empty")]
    Exists(PathBuf),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The bundle could not be read.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The key could not be made or read.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// An open festival directory.
pub struct FestivalDir {
    /// The directory.
    pub root: PathBuf,
    /// Its settings.
    pub config: Config,
    /// Its store.
    pub store: Store,
}

impl FestivalDir {
    /// Opens `root`: reads `pandafest.toml` if there is one and opens (or
    /// creates) the store in `.pandafest/`.
    ///
    /// Errors: [`DirError::Config`] for a bad settings file,
    /// [`DirError::Store`] if the store cannot be opened.
    pub fn open(root: &Path) -> Result<FestivalDir, DirError> {
        if !root.is_dir() {
            return Err(DirError::Io {
                path: root.to_owned(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
            });
        }
        let config = read_config(root)?;
        let store = Store::open(&store_path(root))?;
        Ok(FestivalDir {
            root: root.to_owned(),
            config,
            store,
        })
    }

    /// The path of `pandafest.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// Names `id` as the directory's festival in `pandafest.toml` when the
    /// file names none yet, appending a `festival = "…"` line (creating the
    /// file if there is none) and keeping the rest of it as it is. The
    /// settings are flat (no tables), so the line belongs to them wherever
    /// it goes. Returns whether it named one.
    ///
    /// Errors: [`DirError::Io`] if the file cannot be read or written.
    pub fn name_festival_if_unset(&mut self, id: DocumentId) -> Result<bool, DirError> {
        if self.config.festival.is_some() {
            return Ok(false);
        }
        let path = self.config_path();
        let io = |source| DirError::Io {
            path: path.clone(),
            source,
        };
        let mut text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io(e)),
        };
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("festival = \"{id}\"\n"));
        fs::write(&path, text).map_err(io)?;
        tracing::info!("{} names festival {id}", path.display());
        self.config.festival = Some(id);
        Ok(true)
    }

    /// The log bundle directory, `logs/`.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// Ingests the `logs/` bundle into the store; `progress` counts entries.
    /// A directory without `logs/`, or with an empty one (dot files such as
    /// `.gitkeep` do not count), ingests nothing.
    ///
    /// Errors: [`DirError::LogsWithoutManifest`] if `logs/` holds files but
    /// no `manifest.json`, [`DirError::Io`] if `logs/` exists but cannot be
    /// read (not a directory, no permission), [`DirError::Bundle`] if the
    /// manifest cannot be read, [`DirError::Store`] if SQLite fails. Bad
    /// entries are in the report, and so is every fork the store knows
    /// (one proof per log), found by this run or an earlier one.
    pub fn ingest_logs(&mut self, progress: ProgressBar) -> Result<IngestReport, DirError> {
        self.ingest(progress, None)
    }

    /// [`FestivalDir::ingest_logs`], keeping the operations it stores in
    /// `decoded` for [`crate::materialize::materialize_with`].
    ///
    /// Errors: as [`FestivalDir::ingest_logs`].
    pub fn ingest_logs_keeping(
        &mut self,
        progress: ProgressBar,
        decoded: &mut DecodedOperations,
    ) -> Result<IngestReport, DirError> {
        self.ingest(progress, Some(decoded))
    }

    fn ingest(
        &mut self,
        progress: ProgressBar,
        decoded: Option<&mut DecodedOperations>,
    ) -> Result<IngestReport, DirError> {
        let logs = self.logs_dir();
        if !logs.join("manifest.json").exists() {
            // A new festival's logs/ is empty, or holds only dot files such
            // as .gitkeep; anything else there without a manifest would be
            // left out without a word.
            // A missing logs/ is a festival with nothing yet; one that
            // cannot be read (not a directory, no permission) is an error.
            let holds_files = match fs::read_dir(&logs) {
                Ok(entries) => entries
                    .flatten()
                    .any(|e| !e.file_name().to_string_lossy().starts_with('.')),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(source) => return Err(DirError::Io { path: logs, source }),
            };
            if holds_files {
                return Err(DirError::LogsWithoutManifest(logs));
            }
            tracing::info!("{} has no manifest.json; nothing to ingest", logs.display());
            return Ok(IngestReport::default());
        }
        let bundle = BundleReader::open(&logs)?;
        progress.set_length(bundle.entry_count());
        let mut report = ingest_keeping(
            &mut self.store,
            bundle.entries(),
            |done| progress.set_position(done),
            decoded,
        )?;
        progress.finish_and_clear();
        // A fork found by an earlier run is still a fork: report what the
        // store knows, not only what this run found.
        for proof in self.store.read().fork_proofs()? {
            let known = report
                .forks
                .iter()
                .any(|f| (f.author, f.log_id) == (proof.author, proof.log_id));
            if !known {
                report.forks.push(proof);
            }
        }
        Ok(report)
    }

    /// Creates a new festival directory with a new key and a commented
    /// `pandafest.toml`. Returns the key.
    ///
    /// Errors: [`DirError::Exists`] if `root` exists and is not empty.
    pub fn init(root: &Path) -> Result<KeyPair, DirError> {
        let io = |source| DirError::Io {
            path: root.to_owned(),
            source,
        };
        if root.exists() && fs::read_dir(root).map_err(io)?.next().is_some() {
            return Err(DirError::Exists(root.to_owned()));
        }
        fs::create_dir_all(root.join("logs")).map_err(io)?;
        let key = KeyPair::generate()?;
        key.save(&key_path(root))?;
        let config = "# pandafest site settings; every line is optional.\n\
                      # base_url = \"https://festival.example.org/\"\n\
                      theme = \"default\"\n\
                      # festival = \"0020…\"   # the festival's document id; `festival create` sets it\n\
                      day_change = \"04:00\"\n";
        fs::write(root.join(CONFIG_FILE), config).map_err(io)?;
        Ok(key)
    }
}

fn read_config(root: &Path) -> Result<Config, DirError> {
    let path = root.join(CONFIG_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => {
            let config: Config = toml::from_str(&text).map_err(|e| DirError::Config {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            config.day_change(&path)?;
            Ok(config)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(source) => Err(DirError::Io { path, source }),
    }
}
