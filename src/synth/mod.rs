//! `xaudit gen`: synthetic activity in the real input formats, with violations of RULES.md planted
//! on some accounts and compliant accounts beside them, and a labels file saying which account must
//! trip which rule. Deterministic for a seed (each account draws from its own seeded stream, so
//! accounts can be generated in parallel and still come out the same).

mod activity;
mod plants;
mod write;

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};

pub use activity::Activity;
pub use plants::{PLANTS, Plant};

#[derive(Debug, Clone)]
pub struct GenOptions {
    pub accounts: usize,
    pub days: u32,
    pub seed: u64,
    /// Ordinary (compliant) posts per account per day, on average.
    pub posts_per_day: u32,
    /// Ordinary likes per account per day, on average (timed, in the webhook log).
    pub likes_per_day: u32,
    /// Start of the generated period, in microseconds since the epoch.
    pub start: i64,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            accounts: 12,
            days: 14,
            seed: 1,
            posts_per_day: 6,
            likes_per_day: 10,
            start: crate::model::time::parse_ts("2026-01-05T00:00:00Z").expect("valid"),
        }
    }
}

/// One account of the generated population.
#[derive(Debug, Clone, Serialize)]
pub struct AccountLabel {
    pub account_id: String,
    pub handle: String,
    /// "compliant" or "automated".
    pub profile: &'static str,
    /// Rules that must fire for this account (ids of RULES.md).
    pub violations: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct Labels {
    pub seed: u64,
    pub days: u32,
    pub start: String,
    pub accounts: Vec<AccountLabel>,
    pub files: Vec<String>,
    pub events: u64,
}

/// Which violations account `i` of `accounts` carries: two of every three accounts are bots with
/// one planted violation each (cycling through the catalog), every third is compliant. A violation
/// that takes two accounts is also given to the next bot; when there is none, it is not planted.
/// The second value seeds the text stream two accounts share (for a plant that `shares_texts`).
fn plan(i: usize, accounts: usize) -> (Vec<&'static Plant>, Option<u64>) {
    if i % 3 == 2 {
        return (Vec::new(), None);
    }
    let bot_index = |i: usize| i - i / 3;
    let next_bot = if (i + 1) % 3 == 2 { i + 2 } else { i + 1 };
    let k = bot_index(i);
    let n = PLANTS.len();
    let own = &PLANTS[k % n];
    let mut out = Vec::new();
    let mut shared = None;
    if !own.paired || next_bot < accounts {
        out.push(own);
        if own.shares_texts {
            shared = Some(k as u64);
        }
    }
    if k > 0 {
        let previous = &PLANTS[(k - 1) % n];
        if previous.paired {
            out.push(previous);
            if previous.shares_texts {
                shared = Some(k as u64 - 1);
            }
        }
    }
    (out, shared)
}

pub fn generate(out: &Path, opts: &GenOptions) -> Result<Labels> {
    if opts.accounts == 0 || opts.days == 0 {
        return Err(Error::Usage(
            "--accounts and --days must be at least 1".into(),
        ));
    }
    for sub in ["archives", "webhooks", "logs"] {
        std::fs::create_dir_all(out.join(sub)).map_err(|e| Error::io(out.join(sub), e))?;
    }
    let trends = activity::trend_schedule(opts);
    let results: Vec<Result<(AccountLabel, Vec<String>, u64)>> = (0..opts.accounts)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(
                opts.seed
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add(i as u64),
            );
            let (violations, shared_texts) = plan(i, opts.accounts);
            let account_id = format!(
                "{}",
                1_500_000_000u64 + i as u64 * 7919 + rng.random_range(0..7000)
            );
            let handle = format!(
                "{}_{i}",
                if violations.is_empty() {
                    "person"
                } else {
                    "bot"
                }
            );
            let act = activity::account_activity(
                &mut rng,
                opts,
                &account_id,
                &handle,
                &violations,
                &trends,
                activity::Profile {
                    shared_texts,
                    // Every other compliant account is very active: the near miss of section I.
                    very_active: violations.is_empty() && i % 6 == 5,
                },
            );
            let files = write::account_files(out, opts, &act)?;
            let label = AccountLabel {
                account_id,
                handle,
                profile: if violations.is_empty() {
                    "compliant"
                } else {
                    "automated"
                },
                violations: violations.iter().flat_map(|v| v.rules()).collect(),
            };
            Ok((label, files, act.event_count()))
        })
        .collect();
    let mut labels = Labels {
        seed: opts.seed,
        days: opts.days,
        start: crate::model::time::format_ts(opts.start),
        accounts: Vec::new(),
        files: Vec::new(),
        events: 0,
    };
    for r in results {
        let (label, files, events) = r?;
        labels.accounts.push(label);
        labels.files.extend(files);
        labels.events += events;
    }
    labels.files.push(write::trends_file(out, &trends)?);
    labels.files.sort();
    let path = out.join("labels.json");
    let json = serde_json::to_string_pretty(&labels).map_err(|e| Error::Internal(e.to_string()))?;
    std::fs::write(&path, json + "\n").map_err(|e| Error::io(&path, e))?;
    Ok(labels)
}
