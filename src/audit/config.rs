//! The audit config (TOML): per-rule level (`deny`, `warn`, `info` or `off`) and parameters, and
//! report options. Unknown rules, parameters and keys are errors, so a typo never silently leaves
//! a default in force.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, InputError};
use crate::rules::{Rule, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Deny,
    Warn,
    Info,
    Off,
}

impl Level {
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Deny => Some(Severity::Deny),
            Level::Warn => Some(Severity::Warn),
            Level::Info => Some(Severity::Info),
            Level::Off => None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub level: Option<Level>,
    #[serde(default)]
    pub params: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// Evidence events listed per finding.
    pub evidence_limit: usize,
    /// Show DM text in reports (redacted by default).
    pub show_private: bool,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            evidence_limit: 10,
            show_private: false,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub rules: BTreeMap<String, RuleConfig>,
    #[serde(default)]
    pub report: ReportConfig,
}

impl Config {
    pub fn load(path: &Path, rules: &[Rule]) -> Result<Config, Error> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::file(&shown, format!("cannot read: {e}")))?;
        Self::parse(&shown, &text, rules)
    }

    pub fn parse(file: &str, text: &str, rules: &[Rule]) -> Result<Config, Error> {
        let c: Config = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1) as u64);
            InputError::new(
                file,
                crate::error::Position {
                    line,
                    ..Default::default()
                },
                e.message().to_string(),
            )
        })?;
        for (id, rc) in &c.rules {
            let Some(rule) = rules.iter().find(|r| &r.id == id) else {
                return Err(InputError::file(
                    file,
                    format!("[rules.{id}]: no such rule; `xaudit rules` lists them"),
                )
                .into());
            };
            for p in rc.params.keys() {
                if !rule.params.iter().any(|q| &q.name == p) {
                    let known: Vec<&str> = rule.params.iter().map(|q| q.name.as_str()).collect();
                    return Err(InputError::file(
                        file,
                        format!(
                            "[rules.{id}.params]: `{p}` is not a parameter of {id} (it has: {})",
                            known.join(", ")
                        ),
                    )
                    .into());
                }
            }
        }
        Ok(c)
    }

    /// Narrow the rules in force from the command line, after the config file: with `select`,
    /// only rules named by one of its patterns; then none named by `ignore`. A pattern is a rule
    /// id or a policy section prefix (`II.D` names `II.D.likes`, not `II.DX`). The rules left
    /// out are set to `off`, as a config file would, so the two compose. A pattern that names no
    /// rule is an error, so a typo never leaves every rule running.
    pub fn apply_selection(
        &mut self,
        rules: &[Rule],
        select: &[String],
        ignore: &[String],
    ) -> Result<(), Error> {
        let names = |pattern: &str, rule: &Rule| {
            rule.id == pattern
                || rule.section == pattern
                || rule
                    .section
                    .strip_prefix(pattern)
                    .is_some_and(|rest| rest.starts_with('.'))
        };
        for (flag, patterns) in [("--select", select), ("--ignore", ignore)] {
            if let Some(p) = patterns.iter().find(|p| !rules.iter().any(|r| names(p, r))) {
                return Err(Error::Usage(format!(
                    "{flag} {p}: no rule has this id or a section starting with it; `xaudit rules` lists them"
                )));
            }
        }
        for r in rules {
            let selected = select.is_empty() || select.iter().any(|p| names(p, r));
            let ignored = ignore.iter().any(|p| names(p, r));
            if !selected || ignored {
                self.rules.entry(r.id.clone()).or_default().level = Some(Level::Off);
            }
        }
        Ok(())
    }

    /// The level in force for a rule: the config's, or the rule's default severity.
    pub fn severity(&self, rule: &Rule) -> Option<Severity> {
        match self.rules.get(&rule.id).and_then(|r| r.level) {
            Some(l) => l.severity(),
            None => Some(rule.severity),
        }
    }

    pub fn params(&self, rule: &Rule) -> BTreeMap<String, f64> {
        let mut values: BTreeMap<String, f64> = rule
            .params
            .iter()
            .map(|p| (p.name.clone(), p.default))
            .collect();
        if let Some(rc) = self.rules.get(&rule.id) {
            values.extend(rc.params.clone());
        }
        values
    }

    /// A stable hash of the effective config, recorded with findings.
    pub fn fingerprint(&self, rules: &[Rule]) -> String {
        let mut parts = Vec::new();
        for r in rules {
            parts.push(format!("{}={:?}", r.id, self.severity(r)));
            for (k, v) in self.params(r) {
                parts.push(format!("{}.{k}={v}", r.id));
            }
        }
        parts.push(format!(
            "evidence_limit={} show_private={}",
            self.report.evidence_limit, self.report.show_private
        ));
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        crate::model::hash_id(&refs)
    }
}

/// The documented defaults, as a config file to start from.
pub fn default_toml(rules: &[Rule]) -> String {
    let mut out = String::from(
        "# xaudit config: every rule's level (deny, warn, info or off) and parameters, at their defaults.\n# Pass it with `xaudit audit --config FILE`; remove what you do not change.\n\n[report]\nevidence_limit = 10   # evidence events listed per finding\nshow_private = false  # show DM text in reports\n",
    );
    for r in rules {
        out.push_str(&format!(
            "\n# {} — {} ({})\n[rules.{}]\nlevel = \"{}\"\n",
            r.id, r.title, r.section, r.id, r.severity
        ));
        if !r.params.is_empty() {
            out.push_str(&format!("[rules.{}.params]\n", r.id));
            for p in &r.params {
                out.push_str(&format!("{} = {}  # {}\n", p.name, p.default, p.doc));
            }
        }
    }
    out
}
