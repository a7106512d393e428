//! `gap_runs(ts, event_id, max_gap_seconds, min_events)`: an aggregate over one group (one
//! account's actions through one app) returning its runs without a pause: stretches of at least
//! `min_events` consecutive events, each less than `max_gap_seconds` after the one before. People
//! pause; a script driving an app need not (`non_api_automation`: fifty actions each under a
//! minute apart, two days without a six-hour rest).
//!
//! Returns `list<struct<first_seen, last_seen, events, seconds, evidence>>`: the run's first and
//! last event times, its events, the whole seconds from its first to its last event, and every
//! one of its ids in time order (then id), not the first 100 as `regular_runs` and
//! `sliding_bursts` give. A pause of `max_gap_seconds` or more ends a run, so that events at one
//! time stay in one run for any gap above 0. NULL times are ignored; a group without such runs
//! gives `[]`.

use std::sync::Arc;

use datafusion::arrow::array::Int64Array;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::ScalarValue;
use datafusion::error::Result;

use super::collect::{
    EventSequence, SequenceAggregate, seconds_and_count, segment_events, segments_value,
};

fn extra_fields() -> [Field; 2] {
    [
        Field::new("events", DataType::Int64, false),
        Field::new("seconds", DataType::Int64, false),
    ]
}

/// The SQL function.
pub fn udaf() -> SequenceAggregate {
    SequenceAggregate::new("gap_runs", extra_fields, evaluate)
}

fn evaluate(seq: &mut EventSequence) -> Result<ScalarValue> {
    let (max_gap, min_events) =
        seconds_and_count(seq.params, "gap_runs: max_gap_seconds and min_events")?;
    let min_events = min_events.unwrap_or(usize::MAX).max(1);
    let events = seq.sorted();
    let runs = find_runs(&events.times, max_gap, min_events);
    let [events_f, seconds_f] = extra_fields();
    let seconds = Int64Array::from(
        runs.iter()
            .map(|(start, end)| (events.times[*end] - events.times[*start]) / 1_000_000)
            .collect::<Vec<_>>(),
    );
    segments_value(
        &events,
        &runs,
        vec![
            (events_f, segment_events(&runs)),
            (seconds_f, Arc::new(seconds)),
        ],
        // A finding on a run cites every one of its events (and counts them once across its
        // runs): the ids come out whole, not as the other sequences' first 100.
        usize::MAX,
    )
}

/// The `(first, last)` positions of the stretches of time-sorted events without a gap of
/// `max_gap` or more, of `min_events` events or more.
fn find_runs(times: &[i64], max_gap: i64, min_events: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for end in 1..=times.len() {
        if end == times.len() || times[end] - times[end - 1] >= max_gap {
            if end - start >= min_events {
                out.push((start, end - 1));
            }
            start = end;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::find_runs;

    /// Times in seconds, as the µs the aggregate sees.
    fn ev(ts: &[i64]) -> Vec<i64> {
        ts.iter().map(|t| t * 1_000_000).collect()
    }

    #[test]
    fn a_pause_of_the_gap_or_more_ends_a_run() {
        // 59 s apart: one run; then exactly 60 s: a new one.
        let e = ev(&[0, 59, 118, 178, 237]);
        assert_eq!(find_runs(&e, 60_000_000, 1), vec![(0, 2), (3, 4)]);
    }

    #[test]
    fn runs_shorter_than_min_events_are_left_out() {
        let e = ev(&[0, 10, 20, 1000, 1010]);
        assert_eq!(find_runs(&e, 60_000_000, 3), vec![(0, 2)]);
        assert_eq!(find_runs(&e, 60_000_000, 2), vec![(0, 2), (3, 4)]);
    }

    #[test]
    fn events_at_one_time_stay_together_and_no_events_make_no_run() {
        assert_eq!(find_runs(&ev(&[5, 5, 5]), 1_000_000, 3), vec![(0, 2)]);
        assert!(
            find_runs(&ev(&[5, 5, 5]), 0, 2).is_empty(),
            "a gap of 0 parts all"
        );
        assert!(find_runs(&[], 60_000_000, 1).is_empty());
    }
}
