//! Honest coverage: for each rule and account, whether the store holds the data the rule needs.
//! A rule that lacks data says `not_evaluable` and what data would make it evaluable; it never
//! reads as compliant.

use std::collections::BTreeMap;

use datafusion::prelude::SessionContext;
use serde::Deserialize;

use super::census::{Census, Tally};
use crate::error::Result;
use crate::rules::Need;
use crate::store::query_rows;

pub use crate::model::Status;

/// What the store holds for one account.
#[derive(Debug, Clone, Default)]
pub struct DataSummary {
    pub posts: i64,
    pub dms: i64,
    pub activity_log: i64,
    pub timed_follows: i64,
    pub snapshot_follows: i64,
    pub timed_likes: i64,
    pub list_events: i64,
    pub archive: i64,
    pub generic: i64,
    pub trends: i64,
    pub accounts: i64,
    /// Data files the account's archive manifest lists and its export lacks (`data/…`).
    pub absent_files: Vec<String>,
    /// The period (µs) of the inputs that record inbound mentions and replies: activity logs,
    /// and event logs with any such event. None when no input records them.
    pub inbound_from: Option<i64>,
    pub inbound_to: Option<i64>,
    /// The period (µs) of the account's own posts, replies and DMs.
    pub own_from: Option<i64>,
    pub own_to: Option<i64>,
}

impl DataSummary {
    /// Whether inbound mentions and replies are known for the whole period of the account's own
    /// activity.
    fn inbound_covers_own(&self) -> bool {
        match (
            self.inbound_from,
            self.inbound_to,
            self.own_from,
            self.own_to,
        ) {
            (Some(from), Some(to), Some(own_from), Some(own_to)) => {
                from <= own_from && own_to <= to
            }
            (Some(_), Some(_), None, None) => true,
            _ => false,
        }
    }
}

impl DataSummary {
    /// What the census says of one account's events.
    fn of(tallies: &[Tally]) -> Self {
        let mut d = DataSummary::default();
        let timed = |t: &Tally| t.origin != "snapshot";
        let span = |from: &mut Option<i64>, to: &mut Option<i64>, t: &Tally| {
            *from = Some(from.map_or(t.first, |f| f.min(t.first)));
            *to = Some(to.map_or(t.last, |l| l.max(t.last)));
        };
        for t in tallies {
            let n = t.n as i64;
            let kind = t.kind.as_str();
            if matches!(kind, "post" | "reply" | "quote" | "repost") {
                d.posts += n;
            }
            if matches!(kind, "dm_sent" | "dm_received") {
                d.dms += n;
            }
            if matches!(t.origin.as_str(), "webhook" | "activity_api") {
                d.activity_log += n;
            }
            match kind {
                "follow" | "unfollow" | "followed_by" | "unfollowed_by" if timed(t) => {
                    d.timed_follows += n
                }
                "follow" | "unfollow" if !timed(t) => d.snapshot_follows += n,
                "like" | "unlike" if timed(t) => d.timed_likes += n,
                "list_add" | "list_remove" => d.list_events += n,
                _ => {}
            }
            match t.origin.as_str() {
                "archive" => d.archive += n,
                "generic" => d.generic += n,
                _ => {}
            }
            if t.inbound {
                span(&mut d.inbound_from, &mut d.inbound_to, t);
            }
            if matches!(kind, "post" | "reply" | "quote" | "dm_sent") {
                span(&mut d.own_from, &mut d.own_to, t);
            }
        }
        d
    }
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

/// Files absent from every archive export of the account: archives are cumulative, so a file one
/// export lacks and another holds is not missing (two exports of one account a year apart, the
/// older one stripped). Accounts whose exports are unknown keep every absent file.
const ABSENT: &str = "
WITH exports AS (
    SELECT c.account_id, count(DISTINCT c.source) AS n
    FROM accounts c JOIN inputs i ON c.source = i.path AND i.input_kind = 'archive'
    GROUP BY c.account_id)
SELECT a.account_id, a.file
FROM absent_files a LEFT JOIN exports e ON a.account_id = e.account_id
GROUP BY a.account_id, a.file, e.n
HAVING count(DISTINCT a.source) >= coalesce(e.n, 1)
ORDER BY a.account_id, a.file";

/// What the store holds for each account of the census.
pub async fn summarize(
    ctx: &SessionContext,
    census: &Census,
) -> Result<BTreeMap<String, DataSummary>> {
    #[derive(Deserialize)]
    struct Absent {
        account_id: String,
        file: String,
    }
    let (trends, absent) = futures::try_join!(
        query_rows::<Count>(ctx, "coverage: trends", "SELECT count(*) AS n FROM trends"),
        query_rows::<Absent>(ctx, "coverage: absent files", ABSENT),
    )?;
    let mut out: BTreeMap<String, DataSummary> = census
        .tallies
        .iter()
        .map(|(account, tallies)| (account.clone(), DataSummary::of(tallies)))
        .collect();
    let trends = trends.first().map_or(0, |c| c.n);
    let accounts = out.len() as i64;
    for s in out.values_mut() {
        s.trends = trends;
        s.accounts = accounts;
    }
    for a in absent {
        if let Some(s) = out.get_mut(&a.account_id) {
            s.absent_files.push(a.file);
        }
    }
    Ok(out)
}

/// The need whose data an archive file holds, and what its absence leaves of it: the full
/// text of long posts (`note-tweet.js`) is a part of the posts; the others are all of it.
fn held_by(file: &str) -> Option<(Need, Status)> {
    let name = file.rsplit('/').next().unwrap_or(file);
    if name.starts_with("direct-message") || name.starts_with("message-event") {
        Some((Need::Dms, Status::NotEvaluable))
    } else if name.starts_with("note-tweet") {
        Some((Need::Posts, Status::Partial))
    } else if name.starts_with("tweet") {
        Some((Need::Posts, Status::NotEvaluable))
    } else if name.starts_with("follower") || name.starts_with("following") {
        Some((Need::TimedFollows, Status::NotEvaluable))
    } else if name.starts_with("connected-application") {
        Some((Need::ConnectedApps, Status::NotEvaluable))
    } else {
        None
    }
}

/// A need the export cannot show, or shows only in part, because a file holding its data was
/// removed, and no activity log makes up for it: naming the files. DMs also hold the inbound
/// engagement an archive shows.
fn absent_status(n: Need, d: &DataSummary) -> Option<(Status, String)> {
    if d.activity_log > 0 && n != Need::ConnectedApps {
        return None;
    }
    let held = |f: &String| {
        held_by(f).and_then(|(need, status)| {
            let need_it = need == n || (need == Need::Dms && n == Need::InboundEngagement);
            need_it.then_some(status)
        })
    };
    let files: Vec<(&str, Status)> = d
        .absent_files
        .iter()
        .filter_map(|f| Some((f.as_str(), held(f)?)))
        .collect();
    let worst = files.iter().map(|(_, s)| *s).max()?;
    let names: Vec<&str> = files.iter().map(|(f, _)| *f).collect();
    let lacks = format!(
        "the export lacks {}, which its manifest lists (removed before the audit?)",
        names.join(", ")
    );
    Some(match worst {
        Status::Partial => (
            Status::Partial,
            format!("{lacks}: long posts are known only by their first 280 characters"),
        ),
        status => (status, lacks),
    })
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
        Need::InboundEngagement if d.inbound_covers_own() => (Evaluated, ""),
        Need::InboundEngagement if d.inbound_from.is_some() => (
            Partial,
            "inbound mentions and replies are recorded for only part of the account's activity; outside it engagement is known only through DMs and the account's own threads, so findings are at most warn",
        ),
        Need::InboundEngagement if d.dms > 0 => (
            Partial,
            "engagement is known only through DMs and the account's own threads, so findings are at most warn; inbound mentions and replies need an Account Activity log",
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

/// The most severe finding a rule with these needs may report for an account: a claim that a
/// user "had not engaged first" rests on inbound data, and where the inputs hold only part of it
/// the claim is a warning, never a violation.
pub fn severity_cap(needs: &[Need], d: &DataSummary) -> Option<crate::model::Severity> {
    (needs.contains(&Need::InboundEngagement)
        && status(&[Need::InboundEngagement], d).0 == Status::Partial)
        .then_some(crate::model::Severity::Warn)
}

/// The status of a rule with these needs for an account, and why.
pub fn status(needs: &[Need], d: &DataSummary) -> (Status, String) {
    let mut worst = Status::Evaluated;
    let mut reasons: Vec<String> = Vec::new();
    for n in needs {
        let (s, why) = match absent_status(*n, d) {
            Some(absent) => absent,
            None => {
                let (s, why) = need_status(*n, d);
                (s, why.to_string())
            }
        };
        worst = worst.max(s);
        if !why.is_empty() && !reasons.contains(&why) {
            reasons.push(why);
        }
    }
    (worst, reasons.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    use Tally as T;

    /// The census is per kind and origin; the summary must sort snapshot diffs from timed events
    /// and take the inbound period from inbound files only.
    #[test]
    fn the_summary_of_a_census_keeps_snapshots_apart_and_spans_inbound_files_only() {
        let d = DataSummary::of(&[
            T::new("follow", "snapshot", false, 4, 100, 900),
            T::new("follow", "webhook", true, 2, 300, 400),
            T::new("like", "snapshot", false, 7, 100, 900),
            T::new("post", "archive", false, 5, 50, 1000),
            T::new("dm_sent", "webhook", true, 1, 350, 350),
            T::new("mention_received", "generic", true, 3, 200, 600),
        ]);
        assert_eq!(
            (d.snapshot_follows, d.timed_follows, d.timed_likes),
            (4, 2, 0)
        );
        assert_eq!(
            (d.posts, d.dms, d.activity_log, d.archive, d.generic),
            (5, 1, 3, 5, 3)
        );
        assert_eq!((d.inbound_from, d.inbound_to), (Some(200), Some(600)));
        assert_eq!((d.own_from, d.own_to), (Some(50), Some(1000)));
        assert!(!d.inbound_covers_own());
    }

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

    /// Issue 22: an export whose DM files were removed cannot show DMs or who wrote first; the
    /// rules say so and name the files, instead of reading the absence as compliance.
    #[test]
    fn a_stripped_export_names_its_absent_files() {
        let d = DataSummary {
            posts: 10,
            archive: 20,
            absent_files: vec!["data/direct-messages.js".into()],
            ..Default::default()
        };
        let (s, why) = status(&[Need::Dms], &d);
        assert_eq!(s, Status::NotEvaluable);
        assert!(why.contains("data/direct-messages.js"), "{why}");
        assert_eq!(status(&[Need::Posts], &d).0, Status::Evaluated);
        // An Account Activity log shows the DMs the export lacks.
        let logged = DataSummary {
            activity_log: 5,
            ..d
        };
        assert_eq!(status(&[Need::Dms], &logged).0, Status::Evaluated);
    }

    #[test]
    fn an_activity_log_makes_timed_rules_evaluable() {
        let d = DataSummary {
            activity_log: 3,
            inbound_from: Some(0),
            inbound_to: Some(10),
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

    /// Issue 22: an archive holds no mentions or replies the account received, so "the user had
    /// not engaged first" is not known from it: partial, and at most warn. An activity log makes
    /// it known only for the period it covers.
    #[test]
    fn without_inbound_data_for_the_whole_period_engagement_rules_are_partial_and_at_most_warn() {
        let needs = [Need::Posts, Need::InboundEngagement];
        let archive = DataSummary {
            posts: 10,
            dms: 4,
            archive: 14,
            own_from: Some(100),
            own_to: Some(900),
            ..Default::default()
        };
        let (s, why) = status(&needs, &archive);
        assert_eq!(s, Status::Partial);
        assert!(why.contains("at most warn"), "{why}");
        assert_eq!(severity_cap(&needs, &archive), Some(Severity::Warn));
        assert_eq!(severity_cap(&[Need::Posts], &archive), None);

        let part = DataSummary {
            activity_log: 5,
            inbound_from: Some(500),
            inbound_to: Some(1_000),
            ..archive.clone()
        };
        assert_eq!(status(&needs, &part).0, Status::Partial);
        assert_eq!(severity_cap(&needs, &part), Some(Severity::Warn));

        let whole = DataSummary {
            inbound_from: Some(50),
            ..part
        };
        assert_eq!(status(&needs, &whole).0, Status::Evaluated);
        assert_eq!(severity_cap(&needs, &whole), None);
    }
}
