//! Reading the store as it was. The store's version is the `events` table's version; every ingest
//! commits the side tables (trends, accounts, connected apps …) first and `events` last, and
//! records in that last commit which version each side table had reached. So "the store at
//! version N" pins every table, and a report made at version N can be made again later, byte for
//! byte, however much was ingested since.
//!
//! Stores written before tables were recorded in the commit (and tables written after `events`,
//! like `inputs`) are pinned by commit time instead: the latest version committed no later than
//! the pinned events version.
//!
//! Versions and commit times come from delta-rs's table history. Every table keeps its whole log
//! (see [`super::retention`]); a store made before that may have lost its oldest log entries, and
//! then the versions it can still show are the ones its log holds.

use std::collections::{BTreeMap, HashMap};

use futures::TryStreamExt;

use crate::error::{Error, Result};
use crate::model::time::format_ts;

use super::Store;

/// Which version of each table a session reads, and the moment it stands for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pin {
    /// The store (events) version.
    pub version: u64,
    /// Versions of the other tables; a table absent here did not exist yet.
    pub tables: BTreeMap<String, u64>,
    /// The moment this view of the store stands for (µs since the epoch): the time given to
    /// `--as-of`, or for `--as-of-version N` the last moment the store was at version N (now, for
    /// the latest version). Suppressions and their expiry are read as of this moment.
    pub moment: i64,
}

/// One commit of a table, as its log records it.
#[derive(Debug, Clone)]
pub struct Commit {
    pub version: u64,
    /// Commit time, ms since the epoch.
    pub at_ms: i64,
    /// The commit's provenance, xaudit's own `xaudit.*` keys included.
    pub info: HashMap<String, serde_json::Value>,
}

impl Commit {
    fn new(version: u64, info: deltalake::kernel::CommitInfo) -> Commit {
        Commit {
            version,
            at_ms: info.timestamp.unwrap_or(0),
            info: info.info,
        }
    }

    fn text(&self, key: &str) -> Option<String> {
        self.info
            .get(key)
            .and_then(|v| v.as_str())
            .map(String::from)
    }
}

impl Store {
    /// Every commit of table `name` its log still holds, oldest first (empty for a table never
    /// written).
    pub async fn history(&self, name: &str) -> Result<Vec<Commit>> {
        let Some(mut table) = self.open(name).await? else {
            return Ok(Vec::new());
        };
        // delta-rs lists the commit files present, newest first, without their version numbers:
        // the versions are counted down from the latest. A writer committing while the list is
        // read would shift that count, so the list is taken again until the latest version
        // before and after it agree.
        for _ in 0..5 {
            let before = table.version();
            let infos: Vec<deltalake::kernel::CommitInfo> = table
                .history(None)
                .try_collect()
                .await
                .map_err(|e| self.err(name, e))?;
            table.update_state().await.map_err(|e| self.err(name, e))?;
            let (Some(latest), true) = (table.version(), table.version() == before) else {
                continue;
            };
            let mut out: Vec<Commit> = infos
                .into_iter()
                .zip((0..=latest).rev())
                .map(|(info, version)| Commit::new(version, info))
                .collect();
            out.reverse();
            return Ok(out);
        }
        Err(Error::store(
            self.root().join(name),
            std::io::Error::other(
                "the table kept changing while its history was read; try again when no ingest is running",
            ),
        ))
    }

    /// One commit of `table` (the store's table `name`), read from its log entry; None when the
    /// log does not hold it.
    async fn commit(
        &self,
        name: &str,
        table: &deltalake::DeltaTable,
        version: u64,
    ) -> Result<Option<Commit>> {
        let entry = table
            .log_store()
            .read_commit_entry(version)
            .await
            .map_err(|e| self.err(name, e))?;
        let Some(bytes) = entry else {
            return Ok(None);
        };
        let info = bytes
            .split(|b| *b == b'\n')
            .filter_map(|line| serde_json::from_slice::<serde_json::Value>(line).ok())
            .find_map(|action| action.get("commitInfo").cloned())
            .and_then(|info| serde_json::from_value::<deltalake::kernel::CommitInfo>(info).ok())
            .unwrap_or_default();
        Ok(Some(Commit::new(version, info)))
    }

    /// The store as it was at events version `version`.
    pub async fn pin_version(&self, version: u64) -> Result<Pin> {
        // Two log entries (this version's and the next one's) say all a pin needs; the whole
        // history is read only to say what exists when the version does not.
        let events = self.open("events").await?;
        let found = match &events {
            Some(table) => self.commit("events", table, version).await?,
            None => None,
        };
        let (Some(events), Some(commit)) = (events, found) else {
            let commits = self.history("events").await?;
            return Err(Error::Usage(no_such_version(version, &commits)));
        };
        // The last moment the store was at this version: just before the next one.
        let moment = match self.commit("events", &events, version + 1).await? {
            Some(next) => next.at_ms * 1000 - 1,
            None => chrono::Utc::now().timestamp_micros(),
        };
        self.pin(&commit, moment).await
    }

    /// The store as it is now, pinned, so that a reader started later (a cluster's executors)
    /// reads what this one does whatever commits meanwhile: the latest events version and the
    /// other tables as its commit records them. A store without events pins nothing.
    pub async fn pin_latest(&self) -> Result<Pin> {
        match self.version().await? {
            Some(version) => self.pin_version(version).await,
            None => Ok(Pin {
                version: 0,
                tables: BTreeMap::new(),
                moment: chrono::Utc::now().timestamp_micros(),
            }),
        }
    }

    /// The store as it was at `moment` (µs since the epoch).
    pub async fn pin_time(&self, moment: i64) -> Result<Pin> {
        let commits = self.history("events").await?;
        let at_ms = moment.div_euclid(1000);
        match commits.iter().rev().find(|c| c.at_ms <= at_ms) {
            Some(commit) => self.pin(commit, moment).await,
            None => Err(Error::Usage(match commits.first() {
                Some(first) if first.version > 0 => format!(
                    "the store's history starts at version {} (committed at {}); it holds nothing as of {}: {}",
                    first.version,
                    format_ts(first.at_ms * 1000),
                    format_ts(moment),
                    LOST_LOG
                ),
                Some(first) => format!(
                    "the store did not exist yet at {} (its first version was committed at {})",
                    format_ts(moment),
                    format_ts(first.at_ms * 1000)
                ),
                None => "the store has no events table yet".to_string(),
            })),
        }
    }

    async fn pin(&self, commit: &Commit, moment: i64) -> Result<Pin> {
        let recorded: BTreeMap<String, u64> = commit
            .info
            .get("xaudit.tables")
            .cloned()
            .and_then(|t| serde_json::from_value(t).ok())
            .unwrap_or_default();
        let mut tables = BTreeMap::new();
        for t in crate::model::schema::tables() {
            if t.name == "events" || crate::model::schema::AUDIT_LOG.contains(&t.name) {
                continue;
            }
            if let Some(&v) = recorded.get(t.name) {
                tables.insert(t.name.to_string(), v);
                continue;
            }
            let history = self.history(t.name).await?;
            if let Some(c) = history.iter().rev().find(|c| c.at_ms <= commit.at_ms) {
                tables.insert(t.name.to_string(), c.version);
            }
        }
        Ok(Pin {
            version: commit.version,
            tables,
            moment,
        })
    }

    /// Every table's current version, as recorded in the events commit that closes an ingest.
    pub async fn table_versions(&self) -> Result<BTreeMap<String, u64>> {
        let mut out = BTreeMap::new();
        for t in crate::model::schema::tables() {
            if t.name == "events" || crate::model::schema::AUDIT_LOG.contains(&t.name) {
                continue;
            }
            if let Some(table) = self.open(t.name).await?
                && let Some(v) = table.version()
            {
                out.insert(t.name.to_string(), v);
            }
        }
        Ok(out)
    }

    /// Every events version with its commit time and operation (for `store_versions`).
    pub async fn versions(&self) -> Result<Vec<(u64, i64, Option<String>)>> {
        Ok(self
            .history("events")
            .await?
            .into_iter()
            .map(|c| {
                let op = c.text("xaudit.operation").or_else(|| c.text("operation"));
                (c.version, c.at_ms, op)
            })
            .collect())
    }
}

const LOST_LOG: &str = "older log entries were deleted by Delta's log cleanup before xaudit kept every table's history (the first write by this xaudit version makes a store keep it from then on)";

/// What to say when `version` is not in the history: which versions exist, and why older ones
/// may be gone.
fn no_such_version(version: u64, commits: &[Commit]) -> String {
    match (commits.first(), commits.last()) {
        (Some(first), Some(last)) if version < first.version => format!(
            "the store's version {version} can no longer be read: its history holds versions {} to {}; {LOST_LOG}",
            first.version, last.version
        ),
        (Some(first), Some(last)) => format!(
            "the store has no version {version}: its versions are {} to {} (`xaudit sql --store … \"SELECT * FROM store_versions\"` lists them)",
            first.version, last.version
        ),
        _ => format!("the store has no events table, so no version {version}"),
    }
}
