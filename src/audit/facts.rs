//! What the report says about each account besides its findings: handle, period, counts per kind,
//! clients, connected apps, cadence and daily activity. Times stay microseconds here; the report
//! formats them.

use std::collections::BTreeMap;

use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use super::census::Census;
use crate::error::Result;
use crate::store::query_rows;

#[derive(Debug, Clone, Default)]
pub struct AccountFacts {
    pub handle: Option<String>,
    /// The first and last event, µs since the epoch.
    pub period: Option<(i64, i64)>,
    /// Events per kind.
    pub counts: BTreeMap<String, u64>,
    /// Posting clients, most used first.
    pub clients: Vec<ClientUse>,
    pub connected_apps: Vec<ConnectedApp>,
    /// The rhythm of each timed activity group (`posts`, `likes`, `follows`, `dms`).
    pub cadence: BTreeMap<String, Cadence>,
    /// Timed events per day, oldest first.
    pub daily: Vec<DayActivity>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientUse {
    pub name: String,
    pub official: bool,
    pub class: String,
    pub posts: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConnectedApp {
    pub app_id: String,
    pub name: Option<String>,
    pub permissions: Vec<String>,
    /// µs since the epoch.
    pub approved_at: Option<i64>,
}

/// What the `cadence` aggregate measures of one activity group.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Cadence {
    pub events: i64,
    pub gap_cv: Option<f64>,
    pub hour_entropy: Option<f64>,
    pub longest_active_hours: Option<f64>,
}

/// Events of one day, by activity group (for the HTML timeline; not part of the JSON contract).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayActivity {
    /// `YYYY-MM-DD`
    pub day: String,
    pub posts: u64,
    pub likes: u64,
    pub follows: u64,
    pub dms: u64,
    pub list_adds: u64,
}

const HANDLES: &str = "SELECT account_id, last_value(handle ORDER BY observed_at) AS handle
    FROM accounts WHERE handle IS NOT NULL GROUP BY account_id";

const CLIENTS: &str = "SELECT account_id, client, count(*) AS n FROM events
    WHERE kind IN ('post','reply','quote','repost') AND client IS NOT NULL
    GROUP BY account_id, client ORDER BY account_id, n DESC, client";

const APPS: &str = "SELECT account_id, app_id, last_value(name ORDER BY observed_at) AS name,
    last_value(permissions ORDER BY observed_at) AS permissions,
    last_value(approved_at ORDER BY observed_at) AS approved_at
    FROM connected_apps GROUP BY account_id, app_id ORDER BY account_id, app_id";

/// Cadence per activity group, from timed events only (snapshot diffs have no real time).
const CADENCE: &str = "SELECT account_id, grp, cadence(ts) AS c FROM (
      SELECT account_id, ts, CASE WHEN kind IN ('post','reply','quote','repost') THEN 'posts'
          WHEN kind = 'like' THEN 'likes' WHEN kind IN ('follow','unfollow') THEN 'follows'
          WHEN kind = 'dm_sent' THEN 'dms' END AS grp
      FROM events WHERE origin <> 'snapshot')
      WHERE grp IS NOT NULL GROUP BY account_id, grp";

/// Days are numbered from the epoch by integer division (floored, for times before 1970):
/// `date_trunc('day', ts)` converted every event's time to a calendar date and took 0.23 s of CPU
/// per million events, against 0.02 s for this.
const DAILY: &str = "SELECT account_id, day, p, l, f, d, la FROM (
      SELECT account_id,
      (CAST(ts AS BIGINT) - ((CAST(ts AS BIGINT) % 86400000000) + 86400000000) % 86400000000) / 86400000000 AS day,
      sum(CASE WHEN kind IN ('post','reply','quote','repost') THEN 1 ELSE 0 END) AS p,
      sum(CASE WHEN kind = 'like' THEN 1 ELSE 0 END) AS l,
      sum(CASE WHEN kind IN ('follow','unfollow') THEN 1 ELSE 0 END) AS f,
      sum(CASE WHEN kind = 'dm_sent' THEN 1 ELSE 0 END) AS d,
      sum(CASE WHEN kind = 'list_add' THEN 1 ELSE 0 END) AS la
      FROM events WHERE origin <> 'snapshot' GROUP BY account_id, day) ORDER BY account_id, day";

#[derive(Deserialize)]
struct Handle {
    account_id: String,
    handle: Option<String>,
}

#[derive(Deserialize)]
struct ClientCount {
    account_id: String,
    client: String,
    n: u64,
}

#[derive(Deserialize)]
struct App {
    account_id: String,
    app_id: String,
    name: Option<String>,
    permissions: Option<Vec<Option<String>>>,
    approved_at: Option<i64>,
}

#[derive(Deserialize)]
struct GroupCadence {
    account_id: String,
    grp: String,
    c: Cadence,
}

#[derive(Deserialize)]
struct Day {
    account_id: String,
    /// Days since 1970-01-01 (UTC).
    day: i64,
    p: u64,
    l: u64,
    f: u64,
    d: u64,
    la: u64,
}

/// The facts of every account in the session's store; counts per kind and periods come from the
/// `census`.
pub async fn load(ctx: &SessionContext, census: &Census) -> Result<BTreeMap<String, AccountFacts>> {
    // Two scans of the events at a time, beside the small tables: one query alone leaves a core
    // idle while it plans, opens files and merges its partitions. All scans at once were no
    // faster at 1M events on two cores, and would hold every scan's buffers at a time.
    let (handles, apps, cadences, (clients, days)) = futures::try_join!(
        query_rows::<Handle>(ctx, "account facts: handles", HANDLES),
        query_rows::<App>(ctx, "account facts: connected apps", APPS),
        query_rows::<GroupCadence>(ctx, "account facts: cadence", CADENCE),
        async {
            let clients = query_rows::<ClientCount>(ctx, "account facts: clients", CLIENTS).await?;
            let days = query_rows::<Day>(ctx, "account facts: daily activity", DAILY).await?;
            Ok((clients, days))
        },
    )?;
    let mut facts: BTreeMap<String, AccountFacts> = BTreeMap::new();
    for h in handles {
        if let Some(handle) = h.handle {
            facts.entry(h.account_id).or_default().handle = Some(handle);
        }
    }
    for (account, tallies) in census {
        let f = facts.entry(account.clone()).or_default();
        for t in tallies {
            *f.counts.entry(t.kind.clone()).or_default() += t.n;
            let (lo, hi) = f.period.get_or_insert((t.first, t.last));
            *lo = (*lo).min(t.first);
            *hi = (*hi).max(t.last);
        }
    }
    for c in clients {
        let class = crate::udf::client_class_of(&c.client);
        facts
            .entry(c.account_id)
            .or_default()
            .clients
            .push(ClientUse {
                official: class == "official",
                class: class.to_string(),
                name: c.client,
                posts: c.n,
            });
    }
    for a in apps {
        facts
            .entry(a.account_id)
            .or_default()
            .connected_apps
            .push(ConnectedApp {
                app_id: a.app_id,
                name: a.name,
                permissions: a
                    .permissions
                    .unwrap_or_default()
                    .into_iter()
                    .flatten()
                    .collect(),
                approved_at: a.approved_at,
            });
    }
    for c in cadences {
        facts
            .entry(c.account_id)
            .or_default()
            .cadence
            .insert(c.grp, c.c);
    }
    for d in days {
        facts
            .entry(d.account_id)
            .or_default()
            .daily
            .push(DayActivity {
                day: date_of(d.day),
                posts: d.p,
                likes: d.l,
                follows: d.f,
                dms: d.d,
                list_adds: d.la,
            });
    }
    Ok(facts)
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01.
fn date_of(day: i64) -> String {
    chrono::DateTime::from_timestamp(day.saturating_mul(86_400), 0).map_or_else(
        || format!("day {day}"),
        |t| t.format("%Y-%m-%d").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The daily activity is grouped by day numbers from the epoch; these must name the same
    /// UTC dates `date_trunc` did, before 1970 included.
    #[test]
    fn day_numbers_name_their_utc_dates() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(-1), "1969-12-31");
        assert_eq!(date_of(20_423), "2025-12-01");
    }

    #[tokio::test]
    async fn an_event_a_microsecond_before_midnight_counts_on_its_own_day() {
        async fn day(ts: i64) -> i64 {
            let sql = DAILY.replace(
                "FROM events",
                &format!(
                    "FROM (SELECT 'a' AS account_id, 'like' AS kind, 'webhook' AS origin, \
                     to_timestamp_micros({ts}) AS ts)"
                ),
            );
            let ctx = SessionContext::new();
            query_rows::<Day>(&ctx, "daily", &sql).await.unwrap()[0].day
        }
        let midnight: i64 = 20_423 * 86_400_000_000;
        assert_eq!(day(midnight - 1).await, 20_422);
        assert_eq!(day(midnight).await, 20_423);
        assert_eq!(day(-1).await, -1);
    }
}
