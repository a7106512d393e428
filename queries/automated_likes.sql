-- id: automated_likes
-- title: Automated likes
-- section: II.D.likes
-- severity: deny
-- needs: timed_likes
-- metric: likes
-- param min_run: 50 | likes in one run of machine cadence from which liking is automated
-- param max_cv: 0.3 | coefficient of variation of the gaps between likes below which the cadence is a machine's
-- param max_per_day: 300 | likes in any sliding 24 hours above which liking is automated
-- param fast_seconds: 60 | a like this many seconds or fewer after the liked post was created is instant
-- param min_fast: 20 | instant likes from which liking is automated
-- what: Liking by machine: a run of 50 or more likes with near-constant gaps (coefficient of
--   variation below 0.3), more than 300 likes in any sliding 24 hours, or 20 or more likes each
--   within 60 seconds of the liked post's creation (read from the post's id).
-- why: Posts may not be liked automatically ("Automated likes").
-- example: 80 likes, one every 45 seconds, for an hour.
-- remediation: Remove auto-like features and revoke the write access of apps that like for the
--   account.
WITH likes AS (
    SELECT account_id, event_id, ts, snowflake_time(target_post_id) AS created FROM activity WHERE kind = 'like' AND origin <> 'snapshot'
),
-- Runs and bursts are first found on the likes' times alone; the ids, which a finding cites, are
-- collected again only for the accounts that have one. Collected for every like, the ids were
-- most of an audit's peak memory (3.3M likes in a 10M-event store: 0.5 GiB).
flagged AS (
    SELECT account_id FROM likes GROUP BY account_id
    HAVING cardinality(regular_runs(ts, CAST(NULL AS VARCHAR), {{min_run}}, {{max_cv}})) > 0
        OR cardinality(sliding_bursts(ts, CAST(NULL AS VARCHAR), 86400, {{max_per_day}})) > 0
),
runs AS (
    SELECT account_id, unnest(regular_runs(ts, event_id, {{min_run}}, {{max_cv}})) AS r
    FROM likes WHERE account_id IN (SELECT account_id FROM flagged) GROUP BY account_id
),
daily AS (
    SELECT account_id, unnest(sliding_bursts(ts, event_id, 86400, {{max_per_day}})) AS b
    FROM likes WHERE account_id IN (SELECT account_id FROM flagged) GROUP BY account_id
),
fast AS (
    SELECT account_id, count(*) AS n, min(ts) AS first_seen, max(ts) AS last_seen, array_agg(event_id ORDER BY ts, event_id) AS evidence
    FROM likes
    WHERE created IS NOT NULL AND ts >= created AND ts <= created + INTERVAL '{{fast_seconds}} seconds'
    GROUP BY account_id HAVING count(*) >= {{min_fast}}
),
found AS (
    SELECT account_id, r['first_seen'] AS first_seen, r['last_seen'] AS last_seen, CAST(r['events'] AS DOUBLE) AS value,
           CAST({{min_run}} AS DOUBLE) AS threshold, r['events'] AS count, r['evidence'] AS evidence,
           concat(CAST(r['events'] AS VARCHAR), ' likes at machine cadence (gap variation ', CAST(round(r['cv'], 2) AS VARCHAR), ')') AS message,
           concat('run:', CAST(r['first_seen'] AS VARCHAR)) AS key, true AS cadence
    FROM runs
    UNION ALL
    SELECT account_id, b['first_seen'], b['last_seen'], CAST(b['peak'] AS DOUBLE), CAST({{max_per_day}} AS DOUBLE), b['events'], b['evidence'],
           concat(CAST(b['peak'] AS VARCHAR), ' likes within 24 hours (limit {{max_per_day}})'),
           concat('day:', CAST(b['first_seen'] AS VARCHAR)), false
    FROM daily
    UNION ALL
    SELECT account_id, first_seen, last_seen, CAST(n AS DOUBLE), CAST({{min_fast}} AS DOUBLE), n, evidence,
           concat(CAST(n AS VARCHAR), ' likes within {{fast_seconds}} seconds of the post''s creation'), 'fast', false
    FROM fast
)
SELECT f.account_id, f.first_seen, f.last_seen, f.value, f.threshold, f.count, f.evidence, f.message, f.key,
       -- a run of machine cadence is itself evidence of automation
       CASE WHEN f.cadence THEN true END AS automated,
       CASE WHEN f.cadence THEN make_array('cadence') END AS automation
FROM found f
