-- id: non_api_automation
-- title: Automation through X's own apps (scripting the website)
-- section: I.non_api
-- severity: deny
-- needs: posts
-- metric: machine_signatures
-- param on_the_minute: 20 | actions at exactly :00 seconds from which a clock schedule shows (and half of the client's actions or more)
-- param quick_run: 50 | consecutive actions each under a minute apart that no person keeps up
-- param rest_hours: 48 | hours of activity without a 6-hour rest that no person keeps up
-- what: Machine signatures in activity from X's own apps and website, which have no API: a
--   schedule at exact clock times (20 or more actions at :00 seconds, half of the client's
--   actions or more), a run of 50 or more actions each less than a minute after the previous,
--   a run of machine cadence (50 or more actions whose gaps vary by a coefficient of variation
--   under 0.3), or 48 hours and 24 actions or more without a 6-hour rest. Two signatures or
--   more: deny; one: warn (X's own scheduler posts on the minute too). Per account and app;
--   seconds count only for accounts whose inputs record them.
-- why: Automation that is not based on the API, such as scripting the X website, is forbidden
--   and can lead to permanent suspension ("het scripten van de website van X", "X web sitesi
--   için komut dosyası oluşturmak").
-- example: 300 replies from "Twitter Web App", every 40 seconds at exactly :00 or :40, for a night.
-- remediation: Automate through the API with an app of your own, within its rules and limits;
--   never drive X's website or apps with scripts.
WITH own AS (
    SELECT account_id, client, kind, event_id, ts
    FROM activity
    WHERE client_class = 'official' AND origin <> 'snapshot'
      AND kind IN ('post', 'reply', 'quote', 'repost', 'like', 'follow', 'unfollow', 'dm_sent', 'list_add')
),
-- consecutive actions of one app less than a minute apart are one quick island, less than six
-- hours apart one awake island
islands AS (
    SELECT account_id, client, event_id, ts,
           sum(CASE WHEN gap IS NULL OR gap >= INTERVAL '1 minute' THEN 1 ELSE 0 END) OVER w AS quick_island,
           sum(CASE WHEN gap IS NULL OR gap >= INTERVAL '6 hours' THEN 1 ELSE 0 END) OVER w AS awake_island
    FROM (SELECT account_id, client, event_id, ts,
                 ts - lag(ts) OVER (PARTITION BY account_id, client ORDER BY ts, event_id) AS gap
          FROM own)
    WINDOW w AS (PARTITION BY account_id, client ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING)
),
-- seconds count only for accounts whose inputs record them (a log with minute precision has :00
-- everywhere)
clock_counts AS (
    SELECT o.account_id, o.client, count(*) FILTER (WHERE date_part('second', o.ts) = 0) AS on_minute, count(*) AS n
    FROM own o
    JOIN (SELECT account_id FROM own GROUP BY account_id HAVING bool_or(date_part('second', ts) <> 0)) k
      ON o.account_id = k.account_id
    GROUP BY o.account_id, o.client
    HAVING count(*) FILTER (WHERE date_part('second', o.ts) = 0) >= {{on_the_minute}}
       AND count(*) FILTER (WHERE date_part('second', o.ts) = 0) >= 0.5 * count(*)
),
clock AS (
    SELECT c.account_id, c.client, c.on_minute, c.n, array_agg(o.event_id ORDER BY o.ts, o.event_id) AS ids,
           min(o.ts) AS first_seen, max(o.ts) AS last_seen
    FROM clock_counts c JOIN own o ON o.account_id = c.account_id AND o.client = c.client
    WHERE date_part('second', o.ts) = 0
    GROUP BY c.account_id, c.client, c.on_minute, c.n
),
-- islands are counted first and only the few long ones gather their event ids
quick_runs AS (
    SELECT account_id, client, quick_island, count(*) AS n FROM islands
    GROUP BY account_id, client, quick_island HAVING count(*) >= {{quick_run}}
),
quick AS (
    SELECT r.account_id, r.client, r.n, min(i.ts) AS first_seen, max(i.ts) AS last_seen,
           array_agg(i.event_id ORDER BY i.ts, i.event_id) AS ids
    FROM quick_runs r JOIN islands i
      ON i.account_id = r.account_id AND i.client = r.client AND i.quick_island = r.quick_island
    GROUP BY r.account_id, r.client, r.quick_island, r.n
),
awake_runs AS (
    SELECT account_id, client, awake_island, count(*) AS n FROM islands
    GROUP BY account_id, client, awake_island
    HAVING count(*) >= 24 AND max(ts) - min(ts) >= INTERVAL '{{rest_hours}} hours'
),
awake AS (
    SELECT r.account_id, r.client, r.n, min(i.ts) AS first_seen, max(i.ts) AS last_seen,
           array_agg(i.event_id ORDER BY i.ts, i.event_id) AS ids
    FROM awake_runs r JOIN islands i
      ON i.account_id = r.account_id AND i.client = r.client AND i.awake_island = r.awake_island
    GROUP BY r.account_id, r.client, r.awake_island, r.n
),
regular AS (
    SELECT o.account_id, o.client, count(*) AS n, min(o.ts) AS first_seen, max(o.ts) AS last_seen,
           array_agg(o.event_id ORDER BY o.ts, o.event_id) AS ids
    FROM own o JOIN machine_runs m ON o.account_id = m.account_id AND o.client = m.client AND o.kind = m.kind
         AND o.ts BETWEEN m.first_seen AND m.last_seen
    GROUP BY o.account_id, o.client
),
signatures AS (
    SELECT account_id, client, concat(CAST(on_minute AS VARCHAR), ' of ', CAST(n AS VARCHAR), ' actions at exactly :00 seconds') AS what,
           on_minute AS n, first_seen, last_seen, ids FROM clock
    UNION ALL
    SELECT account_id, client, concat('a run of ', CAST(n AS VARCHAR), ' actions each under a minute apart'),
           n, first_seen, last_seen, ids FROM quick
    UNION ALL
    SELECT account_id, client, concat(CAST(n AS VARCHAR), ' actions at machine cadence'),
           n, first_seen, last_seen, ids FROM regular
    UNION ALL
    SELECT account_id, client, concat(CAST(CAST(date_part('epoch', last_seen - first_seen) / 3600 AS BIGINT) AS VARCHAR),
                                      ' hours of activity without a 6-hour rest'),
           n, first_seen, last_seen, ids FROM awake
)
SELECT account_id, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
       CAST(count(*) AS DOUBLE) AS value, CAST(2 AS DOUBLE) AS threshold,
       CAST(array_length(array_distinct(flatten(array_agg(ids)))) AS BIGINT) AS count,
       array_slice(array_distinct(flatten(array_agg(ids))), 1, 100) AS evidence,
       concat(client, ' activity with machine signatures: ', array_to_string(array_agg(what ORDER BY what), '; ')) AS message,
       true AS automated, make_array(concat('cadence:', client)) AS automation,
       CASE WHEN count(*) < 2 THEN 'warn' END AS severity,
       client AS key
FROM signatures GROUP BY account_id, client
