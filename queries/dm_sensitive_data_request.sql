-- id: dm_sensitive_data_request
-- title: Automated DMs asking for sensitive data
-- section: I.B
-- severity: warn
-- needs: dms
-- metric: requests
-- what: Automated direct messages that ask for highly sensitive data: a card number, CVV/CVC,
--   password, PIN, one-time code, BSN or T.C. kimlik no. Messages that warn against sharing it
--   ("we will never ask for your password") are not requests. Phrase lists in English, Dutch and
--   Turkish (data/lexicons/).
-- why: Asking for such data is how phishing works, and no legitimate automation needs it in a
--   direct message ("Abusive behaviour", phishing; "Private information").
-- example: A bot writes "To verify your account, send us your card number and CVV".
-- remediation: Never collect payment data, passwords or identity numbers by DM; send users to a
--   secure page of your own site.
WITH asks AS (
    SELECT account_id, event_id, ts, automated, lexicon_terms(norm, 'sensitive_data') AS data FROM dm_texts
    WHERE automated = true
      AND array_length(lexicon_terms(norm, 'sensitive_data')) > 0
      AND array_length(lexicon_terms(norm, 'dm_request')) > 0
      AND array_length(lexicon_terms(norm, 'negation')) = 0
)
SELECT s.account_id, min(s.ts) AS first_seen, max(s.ts) AS last_seen, CAST(count(*) AS DOUBLE) AS value, count(*) AS count,
       array_agg(s.event_id ORDER BY s.ts, s.event_id) AS evidence,
       concat(CAST(count(*) AS VARCHAR), CASE WHEN count(*) = 1 THEN ' automated DM asks' ELSE ' automated DMs ask' END,
              ' for sensitive data (', array_to_string(array_slice(array_sort(array_distinct(flatten(array_agg(s.data)))), 1, 4), ', '), ')') AS message,
       true AS automated, 'dm_sensitive_request' AS key
FROM asks s
GROUP BY s.account_id
