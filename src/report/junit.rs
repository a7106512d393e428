//! The report as JUnit XML, for CI systems that show test results (`--format junit`).
//!
//! A test suite per account and a test case per rule the audit ran for it. A rule with deny or
//! warn findings that are not suppressed fails: one failure (a JUnit test case holds one) whose
//! message counts the findings and whose text lists each of them, a line per finding. A rule that
//! could not be evaluated for the account is skipped, with the reason; info findings, suppressed
//! findings and partial coverage are noted in the test case's output and do not fail it.

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::{AccountReport, Report, ReportedFinding};
use crate::model::{Severity, Status};

fn finding_line(f: &ReportedFinding) -> String {
    let mut line = format!(
        "{}: {} ({} – {}) [{}]",
        f.severity, f.message, f.first_seen, f.last_seen, f.fingerprint
    );
    let note = f.note();
    if !note.is_empty() {
        line.push_str(&format!(" {note}"));
    }
    line
}

fn test_case(a: &AccountReport, rule: &str, status: Status, reason: &str) -> TestCase {
    let findings: Vec<&ReportedFinding> = a.findings.iter().filter(|f| f.rule == rule).collect();
    let failing: Vec<&&ReportedFinding> = findings
        .iter()
        .filter(|f| f.suppressed.is_none() && f.severity >= Severity::Warn)
        .collect();
    let case_status = if !failing.is_empty() {
        let worst = failing.iter().map(|f| f.severity).max().expect("not empty");
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let first = &failing[0].message;
        s.set_message(match failing.len() {
            1 => first.clone(),
            n => format!("{n} findings, e.g. {first}"),
        })
        .set_type(worst.as_str())
        .set_description(
            failing
                .iter()
                .map(|f| finding_line(f))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        s
    } else if status == Status::NotEvaluable {
        let mut s = TestCaseStatus::skipped();
        s.set_message(format!("not evaluable: {reason}"));
        s
    } else {
        TestCaseStatus::success()
    };
    let mut case = TestCase::new(rule, case_status);
    case.set_classname(format!("xaudit.{}", a.account_id));
    let mut out: Vec<String> = Vec::new();
    if status == Status::Partial {
        out.push(format!("partial: {reason}"));
    }
    out.extend(
        findings
            .iter()
            .filter(|f| f.suppressed.is_some() || f.severity < Severity::Warn)
            .map(|f| finding_line(f)),
    );
    if !out.is_empty() {
        case.set_system_out(out.join("\n"));
    }
    case
}

/// The report as a JUnit XML document.
pub fn render(report: &Report) -> String {
    let mut junit = quick_junit::Report::new("xaudit");
    for a in &report.accounts {
        let mut suite = TestSuite::new(a.long_name());
        suite.add_property(Property::new("account_id", a.account_id.as_str()));
        suite.add_property(Property::new("verdict", a.verdict.as_str()));
        for r in &a.rules {
            suite.add_test_case(test_case(a, &r.rule, r.status, &r.reason));
        }
        junit.add_test_suite(suite);
    }
    junit
        .to_string()
        .expect("a JUnit report of strings serializes")
}
