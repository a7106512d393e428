//! The store's promises: re-ingest is idempotent, one activity seen in two inputs is one event,
//! and two archives of one account turn snapshot differences into interval-timed events.

use crate::common::*;
use serde_json::json;
use xaudit::store::Store;

#[tokio::test]
async fn reingesting_the_same_inputs_adds_nothing_and_keeps_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let inputs = vec![
        fixture("archives/current-2026"),
        fixture("webhooks/account-activity.jsonl"),
        fixture("trends/place.json"),
    ];
    let first = ingest_all(&store, &inputs, false).await.unwrap();
    assert!(first.events_added > 0);
    let events = count(&store, "SELECT count(*) FROM events").await;
    let version = store.version().await.unwrap();

    let again = ingest_all(&store, &inputs, false).await.unwrap();
    assert_eq!(again.events_added, 0);
    assert_eq!(
        again.snapshot_events, 0,
        "a snapshot already in the store yields no diff events"
    );
    assert_eq!(again.trends_added, 0);
    assert_eq!(
        store.version().await.unwrap(),
        version,
        "nothing new, no new version"
    );
    assert_eq!(count(&store, "SELECT count(*) FROM events").await, events);
    assert_eq!(count(&store, "SELECT count(*) FROM (SELECT event_id FROM events GROUP BY event_id HAVING count(*) > 1)").await, 0);
    for t in ["accounts", "connected_apps", "snapshots", "trends", "lists"] {
        let key = xaudit::model::schema::table(t).unwrap().key;
        assert_eq!(count(&store, &format!("SELECT count(*) FROM (SELECT {key} FROM {t} GROUP BY {key} HAVING count(*) > 1)")).await, 0, "{t}");
    }
}

#[tokio::test]
async fn a_post_in_an_archive_and_in_a_webhook_log_is_one_event() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    // Reply 2029905358261502168 is in the archive's tweets.js and in the webhook log.
    ingest_all(
        &store,
        &[
            fixture("archives/current-2026"),
            fixture("webhooks/account-activity.jsonl"),
        ],
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM events WHERE post_id = '2029905358261502168'"
        )
        .await,
        1
    );
    // Ingested separately, in either order, the same.
    let other = Store::at(dir.path().join("other")).unwrap();
    ingest_all(&other, &[fixture("webhooks/account-activity.jsonl")], false)
        .await
        .unwrap();
    let r = ingest_all(&other, &[fixture("archives/current-2026")], false)
        .await
        .unwrap();
    assert!(r.duplicates >= 1);
    assert_eq!(
        count(
            &other,
            "SELECT count(*) FROM events WHERE post_id = '2029905358261502168'"
        )
        .await,
        1
    );
}

/// Regression: of a DM in both an archive (no client) and a webhook log (client from its `apps`
/// map), the store kept whichever copy a reader thread delivered first, so the same inputs gave
/// different clients, and different automation findings, from one ingest to the next.
#[tokio::test]
async fn an_event_in_two_inputs_keeps_the_webhook_copy_whatever_the_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let population = dir.path().join("population");
    generate(&population, "20", "10", "3");
    let archives = population.join("archives");
    let webhooks = population.join("webhooks");
    let webhook_only = Store::at(dir.path().join("webhook-only")).unwrap();
    ingest_all(&webhook_only, std::slice::from_ref(&webhooks), false)
        .await
        .unwrap();
    let expected = rows(
        &webhook_only,
        "SELECT event_id, client FROM events WHERE kind = 'dm_sent' ORDER BY event_id",
    )
    .await;
    let mut stores = Vec::new();
    for (name, inputs) in [
        ("archives-first", [archives.clone(), webhooks.clone()]),
        ("webhooks-first", [webhooks.clone(), archives.clone()]),
    ] {
        let store = Store::at(dir.path().join(name)).unwrap();
        ingest_all(&store, &inputs, false).await.unwrap();
        let webhook_dms_with_client = count(
            &store,
            "SELECT count(*) FROM events WHERE kind = 'dm_sent' AND origin = 'webhook' AND client IS NOT NULL",
        )
        .await;
        assert!(
            webhook_dms_with_client > 0,
            "the population has DMs with a client in its webhook logs"
        );
        let kept = rows(
            &store,
            "SELECT event_id, client FROM events WHERE kind = 'dm_sent' AND event_id IN \
             (SELECT event_id FROM events WHERE origin = 'webhook') ORDER BY event_id",
        )
        .await;
        assert_eq!(
            kept, expected,
            "{name}: every DM the webhook log has keeps its client"
        );
        stores.push(store);
    }
    let all = "SELECT event_id, client, origin, text FROM events ORDER BY event_id";
    assert_eq!(rows(&stores[0], all).await, rows(&stores[1], all).await);
}

/// Rewrites the fixture archive as a later export: new generation date, changed snapshots.
fn later_archive(dir: &std::path::Path) -> std::path::PathBuf {
    let later = dir.join("later");
    copy_dir(&fixture("archives/current-2026"), &later);
    let data = later.join("data");
    let manifest = std::fs::read_to_string(data.join("manifest.js"))
        .unwrap()
        .replace("2026-03-06T13:15:31.187Z", "2026-03-20T09:00:00.000Z");
    std::fs::write(data.join("manifest.js"), manifest).unwrap();
    // 73747798 stopped following; 5550001 and 5550002 started.
    std::fs::write(
        data.join("follower.js"),
        r#"window.YTD.follower.part0 = [
  { "follower" : { "accountId" : "2027445139539693568" } },
  { "follower" : { "accountId" : "2253756806" } },
  { "follower" : { "accountId" : "5550001" } },
  { "follower" : { "accountId" : "5550002" } }
]"#,
    )
    .unwrap();
    // The account unfollowed 2253756806.
    std::fs::write(data.join("following.js"), r#"window.YTD.following.part0 = [ { "following" : { "accountId" : "1750816407195959296" } } ]"#).unwrap();
    let m = std::fs::read_to_string(data.join("manifest.js"))
        .unwrap()
        .replace(
            r#""data/follower.js", "globalName" : "YTD.follower.part0", "count" : "3""#,
            r#""data/follower.js", "globalName" : "YTD.follower.part0", "count" : "4""#,
        )
        .replace(
            r#""data/following.js", "globalName" : "YTD.following.part0", "count" : "2""#,
            r#""data/following.js", "globalName" : "YTD.following.part0", "count" : "1""#,
        );
    std::fs::write(data.join("manifest.js"), m).unwrap();
    later
}

#[tokio::test]
async fn a_second_later_archive_turns_snapshot_differences_into_interval_events() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &[fixture("archives/current-2026")], false)
        .await
        .unwrap();
    let later = later_archive(dir.path());
    let r = ingest_all(&store, &[later], false).await.unwrap();
    assert!(r.count_mismatches.is_empty(), "{:?}", r.count_mismatches);
    assert_eq!(
        r.snapshot_events, 4,
        "2 new followers, 1 lost follower, 1 unfollow"
    );
    let diff = rows(
        &store,
        "SELECT kind, actor_id, target_user_id, CAST(ts_lower AS VARCHAR) AS lower, CAST(ts AS VARCHAR) AS upper, origin
         FROM events WHERE origin = 'snapshot' AND ts > TIMESTAMP '2026-03-07T00:00:00Z' ORDER BY kind, actor_id, target_user_id",
    )
    .await;
    let lower = "2026-03-06T13:15:31.187Z";
    let upper = "2026-03-20T09:00:00Z";
    let ev = |kind: &str, actor: &str, target: &str| json!({"kind": kind, "actor_id": actor, "target_user_id": target, "lower": lower, "upper": upper, "origin": "snapshot"});
    assert_eq!(
        diff,
        vec![
            ev("followed_by", "5550001", "1700000000000000001"),
            ev("followed_by", "5550002", "1700000000000000001"),
            ev("unfollow", "1700000000000000001", "2253756806"),
            ev("unfollowed_by", "73747798", "1700000000000000001"),
        ]
    );
    // Members present in both snapshots produce nothing new.
    assert_eq!(
        count(&store, "SELECT count(*) FROM events WHERE kind = 'like'").await,
        3
    );
}

#[tokio::test]
async fn both_archives_in_one_ingest_diff_in_generation_order() {
    let dir = tempfile::tempdir().unwrap();
    let later = later_archive(dir.path());
    let store = Store::at(dir.path().join("store")).unwrap();
    // Given newest first on the command line: order comes from the generation dates.
    let r = ingest_all(&store, &[later, fixture("archives/current-2026")], false)
        .await
        .unwrap();
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM events WHERE kind = 'unfollowed_by'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM events WHERE kind = 'followed_by'"
        )
        .await,
        5
    );
    assert!(r.snapshot_events > 0);
}

#[tokio::test]
async fn timed_webhook_follows_in_the_same_ingest_are_not_repeated_by_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = dir.path().join("hooks.jsonl");
    // The account follows 2253756806 by webhook before the archive's generation date.
    std::fs::write(
        &hooks,
        r#"{"for_user_id":"1700000000000000001","follow_events":[{"type":"follow","created_timestamp":"1772700000000","target":{"id":"2253756806"},"source":{"id":"1700000000000000001"}}]}
"#,
    )
    .unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &[hooks, fixture("archives/current-2026")], false)
        .await
        .unwrap();
    let f = rows(
        &store,
        "SELECT origin FROM events WHERE kind = 'follow' AND target_user_id = '2253756806'",
    )
    .await;
    assert_eq!(f, vec![json!({"origin": "webhook"})]);
}

#[tokio::test]
async fn sql_reads_an_earlier_version_of_the_events_table() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &[fixture("archives/gdpr-2020")], false)
        .await
        .unwrap();
    let v1 = store.version().await.unwrap().unwrap();
    ingest_all(&store, &[fixture("archives/flat-2019")], false)
        .await
        .unwrap();
    let ctx = store
        .session(&xaudit::store::SessionOptions {
            as_of: Some(xaudit::store::AsOf::Version(v1)),
        })
        .await
        .unwrap();
    let b = ctx
        .sql("SELECT count(DISTINCT account_id) FROM events")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(xaudit::output::cell(&b[0], 0, 0), "1");
    assert_eq!(
        count(&store, "SELECT count(DISTINCT account_id) FROM events").await,
        2
    );
}

#[tokio::test]
async fn a_store_version_pins_the_side_tables_too() {
    // Trends (and accounts, apps …) ingested after version v must not leak into a session as of v,
    // or an old report could not be reproduced: the ingest that closes version v names them.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &[fixture("archives/gdpr-2020")], false)
        .await
        .unwrap();
    let v1 = store.version().await.unwrap().unwrap();
    let trends_only = ingest_all(&store, &[fixture("trends/place.json")], false)
        .await
        .unwrap();
    assert!(trends_only.trends_added > 0);
    let v2 = store.version().await.unwrap().unwrap();
    assert!(
        v2 > v1,
        "an ingest of side rows only still moves the store version"
    );
    let at = |as_of| {
        let store = &store;
        async move {
            let ctx = store
                .session(&xaudit::store::SessionOptions { as_of: Some(as_of) })
                .await
                .unwrap();
            let b = ctx
                .sql("SELECT count(*) FROM trends")
                .await
                .unwrap()
                .collect()
                .await
                .unwrap();
            xaudit::output::cell(&b[0], 0, 0)
        }
    };
    use xaudit::store::AsOf;
    assert_eq!(at(AsOf::Version(v1)).await, "0");
    assert_ne!(at(AsOf::Version(v2)).await, "0");
    assert_ne!(
        at(AsOf::Time(chrono::Utc::now().timestamp_micros())).await,
        "0"
    );
    // Before the store existed there is nothing to read, and the error says when it began.
    let ctx = store
        .session(&xaudit::store::SessionOptions {
            as_of: Some(AsOf::Time(0)),
        })
        .await;
    let err = ctx.err().expect("no store at 1970").to_string();
    assert!(err.contains("did not exist yet"), "{err}");
    // A version that never was.
    let err = store
        .session(&xaudit::store::SessionOptions {
            as_of: Some(AsOf::Version(v2 + 5)),
        })
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains(&format!("no version {}", v2 + 5)), "{err}");
}
