-- id: unsolicited_dm
-- title: Unsolicited direct messages
-- section: II.C
-- severity: deny
-- needs: dms
-- metric: recipients
-- what: Automated direct messages to users who had never written to the account first.
-- why: Automated DMs may only go to users who opted in, for example by messaging the account
--   first ("Automated direct messages"). Following the account is not opting in.
-- example: A bot sends "Exclusive deal for you" to five users who never wrote to it.
-- remediation: Only message users who wrote first or explicitly asked for messages; keep proof
--   of the opt-in.
WITH sent AS (
    SELECT account_id, event_id, ts, target_user_id AS u FROM activity
    WHERE kind = 'dm_sent' AND automated = true AND target_user_id IS NOT NULL
),
first_in AS (
    SELECT account_id, actor_id AS u, min(ts) AS first_in FROM activity WHERE kind = 'dm_received' GROUP BY account_id, actor_id
),
bad AS (
    SELECT s.* FROM sent s LEFT JOIN first_in f ON s.account_id = f.account_id AND s.u = f.u
    WHERE f.first_in IS NULL OR f.first_in > s.ts
)
SELECT b.account_id, min(b.ts) AS first_seen, max(b.ts) AS last_seen,
       CAST(count(DISTINCT b.u) AS DOUBLE) AS value, count(*) AS count,
       array_agg(b.event_id ORDER BY b.ts, b.event_id) AS evidence,
       concat(CAST(count(*) AS VARCHAR), CASE WHEN count(*) = 1 THEN ' automated DM to ' ELSE ' automated DMs to ' END,
              CAST(count(DISTINCT b.u) AS VARCHAR), CASE WHEN count(DISTINCT b.u) = 1 THEN ' user' ELSE ' users' END, ' who had not written first') AS message,
       true AS automated, 'unsolicited_dm' AS key
FROM bad b
GROUP BY b.account_id
