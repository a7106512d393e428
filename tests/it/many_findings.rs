//! An audit with tens of thousands of findings and evidence ids (issue 23): before, the evidence
//! was loaded through one `event_id IN (…)` list whose parse overflowed the stack at 10M events.
//! It completes, caps each finding's evidence at `evidence_limit` while keeping the count, and
//! gives the same report twice. And a pair of accounts sharing many texts is one
//! cross_account_duplicates pattern per account, not one finding per text.

use std::fmt::Write;

use crate::common::*;
use serde_json::Value;

const TARGET_POSTS: usize = 20_000;

/// A reply bot that answers each of 20,000 posts twice: 20,000 findings of
/// multiple_replies_per_interaction with 40,000 evidence ids.
fn double_replies(dir: &std::path::Path) -> std::path::PathBuf {
    let mut log = String::new();
    for i in 0..TARGET_POSTS {
        for r in 0..2 {
            let minute = i * 2 + r;
            let _ = writeln!(
                log,
                r#"{{"account_id":"1700000000000000001","ts":"2026-01-{:02}T{:02}:{:02}:00Z","kind":"reply","post_id":"{}","target_post_id":"{}","target_user_id":"{}","client":"twittbot.net","text":"@u{i} answer {r} to question {i}"}}"#,
                1 + minute / 1440,
                minute / 60 % 24,
                minute % 60,
                3_000_000_000u64 + minute as u64,
                2_000_000_000u64 + i as u64,
                // A new user every reply pair, so only the same-post part of the rule fires.
                5_000_000 + i,
            );
        }
    }
    let path = dir.join("replies.jsonl");
    std::fs::write(&path, log).unwrap();
    path
}

fn audit_json(store: &std::path::Path, rule: &str) -> Value {
    let out = audit_stdout(store, &["--select", rule, "--format", "json"]);
    let mut report: Value = serde_json::from_str(&out).unwrap();
    report["generated_at"] = Value::Null;
    report
}

#[test]
fn tens_of_thousands_of_findings_and_evidence_ids_audit_and_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_cli(&store, &[&double_replies(dir.path())]);

    let report = audit_json(&store, "multiple_replies_per_interaction");
    let findings = report["accounts"][0]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), TARGET_POSTS);
    let cited: usize = findings
        .iter()
        .map(|f| f["evidence"].as_array().unwrap().len())
        .sum();
    assert_eq!(cited, 2 * TARGET_POSTS, "every evidence event was loaded");
    let summary = &report["accounts"][0]["rule_summary"][0];
    assert_eq!(summary["instances"], TARGET_POSTS);
    assert_eq!(summary["events"], 2 * TARGET_POSTS);
    assert_eq!(
        audit_json(&store, "multiple_replies_per_interaction"),
        report
    );

    // With a lower evidence limit the events are cut, and the count stays.
    let config = dir.path().join("xaudit.toml");
    std::fs::write(&config, "[report]\nevidence_limit = 1\n").unwrap();
    let capped: Value = serde_json::from_str(&audit_stdout(
        &store,
        &[
            "--config",
            config.to_str().unwrap(),
            "--select",
            "multiple_replies_per_interaction",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let f = &capped["accounts"][0]["findings"][0];
    assert_eq!(f["evidence"].as_array().unwrap().len(), 1);
    assert_eq!(f["count"], 2);
}

/// Two accounts of one agency post the same 300 texts, and a third shares one of them: each
/// account has one finding per group of accounts it shares texts with, however many texts.
#[test]
fn accounts_sharing_many_texts_are_one_pattern_per_group_of_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    let mut post = 4_000_000_000u64;
    let mut line = |account: &str, day: usize, text: &str| {
        post += 1;
        let _ = writeln!(
            log,
            r#"{{"account_id":"{account}","ts":"2026-02-{:02}T{:02}:{:02}:00Z","kind":"post","post_id":"{post}","client":"Buffer","text":"{text}"}}"#,
            1 + day / 100,
            day / 60 % 24,
            day % 60
        );
    };
    let words = [
        "summer", "hotel", "offer", "flight", "beach", "city", "museum", "train", "island",
        "mountain", "river", "market", "garden", "castle", "harbour", "valley", "bridge", "forest",
    ];
    for i in 0..300 {
        let text = format!(
            "Trip number {i} to the {} {} and the {} with {} friends this week",
            words[i % 18],
            words[i / 18 % 18],
            words[(i * 7) % 18],
            i + 3
        );
        line("1700000000000000011", i, &text);
        line("1700000000000000012", i, &text);
        if i == 0 {
            line("1700000000000000013", i, &text);
        }
    }
    let path = dir.path().join("agency.jsonl");
    std::fs::write(&path, log).unwrap();
    let store = dir.path().join("store");
    ingest_cli(&store, &[&path]);
    let report = audit_json(&store, "cross_account_duplicates");
    let mut per_account = std::collections::BTreeMap::new();
    for a in report["accounts"].as_array().unwrap() {
        let f = a["findings"].as_array().unwrap();
        let mut counts: Vec<u64> = f.iter().map(|f| f["count"].as_u64().unwrap()).collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        per_account.insert(a["account_id"].as_str().unwrap().to_string(), counts);
    }
    // 11 and 12 share 299 texts with each other alone, and one text with 13 as well.
    assert_eq!(per_account["1700000000000000011"], [299, 1], "{report}");
    assert_eq!(per_account["1700000000000000012"], [299, 1]);
    assert_eq!(per_account["1700000000000000013"], [1]);
    let message = report["accounts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["count"] == 299)
        .unwrap()["message"]
        .as_str()
        .unwrap();
    assert!(
        message.starts_with(
            "299 posts (299 texts) are near-duplicates of posts by 1 other audited account: "
        ),
        "{message}"
    );
}
