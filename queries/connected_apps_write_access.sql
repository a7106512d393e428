-- id: connected_apps_write_access
-- title: Apps that can act for the account
-- section: II.A
-- severity: info
-- needs: connected_apps
-- metric: permissions
-- what: Connected applications with write or direct-message permission, with when they were
--   approved: who can post, follow, like or send messages in the account's name. X's own apps
--   (a person signed in to Twitter for iPhone) are not listed.
-- why: Automation on a user's account needs the user's informed, explicit consent, and the user
--   must be able to take it back ("Automated activity on another user's account"). Knowing which
--   apps hold write access is where every audit of automation starts.
-- example: "PostPilot Scheduler" has read, write and direct-message permission since 2024-01-10.
-- remediation: Revoke apps that are no longer used (Settings → Security and account access →
--   Apps and sessions); keep the consent record for the others.
WITH latest AS (
    SELECT account_id, app_id,
           last_value(name ORDER BY observed_at) AS name,
           last_value(permissions ORDER BY observed_at) AS permissions,
           last_value(approved_at ORDER BY observed_at) AS approved_at,
           max(observed_at) AS observed_at
    FROM connected_apps GROUP BY account_id, app_id
),
events AS (
    SELECT account_id, client_id AS app_id, array_agg(event_id ORDER BY ts, event_id) AS evidence FROM activity
    WHERE kind = 'app_connected' GROUP BY account_id, client_id
)
SELECT l.account_id, coalesce(l.approved_at, l.observed_at) AS first_seen, l.observed_at AS last_seen,
       CAST(array_length(l.permissions) AS DOUBLE) AS value, CAST(1 AS BIGINT) AS count, e.evidence,
       concat(coalesce(l.name, l.app_id), ' (app ', l.app_id, ') can ', array_to_string(l.permissions, ', ')) AS message,
       true AS automated, make_array(concat('connected_app:', coalesce(l.name, l.app_id))) AS automation, l.app_id AS key
FROM latest l LEFT JOIN events e ON l.account_id = e.account_id AND l.app_id = e.app_id
WHERE (array_has(l.permissions, 'write') OR array_has(l.permissions, 'directmessages'))
  AND coalesce(client_class(l.name), 'unknown') <> 'official'
