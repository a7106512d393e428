//! The terminal summary: one block per account, each rule's findings once (its first instances
//! with their evidence, then how many more), then what could not be checked.

use std::fmt::Write;

use super::{Report, ReportedFinding, Verdict};
use crate::rules::sections::{self, Lang};
use crate::rules::{Rule, Severity};
use crate::text::inert::visible;

struct Paint(bool);

impl Paint {
    fn c(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// An instance's note (new, suppressed …), period, events and automation evidence.
fn instance_details(out: &mut String, p: &Paint, f: &ReportedFinding, indent: &str) {
    let note = f.note();
    if !note.is_empty() {
        let _ = writeln!(out, "{indent}{}", p.c("2", &visible(&note)));
    }
    let _ = writeln!(
        out,
        "{indent}{} … {}; {} {}{}",
        f.first_seen,
        f.last_seen,
        f.count,
        if f.count == 1 { "event" } else { "events" },
        if f.automated_evidence.is_empty() {
            String::new()
        } else {
            format!(
                "; automation: {}",
                visible(&f.automated_evidence.join(", "))
            )
        }
    );
}

pub fn render(r: &Report, rules: &[Rule], lang: Lang, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "xaudit {} — {} — store version {}",
        r.tool.version,
        r.policy,
        r.store_version.map(|v| v.to_string()).unwrap_or("-".into())
    );
    for a in &r.accounts {
        let name = visible(&a.long_name()).into_owned();
        let verdict = match a.verdict {
            Verdict::Violations => p.c("1;31", "VIOLATIONS"),
            Verdict::Warnings => p.c("1;33", "WARNINGS"),
            Verdict::Compliant => p.c("1;32", "no findings"),
        };
        let _ = writeln!(
            out,
            "\n{} — {verdict}\n  period {} … {}; {} events",
            p.c("1", &name),
            a.period.from.as_deref().unwrap_or("-"),
            a.period.to.as_deref().unwrap_or("-"),
            a.counts.values().sum::<u64>()
        );
        for line in a.cadence_lines() {
            let _ = writeln!(
                out,
                "  {}",
                p.c("2", &format!("cadence of {}", visible(&line)))
            );
        }
        for g in a.groups() {
            let sev = |s: Severity| match s {
                Severity::Deny => p.c("31", "deny"),
                Severity::Warn => p.c("33", "warn"),
                Severity::Info => p.c("36", "info"),
            };
            let summary = g.summary;
            let heading = sections::get(&summary.section)
                .map(|s| s.heading(lang))
                .unwrap_or(&summary.section);
            let Some(counts) = g.counts_line() else {
                // One instance: the finding itself.
                for f in &g.shown {
                    let _ = writeln!(
                        out,
                        "  {:>4}  {}  {} [{} {}]",
                        sev(f.severity),
                        f.rule,
                        visible(&f.message),
                        f.section,
                        heading
                    );
                    instance_details(&mut out, &p, f, "        ");
                }
                continue;
            };
            let _ = writeln!(
                out,
                "  {:>4}  {}  {} — {counts} [{} {}]",
                sev(summary.severity),
                summary.rule,
                summary.title,
                summary.section,
                heading
            );
            let _ = writeln!(
                out,
                "        {} … {}",
                summary.first_seen, summary.last_seen
            );
            for f in &g.shown {
                let _ = writeln!(out, "        · {} ({})", visible(&f.message), f.severity);
                instance_details(&mut out, &p, f, "          ");
            }
            if g.more > 0 {
                let _ = writeln!(
                    out,
                    "        {}",
                    p.c(
                        "2",
                        &format!(
                            "… and {} more {} (every instance is in --format json)",
                            g.more,
                            if g.more == 1 { "instance" } else { "instances" }
                        )
                    )
                );
            }
        }
        let missing = a.not_fully_checked();
        if !missing.is_empty() {
            let _ = writeln!(out, "  {}", p.c("2", "not fully checked (missing data):"));
            for s in missing {
                let title = rules
                    .iter()
                    .find(|r| r.id == s.rule)
                    .map(|r| r.title.as_str())
                    .unwrap_or("");
                let st = s.status.label();
                let reason = visible(&s.reason);
                let _ = writeln!(out, "        {} ({title}): {st} — {reason}", s.rule);
            }
        }
    }
    let deny: usize = r
        .accounts
        .iter()
        .flat_map(|a| &a.findings)
        .filter(|f| f.severity == Severity::Deny)
        .count();
    let warn: usize = r
        .accounts
        .iter()
        .flat_map(|a| &a.findings)
        .filter(|f| f.severity == Severity::Warn)
        .count();
    let _ = writeln!(
        out,
        "\n{} accounts, {deny} deny and {warn} warn findings",
        r.accounts.len()
    );
    out
}
