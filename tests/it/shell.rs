//! `xaudit shell` driven from stdin: statements over several lines, commands, output formats,
//! results computed with xaudit's functions and views, and a failing script naming its line.

use crate::common::*;
use xaudit::store::Store;

#[tokio::test(flavor = "multi_thread")]
async fn a_script_on_stdin_returns_rows_computed_with_udfs_and_views() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_all(
        &Store::at(&store).unwrap(),
        &[fixture("rules/duplicate_posts/fire")],
        false,
    )
    .await
    .unwrap();
    let script = "\
-- a comment before the first statement
SELECT normalize_text('İSTANBUL &amp; Izmir @bot https://t.co/x #Trend!') AS norm,
       personal_data('card 4111 1111 1111 1111') IS NOT NULL AS has_card;
\\format csv
SELECT count(*) > 0 AS clustered FROM post_clusters;
SELECT DISTINCT client_class(client) AS class FROM events WHERE client IS NOT NULL ORDER BY 1;
SELECT make_array('a', 'b') AS nested
";
    let o = shell(&store, script, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let mut parts = out.splitn(2, '\n');
    let first: serde_json::Value = serde_json::from_str(parts.next().unwrap()).unwrap();
    assert_eq!(first[0]["norm"], "istanbul izmir trend");
    assert_eq!(first[0]["has_card"], true);
    let rest = parts.next().unwrap();
    assert!(
        rest.starts_with("clustered\ntrue\n"),
        "the near-duplicate views are there: {rest}"
    );
    assert!(rest.contains("class\n"), "{rest}");
    assert!(
        rest.ends_with("nested\n\"[a, b]\"\n"),
        "CSV shows nested values as text: {rest}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_list_tables_and_functions_and_a_bad_statement_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_all(
        &Store::at(&store).unwrap(),
        &[fixture("logs/bot-actions.csv")],
        false,
    )
    .await
    .unwrap();
    let o = shell(&store, "\\d\n\\d findings\n\\df\n", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    for name in [
        "events",
        "findings",
        "suppressions",
        "store_versions",
        "post_clusters",
        "fingerprint",
        "minhash_signature",
        "sliding_bursts",
    ] {
        assert!(out.contains(name), "{name} missing from:\n{out}");
    }
    // `\df` says what each function does; `\df NAME` gives its syntax and documentation, which
    // `xaudit explain` shows too.
    assert!(
        out.contains("url_site               the site a host belongs to"),
        "{out}"
    );
    let o = shell(&store, "\\df url_site\n\\df nope\n", &[]);
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(
        out.starts_with("url_site(host)\n\n  the site a host belongs to"),
        "{out}"
    );
    assert!(stderr(&o).contains("no xaudit function"), "{}", stderr(&o));
    let o = xaudit(&["explain", "url_site"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        String::from_utf8(o.stdout)
            .unwrap()
            .starts_with("url_site(host)")
    );
    let o = xaudit(&["rules", "--functions", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|f| { f["syntax"] == "sliding_bursts(ts, event_id, window_seconds, threshold)" })
    );

    let o = shell(
        &store,
        "SELECT 1;\n\nSELECT nope\n  FROM events;\nSELECT 3;",
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("statement at line 3"), "{err}");
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("| 3 "),
        "stops at the error"
    );
}

/// The statements of issue 19's splitter failures, `\pset`, `\quiet` and `\i`, run as a script,
/// and the same through `-c` and `-f` of `shell` and `sql`.
#[tokio::test(flavor = "multi_thread")]
async fn scripts_split_as_sqlparser_tokenizes_and_take_psql_commands() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_all(
        &Store::at(&store).unwrap(),
        &[fixture("logs/bot-actions.csv")],
        false,
    )
    .await
    .unwrap();
    let included = dir.path().join("more.sql");
    std::fs::write(&included, "SELECT 'from the file' AS source;\n").unwrap();
    let script = format!(
        "\\pset format csv\n\\quiet\n\
         SELECT 1 /* nested /* ; */ still a comment ; */ AS nested;\n\
         SELECT 2 /*/ ; */ AS slash_star_slash;\n\
         SELECT length($$a;b$$) AS dollar;\n\
         \\i {}\n\
         /* the script ends in a block comment */\n",
        included.display()
    );
    let o = shell(&store, &script, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        out,
        "nested\n1\nslash_star_slash\n2\ndollar\n3\nsource\nfrom the file\n"
    );

    // -c and -f, for shell and sql alike; an error in a file names the file and line.
    for command in ["shell", "sql"] {
        let o = xaudit(&[
            command,
            "--store",
            store.to_str().unwrap(),
            "--format",
            "csv",
            "-c",
            "SELECT 40 + 2 AS answer; SELECT 'two' AS second",
            "-f",
            included.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{command}: {}", stderr(&o));
        assert_eq!(
            String::from_utf8(o.stdout).unwrap(),
            "answer\n42\nsecond\ntwo\nsource\nfrom the file\n",
            "{command}"
        );
    }
    let bad = dir.path().join("bad.sql");
    std::fs::write(&bad, "SELECT 1;\nSELECT nope FROM nowhere;\n").unwrap();
    let o = xaudit(&[
        "sql",
        "--store",
        store.to_str().unwrap(),
        "-f",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bad.sql") && err.contains("line 2"), "{err}");
}

/// Results stream (issue 19): rows leave as the query yields them, so a reader that stops early
/// ends a query of two billion rows at once instead of waiting for it to be collected; on a
/// terminal a result shows its first 40 rows (as datafusion-cli does), into a pipe all of them;
/// `--maxrows` and `\pset maxrows` choose.
#[test]
fn results_stream_and_a_terminal_shows_the_first_forty_rows() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_cli(&store, &[&fixture("logs/bot-actions.csv")]);
    let s = store.to_str().unwrap();
    let hundred = "SELECT value FROM generate_series(1, 100) ORDER BY value";

    if let Some(tty) = on_a_pty(&format!(
        "{} sql --store {s} '{hundred}'",
        env!("CARGO_BIN_EXE_xaudit")
    )) {
        assert!(tty.contains("| 40 "), "{tty}");
        assert!(!tty.contains("| 41 "), "{tty}");
        assert!(tty.contains("40 of 100 rows shown"), "{tty}");
    }
    let piped = xaudit(&["sql", "--store", s, "--format", "csv", hundred]);
    assert_eq!(String::from_utf8_lossy(&piped.stdout).lines().count(), 101);
    assert!(stderr(&piped).is_empty(), "{}", stderr(&piped));
    let cut = xaudit(&[
        "sql",
        "--store",
        s,
        "--format",
        "csv",
        "--maxrows",
        "5",
        hundred,
    ]);
    assert_eq!(
        String::from_utf8_lossy(&cut.stdout),
        "value\n1\n2\n3\n4\n5\n"
    );
    assert!(
        stderr(&cut).contains("5 of 100 rows shown"),
        "{}",
        stderr(&cut)
    );
    let o = shell(
        &store,
        &format!("\\pset maxrows 2\n{hundred};\n\\pset maxrows 0\n{hundred};\n"),
        &["--format", "csv"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap().lines().count(),
        3 + 101
    );

    // Two billion rows would not fit in memory collected: streamed, the first rows arrive and
    // closing the pipe ends the query (exit 0, as for any closed pipe).
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xaudit"))
        .args([
            "sql",
            "--store",
            s,
            "--format",
            "csv",
            "SELECT value FROM generate_series(1, 2000000000)",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "value");
    assert_eq!(lines.next().unwrap().unwrap(), "1");
    drop(lines);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
