//! Reading the store as it was. The store's version is the `events` table's version; every ingest
//! commits the side tables (trends, accounts, connected apps …) first and `events` last, and
//! records in that last commit which version each side table had reached. So "the store at
//! version N" pins every table, and a report made at version N can be made again later, byte for
//! byte, however much was ingested since.
//!
//! Stores written before tables were recorded in the commit (and tables written after `events`,
//! like `inputs`) are pinned by commit time instead: the latest version committed no later than
//! the pinned events version.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::model::time::format_ts;

use super::Store;

/// Which version of each table a session reads, and the moment it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// The `commitInfo` action of one table version, read straight from the Delta log.
fn commit_info(table_dir: &Path, version: u64) -> Result<Option<serde_json::Value>> {
    let file = table_dir
        .join("_delta_log")
        .join(format!("{version:020}.json"));
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&file, e)),
    };
    for line in text.lines() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
            && let Some(info) = v.get("commitInfo")
        {
            return Ok(Some(info.clone()));
        }
    }
    Ok(Some(serde_json::Value::Null))
}

/// Commit times (ms) of every version of a table still in its log, oldest first.
fn commit_times(table_dir: &Path) -> Result<Vec<(u64, i64)>> {
    let log = table_dir.join("_delta_log");
    let entries = match std::fs::read_dir(&log) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&log, e)),
    };
    let mut versions: Vec<u64> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_suffix(".json")?.parse::<u64>().ok()
        })
        .collect();
    versions.sort_unstable();
    let mut out = Vec::with_capacity(versions.len());
    for v in versions {
        let ts = commit_info(table_dir, v)?
            .and_then(|i| i.get("timestamp").and_then(|t| t.as_i64()))
            .unwrap_or(0);
        out.push((v, ts));
    }
    Ok(out)
}

impl Store {
    /// The store as it was at events version `version`.
    pub async fn pin_version(&self, version: u64) -> Result<Pin> {
        let events_dir = self.root().join("events");
        let times = commit_times(&events_dir)?;
        let Some(&(_, committed)) = times.iter().find(|(v, _)| *v == version) else {
            let latest = times.last().map(|(v, _)| *v);
            return Err(Error::Usage(match latest {
                Some(l) => format!(
                    "the store has no version {version} (versions 0 to {l}; `xaudit sql --store … \"SELECT * FROM store_versions\"` lists them)"
                ),
                None => format!("the store has no events table, so no version {version}"),
            }));
        };
        // The last moment the store was at this version: just before the next one.
        let moment = match times.iter().find(|(v, _)| *v > version) {
            Some(&(_, next)) => next * 1000 - 1,
            None => chrono::Utc::now().timestamp_micros(),
        };
        self.pin(version, committed, moment)
    }

    /// The store as it was at `moment` (µs since the epoch).
    pub async fn pin_time(&self, moment: i64) -> Result<Pin> {
        let times = commit_times(&self.root().join("events"))?;
        let at_ms = moment.div_euclid(1000);
        match times.iter().rev().find(|(_, t)| *t <= at_ms) {
            Some(&(version, committed)) => self.pin(version, committed, moment),
            None => Err(Error::Usage(match times.first() {
                Some((_, first)) => format!(
                    "the store did not exist yet at {} (its first version was committed at {})",
                    format_ts(moment),
                    format_ts(first * 1000)
                ),
                None => "the store has no events table yet".to_string(),
            })),
        }
    }

    fn pin(&self, version: u64, committed_ms: i64, moment: i64) -> Result<Pin> {
        let recorded: BTreeMap<String, u64> = commit_info(&self.root().join("events"), version)?
            .and_then(|i| i.get("xaudit.tables").cloned())
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
            let times = commit_times(&self.root().join(t.name))?;
            if let Some(&(v, _)) = times.iter().rev().find(|(_, ts)| *ts <= committed_ms) {
                tables.insert(t.name.to_string(), v);
            }
        }
        Ok(Pin {
            version,
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
    pub fn versions(&self) -> Result<Vec<(u64, i64, Option<String>)>> {
        let dir = self.root().join("events");
        let mut out = Vec::new();
        for (v, ts) in commit_times(&dir)? {
            let op = commit_info(&dir, v)?.and_then(|i| {
                i.get("xaudit.operation")
                    .and_then(|o| o.as_str())
                    .map(String::from)
            });
            out.push((v, ts, op));
        }
        Ok(out)
    }
}
