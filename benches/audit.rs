//! The rule pack over a generated store: time and peak memory of one audit. Not a pass/fail test.
//!
//!   cargo bench --bench audit                                   # 1,000 accounts × 110 days ≈ 10M events
//!   XAUDIT_BENCH_ACCOUNTS=100 XAUDIT_BENCH_DAYS=100 cargo bench --bench audit
//!
//! Inputs and the ingested store are cached under target/bench-data, so reruns time the audit only.

use std::time::Instant;

use xaudit::audit::{AuditOptions, Config};
use xaudit::ingest::{IngestOptions, ingest};
use xaudit::report::audit_report;
use xaudit::rules::registry;
use xaudit::store::Store;

mod common;
use common::{bench_root, env, peak_rss_mib, population, reset_peak_rss};

fn main() {
    let accounts = env("XAUDIT_BENCH_ACCOUNTS", 1000) as usize;
    let days = env("XAUDIT_BENCH_DAYS", 110) as u32;
    let input = population(accounts, days);
    let store_dir = bench_root().join(format!("audit-store-{accounts}x{days}"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = Store::at(&store_dir).unwrap();
    if rt.block_on(store.version()).unwrap().is_none_or(|v| v == 0) {
        let t = Instant::now();
        let r = rt
            .block_on(ingest(
                &store,
                std::slice::from_ref(&input),
                &IngestOptions::default(),
                &indicatif::ProgressBar::hidden(),
            ))
            .expect("ingest");
        println!(
            "ingested {} events in {:.1} s",
            r.events_added,
            t.elapsed().as_secs_f64()
        );
    }
    reset_peak_rss();
    let rules = registry().unwrap();
    let t = Instant::now();
    let report = rt
        .block_on(audit_report(
            &store,
            &rules,
            &Config::default(),
            &AuditOptions::default(),
        ))
        .expect("audit");
    let secs = t.elapsed().as_secs_f64();
    let events: u64 = report
        .accounts
        .iter()
        .map(|a| a.counts.values().sum::<u64>())
        .sum();
    let findings: usize = report.accounts.iter().map(|a| a.findings.len()).sum();
    println!(
        "audit of {events} events, {} accounts, {} rules: {secs:.1} s = {:.0} events/s; {findings} findings; peak RSS {:.0} MiB",
        report.accounts.len(),
        rules.len(),
        events as f64 / secs,
        peak_rss_mib()
    );
}
