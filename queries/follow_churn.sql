-- id: follow_churn
-- title: Follow churn
-- section: II.D.follows
-- severity: deny
-- needs: timed_follows
-- metric: churned_follows_per_window
-- threshold: min_churned
-- param min_churned: 50 | accounts followed and unfollowed again, within one window, from which the pattern is churn
-- param max_days: 7 | an unfollow this many days or fewer after the follow counts as churn
-- param window_days: 30 | the sliding window in which churned follows are counted
-- what: Follow/unfollow churn: 50 or more accounts followed and unfollowed again within 7 days,
--   in any sliding 30-day window.
-- why: Following accounts to get a follow back and unfollowing those that do not is the
--   aggressive following the policy forbids ("Automated following and unfollowing").
-- example: A growth tool follows 60 accounts over three days and unfollows each one or two days
--   later.
-- remediation: Stop follow-for-follow tools; unfollow only for reasons that have nothing to do
--   with whether the user followed back.
WITH f AS (
    SELECT account_id, target_user_id AS u, ts FROM activity
    WHERE kind = 'follow' AND origin <> 'snapshot' AND target_user_id IS NOT NULL
),
uf AS (
    SELECT account_id, target_user_id AS u, ts, event_id FROM activity
    WHERE kind = 'unfollow' AND origin <> 'snapshot' AND target_user_id IS NOT NULL
),
churn AS (
    SELECT DISTINCT uf.account_id, uf.event_id, uf.ts
    FROM uf JOIN f ON uf.account_id = f.account_id AND uf.u = f.u
    WHERE uf.ts > f.ts AND uf.ts <= f.ts + INTERVAL '{{max_days}} days'
),
bursts AS (
    SELECT account_id, sliding_bursts(ts, event_id, {{window_days}} * 86400, {{min_churned}} - 1) AS b
    FROM churn GROUP BY account_id
),
found AS (SELECT account_id, unnest(b) AS burst FROM bursts)
SELECT f.account_id,
       f.burst['first_seen'] AS first_seen,
       f.burst['last_seen'] AS last_seen,
       CAST(f.burst['peak'] AS DOUBLE) AS value,
       f.burst['events'] AS count,
       f.burst['evidence'] AS evidence,
       concat(CAST(f.burst['peak'] AS VARCHAR), ' accounts followed and unfollowed again within {{max_days}} days, in {{window_days}} days') AS message,
       CAST(f.burst['first_seen'] AS VARCHAR) AS key
FROM found f
