-- id: dm_content_shared_publicly
-- title: Direct messages repeated in public
-- section: II.C
-- severity: deny
-- needs: dms, posts
-- metric: posts_repeating_dms
-- param min_words: 8 | consecutive normalized words of a received DM that a public post repeats
-- param min_words_with_mention: 5 | the same when the post also mentions the DM's sender (3 at least)
-- what: Public posts of the account that repeat 8 or more consecutive words of a direct message
--   the account received before, or 5 or more when the post also mentions the message's sender.
-- why: Direct messages are private: automatically publishing what users wrote in them breaks
--   their trust and the rules ("Automated direct messages"; "Private information").
-- example: A bot posts "Customer says: my order 123 never arrived and nobody answers my emails"
--   a minute after receiving exactly that in a DM.
-- remediation: Never publish direct message content; quote users only with their permission.
WITH echoes AS (
    SELECT account_id, event_id, ts, automated, unnest(dm_echo(account_id, norm, ts)) AS e
    FROM post_texts WHERE words >= {{min_words_with_mention}}
),
candidates AS (
    SELECT account_id, event_id, ts, automated, e['dm'] AS dm, e['sender'] AS sender, e['words'] AS words FROM echoes
    WHERE e['words'] >= {{min_words_with_mention}}
),
confirmed AS (
    SELECT c.* FROM candidates c JOIN events a ON a.event_id = c.event_id
    WHERE c.words >= {{min_words}} OR array_has(a.mention_ids, c.sender)
)
SELECT account_id, min(ts) AS first_seen, max(ts) AS last_seen, CAST(count(DISTINCT event_id) AS DOUBLE) AS value,
       count(DISTINCT event_id) AS count, array_agg(DISTINCT event_id ORDER BY event_id) AS evidence,
       concat(CAST(count(DISTINCT event_id) AS VARCHAR), CASE WHEN count(DISTINCT event_id) = 1 THEN ' public post repeats' ELSE ' public posts repeat' END,
              ' up to ', CAST(max(words) AS VARCHAR), ' words of ', CAST(count(DISTINCT dm) AS VARCHAR),
              CASE WHEN count(DISTINCT dm) = 1 THEN ' direct message' ELSE ' direct messages' END, ' the account received') AS message,
       bool_or(automated) AS automated, CAST(NULL AS VARCHAR) AS automation, 'dm_shared' AS key
FROM confirmed GROUP BY account_id
