//! `cadence(ts)`: an aggregate describing the rhythm of one group of events (an account's posts,
//! its likes …), for the report's `automation.cadence` and for ad-hoc questions like "does this
//! account ever sleep?":
//!
//! - `events`: events with a time;
//! - `gap_cv`: coefficient of variation of the gaps between consecutive events (standard
//!   deviation / mean). Schedulers tick (near 0); people act in irregular bursts (near 1 or
//!   above). NULL with fewer than 3 events;
//! - `hour_entropy`: Shannon entropy, in bits, of the events' hour of day (UTC). 0 is one hour
//!   only; log2(24) ≈ 4.58 is all hours alike, which a bot posting round the clock approaches and
//!   a person who sleeps does not;
//! - `longest_active_hours`: the longest stretch, in hours, in which no gap reaches 6 hours: the
//!   longest time the account went without a night's rest;
//! - `days`: the events of each day (UTC) that has any, oldest first, as `{day, events}`.
//!
//! NULL times are ignored; an empty group gives `events` 0, NULL statistics and no days.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int64Array, ListArray,
    StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};

use super::collect::micros;
use super::int_lists::{lists_of, one_value_lists, selected, timed_rows};

/// A gap this long is a rest (a night's sleep, at the least).
const REST_MICROS: i64 = 6 * 3_600 * 1_000_000;

fn day_fields() -> Fields {
    Fields::from(vec![
        Field::new("day", DataType::Date32, false),
        Field::new("events", DataType::Int64, false),
    ])
}

fn days_item() -> FieldRef {
    Arc::new(Field::new("item", DataType::Struct(day_fields()), false))
}

fn fields() -> Fields {
    Fields::from(vec![
        Field::new("events", DataType::Int64, false),
        Field::new("gap_cv", DataType::Float64, true),
        Field::new("hour_entropy", DataType::Float64, true),
        Field::new("longest_active_hours", DataType::Float64, true),
        Field::new("days", DataType::List(days_item()), false),
    ])
}

/// The statistics of a sequence of times (µs), in the order of [`fields`].
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub events: i64,
    pub gap_cv: Option<f64>,
    pub hour_entropy: Option<f64>,
    pub longest_active_hours: Option<f64>,
    /// Days since 1970-01-01 (UTC) with events, and their events, oldest first.
    pub days: Vec<(i32, i64)>,
}

pub fn stats(times: &mut [i64]) -> Stats {
    // Stable for its speed on the sorted runs a group arrives as (see `collect::sorted`).
    times.sort();
    let n = times.len();
    let gaps: Vec<f64> = times.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    let gap_cv = (gaps.len() >= 2).then(|| {
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        if mean <= 0.0 {
            return 0.0;
        }
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
        var.sqrt() / mean
    });
    let hour_entropy = (n > 0).then(|| {
        let mut hours = [0u64; 24];
        for t in times.iter() {
            hours[(t.div_euclid(3_600 * 1_000_000)).rem_euclid(24) as usize] += 1;
        }
        let total = n as f64;
        let h: f64 = hours
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| {
                let p = c as f64 / total;
                -p * p.log2()
            })
            .sum();
        // A single hour sums to -0.0; report 0.
        if h > 0.0 { h } else { 0.0 }
    });
    let longest_active_hours = (n > 0).then(|| {
        let (mut best, mut start) = (0i64, times[0]);
        for w in times.windows(2) {
            if w[1] - w[0] >= REST_MICROS {
                start = w[1];
            }
            best = best.max(w[1] - start);
        }
        best as f64 / 3_600_000_000.0
    });
    let mut days: Vec<(i32, i64)> = Vec::new();
    for t in times.iter() {
        // Floored, for times before 1970; a date beyond i32 days is no time an event has.
        let day = t.div_euclid(crate::model::time::DAY_MICROS) as i32;
        match days.last_mut() {
            Some((last, n)) if *last == day => *n += 1,
            _ => days.push((day, 1)),
        }
    }
    Stats {
        events: n as i64,
        gap_cv,
        hour_entropy,
        longest_active_hours,
        days,
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Cadence {
    signature: Signature,
}

/// The SQL function.
pub fn udaf() -> Cadence {
    Cadence {
        signature: Signature::any(1, Volatility::Immutable),
    }
}

impl AggregateUDFImpl for Cadence {
    fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
        super::docs::of(self.name())
    }
    fn name(&self) -> &str {
        "cadence"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(fields()))
    }
    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(CadenceAccumulator::default()))
    }
    fn groups_accumulator_supported(&self, _: AccumulatorArgs) -> bool {
        true
    }
    fn create_groups_accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(CadenceGroups::default()))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}_ts", args.name),
            DataType::List(Arc::new(Field::new("item", DataType::Int64, true))),
            true,
        ))])
    }
}

#[derive(Debug, Default)]
struct CadenceAccumulator {
    times: Vec<i64>,
}

impl Accumulator for CadenceAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let ts = micros(&values[0])?;
        self.times.extend(
            (0..ts.len())
                .filter(|&i| ts.is_valid(i))
                .map(|i| ts.value(i)),
        );
        Ok(())
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0].as_list::<i32>();
        for row in 0..lists.len() {
            if lists.is_valid(row) {
                let v = lists.value(row);
                let v = v.as_primitive::<Int64Type>();
                self.times.extend(v.values().iter().copied());
            }
        }
        Ok(())
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![super::int_lists::take_list_scalar(&mut self.times)])
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        let stats = stats_array(&[stats(&mut self.times)])?;
        Ok(ScalarValue::Struct(Arc::new(stats)))
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.times.capacity() * 8
    }
}

/// The statistics as a struct array, one row each.
fn stats_array(stats: &[Stats]) -> Result<StructArray> {
    let all_days = || stats.iter().flat_map(|s| &s.days);
    let days = StructArray::try_new(
        day_fields(),
        vec![
            Arc::new(Date32Array::from_iter_values(all_days().map(|d| d.0))),
            Arc::new(Int64Array::from_iter_values(all_days().map(|d| d.1))),
        ],
        None,
    )?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(stats.iter().map(|s| s.events))),
        Arc::new(Float64Array::from_iter(stats.iter().map(|s| s.gap_cv))),
        Arc::new(Float64Array::from_iter(
            stats.iter().map(|s| s.hour_entropy),
        )),
        Arc::new(Float64Array::from_iter(
            stats.iter().map(|s| s.longest_active_hours),
        )),
        Arc::new(ListArray::try_new(
            days_item(),
            OffsetBuffer::from_lengths(stats.iter().map(|s| s.days.len())),
            Arc::new(days),
            None,
        )?),
    ];
    Ok(StructArray::try_new(fields(), columns, None)?)
}

/// Every group of a grouped query at once (see `collect::SequenceGroups`: the same reasons).
#[derive(Debug, Default)]
struct CadenceGroups {
    groups: Vec<Vec<i64>>,
    /// Times held in all groups, kept count of for `size`.
    held: usize,
}

impl CadenceGroups {
    fn take(&mut self, emit_to: EmitTo) -> Vec<Vec<i64>> {
        let taken = emit_to.take_needed(&mut self.groups);
        self.held = self.groups.iter().map(Vec::len).sum();
        taken
    }
}

impl GroupsAccumulator for CadenceGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups.resize_with(total_num_groups, Vec::new);
        let ts = micros(&values[0])?;
        for (row, &group) in group_indices.iter().enumerate() {
            if ts.is_valid(row) && selected(opt_filter, row) {
                self.groups[group].push(ts.value(row));
                self.held += 1;
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let stats: Vec<Stats> = self
            .take(emit_to)
            .into_iter()
            .map(|mut times| stats(&mut times))
            .collect();
        Ok(Arc::new(stats_array(&stats)?))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let groups = self.take(emit_to);
        let lengths: Vec<usize> = groups.iter().map(Vec::len).collect();
        let mut times = Vec::with_capacity(lengths.iter().sum());
        for group in groups {
            times.extend_from_slice(&group);
        }
        Ok(vec![lists_of(
            DataType::Int64,
            lengths,
            Arc::new(Int64Array::from(times)),
        )?])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups.resize_with(total_num_groups, Vec::new);
        let lists = values[0].as_list::<i32>();
        let times = lists.values().as_primitive::<Int64Type>().values();
        for (row, &group) in group_indices.iter().enumerate() {
            if lists.is_valid(row) {
                let span =
                    lists.value_offsets()[row] as usize..lists.value_offsets()[row + 1] as usize;
                self.held += span.len();
                self.groups[group].extend_from_slice(&times[span]);
            }
        }
        Ok(())
    }

    /// Each row as a state of its own: a one-time list, or an empty one.
    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let ts = micros(&values[0])?;
        let kept = timed_rows(&ts, opt_filter);
        Ok(vec![one_value_lists(DataType::Int64, &ts, &kept)?])
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.groups.capacity() * std::mem::size_of::<Vec<i64>>()
            + self.held * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000_000;

    #[test]
    fn a_scheduler_round_the_clock_ticks_evenly_and_never_rests() {
        let mut t: Vec<i64> = (0..24 * 7).map(|k| k * H).collect();
        let s = stats(&mut t);
        assert_eq!(s.events, 168);
        assert_eq!(s.gap_cv, Some(0.0));
        assert!((s.hour_entropy.unwrap() - 24f64.log2()).abs() < 1e-9);
        assert_eq!(s.longest_active_hours, Some(167.0));
        assert_eq!(s.days, (0..7).map(|d| (d, 24)).collect::<Vec<_>>());
    }

    #[test]
    fn a_person_sleeps_and_posts_irregularly() {
        // Seven days, posts at 08:00, 08:05, 12:30 and 21:00: 8.5 h and 11 h rests every day.
        let mut t = Vec::new();
        for d in 0..7 {
            for m in [8 * 60, 8 * 60 + 5, 12 * 60 + 30, 21 * 60] {
                t.push(d * 24 * H + m * 60_000_000);
            }
        }
        let s = stats(&mut t);
        assert!(s.gap_cv.unwrap() > 0.5, "{s:?}");
        assert!(s.hour_entropy.unwrap() < 2.0, "{s:?}");
        assert_eq!(s.longest_active_hours, Some(4.5));
    }

    #[test]
    fn few_events_give_what_they_can() {
        assert_eq!(
            stats(&mut []),
            Stats {
                events: 0,
                gap_cv: None,
                hour_entropy: None,
                longest_active_hours: None,
                days: Vec::new(),
            }
        );
        let s = stats(&mut [5 * H, H]);
        assert_eq!(s.gap_cv, None);
        assert_eq!(s.hour_entropy, Some(1.0));
        assert_eq!(s.longest_active_hours, Some(4.0), "a 4 h gap is no rest");
    }

    /// The report's daily activity comes from here; days are UTC days, floored before 1970.
    #[test]
    fn days_split_at_utc_midnight_and_count_their_events() {
        let day = 24 * H;
        let s = stats(&mut [day, day - 1, 0, -1, 3 * day + 5]);
        assert_eq!(s.days, [(-1, 1), (0, 2), (1, 1), (3, 1)]);
    }
}
