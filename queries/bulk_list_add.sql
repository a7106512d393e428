-- id: bulk_list_add
-- title: Bulk adding to lists
-- section: II.D.lists
-- severity: deny
-- needs: timed_list_events
-- metric: list_additions_per_window
-- threshold: max_per_hour
-- param max_per_hour: 50 | list additions in any sliding hour above which adding is in bulk
-- param max_per_day: 200 | list additions in any sliding 24 hours above which adding is in bulk
-- what: Bursts of users added to lists: more than 50 in any sliding hour or more than 200 in any
--   sliding 24 hours.
-- why: The policy forbids adding users to lists in bulk or indiscriminately ("Automated adding
--   to lists or collections"); bulk list additions notify users who never asked for it.
-- example: A bot adds 60 users to a "leads" list in 45 minutes.
-- remediation: Add users to lists by hand, or at a pace and for a reason each user would expect.
WITH adds AS (
    SELECT account_id, event_id, ts FROM activity WHERE kind = 'list_add'
),
bursts AS (
    SELECT account_id, 3600 AS window_seconds, {{max_per_hour}} AS limit_n, sliding_bursts(ts, event_id, 3600, {{max_per_hour}}) AS b
    FROM adds GROUP BY account_id
    UNION ALL
    SELECT account_id, 86400 AS window_seconds, {{max_per_day}} AS limit_n, sliding_bursts(ts, event_id, 86400, {{max_per_day}}) AS b
    FROM adds GROUP BY account_id
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
       concat(CAST(f.burst['peak'] AS VARCHAR), ' list additions within ',
              CASE WHEN f.window_seconds = 3600 THEN 'one hour' ELSE '24 hours' END,
              ' (limit ', CAST(f.limit_n AS VARCHAR), ')') AS message,
       concat(CAST(f.window_seconds AS VARCHAR), ':', CAST(f.burst['first_seen'] AS VARCHAR)) AS key
FROM found f
