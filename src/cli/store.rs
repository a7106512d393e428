use std::num::NonZeroU64;
use std::process::ExitCode;

use anyhow::Context;
use xaudit::store::{Contention, Store};

pub const AFTER_HELP: &str = "\
Both keep time travel intact: nothing is deleted, and every earlier version stays readable.

Examples:
  xaudit store optimize --store ./store        # compact the small files of many nightly ingests
  xaudit store check --store ./store           # every version readable, pins and keys consistent

`check` exits 0 when the store is sound, 1 when it found problems (listed), 2 on an error.";

#[derive(clap::Subcommand)]
pub enum Command {
    /// Compact the small files that many ingests leave into larger ones (one new version per
    /// table with something to compact; the data and every earlier version are unchanged).
    Optimize(OptimizeArgs),
    /// Check that every version of every table can be read: logs load, data files are present
    /// with their recorded sizes, side-table pins exist, no key is stored twice, and every event
    /// time is one the engine can hold.
    Check(CheckArgs),
}

#[derive(clap::Args)]
pub struct OptimizeArgs {
    #[command(flatten)]
    store: super::StoreArg,
    /// Size to aim compacted files at, in MiB.
    #[arg(long, value_name = "MIB", default_value = "128")]
    target_size: NonZeroU64,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    store: super::StoreArg,
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Optimize(a) => optimize(a).await,
        Command::Check(a) => check(a).await,
    }
}

async fn optimize(a: OptimizeArgs) -> anyhow::Result<ExitCode> {
    let store = Store::existing(&a.store.store)?;
    let _lock = store.lock("xaudit store optimize", Contention::Wait, |holder| {
        eprintln!("waiting for {holder} to finish…")
    })?;
    let bytes = a
        .target_size
        .checked_mul(NonZeroU64::new(1 << 20).expect("non-zero"))
        .context("--target-size is too large")?;
    let done = store
        .optimize(Some(bytes))
        .await
        .with_context(|| format!("optimizing {}", store.root().display()))?;
    for c in &done {
        if c.files_removed == 0 {
            outln!(
                "{:<16} {} files, nothing to compact",
                c.table,
                c.files_before
            )?;
        } else {
            outln!(
                "{:<16} {} files: {} compacted into {} (version {})",
                c.table,
                c.files_before,
                c.files_removed,
                c.files_added,
                c.version.map(|v| v.to_string()).unwrap_or("-".into())
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn check(a: CheckArgs) -> anyhow::Result<ExitCode> {
    let store = Store::existing(&a.store.store)?;
    let report = store
        .check()
        .await
        .with_context(|| format!("checking {}", store.root().display()))?;
    let versions: u64 = report.versions.values().sum();
    outln!(
        "read {versions} versions of {} tables and {} data files",
        report.versions.len(),
        report.files
    )?;
    if report.problems.is_empty() {
        outln!("no problems: every version of every table is readable")?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{} problems:", report.problems.len())?;
    for p in &report.problems {
        match p.version {
            Some(v) => outln!("  {} version {v}: {}", p.table, p.what)?,
            None => outln!("  {}: {}", p.table, p.what)?,
        }
    }
    Ok(ExitCode::from(1))
}
