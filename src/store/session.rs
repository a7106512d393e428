//! The DataFusion session over a store: every table registered under its name (empty ones too,
//! so queries work on a fresh store), at the latest or a given version.

use std::sync::Arc;

use datafusion::catalog::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::Store;
use crate::error::{Error, Result};
use crate::model::schema::tables;

#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Read `events` as of this version (time travel); other tables at their latest.
    pub as_of_version: Option<u64>,
}

pub async fn session(store: &Store, opts: &SessionOptions) -> Result<SessionContext> {
    let config = SessionConfig::new()
        .with_information_schema(true)
        .with_target_partitions(2);
    let ctx = SessionContext::new_with_config(config);
    for t in tables() {
        let table = match (t.name, opts.as_of_version) {
            ("events", Some(v)) => {
                let table = store.open_at_version("events", v).await?;
                if table.is_none() {
                    return Err(Error::Usage(format!(
                        "the store has no events table, so no version {v}"
                    )));
                }
                table
            }
            _ => store.open(t.name).await?,
        };
        match table {
            Some(table) => {
                table
                    .update_datafusion_session(&ctx.state())
                    .map_err(|e| Error::store(store.root().join(t.name), e))?;
                let provider = table
                    .table_provider()
                    .await
                    .map_err(|e| Error::store(store.root().join(t.name), e))?;
                ctx.register_table(t.name, provider)?;
            }
            None => {
                let empty = MemTable::try_new(t.schema(), vec![vec![]])?;
                ctx.register_table(t.name, Arc::new(empty))?;
            }
        }
    }
    Ok(ctx)
}
