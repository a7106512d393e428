//! The report as GitHub Actions workflow commands (`--format github`): one annotation per
//! finding, so that a workflow step that audits a bot's log shows each finding on the run's
//! summary page, pointing at the input file of its first evidence event.
//!
//! deny is an `error`, warn a `warning`, info and suppressed findings a `notice`. Text from the
//! data is made inert (controls shown as escapes) and then encoded as workflow commands require,
//! so that no value can end the command early or start another one.

use super::{Report, ReportedFinding};
use crate::model::Severity;
use crate::text::inert::visible;

/// A workflow command's message: `%`, CR and LF encoded.
fn message(s: &str) -> String {
    visible(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as a message, plus `:` and `,`.
fn property(s: &str) -> String {
    message(s).replace(':', "%3A").replace(',', "%2C")
}

fn annotation(f: &ReportedFinding, account: &str) -> String {
    let command = match (&f.suppressed, f.severity) {
        (Some(_), _) | (None, Severity::Info) => "notice",
        (None, Severity::Warn) => "warning",
        (None, Severity::Deny) => "error",
    };
    let mut props = Vec::new();
    // Inside a zip archive the file is the zip.
    if let Some(e) = f.evidence.first() {
        props.push(format!("file={}", property(e.file().0)));
    }
    props.push(format!(
        "title={}",
        property(&format!("{} ({}) {account}", f.rule, f.section))
    ));
    let mut text = format!(
        "{}: {} ({} – {})",
        f.severity, f.message, f.first_seen, f.last_seen
    );
    let note = f.note();
    if !note.is_empty() {
        text.push_str(&format!(" [{note}]"));
    }
    format!("::{command} {}::{}\n", props.join(","), message(&text))
}

/// One annotation line per finding, accounts and findings in report order.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for a in &report.accounts {
        let account = a.short_name();
        for f in &a.findings {
            out.push_str(&annotation(f, &account));
        }
    }
    out
}
