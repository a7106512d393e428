-- id: trend_automation
-- title: Automated posts on trending topics
-- section: I.A.spam.trends
-- severity: deny
-- needs: posts, trend_snapshots
-- metric: trending_posts_per_week
-- threshold: min_posts
-- param min_posts: 5 | automated posts carrying a trending topic within 7 days from which the rule fires
-- param window_hours: 3 | a topic counts when a trend snapshot listed it at most this many hours before the post
-- param stuffing_topics: 3 | trending topics in one automated post that make it hashtag stuffing
-- what: Automated posts that carry a topic (hashtag or phrase, case-insensitive) which a trend
--   snapshot listed within the 3 hours before the post: 5 or more such posts in any 7 days, or a
--   single post carrying 3 or more trending topics (hashtag stuffing). A person posting a trending
--   hashtag by hand from an official app is not automation.
-- why: Automatically posting about trending topics, or stuffing posts with trending hashtags, to
--   reach their audiences is spam ("Trending topics": automated posts may not target trends).
-- example: A scheduler appends whatever hashtag is trending to its posts, six times in one day.
-- remediation: Stop adding trending topics automatically; post about a trend only by hand and
--   only when the post is about it.
WITH tagged AS (
    SELECT account_id, event_id, ts, unnest(trend_topics(norm)) AS topic FROM post_texts WHERE automated = true
),
snapshots AS (
    SELECT DISTINCT normalize_text(name) AS topic, as_of FROM trends
),
hits AS (
    SELECT DISTINCT t.account_id, t.event_id, t.ts, t.topic
    FROM tagged t JOIN snapshots s ON t.topic = s.topic
    WHERE s.as_of <= t.ts AND t.ts <= s.as_of + INTERVAL '{{window_hours}} hours'
),
posts AS (
    SELECT account_id, event_id, min(ts) AS ts, count(*) AS topics, array_agg(topic ORDER BY topic) AS names
    FROM hits GROUP BY account_id, event_id
),
bursts AS (
    SELECT account_id, sliding_bursts(ts, event_id, 7 * 86400, {{min_posts}} - 1) AS b FROM posts GROUP BY account_id
),
found AS (SELECT account_id, unnest(b) AS burst FROM bursts),
stuffed AS (
    SELECT account_id, min(ts) AS first_seen, max(ts) AS last_seen, count(*) AS n, max(topics) AS most,
           array_agg(event_id ORDER BY ts, event_id) AS evidence
    FROM posts WHERE topics >= {{stuffing_topics}} GROUP BY account_id
)
SELECT f.account_id, f.burst['first_seen'] AS first_seen, f.burst['last_seen'] AS last_seen,
       CAST(f.burst['peak'] AS DOUBLE) AS value, f.burst['events'] AS count, f.burst['evidence'] AS evidence,
       concat(CAST(f.burst['peak'] AS VARCHAR), ' automated posts on topics trending at the time within 7 days') AS message,
       true AS automated, concat('burst:', CAST(f.burst['first_seen'] AS VARCHAR)) AS key
FROM found f
UNION ALL
SELECT s.account_id, s.first_seen, s.last_seen, CAST(s.most AS DOUBLE) AS value, s.n AS count, s.evidence,
       concat(CAST(s.n AS VARCHAR), CASE WHEN s.n = 1 THEN ' automated post carries ' ELSE ' automated posts carry ' END,
              CAST({{stuffing_topics}} AS VARCHAR), ' or more trending topics (up to ', CAST(s.most AS VARCHAR), ')') AS message,
       true AS automated, 'stuffing' AS key
FROM stuffed s
