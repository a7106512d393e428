//! Keeping a store that lives for years in shape without touching its past: `optimize` compacts
//! the small files that years of nightly ingests leave, `check` proves every version of every
//! table can still be read. Neither deletes a file: a compacted file stays on disk for the
//! versions that read it (see [`super::retention`]).

use std::collections::{BTreeMap, HashSet};
use std::num::NonZeroU64;

use deltalake::DeltaTable;
use serde::Serialize;

use super::Store;
use crate::error::{Error, Result};
use crate::model::schema::{Table, tables};
use crate::model::time::{ENGINE_MAX_MICROS, ENGINE_MIN_MICROS, format_ts};

/// What `optimize` did to one table.
#[derive(Debug, Clone, Serialize)]
pub struct Compacted {
    pub table: &'static str,
    pub files_before: usize,
    pub files_removed: u64,
    pub files_added: u64,
    /// The table's version after the run (unchanged when there was nothing to compact).
    pub version: Option<u64>,
}

/// One problem `check` found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    pub table: String,
    /// The version it was found at (None: not tied to one version).
    pub version: Option<u64>,
    pub what: String,
}

/// What `check` looked at, and what it found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// Versions read, per table.
    pub versions: BTreeMap<String, u64>,
    /// Distinct data files checked (present, of the size the log records).
    pub files: u64,
    pub problems: Vec<Problem>,
}

fn file_count(table: &DeltaTable) -> usize {
    table
        .snapshot()
        .map(|s| s.log_data().num_files())
        .unwrap_or(0)
}

impl Store {
    /// Compact every table's small files into files of about `target_size` bytes (delta-rs's
    /// default, 100 MiB, when None). Side tables go first and `events` last, and the events
    /// commit records the side tables' versions, like an ingest's: `--as-of-version` keeps
    /// pinning every table. The data is unchanged; earlier versions still read their files.
    pub async fn optimize(&self, target_size: Option<NonZeroU64>) -> Result<Vec<Compacted>> {
        let mut out = Vec::new();
        let side = tables().into_iter().filter(|t| t.name != "events");
        let events = tables().into_iter().filter(|t| t.name == "events");
        for t in side.chain(events) {
            let Some(table) = self.open(t.name).await? else {
                continue;
            };
            let files_before = file_count(&table);
            let mut meta = serde_json::json!({ "operation": "optimize" });
            if t.name == "events" {
                meta["tables"] = serde_json::to_value(self.table_versions().await?)
                    .map_err(|e| Error::Internal(format!("table versions: {e}")))?;
            }
            let mut builder = table
                .optimize()
                .with_commit_properties(super::commit_properties(&meta));
            if let Some(size) = target_size {
                builder = builder.with_target_size(size);
            }
            if t.name == "events" {
                // Compacted event files are written as an ingest writes them.
                builder = builder.with_writer_properties(super::writer::writer_properties());
            }
            let (table, metrics) = builder.await.map_err(|e| self.err(t.name, e))?;
            out.push(Compacted {
                table: t.name,
                files_before,
                files_removed: metrics.num_files_removed,
                files_added: metrics.num_files_added,
                version: table.version(),
            });
        }
        Ok(out)
    }

    /// Read every version of every table: each version's log must load, every data file a
    /// version refers to must be present with the size its log records, the side-table versions
    /// an events commit pins must exist and be no newer than it, no key may be stored twice, and
    /// no event time may lie outside what the engine can hold.
    pub async fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        let mut seen_files = HashSet::new();
        let mut commit_times: BTreeMap<&str, BTreeMap<u64, i64>> = BTreeMap::new();
        for t in tables() {
            let history = self.history(t.name).await?;
            if history.is_empty() {
                continue;
            }
            report
                .versions
                .insert(t.name.to_string(), history.len() as u64);
            commit_times.insert(
                t.name,
                history.iter().map(|c| (c.version, c.at_ms)).collect(),
            );
            self.check_versions(t, &history, &mut seen_files, &mut report)
                .await?;
            // A table whose files are damaged cannot be scanned: that is a finding of the check,
            // not a reason to stop it.
            if let Err(e) = self.check_keys(t, &mut report).await {
                report.problems.push(Problem {
                    table: t.name.into(),
                    version: None,
                    what: format!("its latest version cannot be scanned: {e}"),
                });
            }
        }
        report.files = seen_files.len() as u64;
        // The side-table versions each events commit pins.
        for commit in self.history("events").await? {
            let Some(pinned) = commit
                .info
                .get("xaudit.tables")
                .and_then(|t| serde_json::from_value::<BTreeMap<String, u64>>(t.clone()).ok())
            else {
                continue;
            };
            for (name, v) in pinned {
                let what = match commit_times.get(name.as_str()).and_then(|c| c.get(&v)) {
                    None => format!("pins {name} at version {v}, which its log does not hold"),
                    Some(&at) if at > commit.at_ms => format!(
                        "pins {name} at version {v}, committed after this version ({} > {})",
                        format_ts(at * 1000),
                        format_ts(commit.at_ms * 1000)
                    ),
                    Some(_) => continue,
                };
                report.problems.push(Problem {
                    table: "events".into(),
                    version: Some(commit.version),
                    what,
                });
            }
        }
        if let Err(e) = self.check_times(&mut report).await {
            report.problems.push(Problem {
                table: "events".into(),
                version: None,
                what: format!("its times cannot be checked: {e}"),
            });
        }
        Ok(report)
    }

    /// Load each version in turn (forward, one commit at a time) and check the files it names.
    async fn check_versions(
        &self,
        t: &Table,
        history: &[super::time_travel::Commit],
        seen_files: &mut HashSet<String>,
        report: &mut CheckReport,
    ) -> Result<()> {
        let dir = self.table_url(t.name)?;
        let Some(mut table) = self.open_at_version(t.name, history[0].version).await? else {
            return Ok(());
        };
        for commit in history {
            if let Err(e) = table.load_version(commit.version).await {
                report.problems.push(Problem {
                    table: t.name.into(),
                    version: Some(commit.version),
                    what: format!("the version cannot be loaded: {e}"),
                });
                continue;
            }
            let snapshot = table.snapshot().map_err(|e| self.err(t.name, e))?;
            for file in snapshot.log_data() {
                let path = file.path().to_string();
                if !seen_files.insert(format!("{}/{path}", t.name)) {
                    continue;
                }
                // Log paths are relative URLs (percent-encoded), resolved against the table's.
                let Some(on_disk) = dir.join(&path).ok().and_then(|u| u.to_file_path().ok()) else {
                    report.problems.push(Problem {
                        table: t.name.into(),
                        version: Some(commit.version),
                        what: format!("data file {path} is not a path inside the table"),
                    });
                    continue;
                };
                let what = match std::fs::metadata(&on_disk) {
                    Err(e) => format!("data file {path} is missing ({e})"),
                    Ok(m) if m.len() as i64 != file.size() => format!(
                        "data file {path} has {} bytes, the log records {}",
                        m.len(),
                        file.size()
                    ),
                    Ok(_) => continue,
                };
                report.problems.push(Problem {
                    table: t.name.into(),
                    version: Some(commit.version),
                    what,
                });
            }
        }
        Ok(())
    }

    /// Keys stored more than once at the latest version (appends de-duplicate on the key).
    async fn check_keys(&self, t: &Table, report: &mut CheckReport) -> Result<()> {
        let Some(table) = self.open(t.name).await? else {
            return Ok(());
        };
        // The events table holds superseded copies beside the copy shown, by design: its key is
        // unique in the `events` view.
        let ctx = if t.name == "events" {
            self.session(&Default::default()).await?
        } else {
            let ctx = datafusion::prelude::SessionContext::new();
            super::session::register_delta(&ctx, self, t.name, table).await?;
            ctx
        };
        let q = format!(
            "SELECT CAST(\"{k}\" AS VARCHAR) AS k, count(*) AS n FROM \"{name}\" GROUP BY \"{k}\" HAVING count(*) > 1 ORDER BY k LIMIT 5",
            k = t.key,
            name = t.name
        );
        for b in ctx.sql(&q).await?.collect().await? {
            let keys = super::utf8(super::column("store check", &b, "k")?)?;
            let counts = super::int64(super::column("store check", &b, "n")?)?;
            for i in 0..b.num_rows() {
                report.problems.push(Problem {
                    table: t.name.into(),
                    version: None,
                    what: format!(
                        "{} {} is stored {} times",
                        t.key,
                        keys.value(i),
                        counts.value(i)
                    ),
                });
            }
        }
        Ok(())
    }

    /// Event times outside what the engine holds (stored by an xaudit that did not refuse them).
    async fn check_times(&self, report: &mut CheckReport) -> Result<()> {
        for row in self.unholdable_events(20).await? {
            report.problems.push(Problem {
                table: "events".into(),
                version: None,
                what: row,
            });
        }
        Ok(())
    }

    /// Up to `limit` stored events whose time the engine cannot hold, each described by its id,
    /// its input and record, and the value.
    pub async fn unholdable_events(&self, limit: usize) -> Result<Vec<String>> {
        let Some(table) = self.open("events").await? else {
            return Ok(Vec::new());
        };
        // The log's per-file minimum and maximum times answer for nearly every store without a
        // scan (every audit asks).
        if !super::session::may_hold_unholdable_times(&table) {
            return Ok(Vec::new());
        }
        let ctx = datafusion::prelude::SessionContext::new();
        super::session::register_delta(&ctx, self, "events", table).await?;
        let q = format!(
            "SELECT event_id, source, source_record, CAST(ts AS BIGINT) AS ts, CAST(ts_lower AS BIGINT) AS ts_lower FROM events \
             WHERE CAST(ts AS BIGINT) NOT BETWEEN {ENGINE_MIN_MICROS} AND {ENGINE_MAX_MICROS} \
                OR CAST(ts_lower AS BIGINT) NOT BETWEEN {ENGINE_MIN_MICROS} AND {ENGINE_MAX_MICROS} \
             ORDER BY event_id LIMIT {limit}"
        );
        let mut out = Vec::new();
        for b in ctx.sql(&q).await?.collect().await? {
            const Q: &str = "events with times out of range";
            let id = super::utf8(super::column(Q, &b, "event_id")?)?;
            let source = super::utf8(super::column(Q, &b, "source")?)?;
            let record = super::int64(super::column(Q, &b, "source_record")?)?;
            let ts = super::int64(super::column(Q, &b, "ts")?)?;
            let lower = super::int64(super::column(Q, &b, "ts_lower")?)?;
            for i in 0..b.num_rows() {
                out.push(format!(
                    "event {} ({} record {}) has a time the engine cannot hold: ts {} µs, ts_lower {} µs since 1970 (it holds {} to {})",
                    id.value(i),
                    source.value(i),
                    record.value(i),
                    ts.value(i),
                    lower.value(i),
                    format_ts(ENGINE_MIN_MICROS),
                    format_ts(ENGINE_MAX_MICROS)
                ));
            }
        }
        Ok(out)
    }
}
