//! The runner: one rule's SQL against the session, its rows turned into [`Finding`]s.
//!
//! A rule's query returns one row per finding with these columns, found by name:
//! `account_id`, `first_seen`, `last_seen`, `value`, `count` (required); `threshold` (else the
//! header's threshold parameter), `evidence` (event ids), `message`, `automated` (true: the rule
//! itself established automation, e.g. a run of machine cadence), `automation` (the evidence the
//! rule itself established), `severity` (a lower tier, e.g. `warn`), `key` (what identifies the
//! finding across runs).
//!
//! Who acted is read from the finding's own evidence events, not from the rule's row: a finding
//! is automated when one of its events is (the `activity` view's `automated`), evidently manual
//! when all of them are manual (II.* rules then report at most info), and cites the automation
//! evidence of those events only ([`Draft::finish`]). A finding without evidence events (a
//! connected app) keeps what its row says.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use serde::Deserialize;

use super::{cached_view, shared_ctes};
use crate::error::{Error, Result};
use crate::model::hash_id;
use crate::model::{Finding, Severity};
use crate::rules::Rule;
use crate::store::batches_to_rows;

/// A row of a rule's result, as the query contract above describes it.
#[derive(Deserialize)]
struct RuleRow {
    account_id: String,
    first_seen: i64,
    last_seen: i64,
    value: Option<f64>,
    count: Option<i64>,
    threshold: Option<f64>,
    evidence: Option<Vec<Option<String>>>,
    message: Option<String>,
    automated: Option<bool>,
    automation: Option<Vec<Option<String>>>,
    severity: Option<Severity>,
    key: Option<String>,
}

/// What the runner needs besides the rule: its configured level and parameter values, the
/// accounts it cannot evaluate (their rows are dropped: missing data is never read as a finding)
/// and the most severe finding it may report for accounts whose data is partial.
pub struct RuleRun<'r, 'a> {
    pub rule: &'r Rule,
    pub level: Severity,
    pub params: &'a BTreeMap<String, f64>,
    pub not_evaluable: &'a BTreeSet<&'a str>,
    pub caps: &'a BTreeMap<&'a str, Severity>,
}

/// Who acted in one event, as the `activity` view says: automated (None: unknown) and the
/// evidence for it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventActor {
    pub automated: Option<bool>,
    pub automation: Option<String>,
}

/// A finding before its events' actors are known: every evidence id, and what its row said.
pub struct Draft<'a> {
    rule: &'a Rule,
    level: Severity,
    row_severity: Option<Severity>,
    row_automated: Option<bool>,
    cap: Option<Severity>,
    /// Complete `evidence`; its automation evidence so far is what the rule established itself.
    finding: Finding,
}

impl Draft<'_> {
    pub fn evidence(&self) -> &[String] {
        &self.finding.evidence
    }

    /// The finding, with its automation and severity read from its own events (see the module
    /// doc) and its evidence cut to `evidence_limit` ids.
    pub fn finish(self, actors: &HashMap<String, EventActor>, evidence_limit: usize) -> Finding {
        let mut finding = self.finding;
        let mut cited: BTreeSet<String> = finding.automated_evidence.drain(..).collect();
        let (mut any_automated, mut all_manual) = (false, true);
        for id in &finding.evidence {
            let actor = actors.get(id);
            match actor.and_then(|a| a.automated) {
                Some(true) => any_automated = true,
                Some(false) => {}
                None => all_manual = false,
            }
            if let Some(evidence) = actor.and_then(|a| a.automation.clone()) {
                cited.insert(evidence);
            }
        }
        let automated = if self.row_automated == Some(true) || any_automated {
            Some(true)
        } else if finding.evidence.is_empty() {
            self.row_automated
        } else if all_manual {
            Some(false)
        } else {
            None
        };
        let severity = self
            .rule
            .finding_severity(self.level, self.row_severity, automated);
        finding.severity = self.cap.map_or(severity, |cap| severity.min(cap));
        finding.automated_evidence = cited.into_iter().collect();
        finding.evidence.truncate(evidence_limit);
        finding
    }
}

impl<'r> RuleRun<'r, '_> {
    /// Run the rule and return its findings, in the order of its rows.
    pub async fn findings(&self, ctx: &SessionContext) -> Result<Vec<Draft<'r>>> {
        let sql = self.rule.render_sql(self.params);
        let batches = run_sql(ctx, self.rule, &sql).await?;
        self.findings_of(&batches)
    }

    fn findings_of(&self, batches: &[RecordBatch]) -> Result<Vec<Draft<'r>>> {
        let rule = self.rule;
        let rows: Vec<RuleRow> = batches_to_rows(&rule.file, batches)?;
        let default_threshold = rule
            .threshold
            .as_ref()
            .and_then(|t| self.params.get(t).copied());
        let strings = |v: Option<Vec<Option<String>>>| -> Vec<String> {
            v.unwrap_or_default().into_iter().flatten().collect()
        };
        Ok(rows
            .into_iter()
            .filter(|row| !self.not_evaluable.contains(row.account_id.as_str()))
            .map(|row| {
                let key = row.key.unwrap_or_else(|| row.first_seen.to_string());
                let finding = Finding {
                    fingerprint: hash_id(&[&rule.id, &row.account_id, &key]),
                    severity: self.level,
                    rule: rule.id.clone(),
                    section: rule.section.clone(),
                    title: rule.title.clone(),
                    message: row
                        .message
                        .filter(|m| !m.is_empty())
                        .unwrap_or_else(|| rule.title.clone()),
                    first_seen: row.first_seen,
                    last_seen: row.last_seen,
                    metric: rule.metric.clone(),
                    value: row.value.unwrap_or(0.0),
                    threshold: row.threshold.or(default_threshold),
                    count: row.count.unwrap_or(0).max(0) as u64,
                    automated_evidence: strings(row.automation),
                    evidence: strings(row.evidence),
                    account_id: row.account_id,
                };
                Draft {
                    rule,
                    level: self.level,
                    row_severity: row.severity,
                    row_automated: row.automated,
                    cap: self.caps.get(finding.account_id.as_str()).copied(),
                    finding,
                }
            })
            .collect())
    }
}

/// Run a rule's query, with the CTEs it reads more than once computed once (see `shared_ctes`).
async fn run_sql(ctx: &SessionContext, rule: &Rule, sql: &str) -> Result<Vec<RecordBatch>> {
    let bad_sql = |e: datafusion::error::DataFusionError| {
        Error::Internal(format!(
            "{} (SQL from line {}): {e}",
            rule.file, rule.sql_line
        ))
    };
    let split = shared_ctes::split(sql, |name| ctx.table_exist(name).unwrap_or(true));
    let (shared, main) = match &split {
        Some(s) => (s.shared.as_slice(), s.main.as_str()),
        None => (&[][..], sql),
    };
    let mut registered = Vec::new();
    let mut result = async {
        for (name, query) in shared {
            let plan = ctx
                .sql(query)
                .await
                .map_err(bad_sql)?
                .into_unoptimized_plan();
            cached_view::register(ctx, name.as_str(), plan).await?;
            registered.push(name.as_str());
        }
        ctx.sql(main)
            .await
            .map_err(bad_sql)?
            .collect()
            .await
            .map_err(|e| Error::Internal(format!("{}: {e}", rule.file)))
    }
    .await;
    for name in registered {
        if let Err(e) = ctx.deregister_table(name) {
            result = Err(e.into());
        }
    }
    result
}
