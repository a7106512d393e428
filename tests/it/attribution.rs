//! Who acted, per event (issue 22): a person typing in a third-party app is not a bot, an app
//! approved after the activity is no evidence for it, and a finding cites only the clients and
//! apps of its own events. Cadence speaks for any client, X's own included.

use std::path::Path;

use crate::common::{stderr, xaudit};
use serde_json::{Value, json};

const PERSON: &str = "1600000000000000001";
const BOT: &str = "1600000000000000002";
const DAY: i64 = 86_400;
/// 2026-03-02T00:00:00Z
const T0: i64 = 1_772_409_600;

fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn write_archive(dir: &Path, account: &str, handle: &str, apps: &[(&str, &str, i64)]) {
    let data = dir.join(handle).join("data");
    std::fs::create_dir_all(&data).unwrap();
    let account_js = json!([{"account": {"username": handle, "accountId": account,
        "createdAt": "2020-01-01T00:00:00.000Z", "accountDisplayName": handle}}]);
    std::fs::write(
        data.join("account.js"),
        format!("window.YTD.account.part0 = {account_js:#}"),
    )
    .unwrap();
    let apps: Vec<Value> = apps
        .iter()
        .map(|(id, name, approved)| {
            json!({"connectedApplication": {"name": name, "id": id,
                "permissions": ["read", "write", "directmessages"],
                "approvedAt": format!("{}", chrono::DateTime::from_timestamp(*approved, 0).unwrap().format("%Y-%m-%dT%H:%M:%S.000Z"))}})
        })
        .collect();
    std::fs::write(
        data.join("connected-application.js"),
        format!(
            "window.YTD.connected_application.part0 = {:#}",
            Value::Array(apps)
        ),
    )
    .unwrap();
}

/// Replies to five users who never engaged, from `client`, a day apart from `start`; and
/// mentions the account received before and after, so that inbound data covers the whole period.
fn replies(account: &str, client: &str, start: i64) -> Vec<Value> {
    let mut rows = vec![
        json!({"account_id": account, "ts": iso(start - DAY), "kind": "mention_received", "actor_id": "900", "text": "@x hi"}),
        json!({"account_id": account, "ts": iso(start + 10 * DAY), "kind": "mention_received", "actor_id": "900", "text": "@x bye"}),
    ];
    for k in 0..5 {
        rows.push(json!({"account_id": account, "ts": iso(start + k * DAY), "kind": "reply",
            "post_id": format!("{account}{k}"), "target_post_id": format!("77{k}"),
            "target_user_id": format!("50{k}"), "client": client, "text": format!("@u{k} have a look")}));
    }
    rows
}

fn audit(dir: &Path) -> Value {
    let o = xaudit(&["audit", dir.to_str().unwrap(), "--format", "json"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn findings<'a>(report: &'a Value, account: &str, rule: &str) -> Vec<&'a Value> {
    report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account_id"] == account)
        .flat_map(|a| a["findings"].as_array().unwrap())
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn a_person_typing_in_a_third_party_app_is_not_a_bot_and_later_apps_are_no_evidence() {
    let dir = tempfile::tempdir().unwrap();
    // The person typed in Echofon and, years later, connected a scheduler and X for iPhone.
    write_archive(
        dir.path(),
        PERSON,
        "person",
        &[
            ("1", "Twitter for iPhone", T0 + 400 * DAY),
            ("2", "Buffer", T0 + 400 * DAY),
        ],
    );
    // The bot's posting app was connected before it replied.
    write_archive(
        dir.path(),
        BOT,
        "bot",
        &[
            ("3", "ReplyRobot", T0 - 30 * DAY),
            ("4", "Twitter for iPhone", T0 - 30 * DAY),
        ],
    );
    let mut rows = replies(PERSON, "Echofon", T0);
    rows.extend(replies(PERSON, "Some Unknown App", T0 + 20 * DAY));
    rows.extend(replies(BOT, "ReplyRobot", T0));
    let log: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(dir.path().join("events.jsonl"), log).unwrap();

    let report = audit(dir.path());
    assert_eq!(
        findings(&report, PERSON, "unsolicited_reply"),
        Vec::<&Value>::new(),
        "Echofon is typed in; an unknown app with only later-approved apps is no evidence"
    );
    let bot = findings(&report, BOT, "unsolicited_reply");
    assert_eq!(bot.len(), 1);
    assert_eq!(bot[0]["severity"], "deny");
    // Only the app the replies rest on: not X's own app the account also connected.
    assert_eq!(
        bot[0]["automated_evidence"],
        json!(["connected_app:ReplyRobot"])
    );
}

#[test]
fn machine_cadence_is_evidence_whatever_the_client() {
    let dir = tempfile::tempdir().unwrap();
    // Sixty identical status posts from X's own web app, every ten minutes to the second.
    let rows: Vec<Value> = (0..60)
        .map(|k| {
            json!({"account_id": BOT, "ts": iso(T0 + k * 600), "kind": "post",
                "post_id": format!("88{k}"), "client": "Twitter Web App",
                "text": "Status check: all systems are operating normally"})
        })
        .collect();
    let log: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(dir.path().join("events.jsonl"), log).unwrap();
    let report = audit(dir.path());
    let dup = findings(&report, BOT, "duplicate_posts");
    assert!(!dup.is_empty());
    assert_eq!(dup[0]["severity"], "deny");
    assert_eq!(
        dup[0]["automated_evidence"],
        json!(["cadence:Twitter Web App"])
    );
}
