-- id: external_source_posts
-- title: Posts republished from external sources
-- section: II.B.1
-- severity: info
-- needs: posts
-- metric: share_of_posts
-- param min_posts: 1 | posts from feed-publishing apps from which the reminder is given
-- what: The share of the account's posts made by apps that republish external content (RSS
--   feeds, IFTTT-style recipes, blog publishers: the `feed` class of data/clients.toml).
-- why: Automatically posting content from external sources is allowed only with permission to
--   republish it ("Posting automated posts").
-- example: 20 of 180 posts (11 %) came from IFTTT.
-- remediation: Keep the permission of each source you republish; credit it in the post.
WITH own AS (
    SELECT account_id, event_id, ts, client, client_class FROM activity WHERE kind IN ('post', 'quote')
),
totals AS (SELECT account_id, count(*) AS total FROM own GROUP BY account_id),
feed AS (
    SELECT account_id, count(*) AS n, min(ts) AS first_seen, max(ts) AS last_seen, array_agg(event_id ORDER BY ts, event_id) AS evidence,
           array_agg(DISTINCT client ORDER BY client) AS clients
    FROM own WHERE client_class = 'feed' GROUP BY account_id HAVING count(*) >= {{min_posts}}
)
SELECT f.account_id, f.first_seen, f.last_seen, round(100.0 * f.n / t.total, 1) AS value, f.n AS count, f.evidence,
       concat(CAST(f.n AS VARCHAR), ' of ', CAST(t.total AS VARCHAR), ' posts (', CAST(round(100.0 * f.n / t.total, 1) AS VARCHAR), ' %) came from ',
              array_to_string(f.clients, ', '), '; republishing needs the source''s permission') AS message,
       true AS automated, 'feed' AS key
FROM feed f JOIN totals t ON f.account_id = t.account_id
