//! The report: built once from an audit's findings, coverage and facts, with the suppressions in
//! force and (nightly) the comparison with the previous run, and rendered as JSON (the machine
//! contract, `schema_version` 1), Markdown, HTML and terminal text. This is the one place that
//! turns times into text. Output is deterministic: accounts, rules and findings are sorted, and
//! the only wall-clock value is `generated_at`.

mod github;
mod html;
mod junit;
mod markdown;
pub mod sarif;
mod text;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::evidence::EvidenceEvent;
use crate::audit::{Audit, AuditOptions, Config};
use crate::error::Result;
use crate::findings_log::{Comparison, suppressions};
use crate::model::time::format_ts;
use crate::model::{Severity, Suppression};
use crate::rules::{Rule, sections};
use crate::store::Store;

pub use crate::audit::facts::{ClientUse, DayActivity};
pub use crate::model::{Change, RuleStatus, Status};
pub use github::render as github;
pub use html::render as html;
pub use junit::render as junit;
pub use markdown::render as markdown;
pub use sarif::render as sarif;
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
    /// The config file the audit ran with, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_file: Option<String>,
    pub accounts: Vec<AccountReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunRef {
    pub id: String,
    pub previous_id: Option<String>,
    pub store_version: Option<u64>,
}

/// Why a finding is suppressed, as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppressed {
    pub reason: String,
    pub by: String,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

impl From<&Suppression> for Suppressed {
    fn from(s: &Suppression) -> Self {
        Suppressed {
            reason: s.reason.clone(),
            by: s.by.clone(),
            at: format_ts(s.at),
            until: s.until.map(format_ts),
        }
    }
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
    /// Where the event was read from: the input file (as given to `ingest`, so a path of the
    /// machine that ingested it) and the record there. SARIF and GitHub annotations point here;
    /// the JSON report leaves it out so that it stays the same wherever the inputs lay.
    #[serde(skip)]
    pub source: String,
    #[serde(skip)]
    pub source_record: i64,
}

impl Evidence {
    /// The input file the event came from, and the member inside it when that file is a zip
    /// archive (a source `export.zip!data/tweets.js`).
    pub fn file(&self) -> (&str, Option<&str>) {
        match self.source.split_once(".zip!") {
            Some((zip, member)) => (&self.source[..zip.len() + 4], Some(member)),
            None => (&self.source, None),
        }
    }
}

impl From<&EvidenceEvent> for Evidence {
    fn from(e: &EvidenceEvent) -> Self {
        Evidence {
            event_id: e.event_id.clone(),
            ts: format_ts(e.ts),
            kind: e.kind.clone(),
            target: e.target.clone(),
            client: e.client.clone(),
            text: e.text.clone(),
            source: e.source.clone(),
            source_record: e.source_record,
        }
    }
}

/// A finding as reports show it: times as text, evidence events in full, and what qualifies it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportedFinding {
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

impl ReportedFinding {
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

impl Verdict {
    /// As the JSON report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Violations => "violations",
            Verdict::Warnings => "warnings",
            Verdict::Compliant => "compliant",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountReport {
    pub account_id: String,
    pub handle: Option<String>,
    pub period: Period,
    pub counts: BTreeMap<String, u64>,
    pub automation: Automation,
    pub rules: Vec<RuleStatus>,
    pub findings: Vec<ReportedFinding>,
    /// Each rule that found something for the account, once: how many instances and events,
    /// the worst severity and the period. `findings` keeps every instance.
    pub rule_summary: Vec<RuleSummary>,
    /// Findings of the previous run that no longer hold (nightly reports only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Vec<ResolvedFinding>>,
    pub verdict: Verdict,
    /// Daily activity for charts.
    #[serde(skip)]
    pub daily: Vec<DayActivity>,
}

/// One rule's findings for one account, as one pattern.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSummary {
    pub rule: String,
    pub title: String,
    pub section: String,
    /// The worst severity among the instances not suppressed (else among all of them).
    pub severity: Severity,
    pub instances: u64,
    /// Instances per severity (`deny`, `warn`, `info`).
    pub by_severity: BTreeMap<String, u64>,
    pub suppressed: u64,
    /// The events the instances count, summed.
    pub events: u64,
    pub first_seen: String,
    pub last_seen: String,
}

/// How many instances of a rule the human reports show with their evidence; the JSON report
/// keeps them all.
pub const SHOWN_INSTANCES: usize = 3;

/// One rule's findings for an account as the human reports show them: the summary, the first
/// instances in report order (the most severe first) and how many more there are.
pub struct RuleGroup<'a> {
    pub summary: &'a RuleSummary,
    pub shown: Vec<&'a ReportedFinding>,
    pub more: usize,
}

impl RuleGroup<'_> {
    /// "342 instances (9 deny, 333 warn), 1204 events", or nothing for a single instance.
    pub fn counts_line(&self) -> Option<String> {
        let s = self.summary;
        if s.instances == 1 {
            return None;
        }
        let mut line = format!("{} instances", s.instances);
        if s.by_severity.len() > 1 {
            let parts: Vec<String> = ["deny", "warn", "info"]
                .iter()
                .filter_map(|sev| s.by_severity.get(*sev).map(|n| format!("{n} {sev}")))
                .collect();
            line.push_str(&format!(" ({})", parts.join(", ")));
        }
        if s.suppressed > 0 {
            line.push_str(&format!(", {} suppressed", s.suppressed));
        }
        line.push_str(&format!(", {} events", s.events));
        Some(line)
    }
}

/// The rules' summaries of `findings` (in report order), in the same order: the most severe
/// rule first.
fn summarize_rules(findings: &[ReportedFinding]) -> Vec<RuleSummary> {
    // Beside each summary, the worst severity among its unsuppressed instances.
    let mut out: Vec<(RuleSummary, Option<Severity>)> = Vec::new();
    for f in findings {
        let (s, unsuppressed) = match out.iter_mut().position(|(s, _)| s.rule == f.rule) {
            Some(i) => &mut out[i],
            None => {
                out.push((
                    RuleSummary {
                        rule: f.rule.clone(),
                        title: f.title.clone(),
                        section: f.section.clone(),
                        severity: f.severity,
                        instances: 0,
                        by_severity: BTreeMap::new(),
                        suppressed: 0,
                        events: 0,
                        first_seen: f.first_seen.clone(),
                        last_seen: f.last_seen.clone(),
                    },
                    None,
                ));
                out.last_mut().expect("just pushed")
            }
        };
        s.instances += 1;
        *s.by_severity.entry(f.severity.to_string()).or_default() += 1;
        s.events += f.count;
        s.severity = s.severity.max(f.severity);
        if f.suppressed.is_some() {
            s.suppressed += 1;
        } else {
            *unsuppressed = (*unsuppressed).max(Some(f.severity));
        }
        if f.first_seen < s.first_seen {
            s.first_seen = f.first_seen.clone();
        }
        if f.last_seen > s.last_seen {
            s.last_seen = f.last_seen.clone();
        }
    }
    out.into_iter()
        .map(|(mut s, unsuppressed)| {
            s.severity = unsuppressed.unwrap_or(s.severity);
            s
        })
        .collect()
}

impl AccountReport {
    /// The account's findings grouped by rule, as the human reports show them.
    pub fn groups(&self) -> Vec<RuleGroup<'_>> {
        self.rule_summary
            .iter()
            .map(|summary| {
                let all: Vec<&ReportedFinding> = self
                    .findings
                    .iter()
                    .filter(|f| f.rule == summary.rule)
                    .collect();
                let more = all.len().saturating_sub(SHOWN_INSTANCES);
                RuleGroup {
                    summary,
                    shown: all.into_iter().take(SHOWN_INSTANCES).collect(),
                    more,
                }
            })
            .collect()
    }

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

    /// `@handle`, or the account id when no handle is known.
    pub fn short_name(&self) -> String {
        self.handle
            .as_ref()
            .map_or(self.account_id.clone(), |h| format!("@{h}"))
    }

    /// `@handle (account id)`, or the account id when no handle is known.
    pub fn long_name(&self) -> String {
        self.handle.as_ref().map_or(self.account_id.clone(), |h| {
            format!("@{h} ({})", self.account_id)
        })
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
fn worst_unsuppressed(findings: &[ReportedFinding]) -> Option<Severity> {
    findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| f.severity)
        .max()
}

/// The account's verdict from its findings; suppressed findings do not count.
pub fn verdict(findings: &[ReportedFinding]) -> Verdict {
    match worst_unsuppressed(findings) {
        Some(Severity::Deny) => Verdict::Violations,
        Some(Severity::Warn) => Verdict::Warnings,
        _ => Verdict::Compliant,
    }
}

/// Rounded so that reports stay readable (and stable across float formatting).
fn round3(v: f64) -> serde_json::Value {
    serde_json::json!((v * 1000.0).round() / 1000.0)
}

fn cadence_json(c: &crate::audit::facts::Cadence) -> serde_json::Value {
    let mut o = serde_json::Map::new();
    o.insert("events".into(), serde_json::json!(c.events));
    for (name, v) in [
        ("gap_cv", c.gap_cv),
        ("hour_entropy", c.hour_entropy),
        ("longest_active_hours", c.longest_active_hours),
    ] {
        if let Some(v) = v {
            o.insert(name.to_string(), round3(v));
        }
    }
    serde_json::Value::Object(o)
}

impl Report {
    /// The report of `audit`, with the suppressions in force and, for a recorded run, its
    /// comparison with the previous run. `generated_at` is µs since the epoch (shown to the
    /// second).
    pub fn build(
        audit: &Audit,
        suppressions: &BTreeMap<String, Suppression>,
        comparison: Option<&Comparison>,
        run: Option<RunRef>,
        generated_at: i64,
    ) -> Report {
        let no_facts = crate::audit::AccountFacts::default();
        let accounts = audit
            .coverage
            .iter()
            .map(|(account, rules)| {
                let facts = audit.facts.get(account).unwrap_or(&no_facts);
                let findings: Vec<ReportedFinding> = audit
                    .findings
                    .get(account)
                    .into_iter()
                    .flatten()
                    .map(|f| ReportedFinding {
                        rule: f.rule.clone(),
                        severity: f.severity,
                        section: f.section.clone(),
                        title: f.title.clone(),
                        message: f.message.clone(),
                        first_seen: format_ts(f.first_seen),
                        last_seen: format_ts(f.last_seen),
                        metric: f.metric.clone(),
                        value: f.value,
                        threshold: f.threshold,
                        count: f.count,
                        automated_evidence: f.automated_evidence.clone(),
                        fingerprint: f.fingerprint.clone(),
                        evidence: f
                            .evidence
                            .iter()
                            .filter_map(|id| audit.evidence.get(id).map(Evidence::from))
                            .collect(),
                        change: comparison.and_then(|c| c.change.get(&f.fingerprint).copied()),
                        suppressed: f.suppression(suppressions).map(Suppressed::from),
                    })
                    .collect();
                let resolved = comparison.map(|c| {
                    // Sorted by account first: this account's are one run, found by bisection
                    // rather than by scanning every resolved finding for every account.
                    let start = c.resolved.partition_point(|f| f.account_id < *account);
                    c.resolved[start..]
                        .iter()
                        .take_while(|f| &f.account_id == account)
                        .map(|f| ResolvedFinding {
                            rule: f.rule.clone(),
                            severity: f.severity,
                            section: f.section.clone(),
                            message: f.message.clone(),
                            first_seen: format_ts(f.first_seen),
                            last_seen: format_ts(f.last_seen),
                            fingerprint: f.fingerprint.clone(),
                            change: Change::Resolved,
                        })
                        .collect()
                });
                AccountReport {
                    account_id: account.clone(),
                    handle: facts.handle.clone(),
                    period: Period {
                        from: facts.period.map(|(from, _)| format_ts(from)),
                        to: facts.period.map(|(_, to)| format_ts(to)),
                    },
                    counts: facts.counts.clone(),
                    automation: Automation {
                        clients: facts.clients.clone(),
                        connected_apps: facts
                            .connected_apps
                            .iter()
                            .map(|a| ConnectedApp {
                                app_id: a.app_id.clone(),
                                name: a.name.clone(),
                                permissions: a.permissions.clone(),
                                approved_at: a.approved_at.map(format_ts),
                            })
                            .collect(),
                        cadence: facts
                            .cadence
                            .iter()
                            .map(|(group, c)| (group.clone(), cadence_json(c)))
                            .collect(),
                    },
                    rules: rules.clone(),
                    daily: facts.daily.clone(),
                    verdict: verdict(&findings),
                    resolved,
                    rule_summary: summarize_rules(&findings),
                    findings,
                }
            })
            .collect();
        Report {
            schema_version: 1,
            tool: Tool {
                name: "xaudit",
                version: env!("CARGO_PKG_VERSION"),
            },
            policy: sections::POLICY,
            store_version: audit.store_version,
            config_file: None,
            generated_at: format_ts(generated_at / 1_000_000 * 1_000_000),
            run,
            accounts,
        }
    }
}

/// A plain audit's report: the rule pack over the store, with the suppressions in force at the
/// audited moment (no comparison with a previous run: that is nightly's).
pub async fn audit_report(
    store: &Store,
    rules: &[Rule],
    config: &Config,
    opts: &AuditOptions,
) -> Result<Report> {
    let audit = crate::audit::audit(store, rules, config, opts).await?;
    let suppressions = suppressions::active(&audit.session, audit.moment).await?;
    Ok(Report::build(&audit, &suppressions, None, None, opts.now))
}
