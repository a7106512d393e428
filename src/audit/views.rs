//! Views every rule can read, registered once per audit.
//!
//! - `account_automation`: per account, whether it has a connected app that can write or send
//!   DMs, and that evidence as strings (`connected_app:<name>`).
//! - `activity`: `events` plus `client_class`, `automated` (true: an automation client, or no
//!   client and the account has a write/DM app; false: an official X client, evidently manual;
//!   NULL: unknown) and `automation` (the evidence, strongest first).
//! - `kind_automation`: per account and kind, whether any such event was automated (true), all
//!   were evidently manual (false) or nothing is known (NULL), with the distinct evidence.
//!
//! Computed once per session and kept in memory ([`CachedView`]), because several rules read them:
//! - `post_texts`: own posts, replies and quotes (reposts are not posts): `event_id, account_id,
//!   ts, kind, automated, norm, content, words`: the normalized text, its `content_hash` and its
//!   word count.
//! - `post_candidates`: pairs of contents `(a, b)` sharing a MinHash band key.
//! - `post_cluster_ids`: `content, cluster_id` for the contents that have a near-duplicate.
//! - `post_clusters`: the posts of `post_texts` of 3 words or more that have a near-duplicate (Jaccard of shingles ≥
//!   [`NEAR_DUPLICATE_JACCARD`]), with `cluster_id`, the id of their near-duplicate cluster.
//! - `dm_texts`, `dm_candidates`, `dm_cluster_ids`, `dm_clusters`: the same for direct messages the accounts sent, plus the recipient
//!   (`target_user_id`).

use std::sync::Arc;

use datafusion::prelude::SessionContext;

use super::cached_view::CachedView;
use crate::error::Result;

/// RULES.md: near-duplicates have a Jaccard similarity of 0.8 or more.
pub const NEAR_DUPLICATE_JACCARD: f64 = 0.8;

/// Whether an event is automated, from its client (`<alias>.client`) or, without one, the
/// account's connected apps (`a`): one expression for `activity` and `kind_automation`, which
/// must agree.
fn automated(alias: &str) -> String {
    format!(
        "CASE WHEN {alias}.client IS NOT NULL THEN client_class({alias}.client) <> 'official' \
         WHEN a.automated THEN true ELSE NULL END"
    )
}

const VIEWS: [&str; 2] = [
    "CREATE VIEW account_automation AS
     SELECT account_id,
            true AS automated,
            array_agg(DISTINCT concat('connected_app:', coalesce(name, app_id)) ORDER BY concat('connected_app:', coalesce(name, app_id))) AS automation
     FROM connected_apps
     WHERE array_has(permissions, 'write') OR array_has(permissions, 'directmessages')
     GROUP BY account_id",
    "CREATE VIEW activity AS
     SELECT e.*,
            client_class(e.client) AS client_class,
            {automated_e} AS automated,
            CASE WHEN e.client IS NOT NULL AND client_class(e.client) <> 'official' THEN make_array(concat('client:', e.client))
                 WHEN e.client IS NULL THEN a.automation
                 ELSE NULL END AS automation
     FROM events e LEFT JOIN account_automation a ON e.account_id = a.account_id",
];

/// `kind_automation`: per account and kind, whether its events are automated and the evidence.
/// The evidence of an event is `client:<name>` for a non-official client, else (no client) the
/// account's app evidence; so per kind it is the distinct such clients, plus the apps when any
/// event of the kind has no client. Computed this way rather than by unnesting every event's list
/// (2.5 s per use on 9M events), from the distinct (account, kind, client) triples rather than
/// from every event, and cached: 13 rules join it.
const KIND_AUTOMATION: &str = "
     WITH c AS (SELECT DISTINCT account_id, kind, client FROM events),
     k AS (
         SELECT c.account_id, c.kind,
                bool_or({automated_c}) AS automated,
                bool_or(c.client IS NULL) AS unattributed,
                array_agg(DISTINCT concat('client:', c.client) ORDER BY concat('client:', c.client))
                    FILTER (WHERE c.client IS NOT NULL AND client_class(c.client) <> 'official') AS clients
         FROM c LEFT JOIN account_automation a ON c.account_id = a.account_id
         GROUP BY c.account_id, c.kind)
     SELECT k.account_id, k.kind, k.automated,
            CASE WHEN k.unattributed AND a.automation IS NOT NULL AND k.clients IS NOT NULL THEN array_concat(k.clients, a.automation)
                 WHEN k.unattributed AND a.automation IS NOT NULL THEN a.automation
                 ELSE k.clients END AS automation
     FROM k LEFT JOIN account_automation a ON k.account_id = a.account_id";

/// Events of `kinds` with their normalized text, its hash and its word count.
fn texts_sql(kinds: &str, extra_columns: &str) -> String {
    format!(
        "SELECT event_id, account_id, ts, kind, automated{extra_columns}, norm, content_hash(norm) AS content, word_count(norm) AS words
         FROM (SELECT event_id, account_id, ts, kind, automated{extra_columns}, normalize_text(text) AS norm
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
             SELECT t.content, min(t.norm) AS norm FROM {texts} t JOIN ids ON t.content = ids.content GROUP BY t.content),
         edges AS (
             SELECT k.a, k.b FROM {candidates} k
             JOIN candidate_texts ca ON ca.content = k.a JOIN candidate_texts cb ON cb.content = k.b
             WHERE jaccard(ca.norm, cb.norm) >= {NEAR_DUPLICATE_JACCARD}),
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
    for v in VIEWS {
        let v = v.replace("{automated_e}", &automated("e"));
        ctx.sql(&v).await?.collect().await?;
    }
    let kind_automation = KIND_AUTOMATION.replace("{automated_c}", &automated("c"));
    let plan = ctx.sql(&kind_automation).await?.into_unoptimized_plan();
    ctx.register_table("kind_automation", Arc::new(CachedView::new(plan)))?;
    register_text_views(ctx).await
}

/// The cached text views (`post_texts` … `dm_clusters`) over a table or view named `activity`
/// with at least `event_id, account_id, ts, kind, automated, text, target_user_id`. The audit
/// registers them over its `activity` view; the near-duplicate benchmark over a table of its own.
pub async fn register_text_views(ctx: &SessionContext) -> Result<()> {
    const POSTS: &str = "'post', 'reply', 'quote'";
    let cached = [
        ("post_texts", texts_sql(POSTS, "")),
        ("post_candidates", candidates_sql("post_texts")),
        (
            "post_cluster_ids",
            cluster_ids_sql("post_texts", "post_candidates"),
        ),
        (
            "post_clusters",
            clusters_sql("post_texts", "post_cluster_ids", ""),
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
    ];
    for (name, sql) in cached {
        let plan = ctx.sql(&sql).await?.into_unoptimized_plan();
        ctx.register_table(name, Arc::new(CachedView::new(plan)))?;
    }
    Ok(())
}
