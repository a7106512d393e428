//! What the benchmarks share: their knobs, peak-memory readings, and the generated population,
//! cached under `target/bench-data` so both benches read the same data.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use xaudit::synth::{GenOptions, generate};

pub fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn bench_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-data")
}

/// Writing 5 to clear_refs resets the peak RSS (VmHWM, Linux ≥ 4.0).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// `xaudit gen` output for `accounts` × `days` (seed 42, 40 posts and 40 likes a day), generated
/// once and reused.
pub fn population(accounts: usize, days: u32) -> PathBuf {
    let dir = bench_root().join(format!("population-{accounts}x{days}"));
    if !dir.join("labels.json").exists() {
        let t = Instant::now();
        let opts = GenOptions {
            accounts,
            days,
            seed: 42,
            posts_per_day: 40,
            likes_per_day: 40,
            ..Default::default()
        };
        let labels = generate(&dir, &opts).expect("gen");
        println!(
            "generated {} events for {accounts} accounts × {days} days in {:.1} s",
            labels.events,
            t.elapsed().as_secs_f64()
        );
    }
    dir
}
