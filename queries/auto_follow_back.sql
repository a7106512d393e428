-- id: auto_follow_back
-- title: Automatic follow-back
-- section: II.D.follows
-- severity: warn
-- needs: timed_follows
-- metric: follow_backs
-- threshold: min_follow_backs
-- param min_follow_backs: 20 | follow-backs this fast, from which following back is automatic
-- param max_seconds: 120 | a follow this many seconds or fewer after the other user's follow is a follow-back
-- what: Following back automatically: 20 or more users followed within 2 minutes of their
--   following the account.
-- why: Indiscriminate following is a violation ("Automated following and unfollowing");
--   following back everyone within seconds is following without looking.
-- example: Each new follower is followed back 20 to 90 seconds later, 25 times in two days.
-- remediation: Turn off auto-follow-back features; follow back by choice.
WITH fb AS (
    SELECT account_id, actor_id AS u, ts FROM activity WHERE kind = 'followed_by' AND origin <> 'snapshot'
),
f AS (
    SELECT account_id, target_user_id AS u, ts, event_id FROM activity WHERE kind = 'follow' AND origin <> 'snapshot'
),
backs AS (
    SELECT DISTINCT f.account_id, f.event_id, f.ts
    FROM f JOIN fb ON f.account_id = fb.account_id AND f.u = fb.u
    WHERE f.ts >= fb.ts AND f.ts <= fb.ts + INTERVAL '{{max_seconds}} seconds'
),
agg AS (
    SELECT account_id, count(*) AS n, min(ts) AS first_seen, max(ts) AS last_seen, array_agg(event_id ORDER BY ts, event_id) AS evidence
    FROM backs GROUP BY account_id HAVING count(*) >= {{min_follow_backs}}
)
SELECT g.account_id, g.first_seen, g.last_seen, CAST(g.n AS DOUBLE) AS value, g.n AS count, g.evidence,
       concat(CAST(g.n AS VARCHAR), ' users followed back within {{max_seconds}} seconds of their follow') AS message,
       'follow_back' AS key
FROM agg g
