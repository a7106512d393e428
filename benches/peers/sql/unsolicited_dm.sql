-- Automated DMs to a user who had not written to the account first.
WITH sent AS (
    SELECT account_id, ts, target_user_id AS u FROM activity
    WHERE kind = 'dm_sent' AND automated AND target_user_id IS NOT NULL
),
first_in AS (SELECT account_id, actor_id AS u, min(ts) AS first_in FROM activity WHERE kind = 'dm_received' GROUP BY ALL)
SELECT DISTINCT s.account_id FROM sent s LEFT JOIN first_in f USING (account_id, u)
WHERE f.first_in IS NULL OR f.first_in > s.ts
