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
-- runs of one app's consecutive actions without a pause (of a minute for a quick run, six hours
-- for an awake one) are looked for on times alone, and only the apps with one gather their runs'
-- event ids
quick_apps AS (
    SELECT account_id, client FROM own GROUP BY account_id, client
    HAVING cardinality(gap_runs(ts, CAST(NULL AS VARCHAR), 60, {{quick_run}})) > 0
),
quick AS (
    SELECT account_id, client, r['events'] AS n, r['first_seen'] AS first_seen, r['last_seen'] AS last_seen,
           r['evidence'] AS ids
    FROM (SELECT o.account_id, o.client, unnest(gap_runs(o.ts, o.event_id, 60, {{quick_run}})) AS r
          FROM own o JOIN quick_apps a ON o.account_id = a.account_id AND o.client = a.client
          GROUP BY o.account_id, o.client)
),
awake_apps AS (
    SELECT account_id, client FROM own GROUP BY account_id, client
    HAVING cardinality(gap_runs(ts, CAST(NULL AS VARCHAR), 21600, 24)) > 0
),
awake AS (
    SELECT account_id, client, r['events'] AS n, r['first_seen'] AS first_seen, r['last_seen'] AS last_seen,
           r['evidence'] AS ids
    FROM (SELECT o.account_id, o.client, unnest(gap_runs(o.ts, o.event_id, 21600, 24)) AS r
          FROM own o JOIN awake_apps a ON o.account_id = a.account_id AND o.client = a.client
          GROUP BY o.account_id, o.client)
    WHERE r['last_seen'] - r['first_seen'] >= INTERVAL '{{rest_hours}} hours'
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
