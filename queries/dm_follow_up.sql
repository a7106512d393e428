-- id: dm_follow_up
-- title: Direct message follow-ups
-- section: II.C
-- severity: deny
-- needs: dms
-- metric: hours_since_user_message
-- threshold: min_hours
-- param min_hours: 24 | an automated DM this many hours after the user's last message, with none since, is a follow-up
-- what: Automated DMs sent more than 24 hours after the user's last message, with no new message
--   from the user since and no standing opt-in (a "subscribe"-type message that was not
--   withdrawn).
-- why: Once a user-initiated conversation has ended, automated follow-up messages are not
--   allowed ("Automated direct messages").
-- example: A user asks "do you ship abroad", the bot answers, and three days later sends "Still
--   interested? Our offer ends soon".
-- remediation: Answer what was asked and stop; send later messages only to users who subscribed.
WITH msgs AS (
    SELECT account_id, event_id, ts, kind, automated,
           CASE WHEN kind = 'dm_sent' THEN target_user_id ELSE actor_id END AS u,
           CASE WHEN kind = 'dm_received' THEN consent_phrase(text) END AS consent
    FROM activity WHERE kind IN ('dm_sent', 'dm_received')
),
t AS (
    SELECT *,
           max(CASE WHEN kind = 'dm_received' THEN ts END) OVER w AS last_in,
           max(CASE WHEN consent = 'opt_in' THEN ts END) OVER w AS last_opt_in,
           max(CASE WHEN consent = 'opt_out' THEN ts END) OVER w AS last_opt_out
    FROM msgs
    WINDOW w AS (PARTITION BY account_id, u ORDER BY ts, kind DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
bad AS (
    SELECT * FROM t
    WHERE kind = 'dm_sent' AND automated = true AND u IS NOT NULL AND last_in IS NOT NULL
      AND ts > last_in + INTERVAL '{{min_hours}} hours'
      AND NOT (last_opt_in IS NOT NULL AND (last_opt_out IS NULL OR last_opt_out < last_opt_in))
)
SELECT account_id, ts AS first_seen, ts AS last_seen,
       CAST(date_part('epoch', ts - last_in) / 3600.0 AS DOUBLE) AS value, CAST(1 AS BIGINT) AS count,
       make_array(event_id) AS evidence,
       concat('automated DM ', CAST(CAST(date_part('epoch', ts - last_in) / 3600 AS BIGINT) AS VARCHAR), ' hours after the user''s last message') AS message,
       true AS automated, event_id AS key
FROM bad
