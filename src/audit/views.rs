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
            array_agg(DISTINCT concat('connected_app:', coalesce(name, app_id)) ORDER BY concat('connected_app:', coalesce(name, app_id))) AS automation
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
    // The evidence of an event is `client:<name>` for a non-official client, else (no client) the
    // account's app evidence; so per kind it is the distinct such clients, plus the apps when any
    // event of the kind has no client. Computed this way rather than by unnesting every event's
    // list, which cost 2.5 s per use on 9M events.
    "CREATE VIEW kind_automation AS
     WITH k AS (
         SELECT account_id, kind,
                bool_or(automated) AS automated,
                bool_or(client IS NULL) AS unattributed,
                array_agg(DISTINCT concat('client:', client) ORDER BY concat('client:', client))
                    FILTER (WHERE client IS NOT NULL AND client_class <> 'official') AS clients
         FROM activity GROUP BY account_id, kind)
     SELECT k.account_id, k.kind, k.automated,
            CASE WHEN k.unattributed AND a.automation IS NOT NULL AND k.clients IS NOT NULL THEN array_concat(k.clients, a.automation)
                 WHEN k.unattributed AND a.automation IS NOT NULL THEN a.automation
                 ELSE k.clients END AS automation
     FROM k LEFT JOIN account_automation a ON k.account_id = a.account_id",
];

pub async fn register(ctx: &SessionContext) -> Result<()> {
    for v in VIEWS {
        ctx.sql(v).await?.collect().await?;
    }
    Ok(())
}
