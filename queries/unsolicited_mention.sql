-- id: unsolicited_mention
-- title: Unsolicited mentions
-- section: II.B.2
-- severity: deny
-- needs: posts, inbound_engagement
-- metric: users_mentioned_per_day
-- threshold: min_users
-- param min_users: 10 | users mentioned unsolicited in 24 hours from which the rule denies (fewer: warn)
-- param lookback_days: 30 | an engagement this many days before the mention counts as opting in
-- what: Automated posts (not replies) that @mention users who had not engaged with the account
--   first: 10 or more such users in any sliding 24 hours is a violation, 1 to 9 a warning.
--   A `deny` needs the inbound mentions and replies for the whole period (an Account Activity
--   log, or an event log that records them); an archive holds only received DMs, so from it
--   alone findings are at most `warn`.
-- why: Automated mentions may only go to users who opted in ("Sending automated mentions and
--   replies"); mass-mentioning strangers is spam.
-- example: A bot posts "Hey @user check this out" to 12 strangers in one day.
-- remediation: Mention only users who asked to be contacted.
WITH m AS (
    SELECT account_id, event_id, ts, u FROM (
        SELECT account_id, event_id, ts, unnest(mention_ids) AS u FROM activity
        WHERE kind IN ('post', 'quote') AND automated = true AND array_length(mention_ids) > 0
    ) WHERE u IS NOT NULL AND u <> account_id
),
eng AS (
    SELECT account_id, actor_id AS u, ts FROM activity WHERE kind IN ('mention_received', 'reply_received', 'dm_received')
),
ok AS (
    SELECT DISTINCT m.event_id, m.u FROM m JOIN eng ON m.account_id = eng.account_id AND m.u = eng.u
    WHERE eng.ts <= m.ts AND m.ts <= eng.ts + INTERVAL '{{lookback_days}} days'
),
bad AS (
    SELECT m.* FROM m LEFT JOIN ok ON m.event_id = ok.event_id AND m.u = ok.u WHERE ok.event_id IS NULL
),
-- each user counts once, at their first unsolicited mention
firsts AS (
    SELECT account_id, u, min(ts) AS ts, first_value(event_id ORDER BY ts) AS event_id FROM bad GROUP BY account_id, u
),
bursts AS (
    SELECT account_id, sliding_bursts(ts, event_id, 86400, {{min_users}} - 1) AS b FROM firsts GROUP BY account_id
),
deny AS (SELECT account_id, unnest(b) AS burst FROM bursts),
warn AS (
    SELECT f.account_id, min(f.ts) AS first_seen, max(f.ts) AS last_seen, count(*) AS n, array_agg(f.event_id ORDER BY f.ts, f.event_id) AS evidence
    FROM firsts f LEFT JOIN (SELECT DISTINCT account_id FROM deny) d ON f.account_id = d.account_id
    WHERE d.account_id IS NULL GROUP BY f.account_id
)
SELECT d.account_id, d.burst['first_seen'] AS first_seen, d.burst['last_seen'] AS last_seen,
       CAST(d.burst['peak'] AS DOUBLE) AS value, d.burst['events'] AS count, d.burst['evidence'] AS evidence,
       concat(CAST(d.burst['peak'] AS VARCHAR), ' users who had not engaged first mentioned within 24 hours') AS message,
       true AS automated, CAST(NULL AS VARCHAR) AS severity,
       CAST(d.burst['first_seen'] AS VARCHAR) AS key
FROM deny d
UNION ALL
SELECT w.account_id, w.first_seen, w.last_seen, CAST(w.n AS DOUBLE) AS value, w.n AS count, w.evidence,
       concat(CAST(w.n AS VARCHAR), CASE WHEN w.n = 1 THEN ' user' ELSE ' users' END, ' who had not engaged first mentioned by automated posts') AS message,
       true AS automated, 'warn' AS severity, 'mentions' AS key
FROM warn w
