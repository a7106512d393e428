-- id: multiple_replies_per_interaction
-- title: Several automated replies to one interaction
-- section: II.B.2
-- severity: deny
-- needs: posts
-- metric: replies_to_one_post
-- param max_replies: 1 | automated replies allowed per inbound post
-- param window_minutes: 60 | two replies to one user this close need a new message from them in between
-- what: More than one automated reply to the same post, or two automated replies to the same
--   user within an hour with no new message from that user in between: the second reply answers a
--   post the user wrote before the first reply, and no mention, reply or DM from them arrived
--   between the two. (A reply whose target post id is not an X id, so that its time is unknown,
--   is not counted for the second part.)
-- why: One automated reply per user interaction is the limit ("Sending automated mentions and
--   replies").
-- example: A user asks one question and the bot answers three times within fifteen minutes.
-- remediation: Reply once per interaction; deduplicate the bot's reply queue on the inbound post id.
WITH r AS (
    SELECT account_id, event_id, ts, target_post_id, target_user_id FROM activity
    WHERE kind = 'reply' AND automated = true AND target_post_id IS NOT NULL AND target_user_id IS NOT NULL
      AND target_user_id <> account_id
),
-- nearly every reply has its own target: count first, build details only for the few repeated ones
repeated AS (
    SELECT account_id, target_post_id FROM r GROUP BY account_id, target_post_id HAVING count(*) > {{max_replies}}
),
same_post AS (
    SELECT r.account_id, min(r.ts) AS first_seen, max(r.ts) AS last_seen, CAST(count(*) AS DOUBLE) AS value, count(*) AS count,
           array_agg(r.event_id ORDER BY r.ts, r.event_id) AS evidence,
           concat(CAST(count(*) AS VARCHAR), ' automated replies to post ', r.target_post_id) AS message,
           true AS automated, r.target_post_id AS key
    FROM r JOIN repeated x ON r.account_id = x.account_id AND r.target_post_id = x.target_post_id
    GROUP BY r.account_id, r.target_post_id
),
-- each reply with the one before it to the same user
pairs AS (
    SELECT account_id, target_user_id, event_id, ts, target_post_id,
           lag(ts) OVER (PARTITION BY account_id, target_user_id ORDER BY ts, event_id) AS prev_ts,
           lag(event_id) OVER (PARTITION BY account_id, target_user_id ORDER BY ts, event_id) AS prev_id,
           lag(target_post_id) OVER (PARTITION BY account_id, target_user_id ORDER BY ts, event_id) AS prev_post
    FROM r
),
-- the second reply answers an older post (its X id dates it before the first reply)
close_pairs AS (
    SELECT * FROM pairs
    WHERE prev_ts IS NOT NULL AND ts <= prev_ts + INTERVAL '{{window_minutes}} minutes'
      AND target_post_id <> prev_post AND snowflake_time(target_post_id) <= prev_ts
),
inbound AS (
    SELECT account_id, actor_id AS u, ts FROM events
    WHERE kind IN ('mention_received', 'reply_received', 'dm_received') AND actor_id IS NOT NULL
),
-- pairs with a message from the user in between are answers to a new interaction
answered AS (
    SELECT DISTINCT p.account_id, p.event_id FROM close_pairs p JOIN inbound i
      ON i.account_id = p.account_id AND i.u = p.target_user_id AND i.ts > p.prev_ts AND i.ts <= p.ts
),
same_user AS (
    SELECT p.account_id, min(p.prev_ts) AS first_seen, max(p.ts) AS last_seen,
           CAST(count(*) + 1 AS DOUBLE) AS value, count(*) + 1 AS count,
           array_sort(array_distinct(flatten(array_agg(make_array(p.prev_id, p.event_id))))) AS evidence,
           concat(CAST(count(*) + 1 AS VARCHAR), ' automated replies to user ', p.target_user_id,
                  ' within {{window_minutes}} minutes of each other with no new message from them') AS message,
           true AS automated, concat('user:', p.target_user_id) AS key
    FROM close_pairs p LEFT JOIN answered a ON a.account_id = p.account_id AND a.event_id = p.event_id
    WHERE a.event_id IS NULL
    GROUP BY p.account_id, p.target_user_id
)
SELECT * FROM same_post
UNION ALL
SELECT * FROM same_user
