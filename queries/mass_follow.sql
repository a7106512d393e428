-- id: mass_follow
-- title: Mass following
-- section: II.D.follows
-- severity: deny
-- needs: timed_follows
-- metric: follows_per_window
-- threshold: max_per_hour
-- param max_per_hour: 100 | follows in any sliding hour above which the account is following in bulk
-- param max_per_day: 400 | follows in any sliding 24 hours above which the account is following in bulk
-- what: Bursts of follows: more than 100 in any sliding hour or more than 400 in any sliding 24
--   hours (windows slide, so a burst across midnight counts). Snapshot diffs give only daily
--   resolution and are not counted here.
-- why: The policy forbids following accounts in bulk, aggressively or indiscriminately ("Automated
--   following and unfollowing"). A person does not follow a hundred accounts in an hour.
-- example: A growth tool follows 150 accounts between 09:00 and 09:50, every 20 seconds.
-- remediation: Stop bulk-following tools; follow accounts one at a time, for a reason, and
--   revoke the app's write access if it follows on its own.
WITH follows AS (
    SELECT account_id, event_id, ts FROM activity WHERE kind = 'follow' AND origin <> 'snapshot'
),
bursts AS (
    SELECT account_id, 3600 AS window_seconds, {{max_per_hour}} AS limit_n, sliding_bursts(ts, event_id, 3600, {{max_per_hour}}) AS b
    FROM follows GROUP BY account_id
    UNION ALL
    SELECT account_id, 86400 AS window_seconds, {{max_per_day}} AS limit_n, sliding_bursts(ts, event_id, 86400, {{max_per_day}}) AS b
    FROM follows GROUP BY account_id
),
found AS (
    SELECT account_id, window_seconds, limit_n, unnest(b) AS burst FROM bursts
)
SELECT f.account_id,
       f.burst['first_seen'] AS first_seen,
       f.burst['last_seen'] AS last_seen,
       CAST(f.burst['peak'] AS DOUBLE) AS value,
       CAST(f.limit_n AS DOUBLE) AS threshold,
       f.burst['events'] AS count,
       f.burst['evidence'] AS evidence,
       CASE WHEN f.window_seconds = 3600
            THEN concat(CAST(f.burst['peak'] AS VARCHAR), ' follows within one hour (limit ', CAST(f.limit_n AS VARCHAR), ')')
            ELSE concat(CAST(f.burst['peak'] AS VARCHAR), ' follows within 24 hours (limit ', CAST(f.limit_n AS VARCHAR), ')') END AS message,
       concat(CAST(f.window_seconds AS VARCHAR), ':', CAST(f.burst['first_seen'] AS VARCHAR)) AS key
FROM found f
