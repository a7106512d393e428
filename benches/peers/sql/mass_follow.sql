-- More than 100 follows in any sliding hour or more than 400 in any sliding 24 hours.
SELECT account_id
FROM (SELECT account_id,
             count(*) OVER (PARTITION BY account_id ORDER BY ts RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND CURRENT ROW) AS per_hour,
             count(*) OVER (PARTITION BY account_id ORDER BY ts RANGE BETWEEN INTERVAL 24 HOUR PRECEDING AND CURRENT ROW) AS per_day
      FROM activity WHERE kind = 'follow' AND origin <> 'snapshot')
GROUP BY account_id
HAVING max(per_hour) > 100 OR max(per_day) > 400
