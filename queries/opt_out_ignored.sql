-- id: opt_out_ignored
-- title: Opt-out ignored
-- section: II.C
-- severity: deny
-- needs: dms
-- metric: messages_after_opt_out
-- param confirmation_minutes: 5 | one message this many minutes or fewer after the opt-out is an allowed confirmation
-- what: Automated replies, mentions or DMs to a user after that user's opt-out message (STOP,
--   afmelden, iptal … in en, nl or tr) and before a later opt-in. One confirmation within 5
--   minutes of the opt-out is allowed.
--   The finding rests on an opt-out that is there to see, not on missing engagement; opt-outs
--   sent as replies are seen only with inbound replies (an Account Activity log).
-- why: Opt-out requests must be honoured at once ("Sending automated mentions and replies",
--   "Automated direct messages").
-- example: A user writes "STOP"; the bot confirms the unsubscription a minute later (allowed) and
--   sends an offer two hours later (a violation).
-- remediation: Record opt-outs the moment they arrive and check them before every message.
WITH inbound AS (
    SELECT account_id, actor_id AS u, ts, consent_phrase(text) AS consent, CAST(NULL AS VARCHAR) AS event_id,
           CAST(NULL AS BOOLEAN) AS automated, 'in' AS dir, kind
    FROM activity WHERE kind IN ('dm_received', 'reply_received', 'mention_received') AND actor_id IS NOT NULL
),
outbound AS (
    SELECT account_id, target_user_id AS u, ts, CAST(NULL AS VARCHAR) AS consent, event_id, automated, 'out' AS dir, kind
    FROM activity WHERE kind IN ('dm_sent', 'reply') AND target_user_id IS NOT NULL
    UNION ALL
    SELECT account_id, u, ts, CAST(NULL AS VARCHAR) AS consent, event_id, automated, 'out' AS dir, kind
    FROM (SELECT account_id, unnest(mention_ids) AS u, ts, event_id, automated, kind FROM activity WHERE kind IN ('post', 'quote') AND array_length(mention_ids) > 0)
),
-- Only conversations with an opt-out can break the rule: the ordered window below runs over their
-- messages alone, not over every reply and mention of every account.
opted AS (SELECT DISTINCT account_id, u FROM inbound WHERE consent = 'opt_out'),
msgs AS (
    SELECT m.* FROM (SELECT * FROM inbound UNION ALL SELECT * FROM outbound) m
    JOIN opted o ON m.account_id = o.account_id AND m.u = o.u
),
t AS (
    SELECT *,
           max(CASE WHEN consent = 'opt_out' THEN ts END) OVER w AS last_out,
           max(CASE WHEN consent = 'opt_in' THEN ts END) OVER w AS last_in
    FROM msgs
    WINDOW w AS (PARTITION BY account_id, u ORDER BY ts, dir ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
after_out AS (
    SELECT *, row_number() OVER (PARTITION BY account_id, u, last_out ORDER BY ts) AS nth
    FROM t WHERE dir = 'out' AND last_out IS NOT NULL AND (last_in IS NULL OR last_in < last_out)
),
bad AS (
    SELECT * FROM after_out
    WHERE automated = true AND NOT (nth = 1 AND ts <= last_out + INTERVAL '{{confirmation_minutes}} minutes')
)
SELECT b.account_id, min(b.ts) AS first_seen, max(b.ts) AS last_seen, CAST(count(*) AS DOUBLE) AS value, count(*) AS count,
       array_agg(b.event_id ORDER BY b.ts, b.event_id) AS evidence,
       concat(CAST(count(*) AS VARCHAR), CASE WHEN count(*) = 1 THEN ' automated message' ELSE ' automated messages' END,
              ' to user ', b.u, ' after they opted out') AS message,
       true AS automated, concat(b.u, ':', CAST(min(b.last_out) AS VARCHAR)) AS key
FROM bad b
GROUP BY b.account_id, b.u
