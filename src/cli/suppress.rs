use std::process::ExitCode;

use anyhow::Context;
use xaudit::findings_log::suppressions::{self, Action};
use xaudit::model::time::{format_ts, parse_ts};
use xaudit::store::{Contention, SessionOptions, Store, query_rows};

pub const SUPPRESS_HELP: &str = "\
A suppressed finding stays in every report, with the reason, but does not fail the run (exit
code) or count toward the account's verdict. Suppressions are appended to the `suppressions` table
with who and when, and never edited: `unsuppress` appends another entry.

A suppression covers one finding (its fingerprint), or every finding of a rule for an account,
now and in later runs (`--rule R --account A`): a templated bot's duplicate posts, accepted once.

Examples:
  xaudit suppress 3f2a9c0d1e4b5a6978877665544332211 --store ./store --reason \"opt-in list, ticket OPS-12\"
  xaudit suppress --rule duplicate_posts --account 1500000000000000001 --store ./store --reason \"item feed, reviewed OPS-31\"
  xaudit suppress 3f2a9c0d1e4b5a6978877665544332211 --store ./store --reason \"under review\" --until 2026-12-31
  xaudit unsuppress 3f2a9c0d1e4b5a6978877665544332211 --store ./store
  xaudit unsuppress --rule duplicate_posts --account 1500000000000000001 --store ./store
  xaudit suppressions --store ./store --all";

/// What a suppression covers: one finding, or a rule for an account.
#[derive(clap::Args)]
pub struct Target {
    /// The finding's fingerprint (the `fingerprint` field of a report).
    #[arg(required_unless_present = "rule", conflicts_with = "rule")]
    fingerprint: Option<String>,
    /// Every finding of this rule for `--account`, now and later.
    #[arg(long, requires = "account")]
    rule: Option<String>,
    /// The account of `--rule`.
    #[arg(long, requires = "rule")]
    account: Option<String>,
}

impl Target {
    /// The fingerprint the suppression is recorded under, and how to name it.
    fn resolve(self) -> anyhow::Result<(String, String)> {
        match (self.fingerprint, self.rule, self.account) {
            (Some(fp), _, _) => Ok((fp.clone(), fp)),
            (None, Some(rule), Some(account)) => {
                let rules = xaudit::rules::registry()?;
                if !rules.iter().any(|r| r.id == rule) {
                    anyhow::bail!("--rule {rule:?}: no such rule (`xaudit rules` lists them)");
                }
                Ok((
                    xaudit::model::rule_fingerprint(&rule, &account),
                    format!("every {rule} finding of account {account}"),
                ))
            }
            _ => anyhow::bail!("give a finding's fingerprint, or --rule and --account"),
        }
    }
}

#[derive(clap::Args)]
pub struct SuppressArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    store: super::StoreArg,
    /// Why the finding is accepted (kept in the audit trail).
    #[arg(long)]
    reason: String,
    /// The suppression lapses at this date (YYYY-MM-DD, midnight UTC) or time (RFC 3339).
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Who suppresses (default: $USER).
    #[arg(long)]
    by: Option<String>,
}

#[derive(clap::Args)]
pub struct UnsuppressArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    store: super::StoreArg,
    /// Why the suppression ends.
    #[arg(long)]
    reason: Option<String>,
    /// Who unsuppresses (default: $USER).
    #[arg(long)]
    by: Option<String>,
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    store: super::StoreArg,
    /// The whole trail (every suppress and unsuppress), not only what is in force.
    #[arg(long)]
    all: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn who(by: Option<String>) -> String {
    by.or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".into())
}

fn parse_until(s: &str) -> anyhow::Result<i64> {
    let full = if s.len() == 10 {
        format!("{s}T00:00:00Z")
    } else {
        s.to_string()
    };
    parse_ts(&full)
        .with_context(|| format!("--until {s:?}: expected a date (2026-12-31) or an RFC 3339 time"))
}

pub async fn suppress(a: SuppressArgs) -> anyhow::Result<ExitCode> {
    let store = Store::existing(&a.store.store)?;
    let until = a.until.as_deref().map(parse_until).transpose()?;
    let (fingerprint, name) = a.target.resolve()?;
    let _lock = store.lock("xaudit suppress", Contention::Wait, |_| {})?;
    let now = chrono::Utc::now().timestamp_micros();
    suppressions::record(
        &store,
        Action::Suppress,
        &fingerprint,
        Some(&a.reason),
        until,
        &who(a.by),
        now,
    )
    .await?;
    outln!(
        "suppressed {}{}",
        name,
        until.map_or(String::new(), |u| format!(" until {}", format_ts(u)))
    )?;
    Ok(ExitCode::SUCCESS)
}

pub async fn unsuppress(a: UnsuppressArgs) -> anyhow::Result<ExitCode> {
    let store = Store::existing(&a.store.store)?;
    let (fingerprint, name) = a.target.resolve()?;
    let _lock = store.lock("xaudit unsuppress", Contention::Wait, |_| {})?;
    let now = chrono::Utc::now().timestamp_micros();
    suppressions::record(
        &store,
        Action::Unsuppress,
        &fingerprint,
        a.reason.as_deref(),
        None,
        &who(a.by),
        now,
    )
    .await?;
    outln!("unsuppressed {name}")?;
    Ok(ExitCode::SUCCESS)
}

pub async fn list(a: ListArgs) -> anyhow::Result<ExitCode> {
    let store = Store::existing(&a.store.store)?;
    let ctx = store.session(&SessionOptions::default()).await?;
    let now = chrono::Utc::now().timestamp_micros();
    // What each fingerprint was, from the findings log (suppressions can name findings of plain
    // audits, which the log does not hold).
    #[derive(serde::Deserialize)]
    struct Known {
        fingerprint: String,
        account_id: String,
        rule: String,
    }
    let sql = "SELECT fingerprint, last_value(account_id ORDER BY run_at) AS account_id, last_value(rule ORDER BY run_at) AS rule FROM findings GROUP BY fingerprint";
    let mut known = std::collections::BTreeMap::new();
    for k in query_rows::<Known>(&ctx, "suppressions: logged findings", sql).await? {
        known.insert(
            xaudit::model::rule_fingerprint(&k.rule, &k.account_id),
            format!("every {} finding of {}", k.rule, k.account_id),
        );
        known.insert(k.fingerprint, format!("{} {}", k.rule, k.account_id));
    }
    let rows: Vec<serde_json::Value> = if a.all {
        suppressions::trail(&ctx)
            .await?
            .into_iter()
            .map(|e| {
                serde_json::json!({
                    "fingerprint": e.fingerprint, "finding": known.get(&e.fingerprint),
                    "action": e.action, "reason": e.reason, "by": e.by, "at": format_ts(e.at),
                    "until": e.until.map(format_ts),
                })
            })
            .collect()
    } else {
        suppressions::active(&ctx, now)
            .await?
            .into_iter()
            .map(|(fp, s)| {
                serde_json::json!({
                    "fingerprint": fp, "finding": known.get(&fp), "reason": s.reason,
                    "by": s.by, "at": format_ts(s.at), "until": s.until.map(format_ts),
                })
            })
            .collect()
    };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        outln!(
            "{}",
            if a.all {
                "no suppressions recorded"
            } else {
                "no suppression in force"
            }
        )?;
    }
    for r in &rows {
        let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
        outln!(
            "{}  {}{}  by {} at {}{}\n    {}",
            s("fingerprint"),
            if a.all {
                format!("{} ", s("action"))
            } else {
                String::new()
            },
            r["finding"].as_str().unwrap_or("(finding not in the log)"),
            s("by"),
            s("at"),
            r["until"]
                .as_str()
                .map_or(String::new(), |u| format!(", until {u}")),
            s("reason"),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
