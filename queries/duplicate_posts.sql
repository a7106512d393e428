-- id: duplicate_posts
-- title: Duplicate posts
-- section: I.A.spam.duplicates
-- severity: deny
-- needs: posts
-- metric: near_duplicate_posts_per_window
-- threshold: min_posts
-- param min_posts: 3 | near-duplicate posts of one account within the window from which the rule denies (2: warn)
-- param window_days: 30 | the sliding window, in days
-- what: The account posted the same or nearly the same text (Jaccard similarity of word
--   3-shingles of the normalized text at least 0.8) 3 or more times within 30 days; twice is a
--   warning. Texts that differ in their numbers are other content: an hourly weather post is not a
--   duplicate of the previous hour's, nor is "day 13 of 100" one of "day 5 of 100". Where a
--   post's links lead is part of its content: the same words linking to another page (a photo
--   each, an item each, as cross-posters and feeds write them) are other posts, while the same
--   page behind X's per-post t.co addresses is the same text again. Near-duplicate replies to one user count once: repeating yourself to one person in a
--   conversation is not broadcasting. Reposts, and texts under 3 words after removing mentions
--   and links, never count.
-- why: Posting duplicative or substantially similar content is spam ("Spam", duplicative
--   content), whether a person or a scheduler posts it.
-- example: A shop posts "Big sale today only: half price on every item" four times in two days,
--   once with an exclamation mark added.
-- remediation: Vary the content of recurring posts, or post it once and pin it.
WITH once_per_audience AS (
    SELECT account_id, cluster_id, event_id, ts, automated FROM (
        SELECT account_id, cluster_id, event_id, ts, automated,
               row_number() OVER (PARTITION BY account_id, cluster_id,
                                  CASE WHEN kind = 'reply' THEN coalesce(target_user_id, event_id) ELSE event_id END
                                  ORDER BY ts, event_id) AS nth
        FROM post_clusters)
    WHERE nth = 1
),
multi AS (
    SELECT account_id, cluster_id FROM once_per_audience GROUP BY account_id, cluster_id HAVING count(*) >= 2
),
posts AS (
    SELECT p.account_id, p.cluster_id, p.event_id, p.ts, p.automated
    FROM once_per_audience p JOIN multi m ON p.account_id = m.account_id AND p.cluster_id = m.cluster_id
),
bursts AS (
    SELECT account_id, cluster_id, bool_or(automated) AS automated,
           sliding_bursts(ts, event_id, {{window_days}} * 86400, 1) AS b
    FROM posts GROUP BY account_id, cluster_id
),
found AS (SELECT account_id, cluster_id, automated, unnest(b) AS burst FROM bursts)
SELECT f.account_id,
       f.burst['first_seen'] AS first_seen,
       f.burst['last_seen'] AS last_seen,
       CAST(f.burst['peak'] AS DOUBLE) AS value,
       f.burst['events'] AS count,
       f.burst['evidence'] AS evidence,
       concat(CAST(f.burst['peak'] AS VARCHAR), ' near-duplicate posts within ', CAST({{window_days}} AS VARCHAR), ' days') AS message,
       f.automated AS automated,
       CASE WHEN f.burst['peak'] < {{min_posts}} THEN 'warn' END AS severity,
       concat(CAST(f.cluster_id AS VARCHAR), ':', CAST(f.burst['first_seen'] AS VARCHAR)) AS key
FROM found f
