-- id: sensitive_media_unmarked
-- title: Posts X flagged as possibly sensitive
-- section: I.A.media
-- severity: info
-- needs: posts
-- metric: share_of_posts
-- param min_posts: 1 | flagged posts from which the reminder is given
-- what: Posts X marked `possibly_sensitive`: how many and what share of the account's posts.
-- why: Automated posts must follow X's media policy, and an account that plans to post
--   sensitive media must be marked as such ("Sensitive media").
-- example: 3 of 40 posts (7.5 %) were flagged possibly sensitive.
-- remediation: Mark the account's media as sensitive in its settings, or stop posting such media.
WITH own AS (
    SELECT account_id, event_id, ts, possibly_sensitive FROM activity WHERE kind IN ('post', 'reply', 'quote')
),
totals AS (SELECT account_id, count(*) AS total FROM own GROUP BY account_id),
flagged AS (
    SELECT account_id, count(*) AS n, min(ts) AS first_seen, max(ts) AS last_seen, array_agg(event_id ORDER BY ts, event_id) AS evidence
    FROM own WHERE possibly_sensitive = true GROUP BY account_id HAVING count(*) >= {{min_posts}}
)
SELECT f.account_id, f.first_seen, f.last_seen, round(100.0 * f.n / t.total, 1) AS value, f.n AS count, f.evidence,
       concat(CAST(f.n AS VARCHAR), ' of ', CAST(t.total AS VARCHAR), ' posts (', CAST(round(100.0 * f.n / t.total, 1) AS VARCHAR),
              ' %) were flagged possibly sensitive') AS message,
       'sensitive' AS key
FROM flagged f JOIN totals t ON f.account_id = t.account_id
