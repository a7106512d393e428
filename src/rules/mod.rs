//! The rule pack. Each rule is one file `queries/<rule_id>.sql`: a metadata header (id, title,
//! section, default severity, the data it needs, parameters with defaults, and its documentation)
//! and one SQL query returning the standard finding columns (see `audit::runner`). One loader validates
//! every header; one registry drives `xaudit rules`, `xaudit explain` and the audit.

mod header;
pub mod sections;

use std::str::FromStr;

use serde::Serialize;

use crate::error::{InputError, Position};

include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));

pub use crate::model::Severity;

/// Data a rule needs; each maps to a check of what the store holds for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    Posts,
    Dms,
    InboundEngagement,
    TimedFollows,
    TimedLikes,
    TimedListEvents,
    ConnectedApps,
    TrendSnapshots,
    MultipleAccounts,
}

impl Need {
    pub const ALL: [Need; 9] = [
        Need::Posts,
        Need::Dms,
        Need::InboundEngagement,
        Need::TimedFollows,
        Need::TimedLikes,
        Need::TimedListEvents,
        Need::ConnectedApps,
        Need::TrendSnapshots,
        Need::MultipleAccounts,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Need::Posts => "posts",
            Need::Dms => "dms",
            Need::InboundEngagement => "inbound_engagement",
            Need::TimedFollows => "timed_follows",
            Need::TimedLikes => "timed_likes",
            Need::TimedListEvents => "timed_list_events",
            Need::ConnectedApps => "connected_apps",
            Need::TrendSnapshots => "trend_snapshots",
            Need::MultipleAccounts => "multiple_accounts",
        }
    }
}

impl FromStr for Need {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Need::ALL
            .iter()
            .copied()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown data need {s:?}; expected one of: {}",
                    Need::ALL
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Param {
    pub name: String,
    pub default: f64,
    pub doc: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Docs {
    pub what: String,
    pub why: String,
    pub example: String,
    pub remediation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub section: String,
    /// The default level of the rule's findings; see [`Rule::finding_severity`] for how one
    /// finding's severity follows from it.
    pub severity: Severity,
    pub needs: Vec<Need>,
    /// What `value` measures (`follows_per_hour`).
    pub metric: Option<String>,
    /// The parameter whose value is the threshold reported next to `value`.
    pub threshold: Option<String>,
    pub params: Vec<Param>,
    pub docs: Docs,
    #[serde(skip)]
    pub sql: String,
    #[serde(skip)]
    pub file: String,
    #[serde(skip)]
    pub sql_line: u64,
}

impl Rule {
    /// The severity of one finding of this rule. `level` is the configured level (the header's
    /// `severity` unless the config overrides it); a row may lower it with its own `severity`
    /// column, never raise it; and section II governs automated activity, so a finding whose
    /// activity is evidently manual (`automated` false) is at most info.
    pub fn finding_severity(
        &self,
        level: Severity,
        row_severity: Option<Severity>,
        automated: Option<bool>,
    ) -> Severity {
        let mut severity = row_severity.map_or(level, |s| level.min(s));
        if self.section.starts_with("II.") && automated == Some(false) {
            severity = severity.min(Severity::Info);
        }
        severity
    }

    pub fn parse(file: &str, text: &str) -> Result<Rule, InputError> {
        let h = header::parse(file, text)?;
        let get = |k: &str| h.values.get(k).map(|(v, _)| v.clone());
        let line_of = |k: &str| h.values.get(k).map(|(_, l)| *l).unwrap_or(1);
        let err = |k: &str, what: String| {
            InputError::new(
                file,
                Position {
                    line: Some(line_of(k)),
                    ..Default::default()
                },
                what,
            )
        };
        let id = get("id").expect("required");
        let stem = std::path::Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if id != stem {
            return Err(err(
                "id",
                format!("id `{id}` must match the file name `{stem}.sql`"),
            ));
        }
        let section = get("section").expect("required");
        if sections::get(&section).is_none() {
            return Err(err(
                "section",
                format!(
                    "unknown section `{section}`; expected one of: {}",
                    sections::keys().join(", ")
                ),
            ));
        }
        let severity: Severity = get("severity")
            .expect("required")
            .parse()
            .map_err(|e| err("severity", e))?;
        let needs = get("needs")
            .expect("required")
            .split(',')
            .map(|n| n.trim().parse::<Need>().map_err(|e| err("needs", e)))
            .collect::<Result<Vec<_>, _>>()?;
        let params: Vec<Param> = h
            .params
            .iter()
            .map(|p| Param {
                name: p.name.clone(),
                default: p.default,
                doc: p.doc.clone(),
            })
            .collect();
        let threshold = get("threshold");
        if let Some(t) = &threshold
            && !params.iter().any(|p| &p.name == t)
        {
            return Err(err(
                "threshold",
                format!("threshold `{t}` is not one of the rule's parameters"),
            ));
        }
        // Every placeholder must be a parameter and every parameter must be used.
        let used = placeholders(&h.sql);
        for u in &used {
            if !params.iter().any(|p| &p.name == u) {
                return Err(InputError::new(
                    file,
                    Position {
                        line: Some(h.sql_line),
                        ..Default::default()
                    },
                    format!("the SQL uses `{{{{{u}}}}}`, which is not a declared parameter"),
                ));
            }
        }
        for p in &h.params {
            if !used.contains(&p.name) {
                return Err(InputError::new(
                    file,
                    Position {
                        line: Some(p.line),
                        ..Default::default()
                    },
                    format!(
                        "parameter `{}` is declared but the SQL never uses `{{{{{}}}}}`",
                        p.name, p.name
                    ),
                ));
            }
        }
        Ok(Rule {
            id,
            title: get("title").expect("required"),
            section,
            severity,
            needs,
            metric: get("metric"),
            threshold,
            params,
            docs: Docs {
                what: get("what").expect("required"),
                why: get("why").expect("required"),
                example: get("example").expect("required"),
                remediation: get("remediation").expect("required"),
            },
            sql: h.sql,
            file: file.to_string(),
            sql_line: h.sql_line,
        })
    }

    /// The SQL with parameter values in place of `{{name}}`.
    pub fn render_sql(&self, values: &std::collections::BTreeMap<String, f64>) -> String {
        let mut sql = self.sql.clone();
        for p in &self.params {
            let v = values.get(&p.name).copied().unwrap_or(p.default);
            let text = if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{}", v as i64)
            } else {
                format!("{v}")
            };
            sql = sql.replace(&format!("{{{{{}}}}}", p.name), &text);
        }
        sql
    }
}

fn placeholders(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = sql;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else { break };
        let name = after[..j].trim().to_string();
        if !out.contains(&name) {
            out.push(name);
        }
        rest = &after[j + 2..];
    }
    out
}

/// The built-in rule pack, sorted by id. A rule file that does not load is a bug in xaudit (the
/// pack is tested), reported with its file and line.
pub fn registry() -> Result<Vec<Rule>, InputError> {
    let mut rules = RULE_FILES
        .iter()
        .map(|(name, text)| Rule::parse(&format!("queries/{name}"), text))
        .collect::<Result<Vec<_>, _>>()?;
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rules)
}

/// The pack as a Markdown table (README, generated docs).
pub fn markdown_table(rules: &[Rule]) -> String {
    let mut out = String::from(
        "| rule | section | default | needs | what it finds |\n| --- | --- | --- | --- | --- |\n",
    );
    for r in rules {
        let what = r.docs.what.replace('\n', " ").replace('|', "\\|");
        let needs = r
            .needs
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            r.id, r.section, r.severity, needs, what
        ));
    }
    out
}

pub fn find<'a>(rules: &'a [Rule], id: &str) -> Option<&'a Rule> {
    rules.iter().find(|r| r.id == id)
}
