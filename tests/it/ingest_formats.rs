//! Every input format and generation round-trips through ingest and SQL with counts that match the
//! input exactly.

use crate::common::*;
use serde_json::json;
use xaudit::store::Store;

async fn kinds(store: &Store, account: &str) -> serde_json::Value {
    let r = rows(store, &format!("SELECT kind, count(*) AS n FROM events WHERE account_id = '{account}' GROUP BY kind ORDER BY kind")).await;
    serde_json::Value::Object(
        r.into_iter()
            .map(|v| (v["kind"].as_str().unwrap().to_string(), v["n"].clone()))
            .collect(),
    )
}

#[tokio::test]
async fn current_archive_folder_reads_every_file_with_manifest_counts_matching() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let report = ingest_all(&store, &[fixture("archives/current-2026")], false)
        .await
        .unwrap();
    assert!(
        report.count_mismatches.is_empty(),
        "{:?}",
        report.count_mismatches
    );
    assert_eq!(
        kinds(&store, "1700000000000000001").await,
        json!({
            // tweets.js 5 + tweets-part1.js 2 + deleted 1 + community 1 = 9 posts of four kinds
            "post": 6, "quote": 1, "reply": 1, "repost": 1, "delete": 1,
            // 2 one-to-one messages, 1 group message, 1 XChat message (the read receipt is no message)
            "dm_sent": 2, "dm_received": 2,
            // snapshots of the first archive: every member is an event in (account creation, generation]
            "follow": 2, "followed_by": 3, "like": 3, "block": 1,
            "app_connected": 2
        })
    );
    let apps = rows(
        &store,
        "SELECT app_id, permissions FROM connected_apps ORDER BY app_id",
    )
    .await;
    assert_eq!(
        apps,
        vec![
            json!({"app_id": "27227455", "permissions": ["read"]}),
            json!({"app_id": "3033300", "permissions": ["read", "write", "directmessages"]})
        ]
    );
    let acct = rows(
        &store,
        "SELECT handle, display_name, created_via, description FROM accounts",
    )
    .await;
    assert_eq!(acct[0]["handle"], "acme_helpdesk");
    assert_eq!(
        acct[0]["description"],
        "Support for ACME products & services. Mon–Fri 9–17."
    );
    assert_eq!(count(&store, "SELECT count(*) FROM lists").await, 1);
    let snaps = rows(
        &store,
        "SELECT relation, members FROM snapshots ORDER BY relation",
    )
    .await;
    assert_eq!(
        snaps.len(),
        4,
        "follower, following, like, block (mute is empty): {snaps:?}"
    );
}

#[tokio::test]
async fn archive_text_is_unescaped_and_long_posts_get_their_note_text() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &[fixture("archives/current-2026")], false)
        .await
        .unwrap();
    let r = rows(&store, "SELECT post_id, text, client, kind, target_post_id FROM events WHERE post_id IN ('2024000000000000002', '2025500000000000001', '2027000000000000001') ORDER BY post_id").await;
    assert_eq!(r[0]["text"], "Our helpdesk is open from 9 to 17 <CET>.");
    assert!(
        r[1]["text"]
            .as_str()
            .unwrap()
            .ends_with("Thank you for your patience & trust."),
        "{}",
        r[1]["text"]
    );
    assert_eq!(r[2]["kind"], "quote");
    assert_eq!(r[2]["target_post_id"], "2026999999999999999");
    assert_eq!(r[2]["client"], "Twitter for iPhone");
}

#[tokio::test]
async fn zipped_archive_reads_the_same_as_its_folder_even_with_an_extra_top_folder() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("twitter-2026-03-06-abc.zip");
    zip_dir(
        &fixture("archives/current-2026"),
        &zip,
        "twitter-2026-03-06-abc/",
    );
    let a = Store::at(dir.path().join("a")).unwrap();
    let b = Store::at(dir.path().join("b")).unwrap();
    ingest_all(&a, &[zip], false).await.unwrap();
    ingest_all(&b, &[fixture("archives/current-2026")], false)
        .await
        .unwrap();
    let q = "SELECT event_id, kind, ts, text FROM events ORDER BY event_id";
    assert_eq!(rows(&a, q).await, rows(&b, q).await);
    assert_eq!(count(&a, "SELECT count(*) FROM events").await, 25);
}

#[tokio::test]
async fn older_generations_2020_2019_and_classic_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let report = ingest_all(
        &store,
        &[
            fixture("archives/gdpr-2020"),
            fixture("archives/flat-2019"),
            fixture("archives/classic-2015"),
        ],
        false,
    )
    .await
    .unwrap();
    assert!(report.count_mismatches.is_empty());
    assert_eq!(
        kinds(&store, "34914032").await,
        json!({"post": 2, "reply": 1, "dm_sent": 1, "dm_received": 1, "followed_by": 2})
    );
    assert_eq!(
        kinds(&store, "12497").await,
        json!({"post": 1, "repost": 1, "followed_by": 1})
    );
    assert_eq!(
        kinds(&store, "14202333").await,
        json!({"post": 1, "repost": 1})
    );
    let classic = rows(&store, "SELECT text, target_post_id, target_user_id FROM events WHERE account_id = '14202333' AND kind = 'repost'").await;
    assert_eq!(
        classic[0],
        json!({"text": "RT @friend: Skating today?", "target_post_id": "556000000000000000", "target_user_id": "777"})
    );
    let tr = rows(
        &store,
        "SELECT text FROM events WHERE account_id = '12497' AND kind = 'post'",
    )
    .await;
    assert_eq!(tr[0]["text"], "Günaydın İstanbul! Kahve saati & hava güzel");
    // 2019 archives have the older `urls` list shape.
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM lists WHERE account_id = '12497'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn account_activity_payloads_of_every_type_become_events() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &[fixture("webhooks/account-activity.jsonl")], false)
        .await
        .unwrap();
    assert_eq!(
        kinds(&store, "1700000000000000001").await,
        json!({
            "mention_received": 1, "reply_received": 1, "reply": 1, "post": 1,
            // the inbound like (someone liking the account's post) is not the account's activity
            "like": 1, "follow": 1, "followed_by": 1, "unfollow": 1,
            "block": 1, "unblock": 1, "mute": 1, "unmute": 1,
            // typing and read receipts are not messages
            "dm_received": 1, "dm_sent": 1, "delete": 1, "app_revoked": 1
        })
    );
    let dm = rows(&store, "SELECT client, client_id, conversation_id, target_user_id FROM events WHERE kind = 'dm_sent'").await;
    assert_eq!(
        dm[0],
        json!({"client": "HelpBot Replies", "client_id": "13090192", "conversation_id": "3001969357-1700000000000000001", "target_user_id": "3001969357"})
    );
    // extended_tweet gives the full text of a long post, id_str wins over the imprecise number.
    let long = rows(
        &store,
        "SELECT post_id, text, hashtags FROM events WHERE kind = 'post'",
    )
    .await;
    assert_eq!(long[0]["post_id"], "1924465506158878979");
    assert!(long[0]["text"].as_str().unwrap().ends_with("#update"));
    assert_eq!(long[0]["hashtags"], json!(["update"]));
}

#[tokio::test]
async fn activity_api_envelopes_become_events() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &[fixture("webhooks/activity-api.jsonl")], false)
        .await
        .unwrap();
    assert_eq!(
        kinds(&store, "1111111111111111111").await,
        json!({"post": 1, "mention_received": 1, "reply": 1, "like": 1, "follow": 1, "dm_received": 1, "app_revoked": 1})
    );
    // follow.follow has no time of its own: the snowflake event uuid dates it.
    let f = rows(
        &store,
        "SELECT CAST(ts AS VARCHAR) AS ts FROM events WHERE kind = 'follow'",
    )
    .await;
    assert!(
        f[0]["ts"].as_str().unwrap().starts_with("2026-07-"),
        "{f:?}"
    );
}

#[tokio::test]
async fn generic_logs_in_jsonl_csv_and_parquet_agree() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let report = ingest_all(
        &store,
        &[
            fixture("logs/bot-actions.jsonl"),
            fixture("logs/bot-actions.csv"),
        ],
        false,
    )
    .await
    .unwrap();
    assert!(
        report.notices.iter().any(|n| n.contains("`campaign`")),
        "unknown columns are announced: {:?}",
        report.notices
    );
    assert_eq!(
        kinds(&store, "1700000000000000001").await,
        json!({"list_add": 4, "list_remove": 1, "post": 2, "follow": 1})
    );
    let attrs = rows(
        &store,
        "SELECT attributes FROM events WHERE attributes IS NOT NULL",
    )
    .await;
    assert_eq!(
        attrs,
        vec![json!({"attributes": "{\"campaign\":\"spring\"}"})]
    );
    let csv_post = rows(
        &store,
        "SELECT text, hashtags FROM events WHERE kind = 'post' AND source LIKE '%.csv'",
    )
    .await;
    assert_eq!(
        csv_post[0],
        json!({"text": "Spring sale, \"50%\" off", "hashtags": ["spring", "sale"]})
    );

    // The store's own events, exported to Parquet, read back as a generic log into a second store.
    let pq = dir.path().join("events.parquet");
    let ctx = store.session(&Default::default()).await.unwrap();
    let df = ctx.sql("SELECT account_id, kind, ts, target_user_id, list_id, post_id, text, client FROM events").await.unwrap();
    let batches = df.collect().await.unwrap();
    let file = std::fs::File::create(&pq).unwrap();
    let mut w =
        datafusion::parquet::arrow::ArrowWriter::try_new(file, batches[0].schema(), None).unwrap();
    for b in &batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
    let second = Store::at(dir.path().join("second")).unwrap();
    ingest_all(&second, &[pq], false).await.unwrap();
    assert_eq!(
        kinds(&second, "1700000000000000001").await,
        kinds(&store, "1700000000000000001").await
    );
}

#[tokio::test]
async fn trend_snapshots_in_four_shapes_are_read_with_ranks_and_decoded_queries() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let inputs = [
        "trends/place.json",
        "trends/hourly.jsonl",
        "trends/v2.json",
        "trends/snapshots.csv",
    ]
    .map(fixture);
    let report = ingest_all(&store, &inputs, false).await.unwrap();
    assert_eq!(report.trends_added, 12);
    assert_eq!(count(&store, "SELECT count(*) FROM events").await, 0);
    let r = rows(
        &store,
        "SELECT name, query, rank, woeid FROM trends WHERE name = 'George Lopez'",
    )
    .await;
    assert_eq!(
        r[0],
        json!({"name": "George Lopez", "query": "\"George Lopez\"", "rank": 3, "woeid": 1})
    );
    let tr = rows(&store, "SELECT query FROM trends WHERE name = '#İstanbul'").await;
    assert_eq!(tr[0]["query"], "#İstanbul");
}

#[test]
fn input_kind_is_detected_from_content_and_unknown_input_says_what_was_expected() {
    use xaudit::readers::{InputKind, detect};
    assert_eq!(
        detect(&fixture("archives/current-2026")).unwrap(),
        InputKind::Archive
    );
    assert_eq!(
        detect(&fixture("webhooks/account-activity.jsonl")).unwrap(),
        InputKind::Webhook
    );
    assert_eq!(
        detect(&fixture("webhooks/activity-api.jsonl")).unwrap(),
        InputKind::Webhook
    );
    assert_eq!(
        detect(&fixture("logs/bot-actions.jsonl")).unwrap(),
        InputKind::Generic
    );
    assert_eq!(
        detect(&fixture("logs/bot-actions.csv")).unwrap(),
        InputKind::Generic
    );
    for t in [
        "trends/place.json",
        "trends/hourly.jsonl",
        "trends/v2.json",
        "trends/snapshots.csv",
    ] {
        assert_eq!(detect(&fixture(t)).unwrap(), InputKind::Trends, "{t}");
    }
    let err = detect(&fixture("archives/current-2026/data/tweets.js")).unwrap_err();
    assert!(err.reason.contains("pass the whole archive"), "{err}");
    let err = detect(&fixture("archives/current-2026/data/README.txt")).unwrap_err();
    assert!(err.reason.contains("expected an X archive"), "{err}");
}

/// Issue 22: people remove their DM files before handing an export to an auditor. The manifest
/// still lists them; the audit goes on, and the rules that need DMs say they could not look,
/// naming the absent files, instead of stopping or reading the absence as compliance.
#[test]
fn a_stripped_export_audits_with_coverage_naming_the_absent_files() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    copy_dir(&fixture("archives/current-2026"), &export);
    for f in [
        "direct-messages.js",
        "direct-messages-group.js",
        "message-event.js",
    ] {
        std::fs::remove_file(export.join("data").join(f)).unwrap();
    }
    let o = xaudit(&["audit", export.to_str().unwrap(), "--format", "json"]);
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("data/direct-messages.js: listed in manifest.js but absent"),
        "{}",
        stderr(&o)
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules = report["accounts"][0]["rules"].as_array().unwrap();
    let dm = rules
        .iter()
        .find(|r| r["rule"] == "unsolicited_dm")
        .unwrap();
    assert_eq!(dm["status"], "not_evaluable");
    let reason = dm["reason"].as_str().unwrap();
    for f in [
        "data/direct-messages.js",
        "data/direct-messages-group.js",
        "data/message-event.js",
    ] {
        assert!(reason.contains(f), "{reason}");
    }
    // Posts are all there: the rules on posts are evaluated as before.
    let dup = rules
        .iter()
        .find(|r| r["rule"] == "duplicate_posts")
        .unwrap();
    assert_eq!(dup["status"], "evaluated");
}

/// Real corpus (issue 22): one account in two exports a year apart, the older one stripped of
/// its DMs and of `note-tweet.js`. A file one export lacks and another holds is not missing, and
/// a missing `note-tweet.js` (the full text of long posts) leaves the posts partial, not unknown:
/// before, the older export alone made every rule on posts `not_evaluable` and the account read
/// as compliant.
#[test]
fn a_file_one_export_lacks_and_another_holds_is_not_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (older, newer) = (dir.path().join("older"), dir.path().join("newer"));
    copy_dir(&fixture("archives/current-2026"), &older);
    copy_dir(&fixture("archives/current-2026"), &newer);
    for f in ["direct-messages.js", "note-tweet.js"] {
        std::fs::remove_file(older.join("data").join(f)).unwrap();
    }
    let status = |inputs: &[&std::path::Path], rule: &str| -> (String, String) {
        let mut args = vec!["audit"];
        args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
        args.extend(["--format", "json"]);
        let o = xaudit(&args);
        assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let r = report["accounts"][0]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule)
            .unwrap()
            .clone();
        (
            r["status"].as_str().unwrap().to_string(),
            r["reason"].as_str().unwrap_or("").to_string(),
        )
    };
    let (dup, why) = status(&[&older], "duplicate_posts");
    assert_eq!(dup, "partial");
    assert!(
        why.contains("data/note-tweet.js") && why.contains("280"),
        "{why}"
    );
    assert_eq!(status(&[&older], "unsolicited_dm").0, "not_evaluable");

    assert_eq!(status(&[&older, &newer], "duplicate_posts").0, "evaluated");
    let (dm, why) = status(&[&older, &newer], "unsolicited_dm");
    assert_eq!(dm, "evaluated", "{why}");
}
