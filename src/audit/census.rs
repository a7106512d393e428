//! What the store holds, counted once per audit: per account, kind and origin, how many events,
//! their first and last time, apart for the input files that record inbound engagement. Coverage
//! (which rules have the data they need) and the account facts (counts per kind, the period) both
//! read it, instead of scanning the events twice more: at 1M events the census is one scan where
//! coverage alone made two (one to find the inbound input files, one to count) and the facts a
//! third.

use std::collections::BTreeMap;

use datafusion::prelude::SessionContext;
use serde::Deserialize;

use crate::error::Result;
use crate::store::query_rows;

/// Events of one account, kind and origin, from input files that record inbound engagement
/// (`inbound`) or from others.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tally {
    pub kind: String,
    pub origin: String,
    /// Whether the input files these events came from record inbound mentions and replies: an
    /// activity log (webhook or Activity API) or any file holding such an event.
    pub inbound: bool,
    pub n: u64,
    /// First and last event time, µs since the epoch.
    pub first: i64,
    pub last: i64,
}

#[cfg(test)]
impl Tally {
    pub fn new(kind: &str, origin: &str, inbound: bool, n: u64, first: i64, last: i64) -> Self {
        Tally {
            kind: kind.into(),
            origin: origin.into(),
            inbound,
            n,
            first,
            last,
        }
    }
}

/// Every account with events, and its tallies.
pub type Census = BTreeMap<String, Vec<Tally>>;

/// An input file's inbound status is a window over its first-level groups, so the per-file rows
/// (accounts × kinds × files: many, on a store fed nightly for years) never leave DataFusion.
const CENSUS: &str = "
SELECT account_id, kind, origin, inbound, sum(n) AS n, min(first) AS first, max(last) AS last
FROM (
  SELECT account_id, kind, origin, n, first, last,
         bool_or(origin IN ('webhook', 'activity_api') OR kind IN ('mention_received', 'reply_received'))
           OVER (PARTITION BY account_id, source) AS inbound
  FROM (SELECT account_id, kind, origin, source, count(*) AS n, min(ts) AS first, max(ts) AS last
        FROM events GROUP BY account_id, kind, origin, source))
GROUP BY account_id, kind, origin, inbound
ORDER BY account_id, kind, origin, inbound";

#[derive(Deserialize)]
struct Row {
    account_id: String,
    #[serde(flatten)]
    tally: Tally,
}

/// Counts the session's events.
pub async fn take(ctx: &SessionContext) -> Result<Census> {
    let mut census = Census::new();
    for row in query_rows::<Row>(ctx, "census of the events", CENSUS).await? {
        census.entry(row.account_id).or_default().push(row.tally);
    }
    Ok(census)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{RecordBatch, StringArray, TimestampMicrosecondArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;

    type Event<'a> = (&'a str, &'a str, &'a str, &'a str, i64);

    fn events(rows: &[Event<'_>]) -> SessionContext {
        let schema = Arc::new(Schema::new(vec![
            Field::new("account_id", DataType::Utf8, false),
            Field::new("kind", DataType::Utf8, false),
            Field::new("origin", DataType::Utf8, false),
            Field::new("source", DataType::Utf8, false),
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
        ]));
        let text = |pick: for<'r> fn(&'r Event<'r>) -> &'r str| {
            Arc::new(StringArray::from_iter_values(rows.iter().map(pick)))
        };
        let batch = RecordBatch::try_new(
            schema,
            vec![
                text(|r| r.0),
                text(|r| r.1),
                text(|r| r.2),
                text(|r| r.3),
                Arc::new(
                    TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| r.4))
                        .with_timezone("UTC"),
                ),
            ],
        )
        .unwrap();
        let ctx = SessionContext::new();
        ctx.register_batch("events", batch).unwrap();
        ctx
    }

    use Tally as T;

    #[tokio::test]
    async fn a_file_with_an_inbound_mention_makes_all_its_events_inbound_and_no_other_files() {
        let ctx = events(&[
            ("a", "post", "archive", "a.zip!tweets.js", 10),
            ("a", "post", "archive", "a.zip!tweets.js", 30),
            ("a", "post", "generic", "bot.csv", 20),
            ("a", "mention_received", "generic", "bot.csv", 40),
            ("a", "post", "generic", "other.csv", 50),
            ("b", "like", "webhook", "hook.jsonl", 5),
        ]);
        let census = take(&ctx).await.unwrap();
        assert_eq!(
            census["a"],
            [
                T::new("mention_received", "generic", true, 1, 40, 40),
                T::new("post", "archive", false, 2, 10, 30),
                T::new("post", "generic", false, 1, 50, 50),
                T::new("post", "generic", true, 1, 20, 20),
            ]
        );
        assert_eq!(census["b"], [T::new("like", "webhook", true, 1, 5, 5)]);
    }

    #[tokio::test]
    async fn one_account_in_a_shared_activity_log_does_not_make_another_accounts_file_inbound() {
        let ctx = events(&[
            ("a", "reply_received", "generic", "shared.csv", 1),
            ("b", "post", "generic", "shared.csv", 2),
        ]);
        let census = take(&ctx).await.unwrap();
        assert_eq!(census["b"], [T::new("post", "generic", false, 1, 2, 2)]);
    }
}
