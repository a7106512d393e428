//! Snapshots of the normalized events each reader produces: any change to a field mapping shows
//! up here as a reviewed diff. Paths are left out (they differ between machines).

use crate::common::*;
use xaudit::store::Store;

const COLUMNS: &str = "event_id, account_id, kind, CAST(ts AS VARCHAR) AS ts, CAST(ts_lower AS VARCHAR) AS ts_lower, actor_id, target_user_id,
    target_post_id, post_id, message_id, conversation_id, list_id, text, lang, hashtags, mentions, mention_ids, urls, client, client_id,
    possibly_sensitive, edit_of, origin, source_record, attributes";

async fn events_of(inputs: &[&str]) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let paths: Vec<_> = inputs.iter().map(|i| fixture(i)).collect();
    ingest_all(&store, &paths, false).await.unwrap();
    rows(
        &store,
        &format!("SELECT {COLUMNS} FROM events ORDER BY account_id, ts, event_id"),
    )
    .await
}

#[tokio::test]
async fn current_archive_events() {
    insta::assert_json_snapshot!(events_of(&["archives/current-2026"]).await);
}

#[tokio::test]
async fn older_archive_events() {
    insta::assert_json_snapshot!(
        events_of(&[
            "archives/gdpr-2020",
            "archives/flat-2019",
            "archives/classic-2015"
        ])
        .await
    );
}

#[tokio::test]
async fn webhook_and_activity_api_events() {
    insta::assert_json_snapshot!(
        events_of(&[
            "webhooks/account-activity.jsonl",
            "webhooks/activity-api.jsonl"
        ])
        .await
    );
}

#[tokio::test]
async fn generic_log_events() {
    insta::assert_json_snapshot!(
        events_of(&["logs/bot-actions.jsonl", "logs/bot-actions.csv"]).await
    );
}
