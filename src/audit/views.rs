//! Views every rule can read, registered once per audit.
//!
//! - `account_automation`: per account, whether it has a connected app that can write or send
//!   DMs, and that evidence as strings (`connected_app:<name>`).
//! - `activity`: `events` plus `client_class`, `automated` (true: an automation client, or no
//!   client and the account has a write/DM app; false: an official X client, evidently manual;
//!   NULL: unknown) and `automation` (the evidence, strongest first).
//! - `kind_automation`: per account and kind, whether any such event was automated (true), all
//!   were evidently manual (false) or nothing is known (NULL), with the distinct evidence.

use datafusion::prelude::SessionContext;

use crate::error::Result;

const VIEWS: [&str; 3] = [
    "CREATE VIEW account_automation AS
     SELECT account_id,
            true AS automated,
            array_agg(DISTINCT concat('connected_app:', coalesce(name, app_id))) AS automation
     FROM connected_apps
     WHERE array_has(permissions, 'write') OR array_has(permissions, 'directmessages')
     GROUP BY account_id",
    "CREATE VIEW activity AS
     SELECT e.*,
            client_class(e.client) AS client_class,
            CASE WHEN e.client IS NOT NULL THEN client_class(e.client) <> 'official'
                 WHEN a.automated THEN true
                 ELSE NULL END AS automated,
            CASE WHEN e.client IS NOT NULL AND client_class(e.client) <> 'official' THEN make_array(concat('client:', e.client))
                 WHEN e.client IS NULL THEN a.automation
                 ELSE NULL END AS automation
     FROM events e LEFT JOIN account_automation a ON e.account_id = a.account_id",
    "CREATE VIEW kind_automation AS
     WITH flags AS (SELECT account_id, kind, bool_or(automated) AS automated FROM activity GROUP BY account_id, kind),
          evidence AS (
              SELECT account_id, kind, array_agg(DISTINCT e ORDER BY e) AS automation
              FROM (SELECT account_id, kind, unnest(automation) AS e FROM activity WHERE automation IS NOT NULL)
              GROUP BY account_id, kind)
     SELECT f.account_id, f.kind, f.automated, v.automation
     FROM flags f LEFT JOIN evidence v ON f.account_id = v.account_id AND f.kind = v.kind",
];

pub async fn register(ctx: &SessionContext) -> Result<()> {
    for v in VIEWS {
        ctx.sql(v).await?.collect().await?;
    }
    Ok(())
}
