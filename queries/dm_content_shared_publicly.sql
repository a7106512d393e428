-- id: dm_content_shared_publicly
-- title: Direct messages repeated in public
-- section: II.C
-- severity: deny
-- needs: dms, posts
-- metric: posts_repeating_dms
-- param min_words: 8 | consecutive normalized words of a received DM that a public post repeats
-- param min_words_with_mention: 5 | the same when the post also mentions the DM's sender
-- what: Public posts of the account that repeat 8 or more consecutive words of a direct message
--   the account received before, or 5 or more when the post also mentions the message's sender.
-- why: Direct messages are private: automatically publishing what users wrote in them breaks
--   their trust and the rules ("Automated direct messages"; "Private information").
-- example: A bot posts "Customer says: my order 123 never arrived and nobody answers my emails"
--   a minute after receiving exactly that in a DM.
-- remediation: Never publish direct message content; quote users only with their permission.
WITH received AS (
    SELECT account_id, event_id, actor_id AS sender, ts, normalize_text(text) AS norm
    FROM activity WHERE kind = 'dm_received' AND text IS NOT NULL
),
dm_grams AS (
    SELECT account_id, event_id, sender, ts, unnest(word_ngrams(norm, {{min_words}})) AS g, false AS with_mention FROM received
    UNION ALL
    SELECT account_id, event_id, sender, ts, unnest(word_ngrams(norm, {{min_words_with_mention}})) AS g, true AS with_mention FROM received
),
with_dms AS (SELECT DISTINCT account_id FROM received),
posts AS (
    SELECT p.account_id, p.event_id, p.ts, p.automated, p.norm FROM post_texts p JOIN with_dms d ON p.account_id = d.account_id
    WHERE p.words >= {{min_words_with_mention}}
),
post_grams AS (
    SELECT account_id, event_id, ts, automated, unnest(word_ngrams(norm, {{min_words}})) AS g, false AS with_mention FROM posts WHERE word_count(norm) >= {{min_words}}
    UNION ALL
    SELECT account_id, event_id, ts, automated, unnest(word_ngrams(norm, {{min_words_with_mention}})) AS g, true AS with_mention FROM posts
),
hits AS (
    SELECT DISTINCT p.account_id, p.event_id, p.ts, p.automated, d.event_id AS dm, d.sender, p.with_mention
    FROM post_grams p JOIN dm_grams d ON p.account_id = d.account_id AND p.g = d.g AND p.with_mention = d.with_mention
    WHERE d.ts < p.ts
),
confirmed AS (
    SELECT h.* FROM hits h JOIN activity a ON a.event_id = h.event_id
    WHERE NOT h.with_mention OR array_has(a.mention_ids, h.sender)
)
SELECT account_id, min(ts) AS first_seen, max(ts) AS last_seen, CAST(count(DISTINCT event_id) AS DOUBLE) AS value,
       count(DISTINCT event_id) AS count, array_agg(DISTINCT event_id ORDER BY event_id) AS evidence,
       concat(CAST(count(DISTINCT event_id) AS VARCHAR), CASE WHEN count(DISTINCT event_id) = 1 THEN ' public post repeats' ELSE ' public posts repeat' END,
              ' the words of ', CAST(count(DISTINCT dm) AS VARCHAR), CASE WHEN count(DISTINCT dm) = 1 THEN ' direct message' ELSE ' direct messages' END,
              ' the account received') AS message,
       bool_or(automated) AS automated, CAST(NULL AS VARCHAR) AS automation, 'dm_shared' AS key
FROM confirmed GROUP BY account_id
