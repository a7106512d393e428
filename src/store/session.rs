//! The DataFusion session over a store: every table registered under its name (empty ones too,
//! so queries work on a fresh store), at the latest or a given version.

use std::sync::Arc;

use datafusion::catalog::MemTable;
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
        match table {
            Some(table) => register_delta(&ctx, store, t.name, table).await?,
            None => {
                let empty = MemTable::try_new(t.schema(), vec![vec![]])?;
                ctx.register_table(t.name, Arc::new(empty))?;
            }
        }
    }
    ctx.register_table("store_versions", Arc::new(store_versions(store)?))?;
    Ok(ctx)
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

/// The store's history as a table: one row per version, with its commit time and operation.
fn store_versions(store: &Store) -> Result<MemTable> {
    use datafusion::arrow::array::{
        ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray, UInt64Array,
    };
    use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    let versions = store.versions()?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("version", DataType::UInt64, false),
        Field::new(
            "committed_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("operation", DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(versions.iter().map(|v| v.0))),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(versions.iter().map(|v| v.1 * 1000))
                .with_timezone("UTC"),
        ),
        Arc::new(StringArray::from_iter(versions.iter().map(|v| v.2.clone()))),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    Ok(MemTable::try_new(schema, vec![vec![batch]])?)
}
