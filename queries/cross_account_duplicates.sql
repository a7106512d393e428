-- id: cross_account_duplicates
-- title: The same posts from several accounts
-- section: I.A.spam.duplicates
-- severity: deny
-- needs: posts, multiple_accounts
-- metric: accounts_in_cluster
-- threshold: min_accounts
-- param min_accounts: 2 | audited accounts posting one near-duplicate text from which the rule fires
-- what: Posts of this account and of other audited accounts are near-duplicates of each other
--   (one near-duplicate cluster_id spans 2 or more audited accounts). The pattern is reported once
--   per account and group of accounts: the clusters the account shares with the same other
--   accounts are one finding, which counts them, names the other accounts (the first ten, then how
--   many more) and lists the account's own posts in them as evidence.
-- why: Posting identical or substantially similar content across multiple accounts is spam
--   ("Spam", posting duplicative content on multiple accounts you operate).
-- example: Three accounts of one agency post "Limited offer: book your summer trip now and save
--   40 percent" within an hour of each other.
-- remediation: Post shared announcements from one account and let the others repost it.
WITH spread AS (
    SELECT cluster_id FROM post_clusters
    GROUP BY cluster_id HAVING count(DISTINCT account_id) >= {{min_accounts}}
),
members AS (
    SELECT p.account_id, p.cluster_id, p.event_id, p.ts, p.automated
    FROM post_clusters p JOIN spread s ON p.cluster_id = s.cluster_id
),
-- Each shared cluster's accounts as one sorted list: the clusters an account shares with the same
-- accounts are one pattern, however many texts it posted with them.
cluster_groups AS (
    SELECT cluster_id, array_to_string(array_sort(array_agg(DISTINCT account_id)), ' ') AS group_key,
           count(DISTINCT account_id) AS accounts
    FROM members GROUP BY cluster_id
),
own AS (
    SELECT m.account_id, g.group_key, max(g.accounts) AS accounts, count(DISTINCT m.cluster_id) AS clusters,
           min(m.ts) AS first_seen, max(m.ts) AS last_seen, count(*) AS n, bool_or(m.automated) AS automated,
           array_agg(m.event_id ORDER BY m.ts, m.event_id) AS evidence
    FROM members m JOIN cluster_groups g ON m.cluster_id = g.cluster_id
    GROUP BY m.account_id, g.group_key
),
handles AS (
    SELECT account_id, last_value(handle ORDER BY observed_at) AS handle FROM accounts WHERE handle IS NOT NULL GROUP BY account_id
),
other_members AS (
    SELECT account_id, group_key, member
    FROM (SELECT account_id, group_key, unnest(string_to_array(group_key, ' ')) AS member FROM own) u
    WHERE member <> account_id
),
others AS (
    SELECT o.account_id, o.group_key,
           array_to_string(array_slice(array_agg(coalesce('@' || h.handle, o.member) ORDER BY coalesce('@' || h.handle, o.member)), 1, 10), ', ') AS names
    FROM other_members o LEFT JOIN handles h ON o.member = h.account_id
    GROUP BY o.account_id, o.group_key
)
SELECT o.account_id, o.first_seen, o.last_seen, CAST(o.accounts AS DOUBLE) AS value, o.n AS count, o.evidence,
       concat(CAST(o.n AS VARCHAR), CASE WHEN o.n = 1 THEN ' post' ELSE ' posts' END,
              CASE WHEN o.clusters = 1 THEN '' ELSE concat(' (', CAST(o.clusters AS VARCHAR), ' texts)') END,
              CASE WHEN o.n = 1 THEN ' is a near-duplicate' ELSE ' are near-duplicates' END,
              ' of posts by ', CAST(o.accounts - 1 AS VARCHAR), CASE WHEN o.accounts = 2 THEN ' other audited account: ' ELSE ' other audited accounts: ' END,
              x.names,
              CASE WHEN o.accounts - 1 > 10 THEN concat(' and ', CAST(o.accounts - 11 AS VARCHAR), ' more') ELSE '' END) AS message,
       o.automated AS automated, o.group_key AS key
FROM own o JOIN others x ON o.account_id = x.account_id AND o.group_key = x.group_key
