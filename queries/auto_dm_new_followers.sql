-- id: auto_dm_new_followers
-- title: Automatic DMs to new followers
-- section: II.C
-- severity: deny
-- needs: dms, timed_follows
-- metric: welcome_dms
-- threshold: min_dms
-- param min_dms: 3 | automated DMs this soon after a follow, from which the account DMs new followers automatically
-- param max_minutes: 10 | a DM this many minutes or fewer after the recipient followed counts
-- what: Three or more automated DMs, each sent within 10 minutes of the recipient following the
--   account.
-- why: Following an account is not opting in to its messages ("Automated direct messages");
--   welcome-DM tools message people who asked for nothing.
-- example: Every new follower gets "Thanks for the follow! Get 10% off" two minutes later.
-- remediation: Turn off auto-DM-on-follow features.
WITH fb AS (
    SELECT account_id, actor_id AS u, ts FROM activity WHERE kind = 'followed_by' AND origin <> 'snapshot'
),
d AS (
    SELECT account_id, target_user_id AS u, ts, event_id FROM activity WHERE kind = 'dm_sent' AND automated = true
),
hits AS (
    SELECT DISTINCT d.account_id, d.event_id, d.ts
    FROM d JOIN fb ON d.account_id = fb.account_id AND d.u = fb.u
    WHERE d.ts >= fb.ts AND d.ts <= fb.ts + INTERVAL '{{max_minutes}} minutes'
),
agg AS (
    SELECT account_id, count(*) AS n, min(ts) AS first_seen, max(ts) AS last_seen, array_agg(event_id ORDER BY ts, event_id) AS evidence
    FROM hits GROUP BY account_id HAVING count(*) >= {{min_dms}}
)
SELECT g.account_id, g.first_seen, g.last_seen, CAST(g.n AS DOUBLE) AS value, g.n AS count, g.evidence,
       concat(CAST(g.n AS VARCHAR), ' automated DMs within {{max_minutes}} minutes of the recipient following') AS message,
       true AS automated, 'welcome_dm' AS key
FROM agg g
