use std::path::PathBuf;
use std::process::ExitCode;

use xaudit::synth::{GenOptions, generate};

pub const AFTER_HELP: &str = "\
Writes, under --out:
  archives/<handle>.zip        an X archive per account (current generation, with manifest.js)
  webhooks/<handle>.jsonl      an Account Activity webhook log per account (timed likes, follows, DMs, mentions)
  logs/<handle>-actions.jsonl  a generic event log where the account adds users to lists
  trends.jsonl                 hourly trends/place snapshots
  labels.json                  which account must trip which rule (every third account is compliant)

The same --seed always writes the same files.

Examples:
  xaudit gen --accounts 12 --days 14 --seed 1 --out ./synthetic
  xaudit gen --accounts 100 --days 120 --posts-per-day 40 --likes-per-day 40 --out ./bench-data   # ~1M events";

#[derive(clap::Args)]
pub struct Args {
    /// Number of accounts.
    #[arg(long, default_value_t = 12)]
    accounts: usize,
    /// Days of activity.
    #[arg(long, default_value_t = 14)]
    days: u32,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Ordinary posts per account per day (average).
    #[arg(long, default_value_t = 6)]
    posts_per_day: u32,
    /// Ordinary likes per account per day (average).
    #[arg(long, default_value_t = 10)]
    likes_per_day: u32,
    /// Output folder (created).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let opts = GenOptions {
        accounts: a.accounts,
        days: a.days,
        seed: a.seed,
        posts_per_day: a.posts_per_day,
        likes_per_day: a.likes_per_day,
        ..Default::default()
    };
    let labels = generate(&a.out, &opts)?;
    let bots = labels
        .accounts
        .iter()
        .filter(|l| !l.violations.is_empty())
        .count();
    outln!(
        "wrote {} files with {} events for {} accounts ({} with planted violations) to {}; labels in {}",
        labels.files.len(),
        labels.events,
        labels.accounts.len(),
        bots,
        a.out.display(),
        a.out.join("labels.json").display()
    )?;
    Ok(ExitCode::SUCCESS)
}
