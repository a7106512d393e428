//! Every query of the README's cookbook runs, through `xaudit shell` as a user would paste it,
//! against a store with generated activity, two nightly runs and a suppression. A query that
//! rots (a renamed column, a function that changed) fails here.

use crate::common::*;

fn cookbook() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = "<!-- cookbook:start -->\n```sql\n";
    let a = readme.find(start).expect("README has the cookbook") + start.len();
    let b = readme[a..].find("```\n<!-- cookbook:end -->").unwrap() + a;
    readme[a..b].to_string()
}

#[test]
fn the_readme_cookbook_has_at_least_ten_queries() {
    let (stmts, rest) = xaudit::shell::split(&cookbook());
    assert!(stmts.len() >= 10, "{} queries", stmts.len());
    assert!(rest.is_empty(), "every query ends with ';'");
}

#[test]
fn every_cookbook_query_runs_against_a_store_with_nightly_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (data, store, inbox, reports) = (
        dir.path().join("data"),
        dir.path().join("store"),
        dir.path().join("inbox"),
        dir.path().join("reports"),
    );
    let p = |p: &std::path::Path| p.to_str().unwrap().to_string();
    generate(&data, "6", "10", "3");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::copy(data.join("archives/bot_0.zip"), inbox.join("bot_0.zip")).unwrap();
    let night = |now: &str| {
        let o = xaudit(&[
            "nightly",
            "--store",
            &p(&store),
            "--inbox",
            &p(&inbox),
            "--reports",
            &p(&reports),
            "--now",
            now,
        ]);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    };
    night("2026-11-01T03:00:00Z");
    std::fs::copy(data.join("webhooks/bot_0.jsonl"), inbox.join("bot_0.jsonl")).unwrap();
    std::fs::copy(data.join("trends.jsonl"), inbox.join("trends.jsonl")).unwrap();
    night("2026-11-02T03:00:00Z");
    let json = std::fs::read_to_string(reports.join("2026-11-02/report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let fp = report["accounts"][0]["findings"][0]["fingerprint"]
        .as_str()
        .expect("bot_0 has findings")
        .to_string();
    let o = xaudit(&[
        "suppress",
        &fp,
        "--store",
        &p(&store),
        "--reason",
        "accepted",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let (stmts, _) = xaudit::shell::split(&cookbook());
    let mut empty = Vec::new();
    for s in &stmts {
        let title = s.text.lines().next().unwrap_or_default().to_string();
        let o = shell(&store, &format!("{};", s.text), &["--format", "jsonl"]);
        assert_eq!(o.status.code(), Some(0), "{title}: {}", stderr(&o));
        if o.stdout.is_empty() {
            empty.push(title);
        }
    }
    // A cookbook query that returns nothing on data made to exercise it is probably wrong. Some
    // data the generator does not make for one bot (no burst, no personal data) are allowed.
    assert!(empty.len() <= 4, "queries with no rows: {empty:#?}");
}
