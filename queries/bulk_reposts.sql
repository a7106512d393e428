-- id: bulk_reposts
-- title: Bulk reposting
-- section: II.D.reposts
-- severity: deny
-- needs: posts
-- metric: reposts_per_window
-- threshold: max_per_hour
-- param max_per_hour: 50 | reposts in any sliding hour above which reposting is in bulk
-- param max_per_day: 500 | reposts in any sliding 24 hours above which reposting is in bulk
-- param min_share: 0.8 | share of the account's posts that are reposts from which a repost-mostly account is warned
-- param min_run: 20 | reposts in one run of machine cadence that make the reposting scheduled
-- param max_cv: 0.3 | coefficient of variation of the gaps between reposts below which the cadence is a machine's
-- what: Bursts of reposts: more than 50 in any sliding hour or more than 500 in any sliding 24
--   hours (deny). A warning when 80 % or more of the account's posts are reposts and they come at
--   machine cadence (a run of 20 or more with gap variation below 0.3) without such a burst.
--   Reposts from X's own apps are evidently manual and reported as info.
-- why: Automated reposting is allowed, but bulk, aggressive or spammy reposting is a violation
--   ("Automated reposts").
-- example: A scheduler reposts 60 posts of other accounts in 50 minutes.
-- remediation: Repost selectively, spread over time; limit what the automation may repost.
WITH reposts AS (
    SELECT account_id, event_id, ts, coalesce(automated, true) AS auto
    FROM activity WHERE kind = 'repost'
),
bursts AS (
    SELECT account_id, auto, 3600 AS window_seconds, {{max_per_hour}} AS limit_n, sliding_bursts(ts, event_id, 3600, {{max_per_hour}}) AS b
    FROM reposts GROUP BY account_id, auto
    UNION ALL
    SELECT account_id, auto, 86400 AS window_seconds, {{max_per_day}} AS limit_n, sliding_bursts(ts, event_id, 86400, {{max_per_day}}) AS b
    FROM reposts GROUP BY account_id, auto
),
found AS (
    SELECT account_id, auto, window_seconds, limit_n, unnest(b) AS burst FROM bursts
),
shares AS (
    SELECT account_id, sum(CASE WHEN kind = 'repost' THEN 1 ELSE 0 END) AS reposts, count(*) AS posts
    FROM activity WHERE kind IN ('post', 'reply', 'quote', 'repost') GROUP BY account_id
),
runs AS (
    SELECT account_id, unnest(regular_runs(ts, event_id, {{min_run}}, {{max_cv}})) AS r FROM reposts WHERE auto GROUP BY account_id
),
scheduled AS (
    SELECT r.account_id, min(r.r['first_seen']) AS first_seen, max(r.r['last_seen']) AS last_seen,
           sum(r.r['events']) AS events, flatten(array_agg(r.r['evidence'])) AS evidence
    FROM runs r
    JOIN shares s ON r.account_id = s.account_id
    LEFT JOIN (SELECT DISTINCT account_id FROM found) f ON r.account_id = f.account_id
    WHERE f.account_id IS NULL AND CAST(s.reposts AS DOUBLE) >= {{min_share}} * s.posts
    GROUP BY r.account_id
)
SELECT f.account_id,
       f.burst['first_seen'] AS first_seen,
       f.burst['last_seen'] AS last_seen,
       CAST(f.burst['peak'] AS DOUBLE) AS value,
       CAST(f.limit_n AS DOUBLE) AS threshold,
       f.burst['events'] AS count,
       f.burst['evidence'] AS evidence,
       concat(CAST(f.burst['peak'] AS VARCHAR), ' reposts within ',
              CASE WHEN f.window_seconds = 3600 THEN 'one hour' ELSE '24 hours' END,
              ' (limit ', CAST(f.limit_n AS VARCHAR), ')') AS message,
       CAST(NULL AS BOOLEAN) AS automated, CASE WHEN false THEN make_array('') END AS automation,
       concat(CAST(f.window_seconds AS VARCHAR), ':', CAST(f.burst['first_seen'] AS VARCHAR)) AS key,
       CAST(NULL AS VARCHAR) AS severity
FROM found f
UNION ALL
SELECT c.account_id, c.first_seen, c.last_seen, round(100.0 * s.reposts / s.posts, 1) AS value,
       100.0 * {{min_share}} AS threshold, c.events AS count, c.evidence,
       concat(CAST(s.reposts AS VARCHAR), ' of ', CAST(s.posts AS VARCHAR), ' posts are reposts, at machine cadence') AS message,
       true AS automated, make_array('cadence') AS automation, 'scheduled' AS key, 'warn' AS severity
FROM scheduled c JOIN shares s ON c.account_id = s.account_id
