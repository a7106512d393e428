-- id: unsolicited_reply
-- title: Unsolicited replies
-- section: II.B.2
-- severity: deny
-- needs: posts, inbound_engagement
-- metric: users
-- param lookback_days: 30 | an engagement (mention, reply or DM to the account) this many days before the reply counts as opting in
-- what: Automated replies to users who had not engaged with the account first (mentioned it,
--   replied to it or sent it a DM within the last 30 days). Replies in the account's own threads
--   are not counted.
--   A `deny` needs the inbound mentions and replies for the whole period (an Account Activity
--   log, or an event log that records them); an archive holds only received DMs, so from it
--   alone findings are at most `warn`.
-- why: Automated replies may only go to users who opted in ("Sending automated mentions and
--   replies"); replying to posts found by keyword search is forbidden.
-- example: A bot replies to five users who never interacted with it, each an hour apart.
-- remediation: Reply only to users who addressed the account; drop keyword-search reply bots.
WITH r AS (
    SELECT account_id, event_id, ts, target_user_id AS u FROM activity
    WHERE kind = 'reply' AND automated = true AND target_user_id IS NOT NULL AND target_user_id <> account_id
),
eng AS (
    SELECT account_id, actor_id AS u, ts FROM activity WHERE kind IN ('mention_received', 'reply_received', 'dm_received')
),
ok AS (
    SELECT DISTINCT r.event_id FROM r JOIN eng ON r.account_id = eng.account_id AND r.u = eng.u
    WHERE eng.ts <= r.ts AND r.ts <= eng.ts + INTERVAL '{{lookback_days}} days'
),
bad AS (SELECT r.* FROM r LEFT JOIN ok ON r.event_id = ok.event_id WHERE ok.event_id IS NULL)
SELECT account_id, min(ts) AS first_seen, max(ts) AS last_seen, CAST(count(DISTINCT u) AS DOUBLE) AS value, count(*) AS count,
       array_agg(event_id ORDER BY ts, event_id) AS evidence,
       concat(CAST(count(*) AS VARCHAR), CASE WHEN count(*) = 1 THEN ' automated reply to ' ELSE ' automated replies to ' END,
              CAST(count(DISTINCT u) AS VARCHAR), CASE WHEN count(DISTINCT u) = 1 THEN ' user' ELSE ' users' END, ' who had not engaged first') AS message,
       true AS automated, 'unsolicited_reply' AS key
FROM bad GROUP BY account_id
