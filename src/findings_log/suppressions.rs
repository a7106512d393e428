//! Suppressions with an audit trail. `xaudit suppress` and `unsuppress` append to the
//! `suppressions` table and nothing is ever changed or removed there; whether a finding is
//! suppressed at a moment is the latest action on its fingerprint up to that moment (and a
//! suppression's `until` not yet passed). Suppressed findings stay in the report, with the reason,
//! and do not fail the run.

use std::collections::BTreeMap;

use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Suppression;
use crate::model::hash_id;
use crate::model::schema::SUPPRESSIONS;
use crate::model::time::format_ts;
use crate::store::{SessionOptions, Store, query_rows};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Suppress,
    Unsuppress,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Suppress => "suppress",
            Action::Unsuppress => "unsuppress",
        }
    }
}

/// One entry of the trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    pub action: String,
    pub reason: Option<String>,
    /// µs since the epoch.
    pub until: Option<i64>,
    pub by: String,
    pub at: i64,
}

#[derive(Serialize)]
struct Row<'a> {
    suppression_id: String,
    fingerprint: &'a str,
    action: &'a str,
    reason: Option<&'a str>,
    until: Option<i64>,
    by: &'a str,
    at: i64,
}

/// A fingerprint as reports print it: 32 lowercase hex digits.
fn check_fingerprint(fingerprint: &str) -> Result<()> {
    if fingerprint.len() == 32
        && fingerprint
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{fingerprint:?} is not a finding fingerprint: expected the 32 hex digits of a report's `fingerprint` field"
        )))
    }
}

/// Append a suppress or unsuppress action. The caller holds the store lock.
pub async fn record(
    store: &Store,
    action: Action,
    fingerprint: &str,
    reason: Option<&str>,
    until: Option<i64>,
    by: &str,
    at: i64,
) -> Result<()> {
    check_fingerprint(fingerprint)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if action == Action::Suppress && reason.is_none() {
        return Err(Error::Usage(
            "a suppression needs a reason (--reason \"…\"): it is the audit trail".into(),
        ));
    }
    if let Some(u) = until
        && u <= at
    {
        return Err(Error::Usage(format!(
            "--until {} is not in the future",
            format_ts(u)
        )));
    }
    let current = active(&store.session(&SessionOptions::default()).await?, at).await?;
    if action == Action::Unsuppress && !current.contains_key(fingerprint) {
        return Err(Error::Usage(format!(
            "{fingerprint} is not suppressed (`xaudit suppressions` lists what is)"
        )));
    }
    let row = Row {
        suppression_id: hash_id(&[fingerprint, action.as_str(), &at.to_string()]),
        fingerprint,
        action: action.as_str(),
        reason,
        until,
        by,
        at,
    };
    let meta = serde_json::json!({ "operation": action.as_str() });
    store.append_rows(&SUPPRESSIONS, &[row], &meta).await?;
    Ok(())
}

/// The whole trail, oldest first.
pub async fn trail(ctx: &SessionContext) -> Result<Vec<Entry>> {
    let sql = "SELECT fingerprint, action, reason, until, by, at FROM suppressions ORDER BY at, suppression_id";
    query_rows(ctx, "suppressions: trail", sql).await
}

/// Suppressions in force at `moment` (µs), by fingerprint.
pub async fn active(ctx: &SessionContext, moment: i64) -> Result<BTreeMap<String, Suppression>> {
    let mut latest: BTreeMap<String, Entry> = BTreeMap::new();
    for e in trail(ctx).await? {
        if e.at <= moment {
            latest.insert(e.fingerprint.clone(), e);
        }
    }
    Ok(latest
        .into_iter()
        .filter(|(_, e)| e.action == "suppress" && e.until.is_none_or(|u| u > moment))
        .map(|(fp, e)| {
            (
                fp,
                Suppression {
                    reason: e.reason.unwrap_or_default(),
                    by: e.by,
                    at: e.at,
                    until: e.until,
                },
            )
        })
        .collect())
}
