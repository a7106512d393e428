-- id: bulk_dm
-- title: Bulk direct messages
-- section: II.C
-- severity: deny
-- needs: dms
-- metric: recipients_per_day
-- threshold: min_recipients
-- param min_recipients: 20 | distinct recipients of one near-duplicate DM text within 24 hours from which the rule fires
-- param min_unsolicited_share: 0.5 | share of those recipients who had not written first from which sending is bulk
-- what: One near-duplicate direct message text sent to 20 or more distinct users within 24 hours,
--   at least half of whom had never written to the account before.
-- why: Sending automated direct messages in bulk is forbidden ("Automated direct messages": do
--   not send bulk or unsolicited messages).
-- example: A bot sends "Exclusive deal for you: 30 % off all plans this week" to 25 users in
--   eight hours, none of whom had written to it.
-- remediation: Message only users who wrote first, and answer each in person or with a reply
--   specific to their message.
WITH first_in AS (
    SELECT account_id, actor_id AS u, min(ts) AS first_in FROM activity WHERE kind = 'dm_received' GROUP BY account_id, actor_id
),
multi AS (
    SELECT account_id, cluster_id FROM dm_clusters GROUP BY account_id, cluster_id HAVING count(DISTINCT target_user_id) >= {{min_recipients}}
),
-- each recipient counts once per cluster_id, at the first message; unsolicited when they had not written before it
firsts AS (
    SELECT d.account_id, d.cluster_id, d.target_user_id AS u, min(d.ts) AS ts, first_value(d.event_id ORDER BY d.ts) AS event_id,
           bool_or(d.automated) AS automated
    FROM dm_clusters d JOIN multi m ON d.account_id = m.account_id AND d.cluster_id = m.cluster_id
    WHERE d.target_user_id IS NOT NULL
    GROUP BY d.account_id, d.cluster_id, d.target_user_id
),
marked AS (
    SELECT f.*, (fi.first_in IS NULL OR fi.first_in > f.ts) AS unsolicited
    FROM firsts f LEFT JOIN first_in fi ON f.account_id = fi.account_id AND f.u = fi.u
),
bursts AS (
    SELECT account_id, cluster_id, bool_or(automated) AS automated,
           sliding_bursts(ts, event_id, 86400, {{min_recipients}} - 1) AS b
    FROM marked GROUP BY account_id, cluster_id
),
found AS (SELECT account_id, cluster_id, automated, unnest(b) AS burst FROM bursts),
judged AS (
    SELECT f.account_id, f.cluster_id, f.automated, f.burst,
           sum(CASE WHEN m.unsolicited THEN 1 ELSE 0 END) AS unsolicited, count(*) AS recipients
    FROM found f JOIN marked m ON f.account_id = m.account_id AND f.cluster_id = m.cluster_id
         AND m.ts >= f.burst['first_seen'] AND m.ts <= f.burst['last_seen']
    GROUP BY f.account_id, f.cluster_id, f.automated, f.burst
)
SELECT j.account_id, j.burst['first_seen'] AS first_seen, j.burst['last_seen'] AS last_seen,
       CAST(j.burst['peak'] AS DOUBLE) AS value, j.recipients AS count, j.burst['evidence'] AS evidence,
       concat('one near-duplicate DM text to ', CAST(j.burst['peak'] AS VARCHAR), ' users within 24 hours, ',
              CAST(j.unsolicited AS VARCHAR), ' of ', CAST(j.recipients AS VARCHAR), ' had not written first') AS message,
       j.automated AS automated, concat(CAST(j.cluster_id AS VARCHAR), ':', CAST(j.burst['first_seen'] AS VARCHAR)) AS key
FROM judged j
WHERE CAST(j.unsolicited AS DOUBLE) >= {{min_unsolicited_share}} * j.recipients
