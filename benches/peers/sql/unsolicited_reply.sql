-- Automated replies to a user who had not mentioned, replied to or messaged the account in the
-- 30 days before.
WITH r AS (
    SELECT account_id, event_id, ts, target_user_id AS u FROM activity
    WHERE kind = 'reply' AND automated AND target_user_id IS NOT NULL AND target_user_id <> account_id
),
eng AS (SELECT account_id, actor_id AS u, ts FROM activity WHERE kind IN ('mention_received', 'reply_received', 'dm_received')),
ok AS (
    SELECT DISTINCT r.event_id FROM r JOIN eng USING (account_id, u)
    WHERE eng.ts <= r.ts AND r.ts <= eng.ts + INTERVAL 30 DAY
)
SELECT DISTINCT account_id FROM r ANTI JOIN ok USING (event_id)
