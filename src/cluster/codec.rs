//! How xaudit's functions travel in a cluster's plans. A plan names a function and every process
//! (client, scheduler, executor) finds it in its own registry, which is right for the stateless
//! ones. Two carry state loaded from the store when the audit session starts, and a registry
//! holds them empty: `trend_topics` (the store's trend names, small: the plan carries them) and
//! `dm_echo` (the received DMs, possibly many: the plan carries the store and version, and each
//! executor reads and indexes them once). Small in-memory tables (the evidence ids an audit looks
//! up) travel as Arrow IPC. Everything else is Ballista's own codec.

use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::catalog::{MemTable, TableProvider};
use datafusion::common::TableReference;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Extension, LogicalPlan, ScalarUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};

use crate::udf::{DmEcho, TrendTopics};

/// The state of a stateful function, or nothing for the others.
fn encode_udf(udf: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
    let inner = udf.inner();
    if let Some(topics) = inner.downcast_ref::<TrendTopics>() {
        buf.extend(topics.encode());
    } else if let Some(echo) = inner.downcast_ref::<DmEcho>() {
        let Some(source) = echo.encode() else {
            return Err(DataFusionError::Internal(
                "dm_echo holds DMs indexed in this process, which a cluster cannot read: a \
                 cluster session must make it from the store (DmEcho::stored)"
                    .into(),
            ));
        };
        buf.extend(source);
    }
    Ok(())
}

/// The function `encode_udf` wrote the state of.
fn decode_udf(name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
    let bad = |e: serde_json::Error| {
        DataFusionError::Internal(format!("{name}: its state in the plan is unreadable: {e}"))
    };
    match name {
        "trend_topics" => Ok(Arc::new(ScalarUDF::from(
            TrendTopics::decode(buf).map_err(bad)?,
        ))),
        "dm_echo" => Ok(Arc::new(ScalarUDF::from(DmEcho::decode(buf).map_err(bad)?))),
        _ => Err(DataFusionError::NotImplemented(format!(
            "{name} carries no state in a plan; it is found by name"
        ))),
    }
}

/// Marks a [`MemTable`] in a plan: Ballista's codec has none of its own.
const MEM_TABLE: &[u8] = b"xaudit.mem_table\0";

/// The batches of a [`MemTable`], one partition each, as an Arrow IPC stream after [`MEM_TABLE`].
fn encode_mem_table(table: &MemTable, buf: &mut Vec<u8>) -> Result<()> {
    buf.extend(MEM_TABLE);
    let mut writer = StreamWriter::try_new(&mut *buf, &table.schema())?;
    for partition in &table.batches {
        let batches = partition.try_read().map_err(|_| {
            DataFusionError::Internal("a table written to while its plan is sent".into())
        })?;
        for batch in batches.iter() {
            writer.write(batch)?;
        }
    }
    writer.finish()?;
    Ok(())
}

fn decode_mem_table(bytes: &[u8], schema: SchemaRef) -> Result<Arc<dyn TableProvider>> {
    let reader = StreamReader::try_new(std::io::Cursor::new(bytes), None)?;
    let batches = reader.collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
}

/// Ballista's logical codec, plus the state of xaudit's stateful functions.
#[derive(Debug, Default)]
pub struct LogicalCodec {
    ballista: BallistaLogicalExtensionCodec,
}

impl LogicalExtensionCodec for LogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.ballista.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        match buf.strip_prefix(MEM_TABLE) {
            Some(batches) => decode_mem_table(batches, schema),
            None => self
                .ballista
                .try_decode_table_provider(buf, table_ref, schema, ctx),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        match node.downcast_ref::<MemTable>() {
            Some(table) => encode_mem_table(table, buf),
            None => self
                .ballista
                .try_encode_table_provider(table_ref, node, buf),
        }
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.ballista.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.ballista.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udf(node, buf)
    }
}

/// Ballista's physical codec, plus the state of xaudit's stateful functions.
#[derive(Debug, Default)]
pub struct PhysicalCodec {
    ballista: BallistaPhysicalExtensionCodec,
}

impl PhysicalExtensionCodec for PhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.ballista.try_decode(buf, inputs, ctx, proto_converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.ballista.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_udf(node, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stateless_functions_travel_by_name_and_stateful_ones_with_their_state() {
        let mut buf = Vec::new();
        let plain = ScalarUDF::from(crate::udf::client_class::udf());
        encode_udf(&plain, &mut buf).unwrap();
        assert!(buf.is_empty(), "found by name");

        let topics = ScalarUDF::from(TrendTopics::new(["#MondayMotivation"]));
        encode_udf(&topics, &mut buf).unwrap();
        let back = decode_udf("trend_topics", &buf).unwrap();
        let back = back.inner().downcast_ref::<TrendTopics>().unwrap();
        assert_eq!(
            back.topics_in("happy mondaymotivation"),
            ["mondaymotivation"]
        );

        let local = ScalarUDF::from(DmEcho::new(Vec::new()));
        let err = encode_udf(&local, &mut Vec::new()).unwrap_err().to_string();
        assert!(err.contains("cluster session"), "{err}");
    }

    #[test]
    fn an_in_memory_table_travels_with_its_rows() {
        use datafusion::arrow::array::{RecordBatch, StringArray};
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        let schema = Arc::new(Schema::new(vec![Field::new(
            "event_id",
            DataType::Utf8,
            false,
        )]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(vec!["e1", "e2"]))],
        )
        .unwrap();
        let table: Arc<dyn TableProvider> =
            Arc::new(MemTable::try_new(schema.clone(), vec![vec![batch.clone()]]).unwrap());
        let codec = LogicalCodec::default();
        let name = TableReference::bare("ids");
        let mut buf = Vec::new();
        codec
            .try_encode_table_provider(&name, table, &mut buf)
            .unwrap();
        let back = codec
            .try_decode_table_provider(&buf, &name, schema, &TaskContext::default())
            .unwrap();
        let back = back.downcast_ref::<MemTable>().unwrap();
        assert_eq!(*back.batches[0].try_read().unwrap(), vec![batch]);
    }
}
