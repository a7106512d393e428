-- id: duplicate_accounts
-- title: Accounts that duplicate each other
-- section: I.A.duplicate_accounts
-- severity: warn
-- needs: posts, multiple_accounts
-- metric: share_of_posts_duplicated
-- threshold: min_share
-- param min_share: 0.5 | share of either account's posts in clusters shared with the other from which the pair is flagged
-- param min_posts: 5 | posts the flagged account must have in shared clusters (one shared post of an account with two posts is no pattern)
-- what: Two audited accounts whose posts largely repeat each other: at least half of either
--   account's posts are near-duplicates of the other account's posts. Both accounts get a finding
--   naming the other.
-- why: Operating overlapping or duplicate accounts that post substantially the same content is
--   against the rules ("Spam", multiple or overlapping accounts).
-- example: A brand runs @shop_nl and @shop_news, and 90 % of the posts of one are copies of the
--   other's.
-- remediation: Merge the accounts, or give each one its own distinct content and purpose.
WITH totals AS (
    SELECT account_id, count(*) AS posts FROM post_texts WHERE words >= 3 GROUP BY account_id
),
pairs AS (
    SELECT a.account_id AS account_id, b.account_id AS other, a.event_id, a.ts
    FROM post_clusters a JOIN post_clusters b ON a.cluster_id = b.cluster_id AND a.account_id <> b.account_id
),
shared AS (
    SELECT account_id, other, count(DISTINCT event_id) AS n, min(ts) AS first_seen, max(ts) AS last_seen,
           array_agg(DISTINCT event_id ORDER BY event_id) AS evidence
    FROM pairs GROUP BY account_id, other
),
shares AS (
    SELECT s.*, t.posts, CAST(s.n AS DOUBLE) / t.posts AS share FROM shared s JOIN totals t ON s.account_id = t.account_id
),
flagged AS (
    SELECT x.account_id, x.other, x.n, x.posts, x.share, x.first_seen, x.last_seen, x.evidence, greatest(x.share, y.share) AS pair_share
    FROM shares x JOIN shares y ON x.account_id = y.other AND x.other = y.account_id
    WHERE (x.share >= {{min_share}} AND x.n >= {{min_posts}}) OR (y.share >= {{min_share}} AND y.n >= {{min_posts}})
),
handles AS (
    SELECT account_id, last_value(handle ORDER BY observed_at) AS handle FROM accounts WHERE handle IS NOT NULL GROUP BY account_id
)
SELECT f.account_id, f.first_seen, f.last_seen, f.pair_share AS value, f.n AS count, f.evidence,
       concat(CAST(f.n AS VARCHAR), ' of ', CAST(f.posts AS VARCHAR), ' posts (', CAST(CAST(round(f.share * 100) AS BIGINT) AS VARCHAR),
              ' %) are near-duplicates of posts by ', coalesce('@' || h.handle, f.other)) AS message,
       CAST(NULL AS BOOLEAN) AS automated, CAST(NULL AS VARCHAR) AS automation,
       f.other AS key
FROM flagged f LEFT JOIN handles h ON f.other = h.account_id
