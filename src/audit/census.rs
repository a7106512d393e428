//! What the store holds, counted once per audit: per account, kind and origin, how many events,
//! their first and last time, apart for the input files that record inbound engagement, and how
//! many posts each client made. Coverage (which rules have the data they need) and the account
//! facts (counts per kind, the period, the posting clients) all read it, instead of scanning the
//! events three times more: at 1M events the census is one scan where coverage alone made two
//! (one to find the inbound input files, one to count) and the facts two more.

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

/// A client and the posts, replies, quotes and reposts it made for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPosts {
    pub client: String,
    pub n: u64,
}

#[derive(Debug, Default)]
pub struct Census {
    /// Every account with events, and its tallies, by kind, origin and inbound.
    pub tallies: BTreeMap<String, Vec<Tally>>,
    /// Per account, the clients its posts name, most posts first (then by name).
    pub posting_clients: BTreeMap<String, Vec<ClientPosts>>,
}

/// An input file's inbound status is a window over its first-level groups, so the per-file rows
/// (accounts × kinds × files: many, on a store fed nightly for years) never leave DataFusion.
/// Counting per client too costs less than a scan of the posts of its own (at 10M events 12,000
/// groups instead of 10,000, against 0.5 s for the scan).
const CENSUS: &str = "
SELECT account_id, kind, origin, inbound, client, sum(n) AS n, min(first) AS first, max(last) AS last
FROM (
  SELECT account_id, kind, origin, client, n, first, last,
         bool_or(origin IN ('webhook', 'activity_api') OR kind IN ('mention_received', 'reply_received'))
           OVER (PARTITION BY account_id, source) AS inbound
  FROM (SELECT account_id, kind, origin, source, client, count(*) AS n, min(ts) AS first, max(ts) AS last
        FROM events GROUP BY account_id, kind, origin, source, client))
GROUP BY account_id, kind, origin, inbound, client
ORDER BY account_id, kind, origin, inbound, client";

/// The kinds whose clients the report lists.
const POSTING: [&str; 4] = ["post", "reply", "quote", "repost"];

#[derive(Deserialize)]
struct Row {
    account_id: String,
    client: Option<String>,
    #[serde(flatten)]
    tally: Tally,
}

/// Counts the session's events.
pub async fn take(ctx: &SessionContext) -> Result<Census> {
    let mut census = Census::default();
    let mut clients: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for Row {
        account_id,
        client,
        tally,
    } in query_rows::<Row>(ctx, "census of the events", CENSUS).await?
    {
        if let Some(client) = client
            && POSTING.contains(&tally.kind.as_str())
        {
            *clients
                .entry(account_id.clone())
                .or_default()
                .entry(client)
                .or_default() += tally.n;
        }
        let tallies = census.tallies.entry(account_id).or_default();
        // Rows of one kind, origin and inbound status differ only by client, and come together.
        match tallies.last_mut() {
            Some(last)
                if (&last.kind, &last.origin, last.inbound)
                    == (&tally.kind, &tally.origin, tally.inbound) =>
            {
                last.n += tally.n;
                last.first = last.first.min(tally.first);
                last.last = last.last.max(tally.last);
            }
            _ => tallies.push(tally),
        }
    }
    for (account, counts) in clients {
        let mut counts: Vec<ClientPosts> = counts
            .into_iter()
            .map(|(client, n)| ClientPosts { client, n })
            .collect();
        counts.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.client.cmp(&b.client)));
        census.posting_clients.insert(account, counts);
    }
    Ok(census)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{RecordBatch, StringArray, TimestampMicrosecondArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;

    /// account, kind, origin, source, ts, client
    type Event<'a> = (&'a str, &'a str, &'a str, &'a str, i64, Option<&'a str>);

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
            Field::new("client", DataType::Utf8, true),
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
                Arc::new(StringArray::from_iter(rows.iter().map(|r| r.5))),
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
            ("a", "post", "archive", "a.zip!tweets.js", 10, None),
            ("a", "post", "archive", "a.zip!tweets.js", 30, None),
            ("a", "post", "generic", "bot.csv", 20, None),
            ("a", "mention_received", "generic", "bot.csv", 40, None),
            ("a", "post", "generic", "other.csv", 50, None),
            ("b", "like", "webhook", "hook.jsonl", 5, None),
        ]);
        let census = take(&ctx).await.unwrap();
        assert_eq!(
            census.tallies["a"],
            [
                T::new("mention_received", "generic", true, 1, 40, 40),
                T::new("post", "archive", false, 2, 10, 30),
                T::new("post", "generic", false, 1, 50, 50),
                T::new("post", "generic", true, 1, 20, 20),
            ]
        );
        assert_eq!(
            census.tallies["b"],
            [T::new("like", "webhook", true, 1, 5, 5)]
        );
    }

    #[tokio::test]
    async fn one_account_in_a_shared_activity_log_does_not_make_another_accounts_file_inbound() {
        let ctx = events(&[
            ("a", "reply_received", "generic", "shared.csv", 1, None),
            ("b", "post", "generic", "shared.csv", 2, None),
        ]);
        let census = take(&ctx).await.unwrap();
        assert_eq!(
            census.tallies["b"],
            [T::new("post", "generic", false, 1, 2, 2)]
        );
    }

    /// The census counts per client so that the report's clients need no scan of their own; a
    /// tally is still one per kind, origin and inbound status, whatever the clients.
    #[tokio::test]
    async fn posting_clients_are_counted_over_the_posting_kinds_and_tallies_span_clients() {
        let ctx = events(&[
            ("a", "post", "archive", "t.js", 10, Some("Buffer")),
            ("a", "reply", "archive", "t.js", 20, Some("Buffer")),
            ("a", "post", "archive", "t.js", 30, Some("Twitter Web App")),
            (
                "a",
                "repost",
                "archive",
                "t.js",
                40,
                Some("Twitter Web App"),
            ),
            ("a", "post", "archive", "t.js", 5, None),
            ("a", "like", "archive", "t.js", 50, Some("Twitter Web App")),
            ("a", "dm_sent", "archive", "t.js", 60, Some("Zapier")),
            ("b", "post", "archive", "b.js", 70, Some("Zapier")),
        ]);
        let census = take(&ctx).await.unwrap();
        let clients = |account: &str| -> Vec<(String, u64)> {
            census.posting_clients[account]
                .iter()
                .map(|c| (c.client.clone(), c.n))
                .collect()
        };
        assert_eq!(
            clients("a"),
            [("Buffer".into(), 2), ("Twitter Web App".into(), 2)],
            "most posts first, then by name; likes and DMs are not posts"
        );
        assert_eq!(clients("b"), [("Zapier".into(), 1)]);
        assert_eq!(
            census.tallies["a"],
            [
                T::new("dm_sent", "archive", false, 1, 60, 60),
                T::new("like", "archive", false, 1, 50, 50),
                T::new("post", "archive", false, 3, 5, 30),
                T::new("reply", "archive", false, 1, 20, 20),
                T::new("repost", "archive", false, 1, 40, 40),
            ]
        );
    }
}
