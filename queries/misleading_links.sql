-- id: misleading_links
-- title: Misleading links
-- section: I.A.links
-- severity: deny
-- needs: posts
-- metric: misleading_links
-- what: Links that hide where they go: the link's expanded target is itself a URL shortener or
--   redirector (a hidden second hop behind X's own t.co) or an ad interstitial page (deny; warn
--   when every such post was evidently a person's, who pastes a shortened link as given); or the
--   post shows or names one site and the link goes to another (warn). A company's short links to
--   its own site (maps.app.goo.gl, youtu.be) hide nothing. Covers posts, replies,
--   quotes and sent direct messages. The shortener and ad-interstitial lists are a data file
--   (data/link_domains.toml); nothing is fetched from the network.
-- why: Posting misleading, deceptive or malicious links, including links through intermediate
--   ad pages and links disguised as another site, is forbidden ("Spam", misleading links).
-- example: "Read the full story here https://t.co/Ab12" where t.co expands to https://bit.ly/3kTx,
--   a second redirect the reader cannot see.
-- remediation: Link to the final address directly, without shorteners or ad pages, and let the
--   text name the site the link goes to.
WITH links AS (
    SELECT account_id, event_id, ts, automated, text, unnest(urls) AS u
    FROM activity WHERE kind IN ('post', 'reply', 'quote', 'dm_sent') AND array_length(urls) > 0
),
hosts AS (
    SELECT account_id, event_id, ts, automated, text,
           url_host(coalesce(u['expanded'], u['url'])) AS target, url_host(u['display']) AS shown
    FROM links
),
judged AS (
    SELECT account_id, event_id, ts, automated,
           CASE WHEN link_class(target) = 'shortener' THEN concat('goes through the shortener ', target)
                WHEN link_class(target) = 'ad_interstitial' THEN concat('goes through the ad page ', target)
                WHEN link_class(target) IN ('own', 'brand') THEN NULL
                WHEN shown IS NOT NULL AND link_class(shown) IS NULL AND url_site(shown) <> url_site(target)
                    THEN concat('shows ', shown, ' but goes to ', target)
                WHEN array_length(named_sites(text)) > 0 AND NOT array_has(named_sites(text), url_site(target))
                    THEN concat('names ', array_to_string(named_sites(text), ', '), ' but goes to ', target)
           END AS issue,
           link_class(target) IN ('shortener', 'ad_interstitial') AS hidden
    FROM hosts WHERE target IS NOT NULL
)
SELECT account_id, min(ts) AS first_seen, max(ts) AS last_seen,
       CAST(count(DISTINCT event_id) AS DOUBLE) AS value, count(*) AS count,
       array_agg(DISTINCT event_id ORDER BY event_id) AS evidence,
       concat(CAST(count(*) AS VARCHAR), CASE WHEN count(*) = 1 THEN ' link ' ELSE ' links: ' END,
              array_to_string(array_slice(array_agg(DISTINCT issue ORDER BY issue), 1, 3), '; ')) AS message,
       bool_or(automated) AS automated, CAST(NULL AS VARCHAR) AS automation,
       -- a person who pastes a shortened link they were given hides nothing on purpose
       CASE WHEN hidden AND NOT bool_and(coalesce(NOT automated, false)) THEN NULL ELSE 'warn' END AS severity,
       CASE WHEN hidden THEN 'hidden' ELSE 'disguised' END AS key
FROM judged WHERE issue IS NOT NULL
GROUP BY account_id, hidden
