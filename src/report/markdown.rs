//! The report as Markdown, for tickets and pull requests.

use std::fmt::Write;

use super::Report;
use crate::rules::sections::{self, Lang};
use crate::text::inert::markdown as cell;

pub fn render(r: &Report, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# xaudit report\n\n{} · xaudit {} · store version {} · generated {}{}\n",
        r.policy,
        r.tool.version,
        r.store_version.map(|v| v.to_string()).unwrap_or("-".into()),
        r.generated_at,
        r.run
            .as_ref()
            .map_or(String::new(), |run| format!(" · run `{}`", run.id))
    );
    for a in &r.accounts {
        let name = match &a.handle {
            Some(h) => format!("@{} ({})", cell(h), cell(&a.account_id)),
            None => cell(&a.account_id),
        };
        let _ = writeln!(out, "## {name} — {:?}\n", a.verdict);
        let _ = writeln!(
            out,
            "Period {} … {}.\n",
            a.period.from.as_deref().unwrap_or("-"),
            a.period.to.as_deref().unwrap_or("-")
        );
        let cadence = a.cadence_lines();
        if !cadence.is_empty() {
            out.push_str("Cadence:\n\n");
            for line in cadence {
                let _ = writeln!(out, "- {}", cell(&line));
            }
            out.push('\n');
        }
        if a.findings.is_empty() {
            out.push_str("No findings.\n\n");
        } else {
            out.push_str("| severity | rule | section | finding | first seen | last seen | events |\n| --- | --- | --- | --- | --- | --- | --- |\n");
            for g in a.groups() {
                let summary = g.summary;
                let heading = sections::get(&summary.section)
                    .map(|s| s.heading(lang))
                    .unwrap_or(&summary.section);
                let instance = |f: &super::ReportedFinding| match f.note() {
                    n if n.is_empty() => cell(&f.message),
                    n => format!("{} — *{}*", cell(&f.message), cell(&n)),
                };
                let finding = match g.counts_line() {
                    None => g.shown.iter().map(|f| instance(f)).collect::<String>(),
                    Some(counts) => {
                        let mut text = format!("**{counts}**");
                        for f in &g.shown {
                            let _ = write!(text, "<br>· {} ({})", instance(f), f.severity);
                        }
                        if g.more > 0 {
                            let _ = write!(text, "<br>… and {} more in the JSON report", g.more);
                        }
                        text
                    }
                };
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} {} | {} | {} | {} | {} |",
                    summary.severity,
                    summary.rule,
                    summary.section,
                    cell(heading),
                    finding,
                    summary.first_seen,
                    summary.last_seen,
                    summary.events
                );
            }
            out.push('\n');
        }
        if let Some(resolved) = a.resolved.as_ref().filter(|r| !r.is_empty()) {
            out.push_str("Resolved since the previous run:\n\n");
            for f in resolved {
                let _ = writeln!(
                    out,
                    "- `{}` ({}): {} — {} … {}",
                    f.rule,
                    f.severity,
                    cell(&f.message),
                    f.first_seen,
                    f.last_seen
                );
            }
            out.push('\n');
        }
        let missing = a.not_fully_checked();
        if !missing.is_empty() {
            out.push_str("Not fully checked:\n\n");
            for s in missing {
                let _ = writeln!(
                    out,
                    "- `{}`: {} — {}",
                    s.rule,
                    s.status.label(),
                    cell(&s.reason)
                );
            }
            out.push('\n');
        }
    }
    out
}
