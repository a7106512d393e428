-- id: multiple_replies_per_interaction
-- title: Several automated replies to one interaction
-- section: II.B.2
-- severity: deny
-- needs: posts
-- metric: replies_to_one_post
-- param max_replies: 1 | automated replies allowed per inbound post
-- what: More than one automated reply to the same post. (RULES.md also counts several replies to
--   the same user within an hour with no new message from them in between; that part is not
--   checked yet.)
-- why: One automated reply per user interaction is the limit ("Sending automated mentions and
--   replies").
-- example: A user asks one question and the bot answers three times within fifteen minutes.
-- remediation: Reply once per interaction; deduplicate the bot's reply queue on the inbound post id.
WITH r AS (
    SELECT account_id, event_id, ts, target_post_id, target_user_id, automation FROM activity
    WHERE kind = 'reply' AND automated = true AND target_post_id IS NOT NULL AND target_user_id IS NOT NULL
      AND target_user_id <> account_id
)
SELECT account_id, min(ts) AS first_seen, max(ts) AS last_seen, CAST(count(*) AS DOUBLE) AS value, count(*) AS count,
       array_agg(event_id ORDER BY ts) AS evidence,
       concat(CAST(count(*) AS VARCHAR), ' automated replies to post ', target_post_id) AS message,
       true AS automated, first_value(automation) AS automation, target_post_id AS key
FROM r GROUP BY account_id, target_post_id HAVING count(*) > {{max_replies}}
