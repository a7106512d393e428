//! Every rule has a fixture that must fire (at the severity in `expect.toml`) and a near miss that
//! must not, under `fixtures/rules/<rule>/`. The findings of each fire case are snapshotted.

use std::collections::BTreeMap;

use crate::common::*;
use xaudit::audit::config::{Level, RuleConfig};
use xaudit::audit::{AuditOptions, Config};
use xaudit::report::{ReportedFinding, audit_report};
use xaudit::rules::{Rule, Severity, registry};
use xaudit::store::Store;

/// Only `rule` enabled, so each case is about one rule.
fn only(rule: &Rule, rules: &[Rule]) -> Config {
    let mut c = Config::default();
    for r in rules.iter().filter(|r| r.id != rule.id) {
        c.rules.insert(
            r.id.clone(),
            RuleConfig {
                level: Some(Level::Off),
                ..Default::default()
            },
        );
    }
    c
}

async fn findings(rule: &Rule, rules: &[Rule], case: &str) -> Vec<ReportedFinding> {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(
        &store,
        &[fixture(&format!("rules/{}/{case}", rule.id))],
        false,
    )
    .await
    .unwrap();
    let report = audit_report(&store, rules, &only(rule, rules), &AuditOptions::default())
        .await
        .unwrap();
    report
        .accounts
        .into_iter()
        .flat_map(|a| a.findings)
        .filter(|f| f.rule == rule.id)
        .collect()
}

fn expected(rule: &Rule) -> Severity {
    let path = fixture(&format!("rules/{}/expect.toml", rule.id));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} has no fixtures: add {}", rule.id, path.display()));
    let v: BTreeMap<String, String> = toml::from_str(&text).unwrap();
    v["fire"].parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rule_fires_on_its_fixture_and_not_on_its_near_miss() {
    let rules = registry().unwrap();
    let mut problems = Vec::new();
    for rule in &rules {
        let want = expected(rule);
        let fire = findings(rule, &rules, "fire").await;
        match fire.iter().map(|f| f.severity).max() {
            Some(s) if s == want => {}
            got => problems.push(format!("{}: fire/ gave {got:?}, expected {want}", rule.id)),
        }
        let near = findings(rule, &rules, "near_miss").await;
        if !near.is_empty() {
            problems.push(format!(
                "{}: near_miss/ fired: {:?}",
                rule.id,
                near.iter().map(|f| &f.message).collect::<Vec<_>>()
            ));
        }
        insta::assert_json_snapshot!(format!("fire__{}", rule.id), fire);
        // A rule's lower tiers have cases of their own: fire_warn/ must give warn, and so on.
        for tier in ["warn", "info"] {
            if fixture(&format!("rules/{}/fire_{tier}", rule.id)).is_dir() {
                let got = findings(rule, &rules, &format!("fire_{tier}")).await;
                match got.iter().map(|f| f.severity).max() {
                    Some(s) if s.as_str() == tier => {}
                    other => problems.push(format!("{}: fire_{tier}/ gave {other:?}", rule.id)),
                }
                insta::assert_json_snapshot!(format!("fire_{tier}__{}", rule.id), got);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
