//! `sliding_bursts(ts, event_id, window_seconds, threshold)`: an aggregate over one group (one
//! account's events of one kind) returning its bursts. A window is every span of `window_seconds`
//! ending at an event (sliding, so a burst across midnight counts); a window holding more than
//! `threshold` events violates; overlapping violating windows merge into one burst.
//!
//! Returns `list<struct<first_seen, last_seen, peak, events, evidence>>`: the burst's first and
//! last event times, the most events in one window (`peak`), the events in the burst, and up to
//! 100 of their ids in time order. NULL times are ignored; a group without bursts gives `[]`.

use std::sync::Arc;

use datafusion::arrow::array::Int64Array;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::ScalarValue;
use datafusion::error::Result;

use super::collect::{
    EventSequence, MAX_EVIDENCE, SequenceAggregate, seconds_and_count, segment_events,
    segments_value,
};

fn extra_fields() -> [Field; 2] {
    [
        Field::new("peak", DataType::Int64, false),
        Field::new("events", DataType::Int64, false),
    ]
}

/// The SQL function.
pub fn udaf() -> SequenceAggregate {
    SequenceAggregate::new("sliding_bursts", extra_fields, evaluate)
}

fn evaluate(seq: &mut EventSequence) -> Result<ScalarValue> {
    let (window, threshold) =
        seconds_and_count(seq.params, "sliding_bursts: window_seconds and threshold")?;
    let threshold = threshold.unwrap_or(usize::MAX);
    let events = seq.sorted();
    let bursts = segment(&events.times, window, threshold);
    let [peak_f, events_f] = extra_fields();
    let peak = Int64Array::from(bursts.iter().map(|b| b.peak as i64).collect::<Vec<_>>());
    let spans: Vec<(usize, usize)> = bursts.iter().map(|b| (b.start, b.end)).collect();
    segments_value(
        &events,
        &spans,
        vec![(peak_f, Arc::new(peak)), (events_f, segment_events(&spans))],
        MAX_EVIDENCE,
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Burst {
    start: usize,
    end: usize,
    peak: usize,
}

/// Two pointers over time-sorted events: for each event `j`, the window is every event `i` with
/// `ts[j] - ts[i] <= window`. Windows with more than `threshold` events violate; overlapping
/// violating windows merge.
fn segment(times: &[i64], window: i64, threshold: usize) -> Vec<Burst> {
    let mut out: Vec<Burst> = Vec::new();
    let mut i = 0;
    for j in 0..times.len() {
        while times[j] - times[i] > window {
            i += 1;
        }
        let n = j - i + 1;
        if n > threshold {
            match out.last_mut() {
                Some(b) if i <= b.end => {
                    b.end = j;
                    b.peak = b.peak.max(n);
                }
                _ => out.push(Burst {
                    start: i,
                    end: j,
                    peak: n,
                }),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Times in seconds, as the µs the aggregate sees.
    fn ev(ts: &[i64]) -> Vec<i64> {
        ts.iter().map(|t| t * 1_000_000).collect()
    }

    #[test]
    fn a_burst_is_found_and_overlapping_windows_merge() {
        // 5 events within 10 s, then a quiet hour, then 2 events.
        let e = ev(&[0, 2, 4, 6, 8, 3600, 3601]);
        assert_eq!(
            segment(&e, 10_000_000, 3),
            vec![Burst {
                start: 0,
                end: 4,
                peak: 5
            }]
        );
    }

    #[test]
    fn at_the_threshold_is_not_over_it() {
        let e = ev(&[0, 1, 2]);
        assert!(segment(&e, 10_000_000, 3).is_empty());
        assert_eq!(segment(&e, 10_000_000, 2).len(), 1);
    }

    #[test]
    fn windows_slide_across_fixed_boundaries() {
        // 3 events just before and 3 just after a day boundary form one 6-event burst.
        let d = 86_400;
        let e = ev(&[d - 30, d - 20, d - 10, d + 10, d + 20, d + 30]);
        assert_eq!(
            segment(&e, 3_600_000_000, 5),
            vec![Burst {
                start: 0,
                end: 5,
                peak: 6
            }]
        );
    }

    #[test]
    fn separate_bursts_stay_separate() {
        let e = ev(&[0, 1, 2, 1000, 1001, 1002]);
        assert_eq!(segment(&e, 5_000_000, 2).len(), 2);
    }
}
