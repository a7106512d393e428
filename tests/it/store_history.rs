//! A store lives for years: every version it ever had stays readable, however many ingests and
//! however old their log entries, and a store made before xaudit kept history is switched over on
//! its next ingest.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::common::*;
use xaudit::store::{AsOf, SessionOptions, Store};

/// A one-event bot log, different for each `i`.
fn one_event_log(dir: &Path, i: usize) -> std::path::PathBuf {
    let path = dir.join(format!("night-{i:03}.jsonl"));
    std::fs::write(
        &path,
        format!(
            "{{\"account_id\":\"1700000000000000001\",\"ts\":\"2026-03-07T09:{:02}:{:02}Z\",\"kind\":\"post\",\"post_id\":\"{}\",\"text\":\"night {i}\",\"client\":\"HelpBot\"}}\n",
            i / 60,
            i % 60,
            2030000000000000000u64 + i as u64
        ),
    )
    .unwrap();
    path
}

/// Make every log entry of every table look `days` old: Delta's log cleanup judges age by the
/// files' modification times.
fn age_logs(store: &Path, days: u64) {
    let then = SystemTime::now() - Duration::from_secs(days * 86_400);
    for table in std::fs::read_dir(store).unwrap() {
        let log = table.unwrap().path().join("_delta_log");
        let Ok(entries) = std::fs::read_dir(&log) else {
            continue;
        };
        for e in entries {
            let f = std::fs::File::options()
                .write(true)
                .open(e.unwrap().path())
                .unwrap();
            f.set_modified(then).unwrap();
        }
    }
}

async fn events_at(store: &Store, version: u64) -> i64 {
    let ctx = store
        .session(&SessionOptions {
            as_of: Some(AsOf::Version(version)),
        })
        .await
        .unwrap_or_else(|e| panic!("version {version}: {e}"));
    let b = ctx
        .sql("SELECT count(*) FROM events")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    xaudit::output::cell(&b[0], 0, 0).parse().unwrap()
}

/// Regression: with Delta's defaults, the commit that wrote the 100th checkpoint deleted every
/// log entry older than 30 days, and `--as-of-version 5` failed after about 100 nightly ingests.
#[tokio::test]
async fn a_hundred_and_ten_ingests_with_month_old_logs_keep_every_version_readable() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let store = Store::at(&root).unwrap();
    const NIGHTS: usize = 110;
    for i in 0..NIGHTS {
        ingest_all(&store, &[one_event_log(dir.path(), i)], false)
            .await
            .unwrap();
        age_logs(&root, 40);
    }
    let latest = store.version().await.unwrap().unwrap();
    assert!(
        root.join("events/_delta_log/00000000000000000109.checkpoint.parquet")
            .exists(),
        "the test passes the checkpoint that used to trigger the cleanup"
    );
    let versions = store.versions().await.unwrap();
    assert_eq!(versions.len() as u64, latest + 1, "every version is listed");
    assert_eq!(versions[0].0, 0);
    // Version 0 is the empty table an ingest creates; version v holds the first v nights.
    for v in 0..=latest {
        assert_eq!(
            events_at(&store, v).await,
            v as i64,
            "events at version {v}"
        );
    }
    assert_eq!(latest as usize, NIGHTS);
}

/// A store whose tables lack the properties (made by an older xaudit, or changed by another
/// writer) gets them back on its next ingest, and the ingest says so.
#[tokio::test]
async fn a_store_that_did_not_keep_history_is_switched_over_by_its_next_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &[one_event_log(dir.path(), 0)], false)
        .await
        .unwrap();
    let events = store.open("events").await.unwrap().unwrap();
    assert!(xaudit::store::keeps_history(&events), "new tables keep it");
    let events = events
        .set_tbl_properties()
        .with_properties(
            [(
                "delta.enableExpiredLogCleanup".to_string(),
                "true".to_string(),
            )]
            .into(),
        )
        .await
        .unwrap();
    assert!(!xaudit::store::keeps_history(&events));
    let version = store.version().await.unwrap();

    // A failed ingest leaves the store exactly as it was, properties included.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"account_id\":\"1\",\"ts\":\n").unwrap();
    assert!(ingest_all(&store, &[bad], false).await.is_err());
    assert_eq!(store.version().await.unwrap(), version);
    let events = store.open("events").await.unwrap().unwrap();
    assert!(!xaudit::store::keeps_history(&events));

    let report = ingest_all(&store, &[one_event_log(dir.path(), 1)], false)
        .await
        .unwrap();
    let notice = report
        .notices
        .iter()
        .find(|n| n.contains("now keep their whole history"))
        .unwrap_or_else(|| panic!("a notice: {:?}", report.notices));
    assert!(notice.contains("events"), "{notice}");
    let events = store.open("events").await.unwrap().unwrap();
    assert!(xaudit::store::keeps_history(&events));
    let again = ingest_all(&store, &[one_event_log(dir.path(), 2)], false)
        .await
        .unwrap();
    assert!(
        !again.notices.iter().any(|n| n.contains("whole history")),
        "said once"
    );
}

fn live_files(table: &deltalake::DeltaTable) -> usize {
    table.snapshot().unwrap().log_data().num_files()
}

/// `store optimize` compacts the files of many small ingests into one per table, and every
/// earlier version still reads exactly what it read before; `store check` finds nothing wrong.
#[tokio::test]
async fn optimize_compacts_small_files_and_every_version_reads_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &[fixture("archives/current-2026")], false)
        .await
        .unwrap();
    for i in 0..4 {
        ingest_all(&store, &[one_event_log(dir.path(), i)], false)
            .await
            .unwrap();
    }
    let latest = store.version().await.unwrap().unwrap();
    let mut before = Vec::new();
    for v in 0..=latest {
        before.push(events_csv(&store, Some(AsOf::Version(v))).await);
    }
    let events = store.open("events").await.unwrap().unwrap();
    assert!(live_files(&events) >= 5);

    let compacted = store.optimize(None).await.unwrap();
    let events_run = compacted.iter().find(|c| c.table == "events").unwrap();
    assert!(events_run.files_removed >= 5, "{compacted:?}");
    let events = store.open("events").await.unwrap().unwrap();
    assert_eq!(live_files(&events), 1);
    let after = store.version().await.unwrap().unwrap();
    assert_eq!(after, latest + 1, "one new version, with the same data");
    for (v, dump) in before.iter().enumerate() {
        assert_eq!(
            &events_csv(&store, Some(AsOf::Version(v as u64))).await,
            dump,
            "version {v}"
        );
    }
    assert_eq!(
        &events_csv(&store, Some(AsOf::Version(after))).await,
        before.last().unwrap()
    );
    let check = store.check().await.unwrap();
    assert_eq!(check.problems, vec![], "{check:?}");
    assert!(check.versions["events"] > latest);
}

/// `store check` reads every version: a data file an old version needs and that is gone is
/// named with the version; a stored time the engine cannot hold (written before ingest refused
/// them) is named with its event, and no longer makes every audit fail.
#[tokio::test]
async fn check_names_a_missing_file_and_a_stored_time_the_engine_cannot_hold() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &[one_event_log(dir.path(), 0)], false)
        .await
        .unwrap();
    let events = store.open("events").await.unwrap().unwrap();
    let first_file = events
        .snapshot()
        .unwrap()
        .log_data()
        .into_iter()
        .next()
        .unwrap()
        .path()
        .to_string();
    ingest_all(&store, &[one_event_log(dir.path(), 1)], false)
        .await
        .unwrap();
    // A row as an older xaudit stored it: year 2300.
    let mut e = xaudit::model::Event::new(
        "1700000000000000001",
        xaudit::model::Kind::Post,
        10_413_792_000_000_000,
        xaudit::model::Origin::Generic,
        std::sync::Arc::from("old.jsonl"),
        7,
    );
    e.post_id = Some("2030000000000000999".into());
    let mut columns = xaudit::model::EventColumns::with_capacity(1);
    columns.push(&e, &e.id());
    let events = store.open("events").await.unwrap().unwrap();
    events
        .write(vec![columns.finish().unwrap()])
        .with_save_mode(deltalake::protocol::SaveMode::Append)
        .await
        .unwrap();
    audit_default(&store).await;
    assert_eq!(count(&store, "SELECT count(*) FROM events").await, 2);

    let check = store.check().await.unwrap();
    let said: Vec<String> = check.problems.iter().map(|p| p.what.clone()).collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("old.jsonl record 7") && said[0].contains("cannot hold"),
        "{said:?}"
    );

    std::fs::remove_file(dir.path().join("store/events").join(&first_file)).unwrap();
    let check = store.check().await.unwrap();
    let said: Vec<String> = check.problems.iter().map(|p| p.what.clone()).collect();
    assert!(
        check.problems.iter().any(|p| p.what.contains(&first_file)
            && p.what.contains("missing")
            && p.version == Some(1)),
        "{said:?}"
    );
}
