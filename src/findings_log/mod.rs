//! Findings are events: each recorded run appends one row to `audit_runs` and one row per finding
//! to `findings`, and a run's findings are compared with the previous run's by fingerprint (rule,
//! account and an evidence key that new data does not move, such as a burst's start or a
//! cluster's earliest member). A finding is `new` or `open`; one of the previous run that is no
//! longer found is `resolved`.
//!
//! Crash safety: the findings rows are appended before the run row, and "the previous run" is read
//! from `audit_runs`, so a run killed half-way leaves findings rows that no run claims, which
//! nothing reads.

pub mod suppressions;

use std::collections::{BTreeMap, BTreeSet};

use datafusion::prelude::SessionContext;
use serde::Serialize;

use crate::error::Result;
use crate::model::hash_id;
use crate::model::schema::{AUDIT_RUNS, FINDINGS};
use crate::model::time::{format_ts, parse_ts};
use crate::report::{Change, Report, ResolvedFinding};
use crate::rules::{Rule, Severity};
use crate::store::{Store, int64, utf8};

/// A finding of the previous run, as the log recorded it.
#[derive(Debug, Clone)]
pub struct LoggedFinding {
    pub account_id: String,
    pub rule: String,
    pub severity: Severity,
    pub section: String,
    pub message: String,
    pub first_seen: String,
    pub last_seen: String,
}

#[derive(Debug, Clone)]
pub struct PreviousRun {
    pub id: String,
    /// Its findings that held (not the ones it listed as resolved), by fingerprint.
    pub findings: BTreeMap<String, LoggedFinding>,
}

/// What a run found compared with the previous one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub new: u64,
    pub open: u64,
    pub resolved: u64,
    pub suppressed: u64,
}

/// The latest recorded run, with its findings.
pub async fn previous_run(ctx: &SessionContext) -> Result<Option<PreviousRun>> {
    let batches = ctx
        .sql("SELECT run_id FROM audit_runs ORDER BY finished_at DESC, run_id DESC LIMIT 1")
        .await?
        .collect()
        .await?;
    let Some(id) = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .map(|b| utf8(b.column(0)).map(|c| c.value(0).to_string()))
        .transpose()?
    else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT fingerprint, account_id, rule, severity, section, message, first_seen, last_seen
         FROM findings WHERE run_id = '{id}' AND change <> 'resolved'"
    );
    let mut findings = BTreeMap::new();
    for b in ctx.sql(&sql).await?.collect().await? {
        let s: Vec<_> = (0..6).map(|i| utf8(b.column(i))).collect::<Result<_>>()?;
        let (first, last) = (int64(b.column(6))?, int64(b.column(7))?);
        for r in 0..b.num_rows() {
            findings.insert(
                s[0].value(r).to_string(),
                LoggedFinding {
                    account_id: s[1].value(r).to_string(),
                    rule: s[2].value(r).to_string(),
                    severity: s[3].value(r).parse().unwrap_or(Severity::Info),
                    section: s[4].value(r).to_string(),
                    message: s[5].value(r).to_string(),
                    first_seen: format_ts(first.value(r)),
                    last_seen: format_ts(last.value(r)),
                },
            );
        }
    }
    Ok(Some(PreviousRun { id, findings }))
}

/// Mark each finding new or open and list, per account, the previous run's findings that no
/// longer hold.
pub fn compare(report: &mut Report, previous: Option<&PreviousRun>) -> Changes {
    let empty = BTreeMap::new();
    let before = previous.map_or(&empty, |p| &p.findings);
    let mut changes = Changes::default();
    let mut seen = BTreeSet::new();
    for account in &mut report.accounts {
        for f in &mut account.findings {
            let change = if before.contains_key(&f.fingerprint) {
                changes.open += 1;
                Change::Open
            } else {
                changes.new += 1;
                Change::New
            };
            f.change = Some(change);
            if f.suppressed.is_some() {
                changes.suppressed += 1;
            }
            seen.insert(f.fingerprint.clone());
        }
        let mut resolved: Vec<ResolvedFinding> = before
            .iter()
            .filter(|(fp, f)| f.account_id == account.account_id && !seen.contains(*fp))
            .map(|(fp, f)| ResolvedFinding {
                rule: f.rule.clone(),
                severity: f.severity,
                section: f.section.clone(),
                message: f.message.clone(),
                first_seen: f.first_seen.clone(),
                last_seen: f.last_seen.clone(),
                fingerprint: fp.clone(),
                change: Change::Resolved,
            })
            .collect();
        resolved.sort_by(|a, b| {
            a.rule
                .cmp(&b.rule)
                .then(a.first_seen.cmp(&b.first_seen))
                .then(a.fingerprint.cmp(&b.fingerprint))
        });
        changes.resolved += resolved.len() as u64;
        account.resolved = Some(resolved);
    }
    changes
}

/// A hash of the rule pack (every rule's header, docs and SQL): recorded with each run, so a
/// reproduction can tell whether the rules changed since.
pub fn rule_pack_hash(rules: &[Rule]) -> String {
    let parts: Vec<String> = rules.iter().map(|r| format!("{r:?}")).collect();
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    hash_id(&refs)
}

/// What a run was, for `audit_runs`.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub run_id: String,
    pub previous_run_id: Option<String>,
    pub store_version: i64,
    pub config_hash: String,
    pub rule_pack: String,
    pub tool_version: String,
    pub started_at: i64,
    pub finished_at: i64,
    pub inputs: i64,
    pub events_added: i64,
    pub accounts: i64,
    pub new: i64,
    pub open: i64,
    pub resolved: i64,
    pub suppressed: i64,
}

#[derive(Serialize)]
struct FindingRow<'a> {
    row_id: String,
    run_id: &'a str,
    run_at: i64,
    fingerprint: &'a str,
    account_id: &'a str,
    rule: &'a str,
    severity: &'a str,
    section: &'a str,
    message: &'a str,
    first_seen: i64,
    last_seen: i64,
    value: f64,
    threshold: Option<f64>,
    count: i64,
    change: &'a str,
    suppressed: bool,
}

/// Append the run's findings (resolved ones included), then the run itself. The caller holds the
/// store lock.
pub async fn record(store: &Store, report: &Report, run: &RunRecord) -> Result<()> {
    let ts = |s: &str| parse_ts(s).unwrap_or(0);
    // What a current and a resolved finding have in common; the caller fills in the measures.
    let row = |account_id,
               fingerprint,
               rule,
               severity: Severity,
               section,
               message,
               first: &str,
               last: &str| FindingRow {
        row_id: hash_id(&[&run.run_id, fingerprint]),
        run_id: &run.run_id,
        run_at: run.started_at,
        fingerprint,
        account_id,
        rule,
        severity: severity.as_str(),
        section,
        message,
        first_seen: ts(first),
        last_seen: ts(last),
        value: 0.0,
        threshold: None,
        count: 0,
        change: Change::Resolved.as_str(),
        suppressed: false,
    };
    let mut rows = Vec::new();
    for a in &report.accounts {
        for f in &a.findings {
            rows.push(FindingRow {
                value: f.value,
                threshold: f.threshold,
                count: f.count as i64,
                change: f.change.unwrap_or(Change::New).as_str(),
                suppressed: f.suppressed.is_some(),
                ..row(
                    &a.account_id,
                    &f.fingerprint,
                    &f.rule,
                    f.severity,
                    &f.section,
                    &f.message,
                    &f.first_seen,
                    &f.last_seen,
                )
            });
        }
        for f in a.resolved.iter().flatten() {
            rows.push(row(
                &a.account_id,
                &f.fingerprint,
                &f.rule,
                f.severity,
                &f.section,
                &f.message,
                &f.first_seen,
                &f.last_seen,
            ));
        }
    }
    let meta = serde_json::json!({ "operation": "audit_run", "run_id": run.run_id });
    store.append_rows(&FINDINGS, &rows, &meta).await?;
    store
        .append_rows(&AUDIT_RUNS, std::slice::from_ref(run), &meta)
        .await?;
    Ok(())
}
