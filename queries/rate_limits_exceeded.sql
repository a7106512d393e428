-- id: rate_limits_exceeded
-- title: Activity above X's account limits
-- section: I.rate_limits
-- severity: deny
-- needs: posts
-- metric: actions_per_day
-- param max_posts_per_day: 2400 | posts, replies, quotes and reposts in any sliding 24 hours above which the account is over X's limit
-- param max_follows_per_day: 400 | follows in any sliding 24 hours above which the account is over X's limit
-- param max_dms_per_day: 500 | direct messages sent in any sliding 24 hours above which the account is over X's limit
-- what: Activity above the per-account limits X documents, summed over every client and app
--   the account used: 2,400 posts a day (replies, quotes and reposts included), 400 follows a
--   day and 500 direct messages a day, in any sliding 24 hours (X Help Center, "X limits", at
--   the time of writing; the limits are parameters, set them to X's current figures). Only
--   timed events count: follows known only from archive snapshots have no times.
-- why: Abusing the API or trying to get around its rate limits is forbidden ("Misbruik maken van
--   de API van X of proberen snelheidslimieten te omzeilen"); an account above its own limits
--   got there by spreading its activity over several apps, or by scripting around them.
-- example: 2,650 posts within 24 hours, from a scheduler and the web app together.
-- remediation: Keep each account under X's limits across all the apps that act for it; do not
--   split an automation over several apps or accounts to get more.
WITH timed AS (
    SELECT account_id, event_id, ts,
           CASE WHEN kind IN ('post', 'reply', 'quote', 'repost') THEN 'posts'
                WHEN kind = 'follow' THEN 'follows'
                ELSE 'direct messages' END AS family
    FROM activity
    WHERE kind IN ('post', 'reply', 'quote', 'repost', 'follow', 'dm_sent') AND origin <> 'snapshot'
),
limits AS (
    SELECT 'posts' AS family, {{max_posts_per_day}} AS limit_n
    UNION ALL SELECT 'follows', {{max_follows_per_day}}
    UNION ALL SELECT 'direct messages', {{max_dms_per_day}}
),
bursts AS (
    SELECT t.account_id, t.family, l.limit_n, sliding_bursts(t.ts, t.event_id, 86400, l.limit_n) AS b
    FROM timed t JOIN limits l ON t.family = l.family
    GROUP BY t.account_id, t.family, l.limit_n
),
found AS (SELECT account_id, family, limit_n, unnest(b) AS burst FROM bursts)
SELECT account_id,
       burst['first_seen'] AS first_seen,
       burst['last_seen'] AS last_seen,
       CAST(burst['peak'] AS DOUBLE) AS value,
       CAST(limit_n AS DOUBLE) AS threshold,
       burst['events'] AS count,
       burst['evidence'] AS evidence,
       concat(CAST(burst['peak'] AS VARCHAR), ' ', family, ' within 24 hours, over all clients (X''s limit ',
              CAST(limit_n AS VARCHAR), ')') AS message,
       concat(family, ':', CAST(burst['first_seen'] AS VARCHAR)) AS key
FROM found
