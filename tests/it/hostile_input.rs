//! Hostile and damaged input (issue 18): no panic reaches the user, nothing is lost without an
//! error or a reject, and odd files (pipes, links, marks, huge first records) are handled by one
//! rule for every format.

use std::path::{Path, PathBuf};

use crate::common::*;
use xaudit::InputError;
use xaudit::readers::Output;
use xaudit::readers::generic::{self, Format};
use xaudit::store::Store;

/// Read one generic Parquet file as `ingest` does, without a store.
fn read_parquet(path: &Path) -> Result<u64, InputError> {
    let (tx, _rx) = tokio::sync::mpsc::channel(64);
    let mut out = Output::new(tx, false);
    let shown = path.display().to_string();
    let read = generic::read(path, &shown, Format::Parquet, &mut out);
    out.finish();
    read
}

#[test]
fn corrupt_parquet_never_panics_and_every_error_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = generic_parquet();
    let path = dir.path().join("actions.parquet");
    std::fs::write(&path, &good).unwrap();
    assert_eq!(read_parquet(&path).unwrap(), 3);

    // Every byte flipped three ways, and the file cut at every length: a panic here fails the
    // test; an error must name the file.
    let mut decoder_failures = Vec::new();
    let mut errors = 0;
    let mut damaged: Vec<Vec<u8>> = Vec::new();
    for i in 0..good.len() {
        for flip in [0xFFu8, 0x01, 0x80] {
            let mut bad = good.clone();
            bad[i] ^= flip;
            damaged.push(bad);
        }
        damaged.push(good[..i].to_vec());
    }
    for bad in damaged {
        std::fs::write(&path, &bad).unwrap();
        if let Err(e) = read_parquet(&path) {
            errors += 1;
            assert_eq!(e.file, path.display().to_string(), "{e}");
            if e.reason.contains("the decoder failed") {
                decoder_failures.push(bad);
            }
        }
    }
    assert!(
        errors > good.len(),
        "damage went unnoticed: {errors} errors"
    );
    eprintln!(
        "{errors} damaged files refused, {} of them by a decoder panic turned into an error",
        decoder_failures.len()
    );

    // Through the command line: exit 2, the file named, no panic text.
    if let Some(bad) = decoder_failures.first() {
        std::fs::write(&path, bad).unwrap();
        let out = xaudit(&[
            "ingest",
            "--store",
            dir.path().join("s").to_str().unwrap(),
            path.to_str().unwrap(),
        ]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("actions.parquet"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        let events = xaudit(&[
            "sql",
            "--store",
            dir.path().join("s").to_str().unwrap(),
            "--format",
            "csv",
            "SELECT count(*) AS n FROM events",
        ]);
        let counted = String::from_utf8_lossy(&events.stdout).into_owned();
        assert!(counted.trim().ends_with('0'), "nothing stored: {counted}");
    }
}

#[test]
fn a_truncated_parquet_file_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let good = generic_parquet();
    let path = dir.path().join("cut.parquet");
    std::fs::write(&path, &good[..good.len() - 3]).unwrap();
    let e = read_parquet(&path).unwrap_err();
    assert!(
        e.reason.contains("does not end with the Parquet magic"),
        "{e}"
    );
}

#[tokio::test]
async fn a_csv_quote_left_open_is_an_error_at_the_line_it_opened() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("log.csv");
    std::fs::write(
        &csv,
        "account_id,ts,kind,text\n\
         1,2026-03-01T10:00:00Z,post,fine\n\
         1,2026-03-01T10:01:00Z,post,\"never closed\n\
         1,2026-03-01T10:02:00Z,post,swallowed\n\
         1,2026-03-01T10:03:00Z,post,swallowed too\n",
    )
    .unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let errs = input_errors(
        ingest_all(&store, std::slice::from_ref(&csv), false)
            .await
            .unwrap_err(),
    );
    assert_eq!(errs[0].position.line, Some(3), "{}", errs[0]);
    assert!(errs[0].reason.contains("never closed"), "{}", errs[0]);

    let report = ingest_all(&store, &[csv], true).await.unwrap();
    assert_eq!(report.events_added, 1, "only the row before the open quote");
    assert_eq!(report.rejects, 1);
    let reasons = rows(&store, "SELECT line, reason FROM rejects").await;
    assert_eq!(reasons[0]["line"], 3);
}

#[tokio::test]
async fn a_trend_csv_quote_left_open_is_an_error_too() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("trends.csv");
    std::fs::write(
        &csv,
        "name,as_of,woeid\n#Fine,2026-03-01T10:00:00Z,1\n\"#Open,2026-03-01T10:00:00Z,1\n#Lost,2026-03-01T10:00:00Z,1\n",
    )
    .unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let errs = input_errors(ingest_all(&store, &[csv], false).await.unwrap_err());
    assert_eq!(errs[0].position.line, Some(3), "{}", errs[0]);
}

/// An inbox: a good log, a README, and a file meant as data that is not recognizable.
fn inbox_with_a_damaged_log(dir: &Path) -> PathBuf {
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::copy(fixture("logs/bot-actions.jsonl"), inbox.join("a.jsonl")).unwrap();
    std::fs::write(inbox.join("README.md"), "# what this folder is\n").unwrap();
    std::fs::write(inbox.join("b.jsonl"), "}{ damaged first line\n{\"x\":1}\n").unwrap();
    inbox
}

#[tokio::test]
async fn a_folder_input_never_skips_a_data_file_it_cannot_recognize() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = inbox_with_a_damaged_log(dir.path());
    let store = Store::at(dir.path().join("store")).unwrap();
    let errs = input_errors(
        ingest_all(&store, std::slice::from_ref(&inbox), false)
            .await
            .unwrap_err(),
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].file.ends_with("b.jsonl"), "{}", errs[0]);
    assert_eq!(store.version().await.unwrap(), None, "nothing written");

    let report = ingest_all(&store, &[inbox], true).await.unwrap();
    assert!(report.events_added > 0);
    let rejects = rows(&store, "SELECT source FROM rejects").await;
    assert_eq!(rejects.len(), 1);
    assert!(rejects[0]["source"].as_str().unwrap().ends_with("b.jsonl"));
    assert!(
        report
            .notices
            .iter()
            .any(|n| n.contains("README.md") && n.contains("not data")),
        "{:?}",
        report.notices
    );
}

#[test]
fn nightly_fails_on_an_inbox_file_it_cannot_recognize_and_rejects_it_when_lenient() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = inbox_with_a_damaged_log(dir.path());
    let run = |extra: &[&str]| {
        let mut args = vec![
            "nightly",
            "--store",
            dir.path().join("s").to_str().unwrap(),
            "--inbox",
            inbox.to_str().unwrap(),
            "--reports",
            dir.path().join("r").to_str().unwrap(),
            "--now",
            "2026-04-01T02:00:00Z",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        xaudit(&args)
    };
    let strict = run(&[]);
    assert_eq!(strict.status.code(), Some(2), "{}", stderr(&strict));
    assert!(stderr(&strict).contains("b.jsonl"), "{}", stderr(&strict));

    let lenient = run(&["--lenient"]);
    assert_ne!(lenient.status.code(), Some(2), "{}", stderr(&lenient));
    let rejects = xaudit(&[
        "sql",
        "--store",
        dir.path().join("s").to_str().unwrap(),
        "--format",
        "csv",
        "SELECT source FROM rejects",
    ]);
    assert!(
        String::from_utf8_lossy(&rejects.stdout).contains("b.jsonl"),
        "{}",
        String::from_utf8_lossy(&rejects.stdout)
    );
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

/// Runs xaudit, failing the test instead of hanging if it does not end within a minute.
#[cfg(unix)]
fn xaudit_within_a_minute(args: &[&str]) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xaudit"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("xaudit {args:?} hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn a_named_pipe_is_refused_at_once_given_directly_or_inside_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.jsonl");
    mkfifo(&fifo);
    let store = dir.path().join("s");
    let out = xaudit_within_a_minute(&[
        "ingest",
        "--store",
        store.to_str().unwrap(),
        fifo.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("named pipe"), "{}", stderr(&out));

    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    std::fs::copy(fixture("logs/bot-actions.jsonl"), inbox.join("a.jsonl")).unwrap();
    mkfifo(&inbox.join("b.jsonl"));
    let out = xaudit_within_a_minute(&[
        "ingest",
        "--store",
        store.to_str().unwrap(),
        inbox.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("named pipe"), "{}", stderr(&out));
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_in_an_archive_folder_are_read_inside_it_and_refused_outside_it() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let plain = Store::at(dir.path().join("plain")).unwrap();
    let expected = ingest_all(&plain, &[fixture("archives/current-2026")], false)
        .await
        .unwrap()
        .events_added;

    // tweets.js moved to another folder of the archive and linked back: read as before.
    let inside = dir.path().join("inside");
    copy_dir(&fixture("archives/current-2026"), &inside);
    std::fs::create_dir(inside.join("kept")).unwrap();
    std::fs::rename(inside.join("data/tweets.js"), inside.join("kept/tweets.js")).unwrap();
    symlink(inside.join("kept/tweets.js"), inside.join("data/tweets.js")).unwrap();
    let store = Store::at(dir.path().join("s1")).unwrap();
    let read = ingest_all(&store, &[inside], false).await.unwrap();
    assert_eq!(read.events_added, expected);

    // A data file and the manifest linked to files outside the archive: refused, both.
    for file in ["tweets.js", "manifest.js"] {
        let outside = dir.path().join(format!("outside-{file}"));
        let elsewhere = dir.path().join(format!("elsewhere-{file}"));
        copy_dir(&fixture("archives/current-2026"), &outside);
        std::fs::rename(outside.join("data").join(file), &elsewhere).unwrap();
        symlink(&elsewhere, outside.join("data").join(file)).unwrap();
        let store = Store::at(dir.path().join(format!("s-{file}"))).unwrap();
        let errs = input_errors(
            ingest_all(&store, std::slice::from_ref(&outside), false)
                .await
                .unwrap_err(),
        );
        assert!(
            errs.iter()
                .any(|e| e.file.ends_with(file) && e.reason.contains("outside the archive")),
            "{errs:?}"
        );
        let lenient = ingest_all(&store, &[outside], true).await.unwrap();
        assert!(lenient.rejects >= 1);
    }

    // The whole data folder linked to one elsewhere: refused too.
    let linked = dir.path().join("linked");
    std::fs::create_dir(&linked).unwrap();
    copy_dir(
        &fixture("archives/current-2026/data"),
        &dir.path().join("far"),
    );
    symlink(dir.path().join("far"), linked.join("data")).unwrap();
    let store = Store::at(dir.path().join("s-data")).unwrap();
    let errs = input_errors(ingest_all(&store, &[linked], false).await.unwrap_err());
    assert!(errs[0].reason.contains("outside the archive"), "{errs:?}");
}

#[tokio::test]
async fn a_byte_order_mark_is_accepted_by_every_text_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = Vec::new();
    for (rel, name) in [
        ("webhooks/account-activity.jsonl", "webhook.jsonl"),
        ("logs/bot-actions.jsonl", "generic.jsonl"),
        ("logs/bot-actions.csv", "generic.csv"),
        ("trends/hourly.jsonl", "trends.jsonl"),
        ("trends/snapshots.csv", "trends.csv"),
    ] {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(std::fs::read(fixture(rel)).unwrap());
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        inputs.push((fixture(rel), p));
    }
    for (plain, marked) in inputs {
        let a = Store::at(dir.path().join("a")).unwrap();
        let b = Store::at(dir.path().join("b")).unwrap();
        let with = ingest_all(&b, std::slice::from_ref(&marked), false)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", marked.display()));
        let without = ingest_all(&a, &[plain], false).await.unwrap();
        assert_eq!(
            with.events_added,
            without.events_added,
            "{}",
            marked.display()
        );
        assert_eq!(
            with.trends_added,
            without.trends_added,
            "{}",
            marked.display()
        );
        std::fs::remove_dir_all(dir.path().join("a")).unwrap();
        std::fs::remove_dir_all(dir.path().join("b")).unwrap();
    }
}

#[tokio::test]
async fn a_generic_log_whose_first_record_is_over_64_kib_is_recognized() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("big.jsonl");
    let text = "x".repeat(100 * 1024);
    std::fs::write(
        &log,
        format!(
            "{{\"text\":\"{text}\",\"account_id\":\"1\",\"ts\":\"2026-03-01T10:00:00Z\",\"kind\":\"post\"}}\n"
        ),
    )
    .unwrap();
    assert_eq!(
        xaudit::readers::detect(&log).unwrap(),
        xaudit::readers::InputKind::Generic
    );
    let store = Store::at(dir.path().join("s")).unwrap();
    assert_eq!(
        ingest_all(&store, &[log], false)
            .await
            .unwrap()
            .events_added,
        1
    );
}

/// Found by the `trend_log` fuzz target: a trend CSV row with `rank` 0 overflowed.
#[tokio::test]
async fn a_trend_rank_of_zero_is_a_bad_record_not_an_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("trends.csv");
    std::fs::write(
        &csv,
        "as_of,rank,name\n2026-03-02T11:00:00Z,0,#Zero\n2026-03-02T11:00:00Z,1,#One\n",
    )
    .unwrap();
    let store = Store::at(dir.path().join("store")).unwrap();
    let errs = input_errors(
        ingest_all(&store, std::slice::from_ref(&csv), false)
            .await
            .unwrap_err(),
    );
    assert!(errs[0].reason.contains("ranks count from 1"), "{}", errs[0]);
    let report = ingest_all(&store, &[csv], true).await.unwrap();
    assert_eq!((report.trends_added, report.rejects), (1, 1));
}
