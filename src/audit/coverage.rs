//! Honest coverage: for each rule and account, whether the store holds the data the rule needs.
//! A rule that lacks data says `not_evaluable` and what data would make it evaluable; it never
//! reads as compliant.

use std::collections::BTreeMap;

use datafusion::prelude::SessionContext;
use serde::Deserialize;

use crate::error::Result;
use crate::rules::Need;
use crate::store::query_rows;

pub use crate::model::Status;

/// What the store holds for one account.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DataSummary {
    pub posts: i64,
    pub dms: i64,
    pub activity_log: i64,
    /// Inbound mentions and replies, from any source.
    pub inbound: i64,
    pub timed_follows: i64,
    pub snapshot_follows: i64,
    pub timed_likes: i64,
    pub list_events: i64,
    pub archive: i64,
    pub generic: i64,
    pub trends: i64,
    pub accounts: i64,
}

const SUMMARY: &str = "
SELECT account_id,
  sum(CASE WHEN kind IN ('post','reply','quote','repost') THEN 1 ELSE 0 END) AS posts,
  sum(CASE WHEN kind IN ('dm_sent','dm_received') THEN 1 ELSE 0 END) AS dms,
  sum(CASE WHEN origin IN ('webhook','activity_api') THEN 1 ELSE 0 END) AS activity_log,
  sum(CASE WHEN kind IN ('mention_received','reply_received') THEN 1 ELSE 0 END) AS inbound,
  sum(CASE WHEN kind IN ('follow','unfollow','followed_by','unfollowed_by') AND origin <> 'snapshot' THEN 1 ELSE 0 END) AS timed_follows,
  sum(CASE WHEN kind IN ('follow','unfollow') AND origin = 'snapshot' THEN 1 ELSE 0 END) AS snapshot_follows,
  sum(CASE WHEN kind IN ('like','unlike') AND origin <> 'snapshot' THEN 1 ELSE 0 END) AS timed_likes,
  sum(CASE WHEN kind IN ('list_add','list_remove') THEN 1 ELSE 0 END) AS list_events,
  sum(CASE WHEN origin = 'archive' THEN 1 ELSE 0 END) AS archive,
  sum(CASE WHEN origin = 'generic' THEN 1 ELSE 0 END) AS generic
FROM events GROUP BY account_id";

#[derive(Deserialize)]
struct AccountSummary {
    account_id: String,
    #[serde(flatten)]
    data: DataSummary,
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

pub async fn summarize(ctx: &SessionContext) -> Result<BTreeMap<String, DataSummary>> {
    let mut out: BTreeMap<String, DataSummary> =
        query_rows::<AccountSummary>(ctx, "coverage: data per account", SUMMARY)
            .await?
            .into_iter()
            .map(|s| (s.account_id, s.data))
            .collect();
    let trends = query_rows::<Count>(ctx, "coverage: trends", "SELECT count(*) AS n FROM trends")
        .await?
        .first()
        .map_or(0, |c| c.n);
    let accounts = out.len() as i64;
    for s in out.values_mut() {
        s.trends = trends;
        s.accounts = accounts;
    }
    Ok(out)
}

fn need_status(n: Need, d: &DataSummary) -> (Status, &'static str) {
    use Status::*;
    match n {
        Need::Posts if d.posts > 0 || d.archive > 0 || d.activity_log > 0 => (Evaluated, ""),
        Need::Posts => (
            NotEvaluable,
            "needs the account's posts: an X archive or an Account Activity log",
        ),
        Need::Dms if d.dms > 0 || d.activity_log > 0 => (Evaluated, ""),
        Need::Dms => (
            NotEvaluable,
            "needs direct messages: an X archive with direct-messages.js or an Account Activity log",
        ),
        Need::InboundEngagement if d.activity_log > 0 || d.inbound > 0 => (Evaluated, ""),
        Need::InboundEngagement if d.dms > 0 => (
            Partial,
            "engagement is known only through DMs; inbound mentions and replies need an Account Activity log",
        ),
        Need::InboundEngagement => (
            NotEvaluable,
            "needs inbound mentions, replies or DMs: an Account Activity log or an X archive with DMs",
        ),
        Need::TimedFollows if d.timed_follows > 0 || d.activity_log > 0 => (Evaluated, ""),
        Need::TimedFollows if d.snapshot_follows > 0 => (
            Partial,
            "follows are known only from archive snapshots, at day resolution; timed follows need an Account Activity log or a bot action log",
        ),
        Need::TimedFollows => (
            NotEvaluable,
            "needs timed follows: an Account Activity log, a bot action log, or two archives of the account",
        ),
        Need::TimedLikes if d.timed_likes > 0 || d.activity_log > 0 => (Evaluated, ""),
        Need::TimedLikes => (
            NotEvaluable,
            "needs timed likes: an Account Activity log or a bot action log (archives list likes without times)",
        ),
        Need::TimedListEvents if d.list_events > 0 || d.generic > 0 => (Evaluated, ""),
        Need::TimedListEvents => (
            NotEvaluable,
            "needs timed list additions: a bot action log (generic event log); neither archives nor webhooks have them",
        ),
        Need::ConnectedApps if d.archive > 0 => (Evaluated, ""),
        Need::ConnectedApps => (
            NotEvaluable,
            "needs the list of connected apps: an X archive (connected-application.js)",
        ),
        Need::TrendSnapshots if d.trends > 0 => (Evaluated, ""),
        Need::TrendSnapshots => (
            NotEvaluable,
            "needs trend snapshots (trends/place JSON or JSONL, v2 JSON or CSV)",
        ),
        Need::MultipleAccounts if d.accounts >= 2 => (Evaluated, ""),
        Need::MultipleAccounts => (
            NotEvaluable,
            "needs the activity of at least two audited accounts",
        ),
    }
}

/// The status of a rule with these needs for an account, and why.
pub fn status(needs: &[Need], d: &DataSummary) -> (Status, String) {
    let mut worst = Status::Evaluated;
    let mut reasons = Vec::new();
    for n in needs {
        let (s, why) = need_status(*n, d);
        worst = worst.max(s);
        if !why.is_empty() {
            reasons.push(why);
        }
    }
    (worst, reasons.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_archive_cannot_evaluate_timed_likes_or_follows() {
        let d = DataSummary {
            posts: 10,
            dms: 2,
            archive: 20,
            snapshot_follows: 5,
            ..Default::default()
        };
        assert_eq!(status(&[Need::TimedLikes], &d).0, Status::NotEvaluable);
        assert_eq!(status(&[Need::TimedFollows], &d).0, Status::Partial);
        assert_eq!(status(&[Need::Posts], &d).0, Status::Evaluated);
        let (s, why) = status(&[Need::Dms, Need::InboundEngagement], &d);
        assert_eq!(s, Status::Partial);
        assert!(why.contains("Account Activity log"));
    }

    #[test]
    fn an_activity_log_makes_timed_rules_evaluable() {
        let d = DataSummary {
            activity_log: 3,
            ..Default::default()
        };
        assert_eq!(
            status(
                &[
                    Need::TimedFollows,
                    Need::TimedLikes,
                    Need::InboundEngagement
                ],
                &d
            )
            .0,
            Status::Evaluated
        );
        assert_eq!(status(&[Need::TimedListEvents], &d).0, Status::NotEvaluable);
    }
}
