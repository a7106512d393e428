//! Views every rule can read, registered once per audit.
//!
//! - `write_apps`: per account and family (`write`: posts, follows, likes …; `dm`: DMs sent), the
//!   first connected app with that permission (`write`, `directmessages`) whose class the client
//!   taxonomy does not know or calls a bot platform, and when it was approved (`since`, `app`).
//!   Known apps (X's own, apps a person types in, schedulers, feeds, cross-posters) are left out:
//!   they sign their own posts, and connecting one says nothing about a DM or a like without a
//!   client. An app with no approval date is left out too: it cannot be shown to precede anything.
//! - `machine_runs` (cached): the account's runs of machine cadence, per client and kind: at least
//!   [`MACHINE_RUN_EVENTS`] consecutive timed events whose gaps vary by a coefficient of variation
//!   under [`MACHINE_RUN_CV`] (`account_id, client` ('' for none)`, kind, first_seen, last_seen`).
//! - `activity`: `events` plus `client_class` (see `client_class`), `automated` and `automation`,
//!   who acted in each event and the evidence for it, strongest first:
//!   1. the client's class says a machine acts for this kind of event (`client_acts`):
//!      `client:<name> (<class>)`;
//!   2. the event lies in a run of machine cadence of its client and kind, whatever the client,
//!      X's own included: `cadence:<client>` (`cadence` without a client);
//!   3. the client's class says a person acts: not automated (false);
//!   4. no client, or an app the taxonomy does not know, and a `write_apps` app (with DM
//!      permission for a DM) approved before the event: `connected_app:<name>`;
//!   5. otherwise unknown (NULL): an unknown app alone is not evidence, nor is missing data.
//!
//!   A finding's `automated_evidence` is the evidence of its own events (the runner gathers it),
//!   never what else the account did.
//!
//! Computed once per session and kept in memory ([`CachedView`](cached_view::CachedView)), because
//! several rules read them (on a cluster: plain views, see [`cached_view::register`]):
//! - `post_texts`: own posts, replies and quotes (reposts are not posts): `event_id, account_id,
//!   ts, kind, automated, target_user_id, norm, links, content, words`: the normalized text,
//!   where its links lead (`link_targets`), the `content_hash` of both and the word count.
//! - `post_candidates`: pairs of contents `(a, b)` sharing a MinHash band key.
//! - `post_cluster_ids`: `content, cluster_id` for the contents that have a near-duplicate.
//! - `post_clusters`: the posts of `post_texts` of 3 words or more that have a near-duplicate (Jaccard of shingles ≥
//!   [`NEAR_DUPLICATE_JACCARD`]), with `cluster_id`, the id of their near-duplicate cluster.
//! - `dm_texts`, `dm_candidates`, `dm_cluster_ids`, `dm_clusters`: the same for direct messages the accounts sent, plus the recipient
//!   (`target_user_id`).

use datafusion::prelude::SessionContext;

use super::cached_view;
use crate::error::Result;

/// RULES.md: near-duplicates have a Jaccard similarity of 0.8 or more.
pub const NEAR_DUPLICATE_JACCARD: f64 = 0.8;

/// A run of machine cadence has at least this many events (RULES.md's like cadence: 50) …
pub const MACHINE_RUN_EVENTS: u32 = 50;
/// … whose gaps have a coefficient of variation below this (people act in bursts, CV near 1).
pub const MACHINE_RUN_CV: f64 = 0.3;

/// Kinds that are not the account's own act: no client or cadence speaks for them.
const RECEIVED: &str = "'dm_received', 'mention_received', 'reply_received', 'followed_by', \
                        'unfollowed_by', 'app_connected', 'app_revoked'";

/// Apps whose class says who acts (X's own, apps a person types in, schedulers, feeds,
/// cross-posters) show their activity under their own name in a post's client; an account's
/// connection to one says nothing about activity without a client. Custom and bot apps do.
const WRITE_APPS: &str = "CREATE VIEW write_apps AS
     SELECT account_id, kind_family,
            min(approved_at) AS since,
            first_value(coalesce(name, app_id) ORDER BY approved_at, coalesce(name, app_id)) AS app
     FROM (SELECT account_id, name, app_id, approved_at, 'write' AS kind_family FROM connected_apps
           WHERE array_has(permissions, 'write')
           UNION ALL
           SELECT account_id, name, app_id, approved_at, 'dm' AS kind_family FROM connected_apps
           WHERE array_has(permissions, 'directmessages'))
     WHERE approved_at IS NOT NULL
       AND coalesce(client_class(name), 'unknown') IN ('unknown', 'automation')
     GROUP BY account_id, kind_family";

fn machine_runs_sql() -> String {
    format!(
        "SELECT account_id, client, kind, r['first_seen'] AS first_seen, r['last_seen'] AS last_seen
         FROM (SELECT account_id, coalesce(client, '') AS client, kind,
                      -- no event ids: the view keeps only the runs' times, and ids of every
                      -- timed event were a gigabyte of aggregate state at 12M events
                      unnest(regular_runs(ts, CAST(NULL AS VARCHAR), {MACHINE_RUN_EVENTS}, {MACHINE_RUN_CV})) AS r
               FROM events WHERE origin <> 'snapshot' AND kind NOT IN ({RECEIVED})
               GROUP BY account_id, coalesce(client, ''), kind)"
    )
}

fn activity_sql() -> String {
    let evidence = [
        (
            "client_acts(e.client, e.kind)",
            "concat('client:', e.client, ' (', client_class(e.client), ')')",
            "true",
        ),
        (
            "m.account_id IS NOT NULL",
            "CASE WHEN e.client IS NULL THEN 'cadence' ELSE concat('cadence:', e.client) END",
            "true",
        ),
        ("NOT client_acts(e.client, e.kind)", "NULL", "false"),
        (
            &format!(
                "e.kind NOT IN ({RECEIVED}) AND (e.client IS NULL OR client_class(e.client) = 'unknown') \
                 AND w.since <= e.ts"
            ),
            "concat('connected_app:', w.app)",
            "true",
        ),
    ];
    let case = |then: &dyn Fn(usize) -> &'static str| {
        let arms: String = evidence
            .iter()
            .enumerate()
            .map(|(i, arm)| format!(" WHEN {} THEN {}", arm.0, then(i)))
            .collect();
        format!("CASE{arms} ELSE NULL END")
    };
    format!(
        "CREATE VIEW activity AS
         SELECT e.*, client_class(e.client) AS client_class,
                {} AS automated, {} AS automation
         FROM events e
         LEFT JOIN write_apps w ON e.account_id = w.account_id
              AND w.kind_family = CASE WHEN e.kind = 'dm_sent' THEN 'dm' ELSE 'write' END
         LEFT JOIN machine_runs m ON e.account_id = m.account_id AND coalesce(e.client, '') = m.client
              AND e.kind = m.kind AND e.origin <> 'snapshot' AND e.ts BETWEEN m.first_seen AND m.last_seen",
        case(&|i| evidence[i].2),
        case(&|i| evidence[i].1),
    )
}

/// Events of `kinds` with their normalized text, where their links lead (`link_targets`), a hash
/// of both (`content`: the same words linking to another page are other content) and the word
/// count.
fn texts_sql(kinds: &str, extra_columns: &str) -> String {
    format!(
        "SELECT event_id, account_id, ts, kind, automated{extra_columns}, norm, links,
                -- without links, the hash of the text alone: cluster ids (and the fingerprints
                -- built on them) stay what they were before links counted
                content_hash(CASE WHEN links IS NULL THEN norm ELSE concat(norm, ' ', links) END) AS content,
                word_count(norm) AS words
         FROM (SELECT event_id, account_id, ts, kind, automated{extra_columns}, normalize_text(text) AS norm,
                      link_targets(urls) AS links
               FROM activity WHERE kind IN ({kinds}) AND text IS NOT NULL)"
    )
}

/// Candidate pairs of contents `(a, b)`: texts of 3 words or more sharing a MinHash band key.
/// Copies of one text are one member of a bucket, so 100,000 identical posts make no pairs.
fn candidates_sql(texts: &str) -> String {
    format!(
        "SELECT p['a'] AS a, p['b'] AS b
         FROM (SELECT unnest(lsh_candidates(content, lsh_bands(minhash_signature(norm)))) AS p FROM {texts} WHERE words >= 3)"
    )
}

/// The cluster of every content that has a near-duplicate: candidates confirmed by exact Jaccard
/// (on one copy of each candidate text), joined into connected components, plus texts with
/// several exact copies (their own cluster when nothing else is similar). A component's id is its
/// smallest content, so `min` picks it for contents that are both.
fn cluster_ids_sql(texts: &str, candidates: &str) -> String {
    format!(
        "WITH ids AS (SELECT a AS content FROM {candidates} UNION SELECT b AS content FROM {candidates}),
         candidate_texts AS (
             SELECT t.content, min(t.norm) AS norm, min(t.links) AS links
             FROM {texts} t JOIN ids ON t.content = ids.content GROUP BY t.content),
         edges AS (
             SELECT k.a, k.b FROM {candidates} k
             JOIN candidate_texts ca ON ca.content = k.a JOIN candidate_texts cb ON cb.content = k.b
             WHERE (ca.links IS NOT DISTINCT FROM cb.links) AND jaccard(ca.norm, cb.norm) >= {NEAR_DUPLICATE_JACCARD}),
         comp AS (SELECT unnest(connected_components(a, b)) AS m FROM edges),
         copied AS (SELECT content FROM {texts} WHERE words >= 3 GROUP BY content HAVING count(*) > 1)
         SELECT content, min(cluster_id) AS cluster_id FROM (
             SELECT m['node'] AS content, m['cluster'] AS cluster_id FROM comp
             UNION ALL
             SELECT content, content AS cluster_id FROM copied)
         GROUP BY content"
    )
}

/// The events whose text has a near-duplicate, with their cluster.
fn clusters_sql(texts: &str, cluster_ids: &str, extra_columns: &str) -> String {
    format!(
        "SELECT t.event_id, t.account_id, t.ts, t.kind, t.automated{extra_columns}, t.content, m.cluster_id
         FROM {texts} t JOIN {cluster_ids} m ON t.content = m.content"
    )
}

pub async fn register(ctx: &SessionContext) -> Result<()> {
    ctx.sql(WRITE_APPS).await?.collect().await?;
    let plan = ctx.sql(&machine_runs_sql()).await?.into_unoptimized_plan();
    cached_view::register(ctx, "machine_runs", plan).await?;
    ctx.sql(&activity_sql()).await?.collect().await?;
    register_text_views(ctx).await
}

/// The cached text views, each with its SQL, in the order they build on each other.
pub fn text_views() -> Vec<(&'static str, String)> {
    const POSTS: &str = "'post', 'reply', 'quote'";
    vec![
        ("post_texts", texts_sql(POSTS, ", target_user_id")),
        ("post_candidates", candidates_sql("post_texts")),
        (
            "post_cluster_ids",
            cluster_ids_sql("post_texts", "post_candidates"),
        ),
        (
            "post_clusters",
            clusters_sql("post_texts", "post_cluster_ids", ", t.target_user_id"),
        ),
        ("dm_texts", texts_sql("'dm_sent'", ", target_user_id")),
        ("dm_candidates", candidates_sql("dm_texts")),
        (
            "dm_cluster_ids",
            cluster_ids_sql("dm_texts", "dm_candidates"),
        ),
        (
            "dm_clusters",
            clusters_sql("dm_texts", "dm_cluster_ids", ", t.target_user_id"),
        ),
    ]
}

/// The cached text views (`post_texts` … `dm_clusters`) over a table or view named `activity`
/// with at least `event_id, account_id, ts, kind, automated, text, urls, target_user_id`. The audit
/// registers them over its `activity` view; the near-duplicate benchmark over a table of its own.
pub async fn register_text_views(ctx: &SessionContext) -> Result<()> {
    let cached = text_views();
    for (name, sql) in cached {
        let plan = ctx.sql(&sql).await?.into_unoptimized_plan();
        cached_view::register(ctx, name, plan).await?;
    }
    Ok(())
}
