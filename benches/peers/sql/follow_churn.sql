-- 50 or more accounts followed and unfollowed again within 7 days, in any sliding 30 days.
WITH f AS (SELECT account_id, target_user_id AS u, ts FROM activity WHERE kind = 'follow' AND origin <> 'snapshot'),
uf AS (SELECT account_id, target_user_id AS u, ts, event_id FROM activity WHERE kind = 'unfollow' AND origin <> 'snapshot'),
churn AS (
    SELECT DISTINCT uf.account_id, uf.event_id, uf.ts FROM uf JOIN f USING (account_id, u)
    WHERE uf.ts > f.ts AND uf.ts <= f.ts + INTERVAL 7 DAY
)
SELECT account_id
FROM (SELECT account_id, count(*) OVER (PARTITION BY account_id ORDER BY ts RANGE BETWEEN INTERVAL 30 DAY PRECEDING AND CURRENT ROW) AS n
      FROM churn)
GROUP BY account_id HAVING max(n) >= 50
