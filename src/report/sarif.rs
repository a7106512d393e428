//! The report as SARIF 2.1.0, for code-scanning dashboards and CI (`--format sarif`).
//!
//! One rule descriptor per rule of the pack, with its documentation as help. One result per
//! finding instance, pointing at the input file and record of its first evidence event (the
//! others are related locations), with the finding's fingerprint as a partial fingerprint, the
//! suppression in force as an external suppression, and — for a nightly run — the change since
//! the previous run as the baseline state; findings of the previous run that no longer hold are
//! `absent` results. A rule's findings for an account are one pattern in the other reports; here
//! each instance is a result, and the patterns (the accounts' rule summaries) are in the run's
//! properties.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use serde_sarif::sarif as s;

use super::{AccountReport, Evidence, Report, ReportedFinding};
use crate::model::{Change, Severity};
use crate::rules::{Rule, sections};

/// The key of xaudit's fingerprint among a result's partial fingerprints; the version changes
/// if the fingerprint's recipe ever does, so that dashboards do not match old and new.
pub const FINGERPRINT_KEY: &str = "xauditFinding/v1";

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn level(severity: Severity) -> s::ResultLevel {
    match severity {
        Severity::Deny => s::ResultLevel::Error,
        Severity::Warn => s::ResultLevel::Warning,
        Severity::Info => s::ResultLevel::Note,
    }
}

fn bag(properties: BTreeMap<String, Value>) -> s::PropertyBag {
    s::PropertyBag::builder()
        .additional_properties(properties)
        .build()
}

fn props<const N: usize>(pairs: [(&str, Value); N]) -> s::PropertyBag {
    bag(pairs
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.to_string(), v))
        .collect())
}

/// A rule doc's paragraph as one line: the rule files wrap them for the terminal.
fn unwrapped(text: &str) -> String {
    text.split('\n')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

fn descriptor(rule: &Rule) -> s::ReportingDescriptor {
    let d = &rule.docs;
    let (what, why) = (unwrapped(&d.what), unwrapped(&d.why));
    let mut text = format!("{what}\n\nWhy it matters: {why}");
    let mut markdown = format!("**What it finds.** {what}\n\n**Why it matters.** {why}");
    if !d.example.is_empty() {
        let example = unwrapped(&d.example);
        text.push_str(&format!("\n\nExample: {example}"));
        markdown.push_str(&format!("\n\n**Example.** {example}"));
    }
    if !d.remediation.is_empty() {
        let remediation = unwrapped(&d.remediation);
        text.push_str(&format!("\n\nWhat to do: {remediation}"));
        markdown.push_str(&format!("\n\n**What to do.** {remediation}"));
    }
    let heading = sections::get(&rule.section)
        .map(|s| s.heading(sections::Lang::En))
        .unwrap_or_default();
    s::ReportingDescriptor::builder()
        .id(rule.id.clone())
        .short_description(
            s::MultiformatMessageString::builder()
                .text(rule.title.clone())
                .build(),
        )
        .full_description(s::MultiformatMessageString::builder().text(what).build())
        .help(
            s::MultiformatMessageString::builder()
                .text(text)
                .markdown(markdown)
                .build(),
        )
        .default_configuration(
            s::ReportingConfiguration::builder()
                .level(json!(level(rule.severity)))
                .build(),
        )
        .properties(props([
            ("tags", json!([rule.section, "automation-rules"])),
            ("section", json!(rule.section)),
            ("sectionHeading", json!(heading)),
            ("policy", json!(sections::POLICY)),
        ]))
        .build()
}

/// A URI reference for an input path as `ingest` recorded it: a `file:` URI for an absolute
/// path, else the relative path with the characters a URI cannot hold percent-encoded.
fn uri(path: &str) -> String {
    let p = std::path::Path::new(path);
    if p.is_absolute()
        && let Ok(u) = url::Url::from_file_path(p)
    {
        return u.to_string();
    }
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where an evidence event was read from. Inside a zip archive the source is
/// `export.zip!data/tweets.js`: the location is the zip, the member is named in the message.
fn location(e: &Evidence, account: &s::LogicalLocation) -> s::Location {
    let (file, member) = e.file();
    let what = format!(
        "{} {} at {}: {}record {}",
        e.kind,
        e.event_id,
        e.ts,
        member.map_or(String::new(), |m| format!("{m}, ")),
        e.source_record
    );
    s::Location::builder()
        .physical_location(
            s::PhysicalLocation::builder()
                .artifact_location(s::ArtifactLocation::builder().uri(uri(file)).build())
                .build(),
        )
        .logical_locations(vec![account.clone()])
        .message(s::Message::builder().text(what).build())
        .properties(props([
            ("eventId", json!(e.event_id)),
            ("record", json!(e.source_record)),
            ("member", json!(member)),
        ]))
        .build()
}

fn account_location(a: &AccountReport) -> s::LogicalLocation {
    s::LogicalLocation::builder()
        .name(a.short_name())
        .fully_qualified_name(format!("account/{}", a.account_id))
        .kind("account")
        .build()
}

/// A location that names only the account: for a finding without stored evidence events (an
/// app's permissions) and for a finding that no longer holds.
fn account_only(account: s::LogicalLocation) -> s::Location {
    s::Location::builder()
        .logical_locations(vec![account])
        .build()
}

fn fingerprints(fingerprint: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(FINGERPRINT_KEY.to_string(), fingerprint.to_string())])
}

fn baseline(change: Change) -> Value {
    json!(match change {
        Change::New => "new",
        Change::Open => "unchanged",
        Change::Resolved => "absent",
    })
}

fn result(f: &ReportedFinding, a: &AccountReport, rule_index: &BTreeMap<&str, usize>) -> s::Result {
    let account = account_location(a);
    let mut locations = f.evidence.iter().map(|e| location(e, &account));
    let first = locations
        .next()
        .unwrap_or_else(|| account_only(account.clone()));
    let related: Vec<s::Location> = locations.collect();
    let name = a.short_name();
    let mut r = s::Result::builder()
        .rule_id(f.rule.clone())
        .level(level(f.severity))
        .message(
            s::Message::builder()
                .text(format!(
                    "{name}: {} ({} – {})",
                    f.message, f.first_seen, f.last_seen
                ))
                .build(),
        )
        .partial_fingerprints(fingerprints(&f.fingerprint))
        .locations(vec![first])
        .properties(props([
            ("accountId", json!(a.account_id)),
            ("handle", json!(a.handle)),
            ("section", json!(f.section)),
            ("severity", json!(f.severity)),
            ("firstSeen", json!(f.first_seen)),
            ("lastSeen", json!(f.last_seen)),
            ("metric", json!(f.metric)),
            ("value", json!(f.value)),
            ("threshold", json!(f.threshold)),
            ("events", json!(f.count)),
            ("automatedEvidence", json!(f.automated_evidence)),
        ]))
        .build();
    r.rule_index = rule_index.get(f.rule.as_str()).map(|&i| i as i64);
    if !related.is_empty() {
        r.related_locations = Some(related);
    }
    if let Some(sup) = &f.suppressed {
        r.suppressions = Some(vec![
            s::Suppression::builder()
                .kind(json!("external"))
                .status(json!("accepted"))
                .justification(sup.reason.clone())
                .properties(props([
                    ("by", json!(sup.by)),
                    ("at", json!(sup.at)),
                    ("until", json!(sup.until)),
                ]))
                .build(),
        ]);
    }
    r.baseline_state = f.change.map(baseline);
    r
}

/// The report as a SARIF 2.1.0 log with one run.
pub fn render(report: &Report, rules: &[Rule]) -> String {
    let rule_index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut results = Vec::new();
    let mut accounts = Vec::new();
    for a in &report.accounts {
        results.extend(a.findings.iter().map(|f| result(f, a, &rule_index)));
        // A finding of the previous run that no longer holds: `absent`, and not a failure.
        for f in a.resolved.iter().flatten() {
            let mut r = s::Result::builder()
                .rule_id(f.rule.clone())
                .kind(s::ResultKind::Pass)
                .level(s::ResultLevel::None)
                .message(
                    s::Message::builder()
                        .text(format!("no longer found: {}", f.message))
                        .build(),
                )
                .partial_fingerprints(fingerprints(&f.fingerprint))
                .locations(vec![account_only(account_location(a))])
                .build();
            r.rule_index = rule_index.get(f.rule.as_str()).map(|&i| i as i64);
            r.baseline_state = Some(baseline(Change::Resolved));
            results.push(r);
        }
        accounts.push(json!({
            "accountId": a.account_id,
            "handle": a.handle,
            "verdict": a.verdict,
            "ruleSummary": a.rule_summary,
        }));
    }
    let driver = s::ToolComponent::builder()
        .name("xaudit")
        .version(report.tool.version)
        .semantic_version(report.tool.version)
        .full_name(format!(
            "xaudit {} — {}",
            report.tool.version, report.policy
        ))
        .rules(rules.iter().map(descriptor).collect::<Vec<_>>())
        .build();
    let mut invocation = s::Invocation::builder()
        .execution_successful(true)
        .end_time_utc(report.generated_at.clone())
        .build();
    if let Some(file) = &report.config_file {
        invocation.properties = Some(props([("configFile", json!(file))]));
    }
    let mut run = s::Run::builder()
        .tool(s::Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .properties(props([
            ("policy", json!(report.policy)),
            ("storeVersion", json!(report.store_version)),
            ("accounts", Value::Array(accounts)),
        ]))
        .build();
    if let Some(r) = &report.run {
        run.automation_details = Some(
            s::RunAutomationDetails::builder()
                .id(format!("xaudit/nightly/{}", r.id))
                .build(),
        );
    }
    let log = s::Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_string_pretty(&log).expect("a SARIF log serializes") + "\n"
}
