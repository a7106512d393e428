//! What an audit concludes, as plain data: findings, how far each rule could look at each account,
//! and the suppressions and run-to-run changes that qualify findings. Times are microseconds since
//! the epoch; only the report turns them into text.
//!
//! This module depends on nothing above the model: the engine produces these values, the findings
//! log and the report consume them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Warn,
    Deny,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Deny => "deny",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "deny" => Ok(Severity::Deny),
            "warn" => Ok(Severity::Warn),
            "info" => Ok(Severity::Info),
            other => Err(format!(
                "unknown severity {other:?}; expected deny, warn or info"
            )),
        }
    }
}

/// One rule's claim about one account.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub account_id: String,
    pub severity: Severity,
    pub section: String,
    pub title: String,
    pub message: String,
    /// µs since the epoch.
    pub first_seen: i64,
    pub last_seen: i64,
    /// What `value` measures (`follows_per_hour`).
    pub metric: Option<String>,
    pub value: f64,
    pub threshold: Option<f64>,
    /// Events the finding covers.
    pub count: u64,
    /// Why the activity is taken to be automated (clients, apps, cadence).
    pub automated_evidence: Vec<String>,
    /// The events the finding rests on (at most the configured evidence limit).
    pub evidence: Vec<String>,
    /// Identifies the finding across runs: rule, account and an evidence key that new data does
    /// not move.
    pub fingerprint: String,
}

/// The fingerprint a suppression of every finding of `rule` for `account` is recorded under
/// (`xaudit suppress --rule R --account A`): one pattern accepted once, however many instances
/// it has now or later.
pub fn rule_fingerprint(rule: &str, account: &str) -> String {
    super::hash_id(&["rule suppression", rule, account])
}

impl Finding {
    /// The suppression in force for this finding: its own, else its rule's for its account.
    pub fn suppression<'a>(
        &self,
        suppressions: &'a std::collections::BTreeMap<String, Suppression>,
    ) -> Option<&'a Suppression> {
        suppressions
            .get(&self.fingerprint)
            .or_else(|| suppressions.get(&rule_fingerprint(&self.rule, &self.account_id)))
    }
}

/// The order reports list an account's findings in: most severe first, then by rule and time.
pub fn report_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then(a.rule.cmp(&b.rule))
        .then(a.first_seen.cmp(&b.first_seen))
        .then(a.fingerprint.cmp(&b.fingerprint))
}

/// How far a rule could look at an account's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Evaluated,
    Partial,
    NotEvaluable,
}

impl Status {
    /// How reports name the status.
    pub fn label(self) -> &'static str {
        match self {
            Status::Evaluated => "evaluated",
            Status::Partial => "partial",
            Status::NotEvaluable => "not evaluable",
        }
    }
}

/// A rule's coverage of one account, and why it is not full.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleStatus {
    pub rule: String,
    pub status: Status,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// Why a finding is suppressed (it stays in the report and does not fail the run).
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    pub reason: String,
    pub by: String,
    /// µs since the epoch.
    pub at: i64,
    pub until: Option<i64>,
}

/// A finding compared with the previous recorded run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Not in the previous run.
    New,
    /// Also in the previous run.
    Open,
    /// In the previous run, no longer found.
    Resolved,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Open => "open",
            Change::Resolved => "resolved",
        }
    }
}
