//! `regular_runs(ts, event_id, min_events, max_cv)`: an aggregate over one group (one account's
//! events of one kind) returning its runs of machine cadence: stretches of at least `min_events`
//! consecutive events whose inter-arrival times have a coefficient of variation (standard
//! deviation / mean) below `max_cv`. People act in irregular bursts (CV near 1 or above);
//! schedulers tick (CV near 0).
//!
//! A run is grown event by event while its CV stays below `max_cv`; where that misses a
//! scheduler whose ticks have a person's actions in between (each one breaks the growing run),
//! every `min_events` consecutive events that tick are found as well, and overlapping ones joined.
//!
//! Returns `list<struct<first_seen, last_seen, events, cv, evidence>>` (up to 100 ids per run).
//! NULL times are ignored; a group without such runs gives `[]`.

use std::sync::Arc;

use datafusion::arrow::array::Float64Array;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::ScalarValue;
use datafusion::error::Result;

use super::collect::{
    EventSequence, MAX_EVIDENCE, SequenceAggregate, segment_events, segments_value,
};

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
    let cv = Float64Array::from(runs.iter().map(|r| r.cv).collect::<Vec<_>>());
    let spans: Vec<(usize, usize)> = runs.iter().map(|r| (r.start, r.end)).collect();
    segments_value(
        &events,
        &spans,
        vec![(events_f, segment_events(&spans)), (cv_f, Arc::new(cv))],
        MAX_EVIDENCE,
    )
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Run {
    start: usize,
    end: usize,
    cv: f64,
}

/// The coefficient of variation of `n` gaps summing to `sum`, whose squares sum to `sq`.
fn cv(n: f64, sum: f64, sq: f64) -> f64 {
    let mean = sum / n;
    if mean <= 0.0 {
        return f64::INFINITY;
    }
    let var = (sq / n - mean * mean).max(0.0);
    var.sqrt() / mean
}

/// The runs of at least `min_events` events that tick (coefficient of variation of their gaps
/// below `max_cv`). Two scans find them:
/// - greedy: extend the current run while the CV of its gaps stays below `max_cv`; when the next
///   gap would break it, close the run and start again from the last event;
/// - windowed, for what the greedy scan misses: every `min_events` consecutive events whose gaps'
///   CV is below `max_cv`, windows sharing a gap joined into one run. A bot's ticks with a
///   person's actions in between break the greedy scan again and again (an hour of likes every
///   45 s came apart into runs of 28 and 46), while a window over them still ticks.
///
/// A windowed run that shares a gap with a greedy one is left out: the greedy runs stay as they
/// were (two rhythms meeting in one event are two runs, where a window across the change, a few
/// short gaps among long ones, would join them). A run's `cv` is that of all its gaps.
fn find_runs(times: &[i64], min_events: usize, max_cv: f64) -> Vec<Run> {
    if times.len() < 2 {
        return Vec::new();
    }
    let mut runs = greedy_runs(times, min_events, max_cv);
    // A window needs two gaps before its CV means anything, as a greedy run does.
    if min_events < 3 || times.len() < min_events {
        return runs;
    }
    // Prefix sums of the gaps and their squares: gap k is between events k - 1 and k.
    let mut sums = vec![(0.0f64, 0.0f64); times.len()];
    for k in 1..times.len() {
        let gap = (times[k] - times[k - 1]) as f64;
        sums[k] = (sums[k - 1].0 + gap, sums[k - 1].1 + gap * gap);
    }
    let gaps_cv = |start: usize, end: usize| {
        let (sum, sq) = (sums[end].0 - sums[start].0, sums[end].1 - sums[start].1);
        cv((end - start) as f64, sum, sq)
    };
    let mut windowed: Vec<(usize, usize)> = Vec::new();
    for start in 0..=times.len() - min_events {
        let end = start + min_events - 1;
        if gaps_cv(start, end) >= max_cv {
            continue;
        }
        match windowed.last_mut() {
            Some(last) if start < last.1 => last.1 = end,
            _ => windowed.push((start, end)),
        }
    }
    let shares_a_gap = |(start, end): (usize, usize), g: &Run| start < g.end && g.start < end;
    let missed: Vec<Run> = windowed
        .into_iter()
        .filter(|&w| !runs.iter().any(|g| shares_a_gap(w, g)))
        .map(|(start, end)| Run {
            start,
            end,
            cv: gaps_cv(start, end),
        })
        .collect();
    runs.extend(missed);
    runs.sort_unstable_by_key(|r| r.start);
    runs
}

/// The greedy scan of [`find_runs`]: each run of `min_events` or more, with the CV of its gaps.
fn greedy_runs(times: &[i64], min_events: usize, max_cv: f64) -> Vec<Run> {
    let mut out = Vec::new();
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

    /// Issue 21's 10M peer run: a bot liking every ~45 s for an hour, with a person's likes in
    /// between, was missed: the greedy scan broke it into runs of 28 and 46 likes.
    #[test]
    fn a_bots_ticks_with_a_persons_actions_in_between_are_one_run() {
        let gaps = [
            46, 44, 47, 44, 45, 45, 45, 45, 46, 44, 45, 46, 44, 45, 46, 4, 39, 45, 47, 44, 45, 45,
            46, 44, 45, 44, 1, 9, 35, 45, 46, 44, 46, 14, 31, 46, 44, 46, 17, 27, 44, 47, 43, 46,
            45, 44, 46, 46, 44, 45, 45, 46, 45, 44, 45, 44, 45, 45, 46, 44, 45, 45, 47, 43, 46, 45,
            45, 44, 45, 31, 14, 47, 44, 46, 43, 45, 45, 47, 44, 45, 45, 45, 44, 46, 45,
        ];
        let mut t = vec![0i64, 1_051_000_000];
        for g in gaps {
            t.push(t.last().unwrap() + g * 1_000_000);
        }
        t.push(t.last().unwrap() + 558_000_000);
        let runs = find_runs(&t, 50, 0.3);
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!((runs[0].start, runs[0].end), (1, t.len() - 2));
        assert!(runs[0].cv < 0.3, "{runs:?}");
    }

    /// The greedy scan's runs stay as they were: two runs that meet in one event are two.
    #[test]
    fn two_rhythms_meeting_in_one_event_stay_two_runs() {
        let mut t: Vec<i64> = (0..60).map(|k| k * 10_000_000).collect();
        let last = *t.last().unwrap();
        t.extend((1..60).map(|k| last + k * 600_000_000));
        let runs = find_runs(&t, 50, 0.3);
        let spans: Vec<(usize, usize)> = runs.iter().map(|r| (r.start, r.end)).collect();
        assert_eq!(spans, [(0, 59), (59, 118)]);
    }

    #[test]
    fn too_short_runs_are_dropped() {
        let t: Vec<i64> = (0..10).map(|k| k * 1_000_000).collect();
        assert!(find_runs(&t, 50, 0.3).is_empty());
        assert!(find_runs(&[], 2, 0.3).is_empty());
    }
}
