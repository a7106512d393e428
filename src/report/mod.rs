//! One findings model, rendered as JSON (the machine contract, `schema_version` 1), Markdown and
//! terminal text. Output is deterministic: accounts, rules and findings are sorted, and the only
//! wall-clock value is `generated_at`.

mod html;
mod markdown;
mod text;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::coverage::Status;
use crate::rules::Severity;

pub use html::render as html;
pub use markdown::render as markdown;
pub use text::render as text;

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub policy: &'static str,
    pub store_version: Option<u64>,
    pub generated_at: String,
    /// The recorded run this report belongs to (nightly reports only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunRef>,
    pub accounts: Vec<AccountReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunRef {
    pub id: String,
    pub previous_id: Option<String>,
    pub store_version: Option<u64>,
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

/// Why a finding is suppressed (it stays in the report and does not fail the run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppressed {
    pub reason: String,
    pub by: String,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// A finding of the previous run that no longer holds.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedFinding {
    pub rule: String,
    pub severity: Severity,
    pub section: String,
    pub message: String,
    pub first_seen: String,
    pub last_seen: String,
    pub fingerprint: String,
    pub change: Change,
}

#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientUse {
    pub name: String,
    pub official: bool,
    pub class: String,
    pub posts: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConnectedApp {
    pub app_id: String,
    pub name: Option<String>,
    pub permissions: Vec<String>,
    pub approved_at: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Automation {
    pub clients: Vec<ClientUse>,
    pub connected_apps: Vec<ConnectedApp>,
    pub cadence: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleStatus {
    pub rule: String,
    pub status: Status,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub event_id: String,
    pub ts: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub section: String,
    pub title: String,
    pub message: String,
    pub first_seen: String,
    pub last_seen: String,
    pub metric: Option<String>,
    pub value: f64,
    pub threshold: Option<f64>,
    pub count: u64,
    pub automated_evidence: Vec<String>,
    /// Identifies the finding across runs: rule, account and an evidence key.
    pub fingerprint: String,
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppressed>,
}

impl Finding {
    /// "new", "suppressed: reason (by …)" and the like, for the human-readable reports; empty for
    /// a plain audit's unsuppressed finding.
    pub fn note(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = self.change {
            parts.push(c.as_str().to_string());
        }
        if let Some(s) = &self.suppressed {
            parts.push(format!(
                "suppressed: {} (by {}, {}{})",
                s.reason,
                s.by,
                s.at,
                s.until
                    .as_deref()
                    .map_or(String::new(), |u| format!(", until {u}"))
            ));
        }
        parts.join("; ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Violations,
    Warnings,
    Compliant,
}

/// Events of one day, by activity group (for the HTML timeline; not part of the JSON contract).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayActivity {
    /// `YYYY-MM-DD`
    pub day: String,
    pub posts: u64,
    pub likes: u64,
    pub follows: u64,
    pub dms: u64,
    pub list_adds: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountReport {
    pub account_id: String,
    pub handle: Option<String>,
    pub period: Period,
    pub counts: BTreeMap<String, u64>,
    pub automation: Automation,
    pub rules: Vec<RuleStatus>,
    pub findings: Vec<Finding>,
    /// Findings of the previous run that no longer hold (nightly reports only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Vec<ResolvedFinding>>,
    pub verdict: Verdict,
    /// Daily activity for charts.
    #[serde(skip)]
    pub daily: Vec<DayActivity>,
}

impl AccountReport {
    /// One line on the rhythm of each timed activity group ("posts: gap variation 0.02, …").
    pub fn cadence_lines(&self) -> Vec<String> {
        self.automation
            .cadence
            .iter()
            .filter_map(|(group, c)| {
                let events = c.get("events")?.as_i64()?;
                // A rhythm needs a few events before it says anything.
                if events < 10 {
                    return None;
                }
                let mut parts = vec![format!("{events} timed events")];
                if let Some(cv) = c.get("gap_cv").and_then(|v| v.as_f64()) {
                    parts.push(format!("gap variation {cv}"));
                }
                if let Some(h) = c.get("hour_entropy").and_then(|v| v.as_f64()) {
                    parts.push(format!("hour-of-day entropy {h} of 4.585 bits"));
                }
                if let Some(h) = c.get("longest_active_hours").and_then(|v| v.as_f64()) {
                    parts.push(format!("longest stretch without a 6 h rest {h} h"));
                }
                Some(format!("{group}: {}", parts.join(", ")))
            })
            .collect()
    }

    /// Rules that could not see all the data they need for this account.
    pub fn not_fully_checked(&self) -> Vec<&RuleStatus> {
        self.rules
            .iter()
            .filter(|s| s.status != Status::Evaluated)
            .collect()
    }

    /// The most severe finding that is not suppressed.
    pub fn worst(&self) -> Option<Severity> {
        worst_unsuppressed(&self.findings)
    }
}

impl Report {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report serializes") + "\n"
    }

    /// The most severe finding in the report.
    pub fn worst(&self) -> Option<Severity> {
        self.accounts.iter().filter_map(AccountReport::worst).max()
    }
}

/// The most severe of `findings`, suppressed ones left out: they neither fail a run nor set a
/// verdict.
fn worst_unsuppressed(findings: &[Finding]) -> Option<Severity> {
    findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| f.severity)
        .max()
}

/// The account's verdict from its findings; suppressed findings do not count.
pub fn verdict(findings: &[Finding]) -> Verdict {
    match worst_unsuppressed(findings) {
        Some(Severity::Deny) => Verdict::Violations,
        Some(Severity::Warn) => Verdict::Warnings,
        _ => Verdict::Compliant,
    }
}
