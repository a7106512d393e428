//! The DataFusion session over a store: every table registered under its name (empty ones too,
//! so queries work on a fresh store), at the latest or a given version.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::{MemTable, Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::datasource::empty::EmptyTable;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::{Pin, Store};
use crate::error::{Error, Result};
use crate::model::schema::tables;

#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Read every table as it was then (time travel); None reads the latest.
    pub as_of: Option<AsOf>,
}

/// A point in the store's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// An events (store) version.
    Version(u64),
    /// A moment, µs since the epoch: the store as the latest version committed by then.
    Time(i64),
}

impl Store {
    /// Which table versions `as_of` means (None: the latest of everything).
    pub async fn resolve(&self, as_of: Option<AsOf>) -> Result<Option<Pin>> {
        Ok(match as_of {
            None => None,
            Some(AsOf::Version(v)) => Some(self.pin_version(v).await?),
            Some(AsOf::Time(t)) => Some(self.pin_time(t).await?),
        })
    }
}

/// A session reading the tables at `pin` (the latest of everything when None).
pub async fn session_at(store: &Store, pin: Option<&Pin>) -> Result<SessionContext> {
    let config = SessionConfig::new()
        .with_information_schema(true)
        .with_target_partitions(2);
    let ctx = SessionContext::new_with_config(config);
    register_tables(&ctx, store, pin, TableAccess::Delta).await?;
    ctx.register_table("store_versions", Arc::new(StoreVersions::new(store)))?;
    Ok(ctx)
}

/// How a session reads the store's Delta tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableAccess {
    /// Through delta-rs's table provider.
    Delta,
    /// As Parquet files: exactly the files of the pinned version, listed once (an empty table as
    /// an empty one). A plan over these a distributed engine can ship: its executors read the
    /// same files (delta-rs's own scan has no codec), and the version stays the one pinned.
    Files,
}

/// Register every table of the store in `ctx` at `pin` (empty ones too, so queries work on a
/// fresh store), and the `events` view over `event_log`.
pub async fn register_tables(
    ctx: &SessionContext,
    store: &Store,
    pin: Option<&Pin>,
    access: TableAccess,
) -> Result<()> {
    let mut may_hold_unholdable = false;
    for t in tables() {
        let table = match pin {
            None => store.open(t.name).await?,
            Some(_) if crate::model::schema::AUDIT_LOG.contains(&t.name) => {
                store.open(t.name).await?
            }
            Some(pin) if t.name == "events" => store.open_at_version("events", pin.version).await?,
            Some(pin) => match pin.tables.get(t.name) {
                Some(&v) => store.open_at_version(t.name, v).await?,
                // The table did not exist yet at that point.
                None => None,
            },
        };
        // The events table is registered as `event_log`; `events` is the view of it every rule
        // and query reads (see `register_events_view`).
        let name = if t.name == "events" {
            may_hold_unholdable = table.as_ref().is_some_and(may_hold_unholdable_times);
            "event_log"
        } else {
            t.name
        };
        match (table, access) {
            (Some(table), TableAccess::Delta) => register_delta(ctx, store, name, table).await?,
            (Some(table), TableAccess::Files) => register_files(ctx, store, name, &table)?,
            (None, TableAccess::Delta) => {
                let empty = MemTable::try_new(t.schema(), vec![vec![]])?;
                ctx.register_table(name, Arc::new(empty))?;
            }
            (None, TableAccess::Files) => {
                ctx.register_table(name, Arc::new(EmptyTable::new(t.schema())))?;
            }
        }
    }
    register_events_view(ctx, may_hold_unholdable).await
}

/// Register the files of a Delta table's loaded version under `name` (see [`TableAccess::Files`]).
/// Files alone say the table's rows only without partition columns, deletion vectors or column
/// mapping (reader version 1), which is how xaudit writes its tables; anything else is refused.
fn register_files(
    ctx: &SessionContext,
    store: &Store,
    name: &str,
    table: &deltalake::DeltaTable,
) -> Result<()> {
    use datafusion::datasource::file_format::parquet::ParquetFormat;
    use datafusion::datasource::listing::{
        ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
    };
    let path = store.root().join(name);
    let state = table.snapshot().map_err(|e| Error::store(&path, e))?;
    let partitioned = !state.metadata().partition_columns().is_empty();
    let reader_version = state.protocol().min_reader_version();
    if partitioned || reader_version > 1 {
        return Err(Error::Usage(format!(
            "store {}: the table is partitioned or needs Delta reader version {reader_version} \
             (deletion vectors, column mapping); a cluster reads a table by its Parquet files and \
             cannot read this one (xaudit does not write such tables): audit it without --cluster",
            path.display()
        )));
    }
    let schema = state.snapshot().arrow_schema();
    let urls = table
        .get_file_uris()
        .map_err(|e| Error::store(&path, e))?
        .map(|uri| ListingTableUrl::parse(&uri))
        .collect::<datafusion::error::Result<Vec<_>>>()?;
    if urls.is_empty() {
        ctx.register_table(name, Arc::new(EmptyTable::new(schema)))?;
        return Ok(());
    }
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(schema);
    ctx.register_table(name, Arc::new(ListingTable::try_new(config)?))?;
    Ok(())
}

/// Whether any file of the events table may hold a time outside what the engine holds, by the
/// minimum and maximum times the Delta log records per file (a file without them may). Checking
/// every row of every scan cost an audit of 1M events about 5 %.
pub(super) fn may_hold_unholdable_times(table: &deltalake::DeltaTable) -> bool {
    use crate::model::time::{holdable, parse_ts};
    let Ok(snapshot) = table.snapshot() else {
        return true;
    };
    snapshot.log_data().into_iter().any(|file| {
        let Some(stats) = file
            .stats()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        else {
            return true;
        };
        ["minValues", "maxValues"].iter().any(|bound| {
            ["ts", "ts_lower"]
                .iter()
                .any(|c| match stats[bound][c].as_str().and_then(parse_ts) {
                    Some(t) => !holdable(t),
                    None => true,
                })
        })
    })
}

/// `events`: the rows of `event_log` a later ingest did not supersede (see
/// [`super::superseded`]), with a time the engine can hold. Ingest refuses any other time, but a
/// store written before it did may hold one, and a single such row made every audit fail:
/// `xaudit store check` lists them. A store with nothing superseded reads `event_log` straight.
async fn register_events_view(ctx: &SessionContext, may_hold_unholdable: bool) -> Result<()> {
    use crate::model::time::{ENGINE_MAX_MICROS, ENGINE_MIN_MICROS};
    let holdable = |c: &str| {
        if may_hold_unholdable {
            format!(
                "{c} BETWEEN to_timestamp_micros({ENGINE_MIN_MICROS}) AND to_timestamp_micros({ENGINE_MAX_MICROS})"
            )
        } else {
            "true".to_string()
        }
    };
    let any_superseded = !ctx
        .sql("SELECT 1 FROM superseded LIMIT 1")
        .await?
        .collect()
        .await?
        .iter()
        .all(|b| b.num_rows() == 0);
    let not_superseded = if any_superseded {
        " AND NOT EXISTS (SELECT 1 FROM superseded s WHERE s.event_id = e.event_id AND s.origin = e.origin)"
    } else {
        ""
    };
    let sql = format!(
        "CREATE VIEW events AS SELECT * FROM event_log e WHERE e.origin <> 'explained_snapshot' AND {} AND {}{not_superseded}",
        holdable("ts"),
        holdable("ts_lower")
    );
    ctx.sql(&sql).await?.collect().await?;
    Ok(())
}

/// Register a Delta table of the store in `ctx` under `name`.
pub async fn register_delta(
    ctx: &SessionContext,
    store: &Store,
    name: &str,
    table: deltalake::DeltaTable,
) -> Result<()> {
    table
        .update_datafusion_session(&ctx.state())
        .map_err(|e| Error::store(store.root().join(name), e))?;
    let provider = table
        .table_provider()
        .await
        .map_err(|e| Error::store(store.root().join(name), e))?;
    ctx.register_table(name, provider)?;
    Ok(())
}

/// The store's history as a table: one row per version, with its commit time and operation. Read
/// when a query scans it, not when a session opens: the history grows by a commit a night, and
/// the sessions of ingests and audits never read it.
#[derive(Debug)]
struct StoreVersions {
    store: PathBuf,
    schema: SchemaRef,
}

impl StoreVersions {
    fn new(store: &Store) -> StoreVersions {
        StoreVersions {
            store: store.root().to_path_buf(),
            schema: Arc::new(Schema::new(vec![
                Field::new("version", DataType::UInt64, false),
                Field::new(
                    "committed_at",
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    false,
                ),
                Field::new("operation", DataType::Utf8, true),
            ])),
        }
    }

    async fn batch(&self) -> Result<RecordBatch> {
        let versions = Store::at(&self.store)?.versions().await?;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(UInt64Array::from_iter_values(versions.iter().map(|v| v.0))),
            Arc::new(
                TimestampMicrosecondArray::from_iter_values(versions.iter().map(|v| v.1 * 1000))
                    .with_timezone("UTC"),
            ),
            Arc::new(StringArray::from_iter(versions.iter().map(|v| v.2.clone()))),
        ];
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

#[async_trait]
impl TableProvider for StoreVersions {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let batch = self
            .batch()
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        MemTable::try_new(self.schema.clone(), vec![vec![batch]])?
            .scan(state, projection, filters, limit)
            .await
    }
}
