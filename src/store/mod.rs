//! The store: one Delta Lake table per kind of row under one folder, readable by any Delta reader
//! (delta-rs, DuckDB, Spark, Polars). Appends only. The store's version is the `events` table's
//! version, and events are committed last in an ingest, so a store whose events table is at
//! version N holds everything that ingest N brought.

mod lock;
mod maintenance;
mod retention;
mod rows;
mod session;
mod superseded;
mod time_travel;
mod writer;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use datafusion::prelude::SessionContext;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake::kernel::{StructType, transaction::CommitProperties};
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, DeltaTableError};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::schema::{Table, tables};

pub use lock::{Contention, StoreLock};
pub use maintenance::{CheckReport, Compacted, Problem};
pub use retention::{KEEP_HISTORY, history_kept_notice, keeps_history};
pub use rows::{batches_to_rows, column, query_rows};
pub use session::{AsOf, SessionOptions, TableAccess, register_tables};
pub use superseded::{Reason, SupersededRow, row_key};
pub use time_travel::Pin;
pub use writer::{ChunkBuilder, EventChunk, EventWriter, IdSet, RelationEvent, Stored};

pub struct Store {
    root: PathBuf,
}

impl Store {
    /// A store at `root`; the folder is created on the first write.
    pub fn at(root: impl Into<PathBuf>) -> Result<Store> {
        let root: PathBuf = root.into();
        if root.exists() && !root.is_dir() {
            return Err(Error::Usage(format!(
                "--store {}: exists and is not a folder",
                root.display()
            )));
        }
        Ok(Store { root })
    }

    /// A store that must already exist (for sql, stats).
    pub fn existing(root: impl Into<PathBuf>) -> Result<Store> {
        let store = Store::at(root)?;
        if !store.root.join("events").join("_delta_log").is_dir() {
            return Err(Error::Usage(format!(
                "--store {}: no xaudit store here (expected {}/events/_delta_log); create one with `xaudit ingest --store {} INPUT…`",
                store.root.display(),
                store.root.display(),
                store.root.display()
            )));
        }
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn table_url(&self, name: &str) -> Result<url::Url> {
        let dir = self.root.join(name);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let abs = dir.canonicalize().map_err(|e| Error::io(&dir, e))?;
        url::Url::from_directory_path(&abs)
            .map_err(|_| Error::Internal(format!("cannot make a URL of {}", abs.display())))
    }

    fn err(&self, name: &str, e: DeltaTableError) -> Error {
        Error::store(self.root.join(name), e)
    }

    /// Open a table, or None when it has never been written.
    pub async fn open(&self, name: &str) -> Result<Option<DeltaTable>> {
        if !self.root.join(name).join("_delta_log").is_dir() {
            return Ok(None);
        }
        let url = self.table_url(name)?;
        deltalake::open_table(url)
            .await
            .map(Some)
            .map_err(|e| self.err(name, e))
    }

    pub async fn open_at_version(&self, name: &str, version: u64) -> Result<Option<DeltaTable>> {
        if !self.root.join(name).join("_delta_log").is_dir() {
            return Ok(None);
        }
        let url = self.table_url(name)?;
        deltalake::open_table_with_version(url, version)
            .await
            .map(Some)
            .map_err(|e| self.err(name, e))
    }

    /// Open a table, creating it (empty, version 0) when absent.
    pub async fn open_or_create(&self, t: &Table) -> Result<DeltaTable> {
        if let Some(table) = self.open(t.name).await? {
            return Ok(table);
        }
        let url = self.table_url(t.name)?;
        let schema: StructType = t
            .schema()
            .as_ref()
            .try_into_kernel()
            .map_err(|e| self.err(t.name, e.into()))?;
        let table = DeltaTable::try_from_url(url)
            .await
            .map_err(|e| self.err(t.name, e))?;
        table
            .create()
            .with_table_name(t.name)
            .with_comment(t.doc)
            .with_columns(schema.fields().cloned())
            .with_configuration(
                retention::KEEP_HISTORY
                    .iter()
                    .map(|(k, v)| (k.to_string(), Some(v.to_string()))),
            )
            .with_save_mode(SaveMode::Ignore)
            .await
            .map_err(|e| self.err(t.name, e))
    }

    /// Create every table that does not exist yet. Returns the names of the tables that do not
    /// keep their whole history yet (made by an older xaudit; see [`retention`]): a run switches
    /// them with [`Store::keep_history_of`] once it has written successfully, so that a failed
    /// run leaves the store as it was.
    pub async fn init(&self) -> Result<Vec<&'static str>> {
        let mut lacking = Vec::new();
        for t in tables() {
            let table = self.open_or_create(t).await?;
            if !keeps_history(&table) {
                lacking.push(t.name);
            }
        }
        Ok(lacking)
    }

    /// The store version: the events table's version, None for a store never written.
    pub async fn version(&self) -> Result<Option<u64>> {
        Ok(self.open("events").await?.and_then(|t| t.version()))
    }

    /// Values of `column` in the table `name`, opened as `delta` (for de-duplicating appends of
    /// small tables). Only that table is read: a full session opens every table, and an ingest
    /// appends to six. A table without files (a new store's) is not queried at all.
    async fn column_values(
        &self,
        name: &str,
        delta: &DeltaTable,
        column: &str,
    ) -> Result<HashSet<String>> {
        let mut out = HashSet::new();
        if !holds_files(delta).map_err(|e| self.err(name, e))? {
            return Ok(out);
        }
        let ctx = datafusion::prelude::SessionContext::new();
        session::register_delta(&ctx, self, name, delta.clone()).await?;
        let df = ctx
            .sql(&format!("SELECT \"{column}\" FROM \"{name}\""))
            .await?;
        for b in df.collect().await? {
            let strings = utf8(rows::column(name, &b, column)?)?;
            for i in 0..strings.len() {
                if strings.is_valid(i) {
                    out.insert(strings.value(i).to_string());
                }
            }
        }
        Ok(out)
    }

    /// Append serializable rows to a small table, skipping rows whose key is already there (or
    /// earlier in `rows`). Returns the rows added.
    pub async fn append_rows<T: Serialize>(
        &self,
        t: &Table,
        rows: &[T],
        metadata: &serde_json::Value,
    ) -> Result<usize> {
        if rows.is_empty() {
            return Ok(0);
        }
        let table = self.open_or_create(t).await?;
        let existing = self.column_values(t.name, &table, t.key).await?;
        // Serialized straight into Arrow and de-duplicated on the batch's key column: going
        // through `serde_json::Value` to read each row's key cost more than the write (a trend
        // log's tens of thousands of rows, in the serial tail of an ingest).
        let batch = rows_to_batch(t, rows)?;
        let keys = utf8(
            batch
                .column_by_name(t.key)
                .ok_or_else(|| Error::Internal(format!("{} has no column {}", t.name, t.key)))?,
        )?;
        let mut seen = HashSet::new();
        let fresh: BooleanArray = keys
            .iter()
            .map(|k| {
                let k = k.unwrap_or_default();
                Some(!existing.contains(k) && seen.insert(k))
            })
            .collect();
        let added = fresh.true_count();
        if added == 0 {
            return Ok(0);
        }
        let batch = datafusion::arrow::compute::filter_record_batch(&batch, &fresh)?;
        table
            .write(vec![batch])
            .with_save_mode(SaveMode::Append)
            .with_commit_properties(commit_properties(metadata))
            .await
            .map_err(|e| self.err(t.name, e))?;
        Ok(added)
    }

    /// A DataFusion session with the store's tables (and xaudit's functions) registered.
    pub async fn session(&self, opts: &SessionOptions) -> Result<SessionContext> {
        let pin = self.resolve(opts.as_of).await?;
        session::session_at(self, pin.as_ref()).await
    }

    /// A session reading the tables at an already resolved `pin` (None: the latest).
    pub async fn session_at(&self, pin: Option<&Pin>) -> Result<SessionContext> {
        session::session_at(self, pin).await
    }
}

/// A column as plain UTF-8 strings, whatever string layout the scan produced (Delta scans may
/// return `Utf8View`).
pub fn utf8(
    col: &datafusion::arrow::array::ArrayRef,
) -> Result<datafusion::arrow::array::StringArray> {
    let c = datafusion::arrow::compute::cast(col, &datafusion::arrow::datatypes::DataType::Utf8)?;
    Ok(c.as_string::<i32>().clone())
}

/// A column as i64 (timestamps as microseconds).
pub fn int64(
    col: &datafusion::arrow::array::ArrayRef,
) -> Result<datafusion::arrow::array::Int64Array> {
    let c = datafusion::arrow::compute::cast(col, &datafusion::arrow::datatypes::DataType::Int64)?;
    Ok(c.as_primitive::<datafusion::arrow::datatypes::Int64Type>()
        .clone())
}

/// Whether a table has any data files: one that has none (just created) need not be scanned.
fn holds_files(table: &DeltaTable) -> std::result::Result<bool, DeltaTableError> {
    Ok(table.snapshot()?.log_data().num_files() > 0)
}

pub fn commit_properties(metadata: &serde_json::Value) -> CommitProperties {
    let mut m = vec![(
        "xaudit.version".to_string(),
        serde_json::Value::String(env!("CARGO_PKG_VERSION").to_string()),
    )];
    if let Some(o) = metadata.as_object() {
        m.extend(o.iter().map(|(k, v)| (format!("xaudit.{k}"), v.clone())));
    }
    retention::without_cleanup(CommitProperties::default().with_metadata(m))
}

/// Serde rows → Arrow, through arrow's JSON decoder (so every side table has one code path).
pub fn rows_to_batch<T: Serialize>(t: &Table, rows: &[T]) -> Result<RecordBatch> {
    let mut decoder = datafusion::arrow::json::ReaderBuilder::new(t.schema()).build_decoder()?;
    decoder.serialize(rows)?;
    decoder
        .flush()?
        .ok_or_else(|| Error::Internal(format!("no rows decoded for {}", t.name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schema::ACCOUNTS;
    use crate::readers::AccountRow;

    /// Appends skip rows whose key is stored already or came earlier in the same call, and keep
    /// the others in their order (the rows are de-duplicated on the Arrow batch's key column).
    #[tokio::test]
    async fn append_rows_skips_keys_stored_or_repeated_and_keeps_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path()).unwrap();
        let meta = serde_json::json!({ "operation": "test" });
        let row = |account: &str, handle: &str| {
            let mut r = AccountRow::new(account, 1_000, "a.zip");
            r.handle = Some(handle.into());
            r
        };
        let first = [row("1", "one"), row("2", "two"), row("1", "one again")];
        assert_eq!(
            store.append_rows(&ACCOUNTS, &first, &meta).await.unwrap(),
            2
        );
        let second = [row("2", "two again"), row("3", "three"), row("4", "four")];
        assert_eq!(
            store.append_rows(&ACCOUNTS, &second, &meta).await.unwrap(),
            2
        );
        assert_eq!(
            store.append_rows(&ACCOUNTS, &second, &meta).await.unwrap(),
            0
        );

        let ctx = store.session(&SessionOptions::default()).await.unwrap();
        let batches = ctx
            .sql("SELECT account_id, handle FROM accounts ORDER BY account_id")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let mut stored = Vec::new();
        for b in &batches {
            let (ids, handles) = (
                utf8(column("test", b, "account_id").unwrap()).unwrap(),
                utf8(column("test", b, "handle").unwrap()).unwrap(),
            );
            for i in 0..b.num_rows() {
                stored.push(format!("{}={}", ids.value(i), handles.value(i)));
            }
        }
        assert_eq!(stored, ["1=one", "2=two", "3=three", "4=four"]);
    }
}
