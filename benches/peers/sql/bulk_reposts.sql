-- More than 50 reposts in any sliding hour or more than 500 in any sliding 24 hours; or 80 % of
-- the account's posts are reposts and its automated reposts come 20 in a row at machine cadence.
WITH reposts AS (
    SELECT account_id, ts, coalesce(automated, true) AS auto,
           epoch(ts) - epoch(lag(ts) OVER (PARTITION BY account_id, coalesce(automated, true) ORDER BY ts)) AS gap
    FROM activity WHERE kind = 'repost'
),
windows AS (
    SELECT account_id, auto,
           count(*) OVER (PARTITION BY account_id ORDER BY ts RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND CURRENT ROW) AS per_hour,
           count(*) OVER (PARTITION BY account_id ORDER BY ts RANGE BETWEEN INTERVAL 24 HOUR PRECEDING AND CURRENT ROW) AS per_day,
           count(gap) OVER w AS n, stddev_pop(gap) OVER w / nullif(avg(gap) OVER w, 0) AS cv
    FROM reposts WINDOW w AS (PARTITION BY account_id, auto ORDER BY ts ROWS BETWEEN 18 PRECEDING AND CURRENT ROW)
),
shares AS (
    SELECT account_id, count(*) FILTER (WHERE kind = 'repost') AS reposts, count(*) AS posts
    FROM activity WHERE kind IN ('post', 'reply', 'quote', 'repost') GROUP BY account_id
)
SELECT w.account_id FROM windows w JOIN shares s USING (account_id)
GROUP BY w.account_id, s.reposts, s.posts
HAVING max(per_hour) > 50 OR max(per_day) > 500
    OR (s.reposts >= 0.8 * s.posts AND bool_or(auto AND n = 19 AND cv < 0.3))
