-- Who acted in each event, as a data engineer would decide it without xaudit's cadence runs:
-- the client's class for this kind of event (machine or person, from data/clients.toml), else a
-- connected app with write (DM) permission approved before the event; otherwise unknown (NULL).
CREATE VIEW write_apps AS
SELECT account_id, family, min(approved_at) AS since
FROM (SELECT a.account_id, a.approved_at, 'write' AS family FROM connected_apps a
      LEFT JOIN client_classes c ON a.name = c.client
      WHERE list_contains(a.permissions, 'write') AND coalesce(c.class, 'unknown') IN ('unknown', 'automation')
      UNION ALL
      SELECT a.account_id, a.approved_at, 'dm' AS family FROM connected_apps a
      LEFT JOIN client_classes c ON a.name = c.client
      WHERE list_contains(a.permissions, 'directmessages') AND coalesce(c.class, 'unknown') IN ('unknown', 'automation'))
WHERE approved_at IS NOT NULL
GROUP BY account_id, family;

CREATE VIEW activity AS
SELECT e.*,
       CASE WHEN acts = 'machine' THEN true
            WHEN acts = 'person' THEN false
            WHEN e.kind NOT IN ('dm_received', 'mention_received', 'reply_received', 'followed_by', 'unfollowed_by', 'liked_by')
                 AND coalesce(c.class, 'unknown') = 'unknown' AND w.since <= e.ts THEN true
       END AS automated
FROM (SELECT e.*, CASE WHEN kind IN ('post', 'quote', 'repost', 'delete') THEN 'posting'
                       WHEN kind IN ('reply', 'dm_sent') THEN 'interaction' ELSE 'graph' END AS family
      FROM events e) e
LEFT JOIN client_classes c ON e.client = c.client
LEFT JOIN write_apps w ON e.account_id = w.account_id
     AND w.family = CASE WHEN e.kind = 'dm_sent' THEN 'dm' ELSE 'write' END
CROSS JOIN LATERAL (SELECT CASE e.family WHEN 'posting' THEN c.posting WHEN 'interaction' THEN c.interaction ELSE c.graph END AS acts);
