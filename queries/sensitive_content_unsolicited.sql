-- id: sensitive_content_unsolicited
-- title: Profanity or adult content sent unsolicited
-- section: I.B
-- severity: warn
-- needs: posts, dms, inbound_engagement
-- metric: messages
-- param lookback_days: 30 | an engagement this many days before the message counts as opting in
-- what: Automated replies, mentions and direct messages containing profanity or adult terms, sent
--   to users who had not engaged with the account first (mentioned it, replied to it or written to
--   it). Word lists in English, Dutch and Turkish (data/lexicons/), matched as whole words.
--   A `deny` needs the inbound mentions and replies for the whole period (an Account Activity
--   log, or an event log that records them); an archive holds only received DMs, so from it
--   alone findings are at most `warn`.
-- why: Sending sensitive or offensive content to people who did not ask for it is abusive
--   ("Abusive behaviour"; automated replies and mentions only to users who opted in).
-- example: A bot replies to strangers with "check out these hot nudes".
-- remediation: Keep automated messages free of profanity and adult content, and send them only
--   to users who asked.
WITH flagged AS (
    -- unnest keeps only texts with a term, with the lexicon read once per text (a filter on the
    -- function's result would be pushed below it and read every text twice)
    SELECT event_id, array_agg(term) AS terms FROM (
        SELECT event_id, unnest(lexicon_terms(norm, 'profanity')) AS term FROM post_texts WHERE automated = true
        UNION ALL
        SELECT event_id, unnest(lexicon_terms(norm, 'profanity')) AS term FROM dm_texts WHERE automated = true
    ) GROUP BY event_id
),
targets AS (
    SELECT a.account_id, a.event_id, a.ts, f.terms,
           CASE WHEN a.kind IN ('reply', 'dm_sent') THEN make_array(a.target_user_id) ELSE a.mention_ids END AS users
    FROM flagged f JOIN activity a ON a.event_id = f.event_id
),
sent AS (
    SELECT account_id, event_id, ts, terms, u FROM (SELECT account_id, event_id, ts, terms, unnest(users) AS u FROM targets)
    WHERE u IS NOT NULL AND u <> account_id
),
eng AS (
    SELECT account_id, actor_id AS u, ts FROM activity WHERE kind IN ('mention_received', 'reply_received', 'dm_received')
),
ok AS (
    SELECT DISTINCT s.event_id, s.u FROM sent s JOIN eng ON s.account_id = eng.account_id AND s.u = eng.u
    WHERE eng.ts <= s.ts AND s.ts <= eng.ts + INTERVAL '{{lookback_days}} days'
),
bad AS (
    SELECT s.* FROM sent s LEFT JOIN ok ON s.event_id = ok.event_id AND s.u = ok.u WHERE ok.event_id IS NULL
)
SELECT account_id, min(ts) AS first_seen, max(ts) AS last_seen, CAST(count(DISTINCT u) AS DOUBLE) AS value,
       count(DISTINCT event_id) AS count, array_agg(DISTINCT event_id ORDER BY event_id) AS evidence,
       concat(CAST(count(DISTINCT event_id) AS VARCHAR), CASE WHEN count(DISTINCT event_id) = 1 THEN ' automated message' ELSE ' automated messages' END,
              ' with profanity or adult terms (', array_to_string(array_slice(array_sort(array_distinct(flatten(array_agg(terms)))), 1, 4), ', '),
              ') to ', CAST(count(DISTINCT u) AS VARCHAR), CASE WHEN count(DISTINCT u) = 1 THEN ' user' ELSE ' users' END, ' who had not engaged first') AS message,
       true AS automated, CAST(NULL AS VARCHAR) AS automation, 'unsolicited_sensitive' AS key
FROM bad GROUP BY account_id
