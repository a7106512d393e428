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
),
-- nearly every reply has its own target: count first, build details only for the few repeated ones
repeated AS (
    SELECT account_id, target_post_id FROM r GROUP BY account_id, target_post_id HAVING count(*) > {{max_replies}}
)
SELECT r.account_id, min(r.ts) AS first_seen, max(r.ts) AS last_seen, CAST(count(*) AS DOUBLE) AS value, count(*) AS count,
       array_agg(r.event_id ORDER BY r.ts) AS evidence,
       concat(CAST(count(*) AS VARCHAR), ' automated replies to post ', r.target_post_id) AS message,
       true AS automated, first_value(r.automation) AS automation, r.target_post_id AS key
FROM r JOIN repeated x ON r.account_id = x.account_id AND r.target_post_id = x.target_post_id
GROUP BY r.account_id, r.target_post_id
