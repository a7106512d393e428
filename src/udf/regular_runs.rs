//! `regular_runs(ts, event_id, min_events, max_cv)`: an aggregate over one group (one account's
//! events of one kind) returning its runs of machine cadence: maximal stretches of consecutive
//! events whose inter-arrival times have a coefficient of variation (standard deviation / mean)
//! below `max_cv`, with at least `min_events` events. People act in irregular bursts (CV near 1
//! or above); schedulers tick (CV near 0).
//!
//! Returns `list<struct<first_seen, last_seen, events, cv, evidence>>` (up to 100 ids per run).
//! NULL times are ignored; a group without such runs gives `[]`.

use std::sync::Arc;

use datafusion::arrow::array::{Float64Array, Int64Array};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::ScalarValue;
use datafusion::error::Result;

use super::collect::{EventSequence, SequenceAggregate, segments_value};

fn extra_fields() -> [Field; 2] {
    [
        Field::new("events", DataType::Int64, false),
        Field::new("cv", DataType::Float64, false),
    ]
}

/// The SQL function.
pub fn udaf() -> SequenceAggregate {
    SequenceAggregate::new("regular_runs", extra_fields, evaluate)
}

fn evaluate(seq: &mut EventSequence) -> Result<ScalarValue> {
    let [min_events, max_cv] = seq.params;
    let events = seq.sorted();
    let runs = find_runs(
        &events.times,
        min_events.map(|m| m as usize).unwrap_or(usize::MAX).max(2),
        max_cv.unwrap_or(0.0),
    );
    let [events_f, cv_f] = extra_fields();
    let count = Int64Array::from(
        runs.iter()
            .map(|r| (r.end - r.start + 1) as i64)
            .collect::<Vec<_>>(),
    );
    let cv = Float64Array::from(runs.iter().map(|r| r.cv).collect::<Vec<_>>());
    let spans: Vec<(usize, usize)> = runs.iter().map(|r| (r.start, r.end)).collect();
    segments_value(
        &events,
        &spans,
        vec![(events_f, Arc::new(count)), (cv_f, Arc::new(cv))],
    )
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
