use std::path::PathBuf;
use std::process::ExitCode;
use xaudit::text::inert::visible_lines;

use anyhow::Context;
use xaudit::audit::Config;
use xaudit::model::time::parse_ts;
use xaudit::nightly::{NightlyOptions, nightly};
use xaudit::rules::registry;
use xaudit::rules::sections::Lang;
use xaudit::store::{Contention, Store};

pub const AFTER_HELP: &str = "\
Each run: ingests every inbox file not ingested before (recognized by content hash; nothing is
deleted from the inbox; names ending in .part or .tmp are left for the next night), audits the
store, compares every finding with the previous run by fingerprint (new, open, resolved), records
the run in the audit_runs and findings tables, and writes REPORTS/<YYYY-MM-DD>/ with report.json,
report.html, report.md, report.sarif (with each result's baseline state), junit.xml and
summary.txt. The summary is also printed, for cron's mail.

One run at a time per store: a second run exits 2 naming the running one, or waits with --wait.
A run killed at any point leaves the store at a committed version; the next run picks up cleanly.

Exit codes as `audit`: 0 no unsuppressed finding at or above --fail-on, 1 findings, 2 error.

Examples:
  xaudit nightly --store /var/lib/xaudit/store --inbox /srv/exports --reports /var/www/xaudit
  xaudit nightly --store ./store --inbox ./inbox --reports ./reports --fail-on never --wait
  crontab:  15 3 * * *  xaudit nightly --store ~/xaudit/store --inbox ~/xaudit/inbox --reports ~/xaudit/reports";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: super::StoreArg,
    /// Folder of exports to ingest (files and extracted archives; read, never changed).
    #[arg(long, value_name = "DIR")]
    inbox: PathBuf,
    /// Folder for the nightly report folders.
    #[arg(long, value_name = "DIR")]
    reports: PathBuf,
    /// Rule levels and parameters (TOML). Without it: ./xaudit.toml, else <store>/xaudit.toml,
    /// else the defaults; the file used is named in report.json (`config_file`).
    #[arg(long, value_name = "FILE", env = "XAUDIT_CONFIG")]
    config: Option<PathBuf>,
    /// Language of section headings in the reports.
    #[arg(long, value_enum, default_value = "en")]
    lang: Lang,
    /// Exit 1 when there is an unsuppressed finding at or above this severity.
    #[arg(long, value_enum, default_value = "deny")]
    fail_on: super::audit::FailOn,
    /// When another run holds the store, wait for it instead of exiting 2.
    #[arg(long)]
    wait: bool,
    /// Keep going past bad records in inbox files (kept in the rejects table).
    #[arg(long)]
    lenient: bool,
    /// Run as if it were this moment (RFC 3339): names the report folder; for backfills and tests.
    #[arg(long, value_name = "TIMESTAMP")]
    now: Option<String>,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let rules = registry()?;
    let found = super::find_config(a.config.as_deref(), Some(&a.store.store));
    let config = match &found {
        Some((p, _)) => Config::load(p, &rules)?,
        None => Config::default(),
    };
    let now = match &a.now {
        Some(t) => parse_ts(t).with_context(|| {
            format!("--now {t:?}: not a timestamp; expected RFC 3339 such as 2026-11-21T03:00:00Z")
        })?,
        None => chrono::Utc::now().timestamp_micros(),
    };
    let store = Store::at(&a.store.store)?;
    let contention = if a.wait {
        Contention::Wait
    } else {
        Contention::Fail
    };
    let _lock = store.lock("xaudit nightly", contention, |holder| {
        eprintln!("waiting for {holder} to finish…");
    })?;
    let pb = super::progress("ingesting the inbox");
    let opts = NightlyOptions {
        inbox: a.inbox.clone(),
        reports: a.reports.clone(),
        now,
        lenient: a.lenient,
        lang: a.lang,
        config_file: found.map(|(p, _)| p.display().to_string()),
    };
    let out = nightly(&store, &rules, &config, &opts, &pb)
        .await
        .context("nightly run failed; the store is at its last committed version")?;
    pb.finish_and_clear();
    for n in &out.notices {
        eprintln!("note: {}", visible_lines(n));
    }
    let summary = std::fs::read_to_string(out.dir.join("summary.txt"))
        .with_context(|| format!("cannot read {}", out.dir.join("summary.txt").display()))?;
    super::print(&summary)?;
    outln!("reports: {}", visible_lines(&out.dir.display().to_string()))?;
    Ok(super::audit::exit_code(a.fail_on, out.report.worst()))
}
