//! Bad input gets a clear error naming the file, the record or line, and what was expected, and
//! changes nothing in the store; `--lenient` commits the good records and keeps each bad one in
//! `rejects`.

use std::io::Write;

use crate::common::*;
use xaudit::store::Store;
use xaudit::{Error, InputError};

fn input_error(e: Error) -> InputError {
    input_errors(e).remove(0)
}

/// The fixture archive with one data file replaced.
fn archive_with(dir: &std::path::Path, file: &str, content: &[u8]) -> std::path::PathBuf {
    let a = dir.join("archive");
    copy_dir(&fixture("archives/current-2026"), &a);
    std::fs::write(a.join("data").join(file), content).unwrap();
    a
}

const TWO_TWEETS_SECOND_BAD: &str = r#"window.YTD.tweets.part0 = [ {
  "tweet" : { "id_str" : "2029000000000000001", "created_at" : "Thu Mar 05 17:05:22 +0000 2026", "full_text" : "fine" }
}, {
  "tweet" : { "id_str" : "2029000000000000002", "created_at" : "Thu Mar 05 17:05:22 +0000 2026", "full_text" : 42 }
} ]"#;

#[tokio::test]
async fn wrong_type_in_a_record_names_file_record_line_and_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let a = archive_with(dir.path(), "tweets.js", TWO_TWEETS_SECOND_BAD.as_bytes());
    let store = Store::at(dir.path().join("store")).unwrap();
    let err = input_error(ingest_all(&store, &[a], false).await.unwrap_err());
    assert!(err.file.ends_with("data/tweets.js"), "{err}");
    assert_eq!(err.position.record, Some(1));
    assert_eq!(err.position.line, Some(4));
    assert!(err.position.byte.is_some());
    assert!(err.reason.contains("expected a string"), "{err}");
}

#[tokio::test]
async fn strict_failure_leaves_the_store_exactly_at_its_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    ingest_all(&store, &[fixture("archives/gdpr-2020")], false)
        .await
        .unwrap();
    let version = store.version().await.unwrap();
    let before = rows(&store, "SELECT event_id FROM events ORDER BY event_id").await;
    let tables = [
        "accounts",
        "connected_apps",
        "snapshots",
        "lists",
        "trends",
        "rejects",
        "inputs",
    ];
    let mut counts = Vec::new();
    for t in tables {
        counts.push(count(&store, &format!("SELECT count(*) FROM {t}")).await);
    }
    let a = archive_with(dir.path(), "tweets.js", TWO_TWEETS_SECOND_BAD.as_bytes());
    assert!(
        ingest_all(
            &store,
            &[a, fixture("webhooks/account-activity.jsonl")],
            false
        )
        .await
        .is_err()
    );
    assert_eq!(store.version().await.unwrap(), version);
    assert_eq!(
        rows(&store, "SELECT event_id FROM events ORDER BY event_id").await,
        before
    );
    for (t, n) in tables.iter().zip(counts) {
        assert_eq!(
            count(&store, &format!("SELECT count(*) FROM {t}")).await,
            n,
            "{t}"
        );
    }
}

#[tokio::test]
async fn lenient_commits_good_records_and_keeps_bad_ones_in_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let a = archive_with(dir.path(), "tweets.js", TWO_TWEETS_SECOND_BAD.as_bytes());
    let hooks = dir.path().join("hooks.jsonl");
    std::fs::write(
        &hooks,
        concat!(
            r#"{"for_user_id":"1","follow_events":[{"type":"follow","created_timestamp":"1772816000000","target":{"id":"2"},"source":{"id":"1"}}]}"#,
            "\n{not json\n",
            r#"{"for_user_id":"1","follow_events":[{"type":"follow","created_timestamp":"yesterday","target":{"id":"3"},"source":{"id":"1"}}]}"#,
            "\n"
        ),
    )
    .unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let report = ingest_all(&store, &[a, hooks], true).await.unwrap();
    assert_eq!(report.rejects, 3);
    assert!(
        count(
            &store,
            "SELECT count(*) FROM events WHERE post_id = '2029000000000000001'"
        )
        .await
            == 1
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM events WHERE account_id = '1'").await,
        1
    );
    let rejects = rows(
        &store,
        "SELECT source, record, line, reason FROM rejects ORDER BY source, line",
    )
    .await;
    assert!(
        rejects[0]["source"]
            .as_str()
            .unwrap()
            .ends_with("tweets.js")
    );
    assert_eq!(rejects[0]["record"], 1);
    assert!(
        rejects[1]["source"]
            .as_str()
            .unwrap()
            .ends_with("hooks.jsonl")
    );
    assert_eq!(rejects[1]["line"], 2);
    assert!(
        rejects[1]["reason"]
            .as_str()
            .unwrap()
            .contains("malformed JSON")
    );
    assert_eq!(rejects[2]["line"], 3);
    assert!(
        rejects[2]["reason"]
            .as_str()
            .unwrap()
            .contains("not a timestamp"),
        "{rejects:?}"
    );
}

#[tokio::test]
async fn unknown_extra_fields_and_missing_optional_fields_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    // No entities, no source, no lang, plus a field nobody knows.
    let a = archive_with(
        dir.path(),
        "tweets.js",
        br#"window.YTD.tweets.part0 = [ { "tweet" : { "id_str" : "2029000000000000001", "created_at" : "Thu Mar 05 17:05:22 +0000 2026", "full_text" : "bare", "brand_new_field" : { "x" : [1] } } } ]"#,
    );
    let mut m = std::fs::read_to_string(a.join("data/manifest.js")).unwrap();
    m = m.replace(
        r#""data/tweets.js", "globalName" : "YTD.tweets.part0", "count" : "5""#,
        r#""data/tweets.js", "globalName" : "YTD.tweets.part0", "count" : "1""#,
    );
    std::fs::write(a.join("data/manifest.js"), m).unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let r = ingest_all(&store, &[a], false).await.unwrap();
    assert!(r.count_mismatches.is_empty());
    assert_eq!(
        rows(
            &store,
            "SELECT text, client FROM events WHERE post_id = '2029000000000000001'"
        )
        .await[0]["text"],
        "bare"
    );
}

#[tokio::test]
async fn malformed_json_is_an_error_with_line_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    let a = archive_with(dir.path(), "like.js", b"window.YTD.like.part0 = [\n  { \"like\" : { \"tweetId\" : \"1\" } },\n  { \"like\" : { \"tweetId\" : \"2\" } ");
    let store = Store::at(dir.path().join("store")).unwrap();
    let err = input_error(ingest_all(&store, &[a], false).await.unwrap_err());
    assert!(err.file.ends_with("like.js"));
    assert!(err.reason.contains("truncated"), "{err}");
    assert_eq!(err.position.line, Some(3));
    assert!(err.position.byte.unwrap() > 60);
}

#[tokio::test]
async fn invalid_utf8_is_an_error_naming_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes =
        br#"window.YTD.like.part0 = [ { "like" : { "tweetId" : "1", "fullText" : "caf"#.to_vec();
    bytes.extend_from_slice(&[0xE9, b'"', b'}', b'}', b' ', b']']);
    let a = archive_with(dir.path(), "like.js", &bytes);
    let store = Store::at(dir.path().join("store")).unwrap();
    let err = input_error(ingest_all(&store, &[a], false).await.unwrap_err());
    // 0xE9 follows the 73 bytes of `window.YTD.like.part0 = [ … "caf`.
    assert!(err.reason.contains("invalid UTF-8 at byte 73"), "{err}");
}

#[tokio::test]
async fn truncated_zip_and_non_archive_files_are_refused_with_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("export.zip");
    zip_dir(&fixture("archives/current-2026"), &zip, "");
    let bytes = std::fs::read(&zip).unwrap();
    let cut = dir.path().join("cut.zip");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let err = input_error(
        ingest_all(&store, std::slice::from_ref(&cut), false)
            .await
            .unwrap_err(),
    );
    assert!(err.file.ends_with("cut.zip"));
    assert!(err.reason.contains("truncated or corrupt"), "{err}");

    let not_archive = dir.path().join("photo.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&not_archive).unwrap());
        z.start_file("holiday.jpg", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(b"\xff\xd8\xff").unwrap();
        z.finish().unwrap();
    }
    let err = input_error(ingest_all(&store, &[not_archive], false).await.unwrap_err());
    assert!(err.reason.contains("not an X archive"), "{err}");
    assert_eq!(
        store.version().await.unwrap(),
        Some(0),
        "tables exist, nothing committed"
    );
}

#[tokio::test]
async fn zip_entries_with_dot_dot_or_absolute_paths_are_refused_and_nothing_is_written_outside() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("evil.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
        let o = zip::write::SimpleFileOptions::default();
        for f in ["manifest.js", "account.js", "tweets.js"] {
            z.start_file(format!("data/{f}"), o).unwrap();
            z.write_all(&std::fs::read(fixture("archives/current-2026/data").join(f)).unwrap())
                .unwrap();
        }
        z.start_file("../../escaped.txt", o).unwrap();
        z.write_all(b"owned").unwrap();
        z.start_file("/tmp/xaudit-absolute.txt", o).unwrap();
        z.write_all(b"owned").unwrap();
        z.finish().unwrap();
    }
    let store = Store::at(dir.path().join("store")).unwrap();
    let err = input_error(
        ingest_all(&store, std::slice::from_ref(&zip), false)
            .await
            .unwrap_err(),
    );
    assert!(err.reason.contains("unsafe path"), "{err}");
    assert!(
        err.file.contains("escaped.txt") || err.file.contains("xaudit-absolute"),
        "{err}"
    );
    // The manifest lists files this zip lacks, so even lenient mode refuses it, after
    // recording the unsafe entries; what matters is that nothing landed outside.
    let _ = ingest_all(&store, &[zip], true).await;
    assert!(!dir.path().parent().unwrap().join("escaped.txt").exists());
    assert!(!std::path::Path::new("/tmp/xaudit-absolute.txt").exists());
}

#[tokio::test]
async fn a_zip_bomb_is_stopped_by_the_ratio_and_size_limits() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("bomb.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("data/account.js", o).unwrap();
        z.write_all(&std::fs::read(fixture("archives/current-2026/data/account.js")).unwrap())
            .unwrap();
        z.start_file("data/like.js", o).unwrap();
        z.write_all(b"window.YTD.like.part0 = [ ").unwrap();
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..64 {
            z.write_all(&zeros).unwrap();
        }
        z.write_all(b"]").unwrap();
        z.finish().unwrap();
    }
    let store = Store::at(dir.path().join("store")).unwrap();
    let opts = xaudit::ingest::IngestOptions {
        limits: xaudit::readers::archive::ZipLimits {
            max_unpacked_bytes: 1 << 30,
            max_ratio: 100,
        },
        ..Default::default()
    };
    let err = input_error(
        xaudit::ingest::ingest(
            &store,
            std::slice::from_ref(&zip),
            &opts,
            &indicatif::ProgressBar::hidden(),
        )
        .await
        .unwrap_err(),
    );
    assert!(err.reason.contains("compression ratio"), "{err}");
    let opts = xaudit::ingest::IngestOptions {
        limits: xaudit::readers::archive::ZipLimits {
            max_unpacked_bytes: 10 << 20,
            max_ratio: 1_000_000,
        },
        ..Default::default()
    };
    let err = input_error(
        xaudit::ingest::ingest(&store, &[zip], &opts, &indicatif::ProgressBar::hidden())
            .await
            .unwrap_err(),
    );
    assert!(err.reason.contains("over the limit"), "{err}");
}

/// A part the manifest lists but the export lacks is no silent loss: since issue 22 it is no
/// error either (people strip exports before handing them over), but a notice and a row in
/// `absent_files`, and the rules on posts say they could not look, naming the part.
#[tokio::test]
async fn a_part_listed_in_the_manifest_but_missing_is_recorded_not_a_silent_loss() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("archive");
    copy_dir(&fixture("archives/current-2026"), &a);
    std::fs::remove_file(a.join("data/tweets-part1.js")).unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let report = ingest_all(&store, &[a], false).await.unwrap();
    assert!(
        report
            .notices
            .iter()
            .any(|n| n.contains("tweets-part1.js") && n.contains("absent")),
        "{:?}",
        report.notices
    );
    let absent = rows(&store, "SELECT file FROM absent_files").await;
    assert_eq!(
        absent,
        [serde_json::json!({"file": "data/tweets-part1.js"})]
    );
    let audit = audit_default(&store).await;
    let dup = audit.accounts[0]
        .rules
        .iter()
        .find(|r| r.rule == "duplicate_posts")
        .unwrap();
    assert_eq!(dup.status, xaudit::model::Status::NotEvaluable);
    assert!(
        dup.reason.contains("data/tweets-part1.js"),
        "{}",
        dup.reason
    );
}

#[test]
fn the_cli_exits_2_and_names_the_problem_for_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("notes.txt");
    std::fs::write(&bad, "hello, world\n").unwrap();
    let out = xaudit(&[
        "ingest",
        "--store",
        dir.path().join("s").to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("notes.txt") && err.contains("expected an X archive"),
        "{err}"
    );

    let missing = xaudit(&[
        "ingest",
        "--store",
        dir.path().join("s").to_str().unwrap(),
        "/no/such/file.zip",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no such file"),
        "{}",
        stderr(&missing)
    );

    let no_store = xaudit(&[
        "sql",
        "--store",
        dir.path().join("none").to_str().unwrap(),
        "SELECT 1",
    ]);
    assert_eq!(no_store.status.code(), Some(2));
    assert!(stderr(&no_store).contains("no xaudit store here"));
}

#[test]
fn bad_sql_is_an_error_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("s");
    let ok = xaudit(&[
        "ingest",
        "--store",
        s.to_str().unwrap(),
        fixture("trends/place.json").to_str().unwrap(),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let out = xaudit(&["sql", "--store", s.to_str().unwrap(), "SELEC nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("query failed"), "{}", stderr(&out));
}

#[tokio::test]
async fn lenient_mode_keeps_going_past_a_truncated_data_file_and_a_corrupt_zip() {
    let dir = tempfile::tempdir().unwrap();
    // like.js cut off in the middle of a record; every other file of the archive is fine.
    let a = archive_with(dir.path(), "like.js", b"window.YTD.like.part0 = [\n  { \"like\" : { \"tweetId\" : \"1\" } },\n  { \"like\" : { \"tweetId\" : \"2\" ");
    let zip = dir.path().join("export.zip");
    zip_dir(&fixture("archives/gdpr-2020"), &zip, "");
    let bytes = std::fs::read(&zip).unwrap();
    let cut = dir.path().join("cut.zip");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    assert!(
        ingest_all(&store, &[a.clone(), cut.clone()], false)
            .await
            .is_err(),
        "strict mode stops"
    );
    let report = ingest_all(&store, &[a, cut], true).await.unwrap();
    assert_eq!(report.rejects, 2);
    let rejects = rows(&store, "SELECT source, reason FROM rejects ORDER BY source").await;
    let reason_of = |suffix: &str| {
        rejects
            .iter()
            .find(|r| r["source"].as_str().unwrap().ends_with(suffix))
            .map(|r| r["reason"].as_str().unwrap().to_string())
    };
    assert!(
        reason_of("cut.zip")
            .unwrap()
            .contains("truncated or corrupt"),
        "{rejects:?}"
    );
    assert!(
        reason_of("data/like.js").unwrap().contains("truncated"),
        "{rejects:?}"
    );
    // The rest of the archive is in.
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM events WHERE kind = 'post' AND account_id = '1700000000000000001'"
        )
        .await,
        6
    );
    // A snapshot cut short is not a snapshot: diffing part of one against the next archive would
    // invent unlikes, so none of its members is used.
    assert_eq!(
        count(&store, "SELECT count(*) FROM events WHERE kind = 'like'").await,
        0
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM snapshots WHERE relation = 'like'"
        )
        .await,
        0
    );
}

/// Issue 17: an ingest that failed after events were written returned its error while the last
/// event file was still being written on another task, which then panicked inside object_store
/// ("Already shut down") as the runtime stopped: 17 of 20 runs before the fix.
#[test]
fn a_failed_ingest_waits_for_its_event_files_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("archive");
    copy_dir(&fixture("archives/current-2026"), &a);
    let part = a.join("data/tweets-part1.js");
    let text = std::fs::read(&part).unwrap();
    std::fs::write(&part, &text[..300]).unwrap();
    for run in 0..8 {
        let store = dir.path().join(format!("store{run}"));
        let o = xaudit(&[
            "ingest",
            "--store",
            store.to_str().unwrap(),
            a.to_str().unwrap(),
            fixture("webhooks").to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("truncated"), "{}", stderr(&o));
        assert!(
            !stderr(&o).contains("panicked"),
            "run {run}: {}",
            stderr(&o)
        );
    }
}

/// Issue 17: a time the engine cannot hold (it computes in nanoseconds: 1677 to 2262) was
/// accepted by ingest, and from then on every audit of the store failed. Each input kind refuses
/// it at the door, naming the file, the record and the value; `--lenient` keeps it in `rejects`
/// and the audit of the rest works.
#[tokio::test]
async fn a_time_the_engine_cannot_hold_is_refused_at_the_door() {
    let dir = tempfile::tempdir().unwrap();
    let generic = dir.path().join("log.jsonl");
    std::fs::write(
        &generic,
        concat!(
            r#"{"account_id":"42","ts":"2026-03-01T10:00:00Z","kind":"post","text":"fine"}"#,
            "\n",
            r#"{"account_id":"42","ts":"2300-01-01T00:00:00Z","kind":"post","text":"typo year"}"#,
            "\n"
        ),
    )
    .unwrap();
    let webhook = dir.path().join("hooks.jsonl");
    let line = std::fs::read_to_string(fixture("webhooks/account-activity.jsonl"))
        .unwrap()
        .lines()
        .find(|l| l.contains("tweet_create_events"))
        .unwrap()
        .replacen(" 2026\"", " 2300\"", 1);
    std::fs::write(&webhook, line + "\n").unwrap();
    let archive = dir.path().join("archive");
    copy_dir(&fixture("archives/current-2026"), &archive);
    let tweets = archive.join("data/tweets.js");
    let text = std::fs::read_to_string(&tweets).unwrap();
    std::fs::write(&tweets, text.replacen("+0000 2026\"", "+0000 9999\"", 1)).unwrap();

    for (input, file) in [
        (&generic, "log.jsonl"),
        (&webhook, "hooks.jsonl"),
        (&archive, "tweets.js"),
    ] {
        let store = Store::at(dir.path().join(format!("strict-{file}"))).unwrap();
        let err = input_error(
            ingest_all(&store, std::slice::from_ref(input), false)
                .await
                .unwrap_err(),
        );
        assert!(err.file.ends_with(file), "{err}");
        assert!(err.reason.contains("1677 to 2262"), "{err}");
        assert!(err.position.record.is_some(), "{err}");
    }

    let store = Store::at(dir.path().join("lenient")).unwrap();
    let report = ingest_all(&store, &[generic], true).await.unwrap();
    assert_eq!(report.rejects, 1);
    let rejects = rows(&store, "SELECT reason FROM rejects").await;
    assert!(
        rejects[0]["reason"]
            .as_str()
            .unwrap()
            .contains("2300-01-01"),
        "{rejects:?}"
    );
    audit_default(&store).await;
}

/// Issue 17: side rows hold times too (an account's creation, an app's approval, a trend
/// snapshot's moment, an archive's generation date): each is refused like an event's time, naming
/// the file, the row and the value, and `--lenient` keeps the rest.
#[tokio::test]
async fn a_side_row_time_the_engine_cannot_hold_is_refused_at_the_door() {
    let dir = tempfile::tempdir().unwrap();
    let edit = |name: &str, file: &str, from: &str, to: &str| {
        let archive = dir.path().join(name);
        copy_dir(&fixture("archives/current-2026"), &archive);
        let path = archive.join("data").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has {from}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        archive
    };
    let created = edit(
        "created",
        "account.js",
        "\"2023-09-14T10:00:00.000Z\"",
        "\"0023-09-14T10:00:00.000Z\"",
    );
    let approved = edit(
        "approved",
        "connected-application.js",
        "\"2024-01-10T12:00:00.000Z\"",
        "\"2400-01-10T12:00:00.000Z\"",
    );
    let generated = edit(
        "generated",
        "manifest.js",
        "\"2026-03-06T13:15:31.187Z\"",
        "\"9026-03-06T13:15:31.187Z\"",
    );
    let trends = dir.path().join("trends.jsonl");
    let line = std::fs::read_to_string(fixture("trends/hourly.jsonl"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .replacen("\"as_of\":\"2026-", "\"as_of\":\"2300-", 1);
    std::fs::write(&trends, line + "\n").unwrap();

    for (input, file, what) in [
        (
            &created,
            "created: data/account.js",
            "created_at 0023-09-14",
        ),
        // The approval is also an `app_connected` event: refused with its record.
        (
            &approved,
            "approved/data/connected-application.js (record 1)",
            "2400-01-10",
        ),
        (
            &generated,
            "generated: the archive's generation date (data/manifest.js generationDate)",
            "9026-03-06",
        ),
        (&trends, "trends.jsonl (record 0)", "as_of 2300-"),
    ] {
        let store = Store::at(dir.path().join(format!("strict-{what}"))).unwrap();
        let err = ingest_all(&store, std::slice::from_ref(input), false)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(file), "{err}");
        assert!(err.contains(what), "{err}");
        assert!(err.contains("1677 to 2262"), "{err}");
        // The tables exist (made empty before reading), and nothing is in them.
        assert!(
            store.version().await.unwrap() <= Some(0),
            "nothing stored: {err}"
        );
    }
    let store = Store::at(dir.path().join("lenient")).unwrap();
    let report = ingest_all(&store, &[created, trends], true).await.unwrap();
    assert_eq!(report.rejects, 2);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM accounts WHERE created_at IS NOT NULL"
        )
        .await,
        0
    );
    audit_default(&store).await;
}

/// Issue 17: SIGINT or SIGTERM during an ingest (here with event files written and being written
/// out, before the first commit) stops it cleanly: exit 2, a message, no panic output, and the
/// store exactly as it was.
#[tokio::test]
async fn a_signal_during_an_ingest_stops_it_cleanly_and_leaves_the_store_as_it_was() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let store = Store::at(&root).unwrap();
    ingest_all(&store, &[fixture("logs/bot-actions.jsonl")], false)
        .await
        .unwrap();
    let version = store.version().await.unwrap();
    let before = rows(&store, "SELECT count(*) AS n FROM events").await;
    for signal in ["-INT", "-TERM"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xaudit"))
            .args(["ingest", "--store", root.to_str().unwrap()])
            .arg(fixture("archives/current-2026"))
            .env("XAUDIT_PAUSE_AT", "ingest-before-side-tables")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        while !seen.contains("paused at") {
            let mut line = String::new();
            assert!(err.read_line(&mut line).unwrap() > 0, "ended early: {seen}");
            seen.push_str(&line);
        }
        let killed = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
        seen.push_str(&rest);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(2), "{signal}: {seen}");
        assert!(seen.contains("stopped by a signal"), "{signal}: {seen}");
        assert!(!seen.contains("panicked"), "{signal}: {seen}");
        assert_eq!(store.version().await.unwrap(), version, "{signal}");
        assert_eq!(
            rows(&store, "SELECT count(*) AS n FROM events").await,
            before
        );
        assert_eq!(count(&store, "SELECT count(*) FROM accounts").await, 0);
    }
}
