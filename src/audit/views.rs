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
//! - `post_texts`: own posts, replies and quotes (reposts are not posts) whose normalized text has
//!   at least 3 words: `event_id, account_id, ts, kind, automated, norm, content`, where `content`
//!   is `content_hash(norm)`.
//! - `post_clusters`: the posts of `post_texts` that have a near-duplicate (Jaccard of shingles ≥
//!   [`NEAR_DUPLICATE_JACCARD`]), with `cluster_id`, the id of their near-duplicate cluster.
//! - `dm_texts`, `dm_clusters`: the same for direct messages the accounts sent, plus the recipient
//!   (`target_user_id`).

use std::sync::Arc;

use datafusion::prelude::SessionContext;

use super::cached_view::CachedView;
use crate::error::Result;

/// RULES.md: near-duplicates have a Jaccard similarity of 0.8 or more.
pub const NEAR_DUPLICATE_JACCARD: f64 = 0.8;

const VIEWS: [&str; 3] = [
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
            CASE WHEN e.client IS NOT NULL THEN client_class(e.client) <> 'official'
                 WHEN a.automated THEN true
                 ELSE NULL END AS automated,
            CASE WHEN e.client IS NOT NULL AND client_class(e.client) <> 'official' THEN make_array(concat('client:', e.client))
                 WHEN e.client IS NULL THEN a.automation
                 ELSE NULL END AS automation
     FROM events e LEFT JOIN account_automation a ON e.account_id = a.account_id",
    // The evidence of an event is `client:<name>` for a non-official client, else (no client) the
    // account's app evidence; so per kind it is the distinct such clients, plus the apps when any
    // event of the kind has no client. Computed this way rather than by unnesting every event's
    // list, which cost 2.5 s per use on 9M events.
    "CREATE VIEW kind_automation AS
     WITH k AS (
         SELECT account_id, kind,
                bool_or(automated) AS automated,
                bool_or(client IS NULL) AS unattributed,
                array_agg(DISTINCT concat('client:', client) ORDER BY concat('client:', client))
                    FILTER (WHERE client IS NOT NULL AND client_class <> 'official') AS clients
         FROM activity GROUP BY account_id, kind)
     SELECT k.account_id, k.kind, k.automated,
            CASE WHEN k.unattributed AND a.automation IS NOT NULL AND k.clients IS NOT NULL THEN array_concat(k.clients, a.automation)
                 WHEN k.unattributed AND a.automation IS NOT NULL THEN a.automation
                 ELSE k.clients END AS automation
     FROM k LEFT JOIN account_automation a ON k.account_id = a.account_id",
];

/// Texts of events of `kinds`, normalized, with at least 3 words (2 spaces).
fn texts_sql(kinds: &str, extra_columns: &str) -> String {
    format!(
        "SELECT event_id, account_id, ts, kind, automated{extra_columns}, norm, content_hash(norm) AS content
         FROM (SELECT event_id, account_id, ts, kind, automated{extra_columns}, normalize_text(text) AS norm
               FROM activity WHERE kind IN ({kinds}) AND text IS NOT NULL)
         WHERE length(norm) - length(replace(norm, ' ', '')) >= 2"
    )
}

/// Near-duplicate clusters of a texts view, as SQL over the text functions: distinct contents,
/// MinHash band candidates, exact Jaccard, connected components. Keeps the texts that have at
/// least one near-duplicate (another copy or a similar text).
fn clusters_sql(texts: &str, extra_columns: &str) -> String {
    format!(
        "WITH c AS (SELECT content, min(norm) AS norm, count(*) AS n FROM {texts} GROUP BY content),
         cand AS (SELECT unnest(lsh_candidates(content, lsh_bands(minhash_signature(norm)))) AS p FROM c),
         edges AS (
             SELECT cand.p['a'] AS a, cand.p['b'] AS b FROM cand
             JOIN c ca ON ca.content = cand.p['a'] JOIN c cb ON cb.content = cand.p['b']
             WHERE jaccard(ca.norm, cb.norm) >= {NEAR_DUPLICATE_JACCARD}),
         comp AS (SELECT unnest(connected_components(a, b)) AS m FROM edges),
         multi AS (
             SELECT c.content, coalesce(comp.m['cluster'], c.content) AS cluster_id
             FROM c LEFT JOIN comp ON c.content = comp.m['node']
             WHERE c.n > 1 OR comp.m IS NOT NULL)
         SELECT t.event_id, t.account_id, t.ts, t.kind, t.automated{extra_columns}, t.content, m.cluster_id
         FROM {texts} t JOIN multi m ON t.content = m.content"
    )
}

pub async fn register(ctx: &SessionContext) -> Result<()> {
    for v in VIEWS {
        ctx.sql(v).await?.collect().await?;
    }
    let cached = [
        ("post_texts", texts_sql("'post', 'reply', 'quote'", "")),
        ("post_clusters", clusters_sql("post_texts", "")),
        ("dm_texts", texts_sql("'dm_sent'", ", target_user_id")),
        (
            "dm_clusters",
            clusters_sql("dm_texts", ", t.target_user_id"),
        ),
    ];
    for (name, sql) in cached {
        let plan = ctx.sql(&sql).await?.into_unoptimized_plan();
        ctx.register_table(name, Arc::new(CachedView::new(plan)))?;
    }
    Ok(())
}
