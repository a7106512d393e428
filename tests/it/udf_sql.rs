//! xaudit's SQL functions, called from SQL as rules call them, with NULLs and empty groups.

use datafusion::prelude::SessionContext;

async fn query(sql: &str) -> Vec<serde_json::Value> {
    let ctx = SessionContext::new();
    xaudit::udf::register_all(&ctx);
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let mut buf = Vec::new();
    {
        let mut w = datafusion::arrow::json::ArrayWriter::new(&mut buf);
        for b in &batches {
            w.write(b).unwrap();
        }
        w.finish().unwrap();
    }
    if buf.is_empty() {
        Vec::new()
    } else {
        serde_json::from_slice(&buf).unwrap()
    }
}

#[tokio::test]
async fn scalar_functions_map_null_to_null() {
    let r = query(
        "SELECT client_class(CAST(NULL AS VARCHAR)) AS a, consent_phrase(CAST(NULL AS VARCHAR)) AS b,
                snowflake_time(CAST(NULL AS VARCHAR)) AS c",
    )
    .await;
    assert_eq!(
        r[0],
        serde_json::json!({}),
        "all NULL (the JSON writer omits NULL fields)"
    );
}

#[tokio::test]
async fn scalar_functions_on_values() {
    let r = query(
        "SELECT client_class('IFTTT') AS feed, client_class('Twitter for Android') AS official, client_class('HelpBot') AS app, client_class('Echofon') AS manual,
                client_acts('Echofon', 'reply') AS typed, client_acts('IFTTT', 'post') AS machine, client_acts('HelpBot', 'post') AS unknown,
                consent_phrase('İPTAL') AS tr, consent_phrase('Afmelden') AS nl, consent_phrase('don''t stop the music') AS none,
                CAST(snowflake_time('844454048556355584') AS VARCHAR) AS created, snowflake_time('12') AS pre_snowflake",
    )
    .await;
    assert_eq!(r[0]["feed"], "feed");
    assert_eq!(r[0]["official"], "official");
    assert_eq!(r[0]["app"], "unknown");
    assert_eq!(r[0]["manual"], "manual");
    // A person typing in Echofon acted; IFTTT posts without one; an unknown app says nothing.
    assert_eq!(r[0]["typed"], false);
    assert_eq!(r[0]["machine"], true);
    assert_eq!(r[0]["unknown"], serde_json::Value::Null);
    assert_eq!(r[0]["tr"], "opt_out");
    assert_eq!(r[0]["nl"], "opt_out");
    assert!(r[0].get("none").is_none());
    assert!(
        r[0]["created"]
            .as_str()
            .unwrap()
            .starts_with("2017-03-22T07:41:49")
    );
    assert!(r[0].get("pre_snowflake").is_none());
}

#[tokio::test]
async fn sliding_bursts_from_sql_ignores_null_times_and_gives_empty_lists_for_quiet_groups() {
    let r = query(
        "WITH t(g, ts, id) AS (VALUES
            ('a', TIMESTAMP '2026-01-01T23:59:00Z', 'a1'), ('a', TIMESTAMP '2026-01-02T00:00:10Z', 'a2'),
            ('a', TIMESTAMP '2026-01-02T00:00:20Z', 'a3'), ('a', CAST(NULL AS TIMESTAMP), 'a4'),
            ('b', TIMESTAMP '2026-01-01T00:00:00Z', 'b1'), ('b', TIMESTAMP '2026-01-01T05:00:00Z', 'b2'))
         SELECT g, sliding_bursts(ts, id, 3600, 2) AS bursts FROM t GROUP BY g ORDER BY g",
    )
    .await;
    let a = &r[0]["bursts"];
    assert_eq!(a.as_array().unwrap().len(), 1, "{a}");
    assert_eq!(a[0]["events"], 3, "a burst across midnight counts");
    assert_eq!(a[0]["evidence"], serde_json::json!(["a1", "a2", "a3"]));
    assert_eq!(r[1]["bursts"], serde_json::json!([]));
}

#[tokio::test]
async fn regular_runs_from_sql_finds_a_ticking_sequence() {
    let r = query(
        "WITH t AS (SELECT to_timestamp_seconds(1767225600 + 30 * value) AS ts, CAST(value AS VARCHAR) AS id FROM generate_series(0, 59))
         SELECT regular_runs(ts, id, 50, 0.3) AS runs FROM t",
    )
    .await;
    assert_eq!(r[0]["runs"][0]["events"], 60);
    assert_eq!(r[0]["runs"][0]["cv"], 0.0);
}

/// `non_api_automation` finds its quick and awake runs with `gap_runs`, on times alone (NULL
/// ids): a pause of the gap or more ends a run, a run needs its minimum of events, and NULL
/// times are ignored.
#[tokio::test]
async fn gap_runs_from_sql_ends_runs_at_a_pause_and_keeps_long_ones() {
    let r = query(
        "WITH t AS (
             SELECT to_timestamp_seconds(1767225600 + 30 * value) AS ts, CAST(value AS VARCHAR) AS id FROM generate_series(0, 59)
             UNION ALL SELECT to_timestamp_seconds(1767225600 + 30 * 59 + 60), 'after a minute'
             UNION ALL SELECT CAST(NULL AS TIMESTAMP), 'no time')
         SELECT gap_runs(ts, id, 60, 50) AS runs, gap_runs(ts, CAST(NULL AS VARCHAR), 61, 50) AS joined FROM t",
    )
    .await;
    let runs = r[0]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["events"], 60);
    assert_eq!(runs[0]["seconds"], 30 * 59);
    assert_eq!(runs[0]["evidence"][0], "0");
    assert_eq!(
        r[0]["joined"][0]["events"], 61,
        "a gap under 61 s joins the last event"
    );
}

/// rate_limits_exceeded passes each family's own limit: 555 DMs in a day (limit 500) went
/// unreported when the posts' limit (2,400), met first in the batch, was applied to every group.
/// Parameters are constant within a group, not across groups.
#[tokio::test]
async fn grouped_sequence_aggregates_take_each_groups_own_parameters() {
    let r = query(
        "WITH t(family, lim, ts, id) AS (VALUES
            ('posts', 5, TIMESTAMP '2026-01-01T10:00:00Z', 'p1'), ('posts', 5, TIMESTAMP '2026-01-01T10:01:00Z', 'p2'),
            ('posts', 5, TIMESTAMP '2026-01-01T10:02:00Z', 'p3'), ('posts', 5, TIMESTAMP '2026-01-01T10:03:00Z', 'p4'),
            ('dms', 2, TIMESTAMP '2026-01-01T10:00:00Z', 'd1'), ('dms', 2, TIMESTAMP '2026-01-01T10:01:00Z', 'd2'),
            ('dms', 2, TIMESTAMP '2026-01-01T10:02:00Z', 'd3'), ('dms', 2, TIMESTAMP '2026-01-01T10:03:00Z', 'd4'))
         SELECT family, cardinality(sliding_bursts(ts, id, 3600, lim)) AS bursts
         FROM t GROUP BY family, lim ORDER BY family",
    )
    .await;
    assert_eq!(r[0]["family"], "dms");
    assert_eq!(r[0]["bursts"], 1, "4 DMs in an hour are over a limit of 2");
    assert_eq!(
        r[1]["bursts"], 0,
        "4 posts in an hour are not over a limit of 5"
    );
}

/// The grouped collecting aggregates (the sequences, `cadence`) collect every group at once (DataFusion's groups
/// accumulators): a group's result must not depend on how its rows were split into batches and
/// partitions, on a FILTER clause's rows, or on DataFusion passing rows straight on as states
/// when a partial aggregate does not reduce them (which it decides by itself on many groups).
#[tokio::test]
async fn grouped_sequence_aggregates_give_each_group_what_it_gives_alone() {
    // 40 groups; group g ticks 200 times every (g + 1) minutes, the last 50 ticks filtered out.
    let data = "WITH t AS (SELECT value % 40 AS g, value / 40 < 150 AS keep,
                    to_timestamp_seconds(1767225600 + (value / 40) * 60 * (value % 40 + 1)) AS ts,
                    CAST(value AS VARCHAR) AS id FROM generate_series(0, 7999))";
    let grouped = format!(
        "{data} SELECT g, sliding_bursts(ts, id, 3600, 20) AS b,
                regular_runs(ts, id, 50, 0.3) FILTER (WHERE keep) AS r, cadence(ts) FILTER (WHERE keep) AS c
         FROM t GROUP BY g ORDER BY g"
    );
    let alone = |g: usize| {
        format!(
            "{data} SELECT sliding_bursts(ts, id, 3600, 20) AS b,
                    (SELECT regular_runs(ts, id, 50, 0.3) FROM t WHERE g = {g} AND keep) AS r,
                    (SELECT cadence(ts) FROM t WHERE g = {g} AND keep) AS c
             FROM t WHERE g = {g}"
        )
    };
    let mut expected = Vec::new();
    for g in 0..40 {
        let mut row = query(&alone(g)).await.remove(0);
        row["g"] = serde_json::json!(g);
        expected.push(row);
    }
    assert!(
        expected[0]["b"].as_array().is_some_and(|b| !b.is_empty())
            && expected[0]["r"].as_array().is_some_and(|r| !r.is_empty()),
        "the data has bursts and runs to compare"
    );
    assert_eq!(expected[0]["r"][0]["events"], 150, "the filter applies");
    assert_eq!(expected[0]["c"]["events"], 150);
    for settings in [
        vec![],
        vec![
            "SET datafusion.execution.batch_size = 100",
            "SET datafusion.execution.target_partitions = 3",
        ],
        vec![
            "SET datafusion.execution.skip_partial_aggregation_probe_rows_threshold = 0",
            "SET datafusion.execution.skip_partial_aggregation_probe_ratio_threshold = 0.0",
            "SET datafusion.execution.batch_size = 512",
        ],
    ] {
        let ctx = SessionContext::new();
        xaudit::udf::register_all(&ctx);
        for set in &settings {
            ctx.sql(set).await.unwrap().collect().await.unwrap();
        }
        let batches = ctx.sql(&grouped).await.unwrap().collect().await.unwrap();
        let mut buf = Vec::new();
        let mut w = datafusion::arrow::json::ArrayWriter::new(&mut buf);
        for b in &batches {
            w.write(b).unwrap();
        }
        w.finish().unwrap();
        let got: Vec<serde_json::Value> = serde_json::from_slice(&buf).unwrap();
        assert_eq!(got, expected, "with {settings:?}");
    }
}

#[test]
fn ad_hoc_sql_has_the_rules_views_and_functions() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let bin = env!("CARGO_BIN_EXE_xaudit");
    let archive = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/archives/current-2026"
    );
    let ok = std::process::Command::new(bin)
        .args(["ingest", "--store", store.to_str().unwrap(), archive])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = std::process::Command::new(bin)
        .args([
            "sql",
            "--store",
            store.to_str().unwrap(),
            "--format",
            "json",
            "SELECT client_class, count(*) AS n FROM activity WHERE kind IN ('post','reply','quote','repost') GROUP BY client_class ORDER BY client_class",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows,
        vec![
            serde_json::json!({"client_class": "feed", "n": 1}),
            serde_json::json!({"client_class": "official", "n": 4}),
            serde_json::json!({"client_class": "unknown", "n": 4}),
        ]
    );
}

#[tokio::test]
async fn text_functions_map_null_to_null() {
    let r = query(
        "SELECT normalize_text(CAST(NULL AS VARCHAR)) AS n, content_hash(CAST(NULL AS VARCHAR)) AS h,
                minhash_signature(CAST(NULL AS VARCHAR)) AS s, lsh_bands(minhash_signature(CAST(NULL AS VARCHAR))) AS b,
                jaccard(CAST(NULL AS VARCHAR), 'a b c') AS j",
    )
    .await;
    assert_eq!(r[0], serde_json::json!({}), "all NULL");
}

#[tokio::test]
async fn normalize_text_handles_empty_turkish_and_non_latin_text() {
    let r = query(
        "SELECT normalize_text('') AS empty, normalize_text('@a https://t.co/x') AS only_links,
                normalize_text('İSTANBUL&amp;Iğdır 🎉 #Gündem') AS tr, normalize_text('Привет, МИР! 123') AS ru,
                normalize_text('東京タワー　ＮＥＷ') AS ja",
    )
    .await;
    assert_eq!(r[0]["empty"], "");
    assert_eq!(r[0]["only_links"], "");
    assert_eq!(r[0]["tr"], "istanbul iğdir gündem");
    assert_eq!(r[0]["ru"], "привет мир 123");
    assert_eq!(r[0]["ja"], "東京タワー new");
}

#[tokio::test]
async fn short_texts_have_no_signature_and_long_ones_have_bands() {
    let r = query(
        "SELECT minhash_signature('two words') AS short, array_length(minhash_signature('three words here')) AS sig,
                array_length(lsh_bands(minhash_signature('three words here'))) AS bands,
                jaccard('thanks a lot', 'thanks a lot') AS same, jaccard('', '') AS empty,
                jaccard('merhaba dünya nasılsın bugün hava çok güzel', 'MERHABA DÜNYA nasılsın bugün hava çok güzel') AS raw,
                jaccard(normalize_text('merhaba dünya nasılsın bugün hava çok güzel'),
                        normalize_text('MERHABA DÜNYA nasılsın bugün hava çok güzel')) AS tr",
    )
    .await;
    assert!(r[0].get("short").is_none(), "under 3 words: NULL");
    assert_eq!(r[0]["sig"], 18);
    assert_eq!(r[0]["bands"], 6);
    assert_eq!(r[0]["same"], 1.0);
    assert_eq!(r[0]["empty"], 0.0);
    assert!(
        r[0]["raw"].as_f64().unwrap() < 0.8,
        "jaccard compares the texts as given"
    );
    assert_eq!(r[0]["tr"], 1.0, "normalized first, case differences vanish");
}

/// The near-duplicate pipeline as rules write it: exact copies group by hash, an edited copy joins
/// through LSH and Jaccard, an unrelated text and a text under 3 words stay out.
#[tokio::test]
async fn near_duplicate_clusters_from_sql() {
    let r = query(
        "WITH t(id, text) AS (VALUES
            ('a', 'Big sale today only: half price on every item in the whole store'),
            ('b', 'Big sale today only: half price on every item in the whole store'),
            ('c', 'BIG SALE today only — half price on every item in the whole store!!'),
            ('d', 'Big sale today only: half price on every item in the whole store now'),
            ('e', 'The cycling club meets at the bridge on Sunday morning'),
            ('f', '@x https://t.co/y')),
         n AS (SELECT id, normalize_text(text) AS norm FROM t),
         c AS (SELECT content_hash(norm) AS content, min(norm) AS norm FROM n GROUP BY content_hash(norm)),
         cand AS (SELECT unnest(lsh_candidates(content, lsh_bands(minhash_signature(norm)))) AS p FROM c),
         edges AS (SELECT cand.p['a'] AS a, cand.p['b'] AS b FROM cand
                   JOIN c ca ON ca.content = cand.p['a'] JOIN c cb ON cb.content = cand.p['b']
                   WHERE jaccard(ca.norm, cb.norm) >= 0.8),
         comp AS (SELECT unnest(connected_components(a, b)) AS m FROM edges)
         SELECT n.id, coalesce(comp.m['cluster'], content_hash(n.norm)) AS cluster
         FROM n LEFT JOIN comp ON content_hash(n.norm) = comp.m['node'] ORDER BY n.id",
    )
    .await;
    let cluster = |i: usize| r[i]["cluster"].as_i64().unwrap();
    assert_eq!(cluster(0), cluster(1), "exact copies");
    assert_eq!(cluster(0), cluster(2), "the same after normalization");
    assert_eq!(cluster(0), cluster(3), "one word added: Jaccard 0.9");
    assert_ne!(cluster(0), cluster(4), "unrelated");
}

#[tokio::test]
async fn near_duplicate_aggregates_on_no_rows_give_empty_lists() {
    let r = query(
        "WITH t(a, b) AS (VALUES (CAST(1 AS BIGINT), CAST(2 AS BIGINT))), e AS (SELECT * FROM t WHERE a > 5)
         SELECT connected_components(a, b) AS comp, lsh_candidates(a, make_array(b)) AS cand FROM e",
    )
    .await;
    assert_eq!(r[0]["comp"], serde_json::json!([]));
    assert_eq!(r[0]["cand"], serde_json::json!([]));
}

#[tokio::test]
async fn cadence_from_sql_describes_a_ticking_account_and_ignores_nulls() {
    let r = query(
        "WITH t AS (
           SELECT 'bot' AS who, to_timestamp_seconds(1767225600 + 3600 * value) AS ts FROM generate_series(0, 47)
           UNION ALL SELECT 'bot', CAST(NULL AS TIMESTAMP)
           UNION ALL SELECT 'empty', CAST(NULL AS TIMESTAMP))
         SELECT who, cadence(ts) AS c FROM t GROUP BY who ORDER BY who",
    )
    .await;
    let bot = &r[0]["c"];
    assert_eq!(bot["events"], 48, "NULL times are ignored");
    assert_eq!(bot["gap_cv"], 0.0);
    assert_eq!(bot["longest_active_hours"], 47.0);
    assert!((bot["hour_entropy"].as_f64().unwrap() - 24f64.log2()).abs() < 1e-9);
    assert_eq!(
        bot["days"],
        serde_json::json!([{"day": "2026-01-01", "events": 24}, {"day": "2026-01-02", "events": 24}])
    );
    assert_eq!(
        r[1]["c"],
        serde_json::json!({"events": 0, "days": []}),
        "an empty group has no statistics"
    );
}

/// Issue 22's evasions, as the rules call the functions: a host a browser would really go to, a
/// percent-encoded shortener, two people's pages on one private suffix, card networks, an
/// inserted word in a Dutch request.
#[tokio::test]
async fn evasions_of_links_cards_and_phrases_are_caught_in_sql() {
    let r = query(
        r"SELECT url_host('https://evil.example\@paypal.com/login') AS backslash,
                url_host('https://bit%2Ely/x') AS encoded,
                link_class(url_host('https://bit%2Ely/x')) AS encoded_class,
                url_site('alice.github.io') = url_site('mallory.github.io') AS same_site,
                personal_data('Troy 9792 0000 0000 0011, Mir 2200 0000 0000 0004') AS cards,
                lexicon_terms(normalize_text('Deel hieronder je telefoonnummer'), 'public_request') AS request",
    )
    .await;
    assert_eq!(r[0]["backslash"], "evil.example");
    assert_eq!(r[0]["encoded"], "bit.ly");
    assert_eq!(r[0]["encoded_class"], "shortener");
    assert_eq!(r[0]["same_site"], false);
    let kinds: Vec<&str> = r[0]["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["payment_card", "payment_card"]);
    assert_eq!(r[0]["request"], serde_json::json!(["deel je"]));
}

/// Each row reads its own links from the batch's one list of structs: the second and third rows
/// start past the first row's links, a NULL list gives NULL, and `url` stands in where `expanded`
/// is NULL.
#[tokio::test]
async fn link_targets_reads_each_rows_own_links() {
    let r = query(
        "SELECT id, link_targets(urls) AS t FROM (VALUES
            (1, make_array(named_struct('url', 'https://t.co/a', 'expanded', 'https://www.Example.com/p/1/#top'),
                           named_struct('url', 'https://t.co/b', 'expanded', 'https://news.example.org/x?a=b'))),
            (2, NULL),
            (3, make_array(named_struct('url', 'https://shop.example.net/item/7', 'expanded', CAST(NULL AS VARCHAR)),
                           named_struct('url', 'https://t.co/c', 'expanded', 'https://example.com/p/1'))),
            (4, make_array(named_struct('url', 'not a link', 'expanded', CAST(NULL AS VARCHAR))))
         ) AS v(id, urls) ORDER BY id",
    )
    .await;
    let t: Vec<&serde_json::Value> = r.iter().map(|row| &row["t"]).collect();
    assert_eq!(
        t,
        [
            &serde_json::json!("example.com/p/1 news.example.org/x?a=b"),
            &serde_json::Value::Null,
            &serde_json::json!("example.com/p/1 shop.example.net/item/7"),
            &serde_json::Value::Null,
        ],
        "{r:?}"
    );
}
