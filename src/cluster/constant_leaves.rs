//! Constant leaves (`SELECT 'posts' AS family`, an absent table) as in-memory scans, before a
//! scheduler cuts a plan into stages.
//!
//! Ballista 55 gives each task of a stage the partitions it owns and rewrites the plan's leaves
//! to them. A constant leaf a task does not own becomes an in-memory scan, one it owns stays a
//! `PlaceholderRowExec` or `EmptyExec`, and only the in-memory scan reports metrics. Two tasks
//! of one union that own different branches then report different numbers of metrics, the
//! scheduler refuses the second task's status ("task metrics array size 3 does not equal with
//! the stage metrics array size 4"), and the stage, so the job, never ends: rate_limits_exceeded
//! (a union of three constant rows joined to the events) hung the audit. With every constant
//! leaf an in-memory scan from the start, each task's plan has the same operators, whichever
//! partitions it owns.

use std::sync::Arc;

use datafusion::arrow::array::new_null_array;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::placeholder_row::PlaceholderRowExec;

/// Rewrites `PlaceholderRowExec` (one row per partition) and `EmptyExec` (no rows) into
/// in-memory scans with the same schema, partitions and rows.
#[derive(Debug, Default)]
pub struct ConstantLeavesAsMemory;

impl PhysicalOptimizerRule for ConstantLeavesAsMemory {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            Ok(match as_memory_scan(&node)? {
                Some(scan) => Transformed::yes(scan),
                None => Transformed::no(node),
            })
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "constant_leaves_as_memory"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

fn as_memory_scan(node: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let (placeholder, empty) = (node.is::<PlaceholderRowExec>(), node.is::<EmptyExec>());
    if !placeholder && !empty {
        return Ok(None);
    }
    let schema = node.schema();
    let mut batches = Vec::new();
    if placeholder {
        let columns = schema
            .fields()
            .iter()
            .map(|f| new_null_array(f.data_type(), 1))
            .collect();
        let options = RecordBatchOptions::new().with_row_count(Some(1));
        // A field that cannot hold a null has no placeholder row to copy: leave the leaf.
        match RecordBatch::try_new_with_options(Arc::clone(&schema), columns, &options) {
            Ok(row) => batches.push(row),
            Err(_) => return Ok(None),
        }
    }
    let partitions = node.properties().output_partitioning().partition_count();
    let scan = MemorySourceConfig::try_new(&vec![batches; partitions], schema, None)?;
    Ok(Some(DataSourceExec::from_data_source(scan)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballista_core::utils::collect_plan_metrics;
    use ballista_scheduler::state::task_builder::restrict_plan_to_partitions;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::physical_plan::collect;
    use datafusion::physical_plan::union::UnionExec;
    use datafusion::prelude::SessionContext;
    use datafusion_proto::physical_plan::{AsExecutionPlan, DefaultPhysicalExtensionCodec};
    use datafusion_proto::protobuf::PhysicalPlanNode;

    fn three_constant_rows() -> Arc<dyn ExecutionPlan> {
        let empty = Arc::new(Schema::empty());
        let rows = (0..3)
            .map(|_| {
                Arc::new(PlaceholderRowExec::new(Arc::clone(&empty))) as Arc<dyn ExecutionPlan>
            })
            .collect();
        UnionExec::try_new(rows).unwrap()
    }

    fn rewritten(plan: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        ConstantLeavesAsMemory
            .optimize(plan, &ConfigOptions::default())
            .unwrap()
    }

    async fn rows_of(plan: Arc<dyn ExecutionPlan>) -> usize {
        let task = SessionContext::new().task_ctx();
        collect(plan, task)
            .await
            .unwrap()
            .iter()
            .map(RecordBatch::num_rows)
            .sum()
    }

    /// The bug it exists for: tasks owning different branches of a union of constant rows must
    /// report the same number of metrics, or the scheduler drops the later task's status and the
    /// job hangs.
    #[test]
    fn tasks_of_a_union_of_constant_rows_report_metrics_alike() {
        let plan = rewritten(three_constant_rows());
        let first = restrict_plan_to_partitions(Arc::clone(&plan), &[0, 1]).unwrap();
        let last = restrict_plan_to_partitions(plan, &[2]).unwrap();
        assert_eq!(
            collect_plan_metrics(first.as_ref()).len(),
            collect_plan_metrics(last.as_ref()).len()
        );
    }

    #[tokio::test]
    async fn constant_rows_keep_their_count_through_the_wire() {
        let plan = rewritten(three_constant_rows());
        assert_eq!(rows_of(Arc::clone(&plan)).await, 3);
        let codec = DefaultPhysicalExtensionCodec {};
        let node = PhysicalPlanNode::try_from_physical_plan(plan, &codec).unwrap();
        let ctx = SessionContext::new();
        let decoded = node
            .try_into_physical_plan(&ctx.task_ctx(), &codec)
            .unwrap();
        assert_eq!(rows_of(decoded).await, 3);
    }

    #[tokio::test]
    async fn placeholders_and_empties_keep_schema_partitions_and_rows() {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true)]));
        let placeholder: Arc<dyn ExecutionPlan> =
            Arc::new(PlaceholderRowExec::new(Arc::clone(&schema)).with_partitions(2));
        let empty: Arc<dyn ExecutionPlan> =
            Arc::new(EmptyExec::new(Arc::clone(&schema)).with_partitions(3));
        for (leaf, rows) in [(placeholder, 2), (empty, 0)] {
            let partitions = leaf.properties().output_partitioning().partition_count();
            let scan = rewritten(leaf);
            assert!(scan.is::<DataSourceExec>());
            assert_eq!(scan.schema(), schema);
            assert_eq!(
                scan.properties().output_partitioning().partition_count(),
                partitions
            );
            assert_eq!(rows_of(scan).await, rows);
        }
    }

    #[test]
    fn a_placeholder_whose_fields_refuse_nulls_is_left_alone() {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let leaf: Arc<dyn ExecutionPlan> = Arc::new(PlaceholderRowExec::new(schema));
        assert!(rewritten(leaf).is::<PlaceholderRowExec>());
    }
}
