//! The report: snapshots of every format on the bundled example, byte-identical JSON for the same
//! store version and config, and the exit codes scripts rely on.

use crate::common::*;
use xaudit::audit::{AuditOptions, Config};
use xaudit::model::time::parse_ts;
use xaudit::report::audit_report as audit;
use xaudit::rules::registry;
use xaudit::rules::sections::Lang;
use xaudit::store::Store;

fn example() -> Vec<std::path::PathBuf> {
    vec![
        fixture("archives/current-2026"),
        fixture("webhooks"),
        fixture("example"),
    ]
}

fn opts() -> AuditOptions {
    AuditOptions {
        now: parse_ts("2026-11-21T03:00:00Z").unwrap(),
        ..Default::default()
    }
}

#[tokio::test]
async fn every_report_format_of_the_example() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &example(), false).await.unwrap();
    let rules = registry().unwrap();
    let report = audit(&store, &rules, &Config::default(), &opts())
        .await
        .unwrap();
    insta::assert_snapshot!("example_json", report.to_json());
    insta::assert_snapshot!(
        "example_markdown_nl",
        xaudit::report::markdown(&report, Lang::Nl)
    );
    insta::assert_snapshot!(
        "example_text_tr",
        xaudit::report::text(&report, &rules, Lang::Tr, false)
    );
    insta::assert_snapshot!("example_html", xaudit::report::html(&report, Lang::En));
    insta::assert_snapshot!("example_junit", xaudit::report::junit(&report));
    // The evidence's input files are paths of this checkout: shown relative to it.
    let root = format!("file://{}/", env!("CARGO_MANIFEST_DIR"));
    insta::assert_snapshot!(
        "example_sarif",
        xaudit::report::sarif(&report, &rules).replace(&root, "file:///CHECKOUT/")
    );
    insta::assert_snapshot!(
        "example_github",
        xaudit::report::github(&report).replace(env!("CARGO_MANIFEST_DIR"), "CHECKOUT")
    );
}

#[tokio::test]
async fn the_html_report_is_self_contained_and_escapes_post_text() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("feed.jsonl");
    std::fs::write(
        &log,
        r#"{"account_id":"42","ts":"2026-03-01T10:00:00Z","kind":"post","post_id":"2028000000000000099","client":"IFTTT","text":"<script>alert('x')</script> & <img src=x onerror=alert(1)>"}
"#,
    )
    .unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &[log], false).await.unwrap();
    let report = audit(&store, &registry().unwrap(), &Config::default(), &opts())
        .await
        .unwrap();
    let html = xaudit::report::html(&report, Lang::En);
    assert!(
        html.contains(
            "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"
        ),
        "the post text is in the evidence, escaped"
    );
    assert!(!html.contains("<script"), "no script element");
    assert!(!html.contains("<img"), "no element from the data");
    for attr in ["src=\"", "href=\"", "url(", "@import"] {
        assert!(!html.contains(attr), "no external resource ({attr})");
    }
}

#[tokio::test]
async fn the_same_store_version_and_config_give_byte_identical_json() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &example(), false).await.unwrap();
    let rules = registry().unwrap();
    let a = audit(&store, &rules, &Config::default(), &opts())
        .await
        .unwrap()
        .to_json();
    let b = audit(&store, &rules, &Config::default(), &opts())
        .await
        .unwrap()
        .to_json();
    assert_eq!(a, b);
    // A later ingest changes the store; the earlier version still reproduces the same report.
    let v = store.version().await.unwrap();
    ingest_all(&store, &[fixture("logs/bot-actions.csv")], false)
        .await
        .unwrap();
    let old = AuditOptions {
        as_of: v.map(xaudit::store::AsOf::Version),
        ..opts()
    };
    assert_eq!(
        audit(&store, &rules, &Config::default(), &old)
            .await
            .unwrap()
            .to_json(),
        a
    );
}

#[tokio::test]
async fn dm_text_is_redacted_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &example(), false).await.unwrap();
    let rules = registry().unwrap();
    let hidden = audit(&store, &rules, &Config::default(), &opts())
        .await
        .unwrap()
        .to_json();
    assert!(
        !hidden.contains("Spring sale: 20% off"),
        "DM text leaked into the report"
    );
    let mut show = Config::default();
    show.report.show_private = true;
    assert!(
        audit(&store, &rules, &show, &opts())
            .await
            .unwrap()
            .to_json()
            .contains("Spring sale: 20% off")
    );
}

#[test]
fn exit_codes_follow_fail_on() {
    let ex: Vec<String> = example().iter().map(|p| p.display().to_string()).collect();
    let args = |extra: &[&str]| {
        let mut a = vec!["audit"];
        a.extend(ex.iter().map(String::as_str));
        a.extend_from_slice(extra);
        xaudit(&a)
    };
    assert_eq!(
        args(&[]).status.code(),
        Some(1),
        "deny findings fail by default"
    );
    assert_eq!(args(&["--fail-on", "never"]).status.code(), Some(0));
    let json = args(&["--format", "json", "--fail-on", "never"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    // Only the Activity API account: no deny findings there.
    let clean = xaudit(&[
        "audit",
        fixture("webhooks/activity-api.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    let bad_config = std::env::temp_dir().join("xaudit-bad-config.toml");
    std::fs::write(&bad_config, "[rules.mass_folow]\nlevel = \"off\"\n").unwrap();
    let err = args(&["--config", bad_config.to_str().unwrap()]);
    assert_eq!(err.status.code(), Some(2));
    assert!(
        stderr(&err).contains("mass_folow") && stderr(&err).contains("no such rule"),
        "{}",
        stderr(&err)
    );
}

#[test]
fn explain_cites_the_section_in_the_chosen_language() {
    let nl = xaudit(&["explain", "mass_follow", "--lang", "nl"]);
    assert!(String::from_utf8_lossy(&nl.stdout).contains("Automatisch volgen/ontvolgen"));
    let tr = xaudit(&["explain", "opt_out_ignored", "--lang", "tr"]);
    assert!(String::from_utf8_lossy(&tr.stdout).contains("Otomatikleştirilmiş Direkt Mesajlar"));
    let unknown = xaudit(&["explain", "no_such_rule"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn the_default_config_parses_and_covers_every_rule() {
    let out = xaudit(&["config", "--default"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let rules = registry().unwrap();
    let c = Config::parse("default.toml", &text, &rules).unwrap();
    assert_eq!(c.rules.len(), rules.len());
    for r in &rules {
        assert_eq!(
            c.params(r),
            r.params
                .iter()
                .map(|p| (p.name.clone(), p.default))
                .collect()
        );
    }
}

/// Issue 22: a templated bot (one post per item, each repeated) got one finding per item: a
/// 710-line terminal report for one account. The human reports show each rule once per account
/// with its first instances; the JSON keeps every instance and sums them per rule; and one
/// suppression covers the rule for the account.
#[test]
fn a_templated_bot_is_one_pattern_in_the_reports_and_one_suppression() {
    let dir = tempfile::tempdir().unwrap();
    let account = "1600000000000000009";
    let mut log = String::new();
    for item in 0..200 {
        let name: String = format!("{item:03}")
            .chars()
            .map(|d| char::from(b'a' + d.to_digit(10).unwrap() as u8))
            .collect();
        for copy in 0..3 {
            let ts = 1_772_409_600 + item * 3_600 + copy * 600;
            let ts = chrono::DateTime::from_timestamp(ts, 0)
                .unwrap()
                .to_rfc3339();
            log.push_str(&serde_json::json!({
                "account_id": account, "ts": ts, "kind": "post", "post_id": format!("{item}{copy}"),
                "client": "IFTTT",
                "text": format!("Back in stock today at the corner shop: the {name} edition, while it lasts"),
            }).to_string());
            log.push('\n');
        }
    }
    let input = dir.path().join("feed.jsonl");
    std::fs::write(&input, log).unwrap();
    let store = dir.path().join("store");
    let o = xaudit(&[
        "ingest",
        "--store",
        store.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let audit = |format: &str| {
        let o = xaudit(&[
            "audit",
            "--store",
            store.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };

    let json: serde_json::Value = serde_json::from_str(&audit("json")).unwrap();
    let a = &json["accounts"][0];
    let dups = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "duplicate_posts")
        .count();
    assert_eq!(dups, 200, "the JSON keeps every instance");
    let summary = a["rule_summary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rule"] == "duplicate_posts")
        .unwrap();
    assert_eq!(summary["instances"], 200);
    assert_eq!(summary["events"], 600);
    assert_eq!(summary["severity"], "deny");

    let text = audit("text");
    assert!(text.lines().count() < 60, "{text}");
    assert_eq!(text.matches("duplicate_posts").count(), 1, "{text}");
    assert!(text.contains("… and 197 more instances"), "{text}");
    let md = audit("md");
    assert!(md.lines().count() < 60, "{md}");
    assert!(audit("html").len() < 60_000);

    // One suppression for the pattern: the run no longer fails on it.
    let o = xaudit(&[
        "suppress",
        "--rule",
        "duplicate_posts",
        "--account",
        account,
        "--store",
        store.to_str().unwrap(),
        "--reason",
        "item feed, reviewed",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&audit("json")).unwrap();
    let a = &json["accounts"][0];
    assert!(
        a["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "duplicate_posts")
            .all(|f| f["suppressed"]["reason"] == "item feed, reviewed")
    );
    assert_ne!(a["verdict"], "violations");
    let o = xaudit(&[
        "suppress",
        "--rule",
        "no_such_rule",
        "--account",
        account,
        "--store",
        store.to_str().unwrap(),
        "--reason",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no such rule"), "{}", stderr(&o));
}
