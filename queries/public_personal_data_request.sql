-- id: public_personal_data_request
-- title: Asking for personal data in public
-- section: I.B
-- severity: warn
-- needs: posts
-- metric: public_requests
-- what: Public posts and replies that ask people to give personal data in public (a phone
--   number, e-mail address, home address, order or account number, ID) instead of by direct
--   message or another private channel. "DM us your order number" asks for a private channel and
--   is fine. Phrase lists in English, Dutch and Turkish (data/lexicons/).
-- why: Answers to such a request publish the users' private information, which the rules
--   protect ("Private information"); automated replies must not invite users to expose it.
-- example: A support bot replies "Please reply with your order number and phone number".
-- remediation: Ask users to continue in direct messages or a secure form.
WITH terms AS (
    -- unnest keeps only posts that name personal data, with the lexicon read once per post (a filter
    -- on the function's result would be pushed below it and read every post twice)
    SELECT event_id, norm, unnest(lexicon_terms(norm, 'personal_data')) AS term
    FROM post_texts WHERE kind IN ('post', 'reply', 'quote')
),
candidates AS (
    -- the text comes out of the aggregate (one per post): a filter on the join's post_texts side
    -- was pushed into its scan and read two more lexicons in all 6.4M posts of a 10M-event store
    -- instead of in the few that name personal data
    SELECT p.account_id, p.event_id, p.ts, p.automated, t.norm, t.data
    FROM (SELECT event_id, min(norm) AS norm, array_agg(term) AS data FROM terms GROUP BY event_id) t
    JOIN post_texts p ON p.event_id = t.event_id
),
asks AS (
    SELECT account_id, event_id, ts, automated, data FROM candidates
    WHERE array_length(lexicon_terms(norm, 'public_request')) > 0
      AND array_length(lexicon_terms(norm, 'private_channel')) = 0
)
SELECT account_id, min(ts) AS first_seen, max(ts) AS last_seen, CAST(count(*) AS DOUBLE) AS value, count(*) AS count,
       array_agg(event_id ORDER BY ts, event_id) AS evidence,
       concat(CAST(count(*) AS VARCHAR), CASE WHEN count(*) = 1 THEN ' public post asks' ELSE ' public posts ask' END,
              ' for personal data in public (', array_to_string(array_slice(array_sort(array_distinct(flatten(array_agg(data)))), 1, 4), ', '), ')') AS message,
       bool_or(automated) AS automated, CAST(NULL AS VARCHAR) AS automation, 'public_request' AS key
FROM asks GROUP BY account_id
