-- id: cross_account_duplicates
-- title: The same posts from several accounts
-- section: I.A.spam.duplicates
-- severity: deny
-- needs: posts, multiple_accounts
-- metric: accounts_in_cluster
-- threshold: min_accounts
-- param min_accounts: 2 | audited accounts posting one near-duplicate text from which the rule fires
-- what: Posts of this account and of other audited accounts are near-duplicates of each other
--   (one near-duplicate cluster_id spans 2 or more audited accounts). The finding names the other
--   accounts; its evidence lists the account's own posts in the cluster_id.
-- why: Posting identical or substantially similar content across multiple accounts is spam
--   ("Spam", posting duplicative content on multiple accounts you operate).
-- example: Three accounts of one agency post "Limited offer: book your summer trip now and save
--   40 percent" within an hour of each other.
-- remediation: Post shared announcements from one account and let the others repost it.
WITH spread AS (
    SELECT cluster_id, count(DISTINCT account_id) AS accounts FROM post_clusters
    GROUP BY cluster_id HAVING count(DISTINCT account_id) >= {{min_accounts}}
),
members AS (
    SELECT p.account_id, p.cluster_id, p.event_id, p.ts, p.automated, s.accounts
    FROM post_clusters p JOIN spread s ON p.cluster_id = s.cluster_id
),
handles AS (
    SELECT account_id, last_value(handle ORDER BY observed_at) AS handle FROM accounts WHERE handle IS NOT NULL GROUP BY account_id
),
named AS (
    SELECT DISTINCT m.cluster_id, m.account_id, coalesce('@' || h.handle, m.account_id) AS name
    FROM members m LEFT JOIN handles h ON m.account_id = h.account_id
),
others AS (
    SELECT a.cluster_id, a.account_id, array_to_string(array_agg(b.name ORDER BY b.name), ', ') AS names
    FROM (SELECT DISTINCT cluster_id, account_id FROM members) a
    JOIN named b ON a.cluster_id = b.cluster_id AND a.account_id <> b.account_id
    GROUP BY a.cluster_id, a.account_id
),
own AS (
    SELECT account_id, cluster_id, min(ts) AS first_seen, max(ts) AS last_seen, count(*) AS n,
           max(accounts) AS accounts, bool_or(automated) AS automated,
           array_agg(event_id ORDER BY ts, event_id) AS evidence
    FROM members GROUP BY account_id, cluster_id
)
SELECT o.account_id, o.first_seen, o.last_seen, CAST(o.accounts AS DOUBLE) AS value, o.n AS count, o.evidence,
       concat(CAST(o.n AS VARCHAR), CASE WHEN o.n = 1 THEN ' post is a near-duplicate' ELSE ' posts are near-duplicates' END,
              ' of posts by ', CAST(o.accounts - 1 AS VARCHAR), CASE WHEN o.accounts = 2 THEN ' other audited account: ' ELSE ' other audited accounts: ' END,
              x.names) AS message,
       o.automated AS automated, CAST(o.cluster_id AS VARCHAR) AS key
FROM own o JOIN others x ON o.account_id = x.account_id AND o.cluster_id = x.cluster_id
