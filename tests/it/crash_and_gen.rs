//! An ingest killed with SIGKILL leaves the store readable at its previous version, and a rerun
//! completes with no duplicates. Also: `xaudit gen` is deterministic and its plants are in the data.

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::common::*;
use xaudit::store::Store;

fn ingest_cmd(store: &std::path::Path, input: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xaudit"));
    c.args([
        "ingest",
        "--store",
        store.to_str().unwrap(),
        input.to_str().unwrap(),
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    c
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_ingest_killed_mid_run_leaves_the_previous_version_and_a_rerun_completes_without_duplicates()
 {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    generate(&data, "30", "20", "3");

    // How long a whole ingest takes here, to kill the next one in the middle.
    let probe = dir.path().join("probe");
    let t = Instant::now();
    assert!(ingest_cmd(&probe, &data).status().unwrap().success());
    let full = t.elapsed();
    let expected = count(&Store::at(&probe).unwrap(), "SELECT count(*) FROM events").await;

    for fraction in [0.3, 0.6, 0.9] {
        let store_dir = dir.path().join(format!("store-{fraction}"));
        let store = Store::at(&store_dir).unwrap();
        ingest_all(&store, &[fixture("archives/gdpr-2020")], false)
            .await
            .unwrap();
        let version = store.version().await.unwrap();
        let before = count(&store, "SELECT count(*) FROM events").await;

        let mut child = ingest_cmd(&store_dir, &data).spawn().unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let reopened = Store::at(&store_dir).unwrap();
        if !finished {
            let now = reopened.version().await.unwrap();
            // Either the kill came before the events commit (previous version) or after it.
            if now == version {
                assert_eq!(
                    count(&reopened, "SELECT count(*) FROM events").await,
                    before,
                    "killed at {fraction}"
                );
            }
        }
        assert!(
            ingest_cmd(&store_dir, &data).status().unwrap().success(),
            "rerun after kill at {fraction}"
        );
        assert_eq!(
            count(&reopened, "SELECT count(*) FROM events").await,
            before + expected,
            "killed at {fraction}"
        );
        assert_eq!(count(&reopened, "SELECT count(*) FROM (SELECT event_id FROM events GROUP BY event_id HAVING count(*) > 1)").await, 0);
        assert_eq!(count(&reopened, "SELECT count(*) FROM (SELECT trend_id FROM trends GROUP BY trend_id HAVING count(*) > 1)").await, 0);
    }
}

#[test]
fn gen_is_deterministic_for_a_seed_and_differs_between_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    generate(&a, "6", "5", "11");
    generate(&b, "6", "5", "11");
    generate(&c, "6", "5", "12");
    let labels = std::fs::read_to_string(a.join("labels.json")).unwrap();
    let files: serde_json::Value = serde_json::from_str(&labels).unwrap();
    for f in files["files"].as_array().unwrap() {
        let f = f.as_str().unwrap();
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    assert_ne!(
        std::fs::read(a.join("webhooks/bot_0.jsonl")).unwrap(),
        std::fs::read(c.join("webhooks/bot_0.jsonl")).unwrap()
    );
}

#[tokio::test]
async fn gen_plants_violations_at_rule_thresholds_and_leaves_compliant_accounts_below_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    generate(&data, "21", "10", "5");
    let labels: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("labels.json")).unwrap()).unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, std::slice::from_ref(&data), false)
        .await
        .unwrap();
    let accounts = labels["accounts"].as_array().unwrap();
    assert_eq!(
        accounts
            .iter()
            .filter(|a| a["profile"] == "compliant")
            .count(),
        7
    );
    // Most follows any account made in one sliding hour (RULES.md mass_follow: > 100 → deny).
    let max_follows_per_hour = |id: String| {
        let store = &store;
        async move {
            count(
                store,
                &format!(
                    "SELECT coalesce(max(n), 0) FROM (SELECT count(*) OVER (ORDER BY ts RANGE BETWEEN INTERVAL '1 hour' PRECEDING AND CURRENT ROW) AS n
                     FROM events WHERE account_id = '{id}' AND kind = 'follow' AND origin <> 'snapshot')"
                ),
            )
            .await
        }
    };
    for a in accounts {
        let id = a["account_id"].as_str().unwrap().to_string();
        let planted: Vec<&str> = a["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let n = max_follows_per_hour(id.clone()).await;
        if planted.contains(&"mass_follow") {
            assert!(n > 100, "{id}: {n}");
        } else {
            assert!(n < 90, "{id} ({planted:?}) has {n} follows in an hour");
        }
    }
    // Every account has its archive, webhook log and a handle in the store.
    assert_eq!(
        count(&store, "SELECT count(DISTINCT account_id) FROM accounts").await,
        21
    );
    let list_plants = accounts
        .iter()
        .filter(|a| {
            a["violations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v == "bulk_list_add")
        })
        .count() as i64;
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM events WHERE kind = 'list_add'"
        )
        .await,
        60 * list_plants
    );
}
