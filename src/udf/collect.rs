//! What the sequence aggregates (`sliding_bursts`, `regular_runs`) share: they collect a group's
//! `(time, event id)` pairs and two constant parameters, carry them between partial aggregates as
//! lists, sort them, and return segments of the sequence. Each aggregate is a
//! [`SequenceAggregate`] with its own result fields and `evaluate`.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, ListArray, ListBuilder, StringBuilder, StructArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};

use super::utf8_arg;

/// Event ids kept per segment in the result.
const MAX_EVIDENCE: usize = 100;

fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn segment_fields(extra: &[Field]) -> Fields {
    let mut f = vec![
        Field::new("first_seen", ts_type(), false),
        Field::new("last_seen", ts_type(), false),
    ];
    f.extend(extra.iter().cloned());
    f.push(Field::new(
        "evidence",
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        false,
    ));
    Fields::from(f)
}

/// The result type of a sequence aggregate:
/// `list<struct<first_seen, last_seen, <extra…>, evidence>>`.
pub(super) fn segments_type(extra: &[Field]) -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(segment_fields(extra)),
        true,
    )))
}

/// The result value: one struct per segment `[start, end]` of the sorted events, with the extra
/// columns (one value per segment) between the times and the evidence.
pub(super) fn segments_value(
    events: &[(i64, String)],
    segments: &[(usize, usize)],
    extra: Vec<(Field, ArrayRef)>,
) -> Result<ScalarValue> {
    let (fields, extra_columns): (Vec<Field>, Vec<ArrayRef>) = extra.into_iter().unzip();
    let times = |pick: fn(&(usize, usize)) -> usize| -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from(
                segments
                    .iter()
                    .map(|s| events[pick(s)].0)
                    .collect::<Vec<_>>(),
            )
            .with_timezone("UTC"),
        )
    };
    let mut evidence = ListBuilder::new(StringBuilder::new());
    for &(start, end) in segments {
        for (_, id) in events[start..=end].iter().take(MAX_EVIDENCE) {
            evidence.values().append_value(id);
        }
        evidence.append(true);
    }
    let mut columns = vec![times(|s| s.0), times(|s| s.1)];
    columns.extend(extra_columns);
    columns.push(Arc::new(evidence.finish()));
    let structs = StructArray::try_new(segment_fields(&fields), columns, None)?;
    let DataType::List(item) = segments_type(&fields) else {
        unreachable!("segments_type is a list")
    };
    Ok(ScalarValue::List(Arc::new(ListArray::try_new(
        item,
        OffsetBuffer::from_lengths([segments.len()]),
        Arc::new(structs),
        None,
    )?)))
}

/// Any timestamp unit (or integers taken as microseconds) to i64 microseconds.
pub(super) fn micros(a: &ArrayRef) -> Result<Int64Array> {
    let a = match a.data_type() {
        DataType::Timestamp(_, _) => {
            datafusion::arrow::compute::cast(a, &DataType::Timestamp(TimeUnit::Microsecond, None))?
        }
        _ => a.clone(),
    };
    let c = datafusion::arrow::compute::cast(&a, &DataType::Int64)?;
    Ok(c.as_primitive::<Int64Type>().clone())
}

/// The first non-NULL value of a constant argument, as f64.
fn first_value(a: &ArrayRef) -> Result<Option<f64>> {
    let c = datafusion::arrow::compute::cast(a, &DataType::Float64)?;
    let c = c.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
    Ok((0..c.len()).find(|&i| c.is_valid(i)).map(|i| c.value(i)))
}

#[derive(Debug, Default)]
pub(super) struct EventSequence {
    pub events: Vec<(i64, String)>,
    /// The aggregate's two constant arguments (after time and id).
    pub params: [Option<f64>; 2],
}

impl EventSequence {
    /// The state fields: times, ids, and the two parameters.
    pub fn state_fields(name: &str) -> Vec<FieldRef> {
        let list = |suffix: &str, t: DataType| {
            Arc::new(Field::new(
                format!("{name}_{suffix}"),
                DataType::List(Arc::new(Field::new("item", t, true))),
                true,
            ))
        };
        vec![
            list("ts", DataType::Int64),
            list("ids", DataType::Utf8),
            Arc::new(Field::new(format!("{name}_p0"), DataType::Float64, true)),
            Arc::new(Field::new(format!("{name}_p1"), DataType::Float64, true)),
        ]
    }

    /// `values` are the aggregate's arguments: time, id, and the two parameters.
    pub fn update(&mut self, values: &[ArrayRef]) -> Result<()> {
        let ts = micros(&values[0])?;
        let ids = utf8_arg(&values[1])?;
        self.set_params(&values[2], &values[3])?;
        for i in 0..ts.len() {
            if ts.is_valid(i) {
                self.events.push((
                    ts.value(i),
                    if ids.is_valid(i) {
                        ids.value(i).to_string()
                    } else {
                        String::new()
                    },
                ));
            }
        }
        Ok(())
    }

    fn set_params(&mut self, a: &ArrayRef, b: &ArrayRef) -> Result<()> {
        if self.params[0].is_none() {
            self.params[0] = first_value(a)?;
        }
        if self.params[1].is_none() {
            self.params[1] = first_value(b)?;
        }
        Ok(())
    }

    pub fn state(&self) -> Vec<ScalarValue> {
        vec![
            ScalarValue::List(ScalarValue::new_list_nullable(
                &self
                    .events
                    .iter()
                    .map(|(t, _)| ScalarValue::Int64(Some(*t)))
                    .collect::<Vec<_>>(),
                &DataType::Int64,
            )),
            ScalarValue::List(ScalarValue::new_list_nullable(
                &self
                    .events
                    .iter()
                    .map(|(_, i)| ScalarValue::Utf8(Some(i.clone())))
                    .collect::<Vec<_>>(),
                &DataType::Utf8,
            )),
            ScalarValue::Float64(self.params[0]),
            ScalarValue::Float64(self.params[1]),
        ]
    }

    pub fn merge(&mut self, states: &[ArrayRef]) -> Result<()> {
        let ts = states[0].as_list::<i32>();
        let ids = states[1].as_list::<i32>();
        for row in 0..ts.len() {
            if ts.is_null(row) {
                continue;
            }
            let t = ts.value(row);
            let t = t.as_primitive::<Int64Type>();
            let i = utf8_arg(&ids.value(row))?;
            for k in 0..t.len() {
                self.events.push((t.value(k), i.value(k).to_string()));
            }
        }
        self.set_params(&states[2], &states[3])
    }

    /// Sorted by time (then id, so equal times come out the same every run).
    pub fn sorted(&mut self) -> &[(i64, String)] {
        self.events.sort();
        &self.events
    }

    pub fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .events
                .iter()
                .map(|(_, id)| 32 + id.capacity())
                .sum::<usize>()
    }
}

/// An aggregate `name(ts, event_id, p0, p1)` over a sequence of events: collects the group, then
/// `evaluate` turns it into segments whose columns are `first_seen`, `last_seen`, the two `extra`
/// fields and `evidence`.
#[derive(Debug)]
pub struct SequenceAggregate {
    name: &'static str,
    extra: fn() -> [Field; 2],
    evaluate: fn(&mut EventSequence) -> Result<ScalarValue>,
    signature: Signature,
}

impl SequenceAggregate {
    pub fn new(
        name: &'static str,
        extra: fn() -> [Field; 2],
        evaluate: fn(&mut EventSequence) -> Result<ScalarValue>,
    ) -> Self {
        SequenceAggregate {
            name,
            extra,
            evaluate,
            signature: Signature::any(4, Volatility::Immutable),
        }
    }
}

// Function names are unique in the registry, so the name identifies the aggregate (comparing
// function pointers would not: their addresses are not guaranteed to be unique).
impl PartialEq for SequenceAggregate {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for SequenceAggregate {}

impl std::hash::Hash for SequenceAggregate {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl AggregateUDFImpl for SequenceAggregate {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(segments_type(&(self.extra)()))
    }
    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(SequenceAccumulator {
            seq: EventSequence::default(),
            evaluate: self.evaluate,
        }))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(EventSequence::state_fields(args.name))
    }
}

#[derive(Debug)]
struct SequenceAccumulator {
    seq: EventSequence,
    evaluate: fn(&mut EventSequence) -> Result<ScalarValue>,
}

impl Accumulator for SequenceAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.seq.update(values)
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        (self.evaluate)(&mut self.seq)
    }
    fn size(&self) -> usize {
        self.seq.size()
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(self.seq.state())
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.seq.merge(states)
    }
}
