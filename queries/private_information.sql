-- id: private_information
-- title: Private information in public posts
-- section: I.A.private
-- severity: deny
-- needs: posts
-- metric: posts_with_personal_data
-- what: Public posts (posts, replies, quotes) that contain a payment card number (valid by Luhn,
--   with a card network's prefix and length), a Dutch BSN or a Turkish T.C. kimlik number (valid
--   by their checksums, next to a word such as "BSN" or "kimlik"): deny. An IBAN (valid by mod-97,
--   with its country's length and format): warn, since organisations publish their own for
--   donations and payments and a post cannot show whose it is. Phone numbers and e-mail addresses
--   of others: warn;
--   those in the account's own profile are its contact details and are not reported. Numbers that
--   fail their checksum (a 16-digit order number) are not reported.
-- why: Publishing other people's private information, such as payment or identity numbers and
--   contact details, is forbidden ("Private information").
-- example: A shop bot replies "Order confirmed for card 4539 1488 0343 6467".
-- remediation: Never echo payment, bank or identity numbers in public; move such conversations
--   to direct messages and mask numbers to their last four digits.
WITH found AS (
    SELECT account_id, event_id, ts, automated, unnest(personal_data(text)) AS d
    FROM activity WHERE kind IN ('post', 'reply', 'quote') AND text IS NOT NULL
),
profile AS (
    SELECT account_id, lower(array_to_string(array_agg(description), ' ')) AS own
    FROM accounts WHERE description IS NOT NULL GROUP BY account_id
),
bad AS (
    SELECT f.account_id, f.event_id, f.ts, f.automated, f.d['value'] AS value,
           CASE WHEN NOT f.d['checksummed'] THEN 'contact' WHEN f.d['kind'] = 'iban' THEN 'iban' ELSE 'checksummed' END AS tier,
           CASE f.d['kind'] WHEN 'payment_card' THEN 'payment card' WHEN 'iban' THEN 'IBAN' WHEN 'bsn' THEN 'BSN'
                WHEN 'tc_kimlik' THEN 'T.C. kimlik no' WHEN 'phone' THEN 'phone number' ELSE 'e-mail address' END AS label
    FROM found f LEFT JOIN profile p ON f.account_id = p.account_id
    WHERE f.d['checksummed'] OR p.own IS NULL OR strpos(p.own, lower(f.d['value'])) = 0
)
SELECT account_id, min(ts) AS first_seen, max(ts) AS last_seen,
       CAST(count(DISTINCT event_id) AS DOUBLE) AS value, count(*) AS count,
       array_agg(DISTINCT event_id ORDER BY event_id) AS evidence,
       concat(CAST(count(DISTINCT event_id) AS VARCHAR),
              CASE WHEN count(DISTINCT event_id) = 1 THEN ' public post contains ' ELSE ' public posts contain ' END,
              array_to_string(array_slice(array_agg(DISTINCT concat(label, ' ', redact(value)) ORDER BY concat(label, ' ', redact(value))), 1, 5), ', ')) AS message,
       bool_or(automated) AS automated, CAST(NULL AS VARCHAR) AS automation,
       CASE WHEN tier = 'checksummed' THEN NULL ELSE 'warn' END AS severity,
       tier AS key
FROM bad GROUP BY account_id, tier
