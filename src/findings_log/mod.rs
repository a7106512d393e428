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
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::hash_id;
use crate::model::schema::{AUDIT_RUNS, FINDINGS};
use crate::model::{Change, Finding, Severity, Suppression};
use crate::rules::Rule;
use crate::store::{Store, query_rows};

#[derive(Debug, Clone)]
pub struct PreviousRun {
    pub id: String,
    /// Its findings that held (not the ones it listed as resolved), by fingerprint, as the log
    /// recorded them: no title, metric or evidence.
    pub findings: BTreeMap<String, Finding>,
}

/// What a run found compared with the previous one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub new: u64,
    pub open: u64,
    pub resolved: u64,
    pub suppressed: u64,
}

/// A run's findings against the previous run's.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Every current finding's change (`new` or `open`), by fingerprint.
    pub change: BTreeMap<String, Change>,
    /// The previous run's findings that no longer hold, by account, then rule, first seen and
    /// fingerprint.
    pub resolved: Vec<Finding>,
    pub counts: Changes,
}

#[derive(Deserialize)]
struct RunId {
    run_id: String,
}

#[derive(Deserialize)]
struct Logged {
    fingerprint: String,
    account_id: String,
    rule: String,
    severity: Severity,
    section: String,
    message: String,
    first_seen: i64,
    last_seen: i64,
    value: f64,
    threshold: Option<f64>,
    count: u64,
}

/// The latest recorded run, with its findings.
pub async fn previous_run(ctx: &SessionContext) -> Result<Option<PreviousRun>> {
    let latest = query_rows::<RunId>(
        ctx,
        "findings log: latest run",
        "SELECT run_id FROM audit_runs ORDER BY finished_at DESC, run_id DESC LIMIT 1",
    )
    .await?;
    let Some(RunId { run_id: id }) = latest.into_iter().next() else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT fingerprint, account_id, rule, severity, section, message, first_seen, last_seen,
           value, threshold, count
         FROM findings WHERE run_id = '{}' AND change <> 'resolved'",
        id.replace('\'', "''")
    );
    let findings = query_rows::<Logged>(ctx, "findings log: findings of the latest run", &sql)
        .await?
        .into_iter()
        .map(|l| {
            (
                l.fingerprint.clone(),
                Finding {
                    rule: l.rule,
                    account_id: l.account_id,
                    severity: l.severity,
                    section: l.section,
                    message: l.message,
                    first_seen: l.first_seen,
                    last_seen: l.last_seen,
                    value: l.value,
                    threshold: l.threshold,
                    count: l.count,
                    fingerprint: l.fingerprint,
                    ..Default::default()
                },
            )
        })
        .collect();
    Ok(Some(PreviousRun { id, findings }))
}

/// Mark each finding new or open, and list the previous run's findings that no longer hold.
/// Counts are per finding; suppressed ones count as such too.
pub fn compare<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
    previous: Option<&PreviousRun>,
    suppressions: &BTreeMap<String, Suppression>,
) -> Comparison {
    let empty = BTreeMap::new();
    let before = previous.map_or(&empty, |p| &p.findings);
    let mut c = Comparison::default();
    let mut seen = BTreeSet::new();
    for f in findings {
        let change = if before.contains_key(&f.fingerprint) {
            c.counts.open += 1;
            Change::Open
        } else {
            c.counts.new += 1;
            Change::New
        };
        if f.suppression(suppressions).is_some() {
            c.counts.suppressed += 1;
        }
        c.change.insert(f.fingerprint.clone(), change);
        seen.insert(f.fingerprint.as_str());
    }
    c.resolved = before
        .values()
        .filter(|f| !seen.contains(f.fingerprint.as_str()))
        .cloned()
        .collect();
    c.resolved.sort_by(|a, b| {
        a.account_id
            .cmp(&b.account_id)
            .then(a.rule.cmp(&b.rule))
            .then(a.first_seen.cmp(&b.first_seen))
            .then(a.fingerprint.cmp(&b.fingerprint))
    });
    c.counts.resolved = c.resolved.len() as u64;
    c
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

/// Append the run's findings and the ones it resolved, then the run itself. The caller holds the
/// store lock.
pub async fn record<'a>(
    store: &Store,
    findings: impl IntoIterator<Item = &'a Finding>,
    comparison: &'a Comparison,
    suppressions: &BTreeMap<String, Suppression>,
    run: &RunRecord,
) -> Result<()> {
    let row = |f: &'a Finding, change: Change| FindingRow {
        row_id: hash_id(&[&run.run_id, &f.fingerprint]),
        run_id: &run.run_id,
        run_at: run.started_at,
        fingerprint: &f.fingerprint,
        account_id: &f.account_id,
        rule: &f.rule,
        severity: f.severity.as_str(),
        section: &f.section,
        message: &f.message,
        first_seen: f.first_seen,
        last_seen: f.last_seen,
        value: f.value,
        threshold: f.threshold,
        count: f.count as i64,
        change: change.as_str(),
        suppressed: f.suppression(suppressions).is_some(),
    };
    let mut rows: Vec<FindingRow> = findings
        .into_iter()
        .map(|f| {
            let change = comparison
                .change
                .get(&f.fingerprint)
                .copied()
                .unwrap_or(Change::New);
            row(f, change)
        })
        .collect();
    // A resolved finding is logged as no longer holding: no measures, never suppressed.
    rows.extend(comparison.resolved.iter().map(|f| FindingRow {
        value: 0.0,
        threshold: None,
        count: 0,
        suppressed: false,
        ..row(f, Change::Resolved)
    }));
    let meta = serde_json::json!({ "operation": "audit_run", "run_id": run.run_id });
    store.append_rows(&FINDINGS, &rows, &meta).await?;
    store
        .append_rows(&AUDIT_RUNS, std::slice::from_ref(run), &meta)
        .await?;
    Ok(())
}
