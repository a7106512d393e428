//! The formats CI systems read (issue 19): SARIF valid against the official 2.1.0 schema, with
//! fingerprints, suppressions and baseline state across two nightly runs; JUnit XML read back
//! with an XML parser; GitHub annotations, one per finding.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::*;
use quick_xml::XmlVersion;
use quick_xml::events::Event;
use serde_json::Value;

fn sarif_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&serde_json::from_str(&text).unwrap())
        .expect("the vendored schema compiles")
}

/// Parse `text` as SARIF and validate it against the schema, listing every violation.
fn valid_sarif(text: &str) -> Value {
    let log: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let schema = sarif_schema();
    let errors: Vec<String> = schema
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
    log
}

/// Every finding of a JSON report, and every resolved one, by fingerprint.
fn findings_by_fingerprint(report: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for a in report["accounts"].as_array().unwrap() {
        let resolved = a["resolved"].as_array().cloned().unwrap_or_default();
        for f in a["findings"].as_array().unwrap().iter().chain(&resolved) {
            out.insert(f["fingerprint"].as_str().unwrap().to_string(), f.clone());
        }
    }
    out
}

/// Check the SARIF results against the JSON report of the same run: one result per finding
/// instance (and per resolved finding), the fingerprint, level, suppression and baseline state
/// of each. Returns how many results had each baseline state.
fn check_results(sarif: &Value, report: &Value) -> BTreeMap<String, usize> {
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), xaudit::rules::registry().unwrap().len());
    assert!(
        rules
            .iter()
            .all(|r| r["help"]["text"].as_str().unwrap().len() > 40)
    );
    let expected = findings_by_fingerprint(report);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), expected.len(), "one result per finding");
    let mut states = BTreeMap::new();
    for r in results {
        let fp = r["partialFingerprints"]["xauditFinding/v1"]
            .as_str()
            .unwrap();
        let f = &expected[fp];
        assert_eq!(r["ruleId"], f["rule"]);
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], f["rule"],
            "ruleIndex points at the rule"
        );
        let state = match f["change"].as_str() {
            Some("new") => "new",
            Some("open") => "unchanged",
            Some("resolved") => "absent",
            _ => "none",
        };
        assert_eq!(r["baselineState"].as_str().unwrap_or("none"), state, "{r}");
        *states.entry(state.to_string()).or_default() += 1;
        if state == "absent" {
            assert_eq!(r["kind"], "pass");
            continue;
        }
        let level = match f["severity"].as_str().unwrap() {
            "deny" => "error",
            "warn" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], level);
        match f.get("suppressed") {
            Some(s) => {
                assert_eq!(r["suppressions"][0]["kind"], "external");
                assert_eq!(r["suppressions"][0]["justification"], s["reason"]);
                assert_eq!(r["suppressions"][0]["properties"]["by"], s["by"]);
            }
            None => assert!(r.get("suppressions").is_none()),
        }
        // The first evidence event is the result's location: its input file and record.
        if let Some(e) = f["evidence"].as_array().and_then(|e| e.first()) {
            let loc = &r["locations"][0];
            assert_eq!(loc["properties"]["eventId"], e["event_id"]);
            assert!(loc["properties"]["record"].as_i64().unwrap() >= 0);
            let uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            assert!(uri.starts_with("file:///"), "{uri}");
        }
    }
    // The patterns (one per rule and account) are in the run's properties.
    let summaries: usize = run["properties"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ruleSummary"].as_array().unwrap().len())
        .sum();
    let expected_summaries: usize = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rule_summary"].as_array().unwrap().len())
        .sum();
    assert_eq!(summaries, expected_summaries);
    states
}

fn nightly(s: &Setup, now: &str) -> (Value, Value) {
    let o = nightly_cmd(s, now, &[]).output().unwrap();
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    let dir = s.reports.join(&now[..10]);
    let json = std::fs::read_to_string(dir.join("report.json")).unwrap();
    let sarif = std::fs::read_to_string(dir.join("report.sarif")).unwrap();
    (serde_json::from_str(&json).unwrap(), valid_sarif(&sarif))
}

#[test]
fn sarif_of_two_nightly_runs_is_valid_with_fingerprints_suppressions_and_baseline_state() {
    let s = setup();
    copy_into(&s.data.join("archives"), &s.inbox);
    let (json1, sarif1) = nightly(&s, "2026-11-01T03:00:00Z");
    let states = check_results(&sarif1, &json1);
    assert_eq!(states.keys().collect::<Vec<_>>(), ["new"], "{states:?}");

    // Accept one finding, then a second night whose webhook logs resolve some findings and bring
    // new ones.
    let accepted = findings_by_fingerprint(&json1).into_keys().next().unwrap();
    let o = xaudit(&[
        "suppress",
        &accepted,
        "--store",
        s.store.to_str().unwrap(),
        "--reason",
        "opt-in list, ticket OPS-12",
        "--by",
        "ana",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    copy_into(&s.data.join("webhooks"), &s.inbox);
    let (json2, sarif2) = nightly(&s, "2099-01-02T03:00:00Z");
    let states = check_results(&sarif2, &json2);
    for state in ["new", "unchanged", "absent"] {
        assert!(
            states.get(state).copied().unwrap_or(0) > 0,
            "{state}: {states:?}"
        );
    }
    let suppressed = sarif2["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .count();
    assert!(
        suppressed >= 1,
        "the accepted finding carries its suppression"
    );
    // Dashboards match results across runs by fingerprint: an open finding keeps its own.
    let fingerprints = |sarif: &Value| -> Vec<String> {
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["xauditFinding/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let first = fingerprints(&sarif1);
    let open_again = sarif2["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["baselineState"] == "unchanged")
        .all(|r| {
            first.contains(
                &r["partialFingerprints"]["xauditFinding/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        });
    assert!(open_again);
    assert!(s.reports.join("2099-01-02").join("junit.xml").is_file());
}

/// The bundled example in a store, with its JSON report.
fn example_store(dir: &Path) -> (std::path::PathBuf, Value) {
    let store = dir.join("store");
    ingest_cli(
        &store,
        &[
            &fixture("archives/current-2026"),
            &fixture("webhooks"),
            &fixture("example"),
        ],
    );
    let report = audit_output(&store, "json");
    (store, serde_json::from_str(&report).unwrap())
}

fn audit_output(store: &Path, format: &str) -> String {
    audit_stdout(store, &["--format", format])
}

/// Failing findings: deny or warn, not suppressed.
fn fails(f: &Value) -> bool {
    f.get("suppressed").is_none() && matches!(f["severity"].as_str(), Some("deny" | "warn"))
}

#[test]
fn a_plain_audit_gives_valid_sarif_without_baseline_state() {
    let dir = tempfile::tempdir().unwrap();
    let (store, report) = example_store(dir.path());
    let sarif = valid_sarif(&audit_output(&store, "sarif"));
    let states = check_results(&sarif, &report);
    assert_eq!(states.keys().collect::<Vec<_>>(), ["none"]);
    // The validator is not vacuous: a level SARIF does not know is refused.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!sarif_schema().is_valid(&broken));
}

#[test]
fn junit_reads_back_as_a_suite_per_account_and_a_failing_case_per_rule_with_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (store, report) = example_store(dir.path());
    let xml = audit_output(&store, "junit");

    // Walk the document with an XML parser (which checks that every element closes).
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures) = (Vec::new(), 0usize, Vec::new());
    let mut in_failure: Option<String> = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let attr = |name: &str| {
                    e.try_get_attribute(name).unwrap().map(|a| {
                        a.normalized_value(XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned()
                    })
                };
                match e.name().as_ref() {
                    b"testsuite" => suites.push(attr("name").unwrap()),
                    b"testcase" => cases += 1,
                    b"failure" => {
                        failures.push((attr("type").unwrap(), 0usize));
                        in_failure = Some(String::new());
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_failure.is_some() => {
                in_failure
                    .as_mut()
                    .unwrap()
                    .push_str(&t.xml10_content().unwrap());
            }
            Event::End(e) if e.name().as_ref() == b"failure" => {
                let text = in_failure.take().unwrap();
                failures.last_mut().unwrap().1 = text.lines().count();
            }
            Event::Eof => break,
            _ => {}
        }
    }

    let accounts = report["accounts"].as_array().unwrap();
    assert_eq!(suites.len(), accounts.len());
    let statuses: usize = accounts
        .iter()
        .map(|a| a["rules"].as_array().unwrap().len())
        .sum();
    assert_eq!(cases, statuses, "a test case per rule and account");
    // A failing test case per (account, rule) with failing findings, a line per finding.
    let mut expected: Vec<(String, usize)> = Vec::new();
    for a in accounts {
        let mut by_rule: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
        for f in a["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| fails(f))
        {
            let e = by_rule
                .entry(f["rule"].as_str().unwrap())
                .or_insert((0, "warn"));
            e.0 += 1;
            if f["severity"] == "deny" {
                e.1 = "deny";
            }
        }
        // In the order of the account's rules.
        for r in a["rules"].as_array().unwrap() {
            if let Some((n, worst)) = by_rule.get(r["rule"].as_str().unwrap()) {
                expected.push((worst.to_string(), *n));
            }
        }
    }
    assert!(!expected.is_empty(), "the example has failing findings");
    assert_eq!(failures, expected);
}

#[test]
fn github_annotations_are_one_per_finding() {
    let dir = tempfile::tempdir().unwrap();
    let (store, report) = example_store(dir.path());
    let out = audit_output(&store, "github");
    let findings: Vec<&Value> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["findings"].as_array().unwrap())
        .collect();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), findings.len());
    for (line, f) in lines.iter().zip(&findings) {
        let command = match (f.get("suppressed"), f["severity"].as_str().unwrap()) {
            (Some(_), _) | (None, "info") => "notice",
            (None, "warn") => "warning",
            _ => "error",
        };
        assert!(line.starts_with(&format!("::{command} ")), "{line}");
        let (props, message) = line[2..].split_once("::").expect("a workflow command");
        if f["evidence"].as_array().is_some_and(|e| !e.is_empty()) {
            assert!(props.contains(" file="), "{line}");
        }
        assert!(props.contains(&format!("title={}", f["rule"].as_str().unwrap())));
        assert!(message.contains(&f["message"].as_str().unwrap().replace('%', "%25")));
    }
}
