//! A view computed at most once per audit session: the first scan runs its plan and keeps the
//! batches, later scans (other rules, the same rule's other references) read them from memory.
//! Used for the text stages (normalizing and clustering millions of posts) that several rules
//! share; a plain view would recompute them for every reference.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{MemTable, Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_plan::{ExecutionPlan, collect_partitioned};
use tokio::sync::Mutex;

#[derive(Debug)]
pub struct CachedView {
    plan: LogicalPlan,
    schema: SchemaRef,
    /// The batches once computed; emptied again by [`CachedView::release`].
    table: Mutex<Option<Arc<MemTable>>>,
}

impl CachedView {
    pub fn new(plan: LogicalPlan) -> Self {
        // Every column nullable: the logical plan's nullability can be stricter than what its
        // physical plan reports (an aggregate, a CASE), and the batches must fit the schema.
        let arrow = plan.schema().as_arrow();
        let schema = Arc::new(Schema::new_with_metadata(
            arrow
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_nullable(true))
                .collect::<Vec<_>>(),
            arrow.metadata().clone(),
        ));
        CachedView {
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
                let physical = state.create_physical_plan(&self.plan).await?;
                // Keep the plan's partitions, so later scans stay parallel.
                let partitions = collect_partitioned(physical, state.task_ctx())
                    .await?
                    .into_iter()
                    .map(|batches| {
                        batches
                            .into_iter()
                            .map(|b| {
                                RecordBatch::try_new(self.schema.clone(), b.columns().to_vec())
                            })
                            .collect::<std::result::Result<Vec<_>, _>>()
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                let table = Arc::new(MemTable::try_new(self.schema.clone(), partitions)?);
                *cached = Some(table.clone());
                table
            }
        };
        drop(cached);
        table.scan(state, projection, filters, limit).await
    }
}
