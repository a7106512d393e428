-- id: bulk_reposts
-- title: Bulk reposting
-- section: II.D.reposts
-- severity: deny
-- needs: posts
-- metric: reposts_per_window
-- threshold: max_per_hour
-- param max_per_hour: 50 | reposts in any sliding hour above which reposting is in bulk
-- param max_per_day: 500 | reposts in any sliding 24 hours above which reposting is in bulk
-- what: Bursts of reposts: more than 50 in any sliding hour or more than 500 in any sliding 24
--   hours. Reposts from X's own apps are evidently manual and reported as info. (RULES.md also
--   asks for a warning when 80 % of posts are reposts with machine cadence; that part needs the
--   cadence statistics and is not checked yet.)
-- why: Automated reposting is allowed, but bulk, aggressive or spammy reposting is a violation
--   ("Automated reposts").
-- example: A scheduler reposts 60 posts of other accounts in 50 minutes.
-- remediation: Repost selectively, spread over time; limit what the automation may repost.
WITH reposts AS (
    SELECT account_id, event_id, ts, coalesce(automated, true) AS auto, automation
    FROM activity WHERE kind = 'repost'
),
evidence AS (
    SELECT account_id, auto, array_agg(DISTINCT array_to_string(automation, ',')) AS automation
    FROM reposts WHERE automation IS NOT NULL GROUP BY account_id, auto
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
       f.auto AS automated,
       e.automation AS automation,
       concat(CAST(f.window_seconds AS VARCHAR), ':', CAST(f.burst['first_seen'] AS VARCHAR)) AS key
FROM found f LEFT JOIN evidence e ON f.account_id = e.account_id AND f.auto = e.auto
