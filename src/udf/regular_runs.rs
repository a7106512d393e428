//! `regular_runs(ts, event_id, min_events, max_cv)`: an aggregate over one group (one account's
//! events of one kind) returning its runs of machine cadence: maximal stretches of consecutive
//! events whose inter-arrival times have a coefficient of variation (standard deviation / mean)
//! below `max_cv`, with at least `min_events` events. People act in irregular bursts (CV near 1
//! or above); schedulers tick (CV near 0).
//!
//! Returns `list<struct<first_seen, last_seen, events, cv, evidence>>` (up to 100 ids per run).
//! NULL times are ignored; a group without such runs gives `[]`.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Builder, Int64Builder, ListArray, ListBuilder, StringBuilder,
    StructArray, TimestampMicrosecondArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Fields, Float64Type, Int64Type, TimeUnit,
};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};

use super::sliding_bursts::micros;
use super::utf8_arg;

const MAX_EVIDENCE: usize = 100;

fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn run_fields() -> Fields {
    Fields::from(vec![
        Field::new("first_seen", ts_type(), false),
        Field::new("last_seen", ts_type(), false),
        Field::new("events", DataType::Int64, false),
        Field::new("cv", DataType::Float64, false),
        Field::new(
            "evidence",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            false,
        ),
    ])
}

fn return_type() -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(run_fields()),
        true,
    )))
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RegularRuns {
    signature: Signature,
}

impl RegularRuns {
    pub fn new() -> Self {
        RegularRuns {
            signature: Signature::any(4, Volatility::Immutable),
        }
    }
}

impl Default for RegularRuns {
    fn default() -> Self {
        Self::new()
    }
}

impl AggregateUDFImpl for RegularRuns {
    fn name(&self) -> &str {
        "regular_runs"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(return_type())
    }
    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<RunAccumulator>::default())
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |name: &str, t: DataType| {
            Arc::new(Field::new(
                format!("{}_{name}", args.name),
                DataType::List(Arc::new(Field::new("item", t, true))),
                true,
            ))
        };
        Ok(vec![
            list("ts", DataType::Int64),
            list("ids", DataType::Utf8),
            Arc::new(Field::new(
                format!("{}_min_events", args.name),
                DataType::Int64,
                true,
            )),
            Arc::new(Field::new(
                format!("{}_max_cv", args.name),
                DataType::Float64,
                true,
            )),
        ])
    }
}

#[derive(Debug, Default)]
struct RunAccumulator {
    events: Vec<(i64, String)>,
    min_events: Option<i64>,
    max_cv: Option<f64>,
}

fn first_valid<T: datafusion::arrow::datatypes::ArrowPrimitiveType>(
    a: &ArrayRef,
    t: &DataType,
) -> Result<Option<T::Native>> {
    let c = datafusion::arrow::compute::cast(a, t)?;
    let c = c.as_primitive::<T>();
    Ok((0..c.len()).find(|&i| c.is_valid(i)).map(|i| c.value(i)))
}

impl Accumulator for RunAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let ts = micros(&values[0])?;
        let ids = utf8_arg(&values[1])?;
        if self.min_events.is_none() {
            self.min_events = first_valid::<Int64Type>(&values[2], &DataType::Int64)?;
        }
        if self.max_cv.is_none() {
            self.max_cv = first_valid::<Float64Type>(&values[3], &DataType::Float64)?;
        }
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

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.events.sort();
        let times: Vec<i64> = self.events.iter().map(|(t, _)| *t).collect();
        let runs = find_runs(
            &times,
            self.min_events.unwrap_or(i64::MAX).max(2) as usize,
            self.max_cv.unwrap_or(0.0),
        );
        let (mut first, mut last) = (Vec::new(), Vec::new());
        let mut events = Int64Builder::new();
        let mut cv = Float64Builder::new();
        let mut evidence = ListBuilder::new(StringBuilder::new());
        for r in &runs {
            first.push(times[r.start]);
            last.push(times[r.end]);
            events.append_value((r.end - r.start + 1) as i64);
            cv.append_value(r.cv);
            for (_, id) in self.events[r.start..=r.end].iter().take(MAX_EVIDENCE) {
                evidence.values().append_value(id);
            }
            evidence.append(true);
        }
        let tsarr = |v: Vec<i64>| {
            Arc::new(TimestampMicrosecondArray::from(v).with_timezone("UTC")) as ArrayRef
        };
        let cols: Vec<ArrayRef> = vec![
            tsarr(first),
            tsarr(last),
            Arc::new(events.finish()),
            Arc::new(cv.finish()),
            Arc::new(evidence.finish()),
        ];
        let structs = StructArray::try_new(run_fields(), cols, None)?;
        let DataType::List(item) = return_type() else {
            unreachable!("return type is a list")
        };
        Ok(ScalarValue::List(Arc::new(ListArray::try_new(
            item,
            OffsetBuffer::from_lengths([runs.len()]),
            Arc::new(structs),
            None,
        )?)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .events
                .iter()
                .map(|(_, id)| 32 + id.capacity())
                .sum::<usize>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
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
            ScalarValue::Int64(self.min_events),
            ScalarValue::Float64(self.max_cv),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
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
        if self.min_events.is_none() {
            self.min_events = first_valid::<Int64Type>(&states[2], &DataType::Int64)?;
        }
        if self.max_cv.is_none() {
            self.max_cv = first_valid::<Float64Type>(&states[3], &DataType::Float64)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Run {
    start: usize,
    end: usize,
    cv: f64,
}

/// Greedy scan: extend the current run while the CV of its gaps stays below `max_cv`; when the
/// next gap would break it, close the run (kept if long enough) and start again from the last event.
fn find_runs(times: &[i64], min_events: usize, max_cv: f64) -> Vec<Run> {
    let mut out = Vec::new();
    if times.len() < 2 {
        return out;
    }
    let cv = |n: f64, sum: f64, sq: f64| {
        let mean = sum / n;
        if mean <= 0.0 {
            return f64::INFINITY;
        }
        let var = (sq / n - mean * mean).max(0.0);
        var.sqrt() / mean
    };
    let mut start = 0;
    let (mut n, mut sum, mut sq) = (0.0f64, 0.0f64, 0.0f64);
    let close = |start: usize, end: usize, n: f64, sum: f64, sq: f64, out: &mut Vec<Run>| {
        if end + 1 - start >= min_events {
            out.push(Run {
                start,
                end,
                cv: cv(n, sum, sq),
            });
        }
    };
    for j in 1..times.len() {
        let gap = (times[j] - times[j - 1]) as f64;
        let (n2, sum2, sq2) = (n + 1.0, sum + gap, sq + gap * gap);
        // A run needs at least two gaps before its CV means anything.
        if n2 < 2.0 || cv(n2, sum2, sq2) < max_cv {
            (n, sum, sq) = (n2, sum2, sq2);
        } else {
            close(start, j - 1, n, sum, sq, &mut out);
            start = j - 1;
            (n, sum, sq) = (1.0, gap, gap * gap);
        }
    }
    close(start, times.len() - 1, n, sum, sq, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::find_runs;

    #[test]
    fn a_ticking_scheduler_is_one_run() {
        let t: Vec<i64> = (0..60)
            .map(|k| k * 45_000_000 + (k % 3) * 1_000_000)
            .collect();
        let runs = find_runs(&t, 50, 0.3);
        assert_eq!(runs.len(), 1);
        assert_eq!((runs[0].start, runs[0].end), (0, 59));
        assert!(runs[0].cv < 0.05);
    }

    #[test]
    fn irregular_human_activity_has_no_long_run() {
        // gaps from a fixed, irregular pattern (CV well above 0.3)
        let gaps = [5, 120, 30, 900, 8, 60, 2400, 15, 300, 45];
        let mut t = vec![0i64];
        for k in 0..200 {
            t.push(t.last().unwrap() + gaps[k % gaps.len()] * 1_000_000);
        }
        assert!(find_runs(&t, 50, 0.3).is_empty());
    }

    #[test]
    fn too_short_runs_are_dropped() {
        let t: Vec<i64> = (0..10).map(|k| k * 1_000_000).collect();
        assert!(find_runs(&t, 50, 0.3).is_empty());
        assert!(find_runs(&[], 2, 0.3).is_empty());
    }
}
