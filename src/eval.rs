//! Precision and recall of the rule pack on `xaudit gen` data, per rule, against the generator's
//! labels. A finding counts when it is `deny` or `warn`, or, for a rule whose default is `info`,
//! any finding. Rules the generator does not plant are left out of the table; findings of any rule
//! on an account not labelled with it are false positives.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::audit::{AuditOptions, Config, audit};
use crate::error::{Error, InputError, Result};
use crate::ingest::{IngestOptions, ingest};
use crate::rules::{Rule, Severity};
use crate::store::Store;

#[derive(Deserialize)]
struct Labels {
    accounts: Vec<Labelled>,
}

#[derive(Deserialize)]
struct Labelled {
    account_id: String,
    profile: String,
    violations: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleScore {
    pub rule: String,
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
}

impl RuleScore {
    pub fn precision(&self) -> f64 {
        let d = self.true_positives + self.false_positives;
        if d == 0 {
            1.0
        } else {
            self.true_positives as f64 / d as f64
        }
    }
    pub fn recall(&self) -> f64 {
        let d = self.true_positives + self.false_negatives;
        if d == 0 {
            1.0
        } else {
            self.true_positives as f64 / d as f64
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub accounts: usize,
    pub compliant_accounts: usize,
    /// deny/warn findings on accounts labelled compliant (target: 0).
    pub findings_on_compliant: u64,
    pub rules: Vec<RuleScore>,
    /// Labelled rules that have no implementation yet.
    pub unimplemented: Vec<String>,
}

pub async fn evaluate(dir: &Path, rules: &[Rule], config: &Config) -> Result<Evaluation> {
    let labels_path = dir.join("labels.json");
    let text = std::fs::read_to_string(&labels_path).map_err(|e| {
        InputError::file(
            labels_path.display().to_string(),
            format!("cannot read ({e}); expected the output folder of `xaudit gen`"),
        )
    })?;
    let labels: Labels = serde_json::from_str(&text)
        .map_err(|e| InputError::file(labels_path.display().to_string(), e.to_string()))?;
    let tmp = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let store = Store::at(tmp.path().join("store"))?;
    ingest(
        &store,
        &[dir.to_path_buf()],
        &IngestOptions::default(),
        &indicatif::ProgressBar::hidden(),
    )
    .await?;
    let audit = audit(&store, rules, config, &AuditOptions::default()).await?;

    let counts = |r: &Rule, s: Severity| s >= Severity::Warn || r.severity == Severity::Info;
    let mut found: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for f in audit.all_findings() {
        if let Some(r) = rules.iter().find(|r| r.id == f.rule)
            && counts(r, f.severity)
        {
            found
                .entry(f.account_id.as_str())
                .or_default()
                .insert(f.rule.clone());
        }
    }
    let planted: BTreeSet<&str> = labels
        .accounts
        .iter()
        .flat_map(|a| a.violations.iter().map(String::as_str))
        .collect();
    let mut scores: BTreeMap<&str, RuleScore> = BTreeMap::new();
    let mut unimplemented = Vec::new();
    for p in &planted {
        if rules.iter().any(|r| r.id == *p) {
            scores.insert(
                p,
                RuleScore {
                    rule: p.to_string(),
                    ..Default::default()
                },
            );
        } else {
            unimplemented.push(p.to_string());
        }
    }
    let mut on_compliant = 0;
    for a in &labels.accounts {
        let got = found
            .get(a.account_id.as_str())
            .cloned()
            .unwrap_or_default();
        if a.profile == "compliant" {
            on_compliant += audit
                .findings
                .get(&a.account_id)
                .into_iter()
                .flatten()
                .filter(|f| f.severity >= Severity::Warn)
                .count() as u64;
        }
        for (rule, s) in scores.iter_mut() {
            let want = a.violations.iter().any(|v| v == rule);
            let have = got.contains(*rule);
            match (want, have) {
                (true, true) => s.true_positives += 1,
                (false, true) => s.false_positives += 1,
                (true, false) => s.false_negatives += 1,
                (false, false) => {}
            }
        }
    }
    Ok(Evaluation {
        accounts: labels.accounts.len(),
        compliant_accounts: labels
            .accounts
            .iter()
            .filter(|a| a.profile == "compliant")
            .count(),
        findings_on_compliant: on_compliant,
        rules: scores.into_values().collect(),
        unimplemented,
    })
}

impl Evaluation {
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| rule | precision | recall | TP | FP | FN |\n| --- | --- | --- | --- | --- | --- |\n",
        );
        for s in &self.rules {
            out.push_str(&format!(
                "| `{}` | {:.2} | {:.2} | {} | {} | {} |\n",
                s.rule,
                s.precision(),
                s.recall(),
                s.true_positives,
                s.false_positives,
                s.false_negatives
            ));
        }
        out.push_str(&format!(
            "\n{} accounts ({} compliant); deny/warn findings on compliant accounts: {}.\n",
            self.accounts, self.compliant_accounts, self.findings_on_compliant
        ));
        if !self.unimplemented.is_empty() {
            out.push_str(&format!(
                "Planted but not checked yet (no rule): {}.\n",
                self.unimplemented.join(", ")
            ));
        }
        out
    }
}
