//! A view computed at most once per audit session: the first scan runs its plan and keeps the
//! batches, later scans (other rules, the same rule's other references) read them from memory.
//! Used for the text stages (normalizing and clustering millions of posts) that several rules
//! share; a plain view would recompute them for every reference.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::view::ViewTable;
use datafusion::catalog::{MemTable, Session, TableProvider};
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_plan::{ExecutionPlan, execute_stream_partitioned};
use datafusion::prelude::ParquetReadOptions;
use futures::{StreamExt, TryStreamExt};
use tokio::sync::Mutex;

#[derive(Debug)]
pub struct CachedView {
    name: String,
    plan: LogicalPlan,
    schema: SchemaRef,
    /// The batches once computed; emptied again by [`CachedView::release`].
    table: Mutex<Option<Arc<MemTable>>>,
}

/// Register `plan` as the view `name`: a [`CachedView`] in a local session. On a cluster, whose
/// executors cannot read this process's memory: with a view folder (`--cluster-views`), computed
/// now on the cluster into Parquet files there and read back from them; without, a plain view,
/// computed where it is read.
pub async fn register(
    ctx: &datafusion::prelude::SessionContext,
    name: &str,
    plan: LogicalPlan,
) -> Result<()> {
    if !crate::cluster::is_remote(ctx) {
        ctx.register_table(name, Arc::new(CachedView::new(name, plan)))?;
        return Ok(());
    }
    let Some(folder) = crate::cluster::view_folder(ctx) else {
        ctx.register_table(name, Arc::new(ViewTable::new(plan, None)))?;
        return Ok(());
    };
    let lap = super::Lap::start();
    let folder = folder.next(name);
    // Made here: a view without rows leaves no file, and its folder must still read as empty.
    std::fs::create_dir(&folder).map_err(|e| {
        DataFusionError::Execution(format!(
            "cannot create the view folder {}: {e}",
            folder.display()
        ))
    })?;
    // Read back as the plan's types (not what a Parquet reader would infer), every column
    // nullable: a plain view in its place would give the rules those same types.
    let schema = nullable_schema(&plan, |_| None);
    // A trailing separator: the path is a folder the executors write their part files into.
    let files = format!("{}/", folder.display());
    DataFrame::new(ctx.state(), plan)
        .write_parquet(&files, DataFrameWriteOptions::new(), None)
        .await?;
    let read = ParquetReadOptions::default().schema(&schema);
    ctx.register_parquet(name, &files, read).await?;
    lap.report(format_args!("{name}: written to {files}"));
    Ok(())
}

impl CachedView {
    pub fn new(name: impl Into<String>, plan: LogicalPlan) -> Self {
        // Every column nullable: the logical plan's nullability can be stricter than what its
        // physical plan reports (an aggregate, a CASE), and the batches must fit the schema.
        let schema = Arc::new(nullable_schema(&plan, kept_type));
        CachedView {
            name: name.into(),
            plan,
            schema,
            table: Mutex::new(None),
        }
    }

    /// Drop the computed batches: the audit calls this once no later rule reads the view. A
    /// later scan would compute them again.
    pub async fn release(&self) {
        self.table.lock().await.take();
    }
}

/// `plan`'s schema with every column nullable, and of the type `retype` gives where it gives one.
fn nullable_schema(plan: &LogicalPlan, retype: fn(&DataType) -> Option<DataType>) -> Schema {
    let arrow = plan.schema().as_arrow();
    Schema::new_with_metadata(
        arrow
            .fields()
            .iter()
            .map(|f| {
                let kept = retype(f.data_type()).unwrap_or_else(|| f.data_type().clone());
                f.as_ref().clone().with_data_type(kept).with_nullable(true)
            })
            .collect::<Vec<_>>(),
        arrow.metadata().clone(),
    )
}

/// How a view keeps a column of this type, when not as computed: strings as offsets and bytes
/// rather than string views. Parquet reads strings as views, whose 16-byte handles cost more than
/// a 4-byte offset for every string, and whose buffers a filter shares with the rows it dropped:
/// the 7.4M posts of a 12M-event store took 1.7 GiB as views (issue 23).
fn kept_type(t: &DataType) -> Option<DataType> {
    match t {
        DataType::Utf8View => Some(DataType::Utf8),
        DataType::BinaryView => Some(DataType::Binary),
        _ => None,
    }
}

/// The memory the batches hold, counting each one's own rows only: the slices of one large array
/// (an unnested list) would otherwise count the whole array once per batch.
fn held_bytes<'a>(batches: impl Iterator<Item = &'a RecordBatch>) -> usize {
    batches
        .flat_map(|b| b.columns())
        .map(|c| c.to_data().get_slice_memory_size().unwrap_or(0))
        .sum()
}

/// The batch in the view's `schema`, strings copied out of their views (see [`kept_type`]).
fn compact(schema: &SchemaRef, batch: &RecordBatch) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .map(|c| match kept_type(c.data_type()) {
            Some(kept) => cast(c, &kept),
            None => Ok(c.clone()),
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// The batches dealt round-robin over `n` partitions. A view keeps the partitions its plan made,
/// and those can be lopsided: a scan's partitions are ranges of the files, and all the likes of a
/// store can sit in one of them, so that every rule reading the view ran on one core (at 1M events
/// the `likes` view came out as partitions of 0 and 41 batches).
fn spread(partitions: Vec<Vec<RecordBatch>>, n: usize) -> Vec<Vec<RecordBatch>> {
    let mut spread = vec![Vec::new(); n.max(1)];
    let count = spread.len();
    for (i, batch) in partitions.into_iter().flatten().enumerate() {
        spread[i % count].push(batch);
    }
    spread
}

#[async_trait]
impl TableProvider for CachedView {
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
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // Held while computing, so that concurrent scans compute it once.
        let mut cached = self.table.lock().await;
        let table = match cached.as_ref() {
            Some(table) => table.clone(),
            None => {
                let lap = super::Lap::start();
                let physical = state.create_physical_plan(&self.plan).await?;
                // Keep the plan's partitions, so later scans stay parallel. Each batch is
                // compacted as it comes: collected first, the batches as computed (strings still
                // in the buffers of the pages they were read from) and their compact copies were
                // all in memory at once, a gigabyte more than the view at 12M events.
                // One task per partition, as `collect_partitioned` does: polled from this task
                // alone, the partitions' work ran on one core. A JoinSet stops them all if the
                // audit is dropped.
                let mut tasks = tokio::task::JoinSet::new();
                let streams = execute_stream_partitioned(physical, state.task_ctx())?;
                let count = streams.len();
                for (i, stream) in streams.into_iter().enumerate() {
                    let schema = self.schema.clone();
                    tasks.spawn(async move {
                        let batches = stream
                            .map(|b| b.and_then(|b| compact(&schema, &b)))
                            .try_collect::<Vec<_>>()
                            .await;
                        (i, batches)
                    });
                }
                let mut partitions = vec![Vec::new(); count];
                while let Some(done) = tasks.join_next().await {
                    let (i, batches) = done.map_err(|e| DataFusionError::External(Box::new(e)))?;
                    partitions[i] = batches?;
                }
                if super::timings() {
                    let bytes = held_bytes(partitions.iter().flatten());
                    lap.report(format_args!("{}: {} MiB cached", self.name, bytes >> 20));
                }
                let partitions = spread(partitions, state.config().target_partitions());
                let table = Arc::new(MemTable::try_new(self.schema.clone(), partitions)?);
                *cached = Some(table.clone());
                table
            }
        };
        drop(cached);
        table.scan(state, projection, filters, limit).await
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ArrayRef, AsArray, Int64Array, StringViewArray};
    use datafusion::prelude::SessionContext;

    use super::*;

    /// All of a view's rows can come out of one partition of its plan (a scan's file range);
    /// the rules reading the view then ran on one core.
    #[test]
    fn a_lopsided_view_is_spread_over_every_partition() {
        let batch = |n: i64| {
            RecordBatch::try_from_iter([(
                "n",
                Arc::new(Int64Array::from_iter_values(0..n)) as ArrayRef,
            )])
            .unwrap()
        };
        let lopsided = vec![Vec::new(), (1..=5).map(batch).collect()];
        let spread = spread(lopsided, 2);
        let rows: Vec<Vec<usize>> = spread
            .iter()
            .map(|p| p.iter().map(RecordBatch::num_rows).collect())
            .collect();
        assert_eq!(rows, [vec![1, 3, 5], vec![2, 4]]);
        assert_eq!(super::spread(Vec::new(), 0).len(), 1);
    }

    /// A view of a few rows read as string views kept every string of the batches a filter took
    /// them from: the posts of a 12M-event store held the ids of every like (issue 23). It keeps
    /// its own rows' strings, as plain strings.
    #[tokio::test]
    async fn a_filtered_view_keeps_only_its_own_strings() {
        let ctx = SessionContext::new();
        let ids = StringViewArray::from_iter_values((0..10_000).map(|i| format!("{i:032}")));
        let batch = RecordBatch::try_from_iter([
            ("id", Arc::new(ids) as ArrayRef),
            (
                "n",
                Arc::new(Int64Array::from_iter_values(0..10_000)) as ArrayRef,
            ),
        ])
        .unwrap();
        ctx.register_batch("t", batch).unwrap();
        let plan = ctx
            .sql("SELECT id FROM t WHERE n % 1000 = 7")
            .await
            .unwrap()
            .into_unoptimized_plan();
        ctx.register_table("few", Arc::new(CachedView::new("few", plan)))
            .unwrap();

        let batches = ctx
            .sql("SELECT id FROM few")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let mut ids: Vec<String> = Vec::new();
        for b in &batches {
            let id = b.column_by_name("id").unwrap();
            assert_eq!(id.data_type(), &DataType::Utf8);
            ids.extend(id.as_string::<i32>().iter().flatten().map(String::from));
        }
        ids.sort();
        let expected: Vec<String> = (0..10).map(|k| format!("{:032}", k * 1000 + 7)).collect();
        assert_eq!(ids, expected);
        // 10 ids of 32 bytes, not the 320,000 bytes of all 10,000
        let held: usize = batches.iter().map(RecordBatch::get_array_memory_size).sum();
        assert!(held < 4096, "the view holds {held} bytes");
    }
}
