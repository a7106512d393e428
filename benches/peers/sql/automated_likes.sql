-- 50 likes in a row whose gaps vary by a coefficient of variation under 0.3, more than 300 likes
-- in any sliding 24 hours, or 20 or more likes within 60 s of the liked post's creation (the
-- post id's snowflake time).
WITH likes AS (
    SELECT account_id, ts,
           to_timestamp(((TRY_CAST(target_post_id AS BIGINT) >> 22) + 1288834974657) / 1000.0) AS created
    FROM activity WHERE kind = 'like' AND origin <> 'snapshot'
),
gaps AS (
    SELECT account_id, ts, created,
           epoch(ts) - epoch(lag(ts) OVER (PARTITION BY account_id ORDER BY ts)) AS gap,
           count(*) OVER (PARTITION BY account_id ORDER BY ts RANGE BETWEEN INTERVAL 24 HOUR PRECEDING AND CURRENT ROW) AS per_day
    FROM likes
),
runs AS (
    SELECT account_id, created, ts, per_day,
           count(gap) OVER w AS n, stddev_pop(gap) OVER w / nullif(avg(gap) OVER w, 0) AS cv
    FROM gaps WINDOW w AS (PARTITION BY account_id ORDER BY ts ROWS BETWEEN 48 PRECEDING AND CURRENT ROW)
)
SELECT account_id FROM runs GROUP BY account_id
HAVING bool_or(n = 49 AND cv < 0.3) OR max(per_day) > 300
    OR count(*) FILTER (WHERE ts >= created AND ts <= created + INTERVAL 60 SECOND) >= 20
