//! Values from the data are inert in every human-facing output (issue 18): terminal escapes and
//! bidi overrides are shown, not acted on, in the text report, nightly's summary and stdout and
//! the messages on stderr; Markdown renders them as text (no heading, table cell, HTML or link
//! from data); the HTML report escapes them and cuts long chart labels.

use std::path::Path;

use crate::common::*;

/// Payloads a hostile export can carry: a window-title escape, clear-screen, a right-to-left
/// override, raw HTML, a Markdown heading and table row, and links.
const PAYLOAD: &str = "\u{1b}]0;pwned\u{7} \u{1b}[2J \u{202e}evil\u{202c}\n# Heading | cell |\n<script>alert(1)</script> [x](javascript:alert(1)) https://evil.example me@evil.example";

/// Characters a terminal acts on, which must never reach it from the data.
fn acts_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// A bot's log whose account id, client name and post text all carry the payload, with enough
/// identical posts from a third-party client to be found.
fn hostile_log(dir: &Path) -> std::path::PathBuf {
    let account = format!("17\u{1b}[31m{}", "\u{202e}00");
    let client = format!(
        "A very long client name that pushes bars off the chart {}",
        PAYLOAD
    );
    let mut lines = String::new();
    for i in 0..40 {
        let line = serde_json::json!({
            "account_id": account,
            "ts": format!("2026-03-01T10:{:02}:00Z", i),
            "kind": "post",
            "post_id": format!("{}", 1000 + i),
            "text": PAYLOAD,
            "client": client,
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    let log = dir.join("hostile.jsonl");
    std::fs::write(&log, lines).unwrap();
    log
}

fn audit(store: &Path, format: &str) -> String {
    audit_stdout(store, &["--format", format])
}

#[test]
fn every_human_facing_output_keeps_data_inert() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let ingest = xaudit(&[
        "ingest",
        "--store",
        store.to_str().unwrap(),
        hostile_log(dir.path()).to_str().unwrap(),
    ]);
    assert_eq!(ingest.status.code(), Some(0), "{}", stderr(&ingest));

    // Text: the payload is there, visibly, and nothing in it can act on a terminal.
    let text = audit(&store, "text");
    assert!(text.contains("17\\u{1b}[31m\\u{202e}00"), "{text}");
    assert!(!text.chars().any(acts_on_terminal), "{text:?}");

    // Markdown: only our own headings and table rows; nothing from the data opens HTML or links.
    let md = audit(&store, "md");
    assert!(!md.chars().any(acts_on_terminal), "{md:?}");
    for line in md.lines() {
        assert!(
            !line.starts_with('#') || line == "# xaudit report" || line.starts_with("## "),
            "a heading from the data: {line}"
        );
        if line.starts_with("| ") && !line.starts_with("| ---") && !line.starts_with("| severity") {
            let unescaped = line
                .char_indices()
                .filter(|&(i, c)| c == '|' && !line[..i].ends_with('\\'))
                .count();
            assert_eq!(unescaped, 8, "a table cell from the data: {line}");
        }
    }
    for raw in ["<script", "](javascript", "https://evil", "<https", "[x]("] {
        assert!(!md.contains(raw), "{raw} passed into Markdown: {md}");
    }

    // HTML: escaped, long chart labels cut with the whole name as a tooltip.
    let html = audit(&store, "html");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("A very long client name tha…"), "label cut");
    assert!(
        html.contains("<title>A very long client name that pushes"),
        "tooltip"
    );

    // GitHub annotations: one workflow command per finding, whatever newlines or `::` the data
    // holds, and nothing a terminal acts on.
    let github = audit(&store, "github");
    let report: serde_json::Value = serde_json::from_str(&audit(&store, "json")).unwrap();
    let findings: usize = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["findings"].as_array().unwrap().len())
        .sum();
    assert!(findings > 0);
    assert_eq!(github.lines().count(), findings, "{github}");
    assert!(github.lines().all(|l| l.starts_with("::")), "{github}");
    assert!(!github.chars().any(acts_on_terminal), "{github:?}");

    // Errors and notes name files whose names carry escapes: shown, not run.
    let bad = dir.path().join("bad\u{1b}[2J.jsonl");
    std::fs::write(
        &bad,
        "{\"account_id\":\"1\",\"ts\":\"x\",\"kind\":\"post\"}\n",
    )
    .unwrap();
    let failed = xaudit(&[
        "ingest",
        "--store",
        store.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(failed.status.code(), Some(2));
    let err = stderr(&failed);
    assert!(err.contains("bad\\u{1b}[2J.jsonl"), "{err}");
    assert!(!err.chars().any(acts_on_terminal), "{err:?}");
}

#[test]
fn nightly_summary_and_stdout_keep_data_inert() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    hostile_log(&inbox);
    let reports = dir.path().join("r");
    let out = xaudit(&[
        "nightly",
        "--store",
        dir.path().join("s").to_str().unwrap(),
        "--inbox",
        inbox.to_str().unwrap(),
        "--reports",
        reports.to_str().unwrap(),
        "--now",
        "2026-03-02T03:00:00Z",
    ]);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(stdout.contains("\\u{1b}[31m"), "{stdout}");
    assert!(!stdout.chars().any(acts_on_terminal), "{stdout:?}");
    let summary = std::fs::read_to_string(reports.join("2026-03-02/summary.txt")).unwrap();
    assert!(!summary.chars().any(acts_on_terminal), "{summary:?}");
    assert!(!stderr(&out).chars().any(acts_on_terminal));
}

#[test]
fn sql_tables_show_escapes_from_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let log = hostile_log(dir.path());
    assert_eq!(
        xaudit(&[
            "ingest",
            "--store",
            store.to_str().unwrap(),
            log.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    let out = xaudit(&[
        "sql",
        "--store",
        store.to_str().unwrap(),
        "SELECT DISTINCT account_id, client FROM events",
    ]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("\\u{1b}[31m"), "{table}");
    assert!(!table.chars().any(acts_on_terminal), "{table:?}");
}
