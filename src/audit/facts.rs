//! What the report says about each account besides its findings: handle, period, counts per kind,
//! clients, connected apps, cadence and daily activity. Times stay microseconds here; the report
//! formats them.

use std::collections::BTreeMap;

use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use super::census::Census;
use crate::error::Result;
use crate::model::time::DAY_MICROS;
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

const APPS: &str = "SELECT account_id, app_id, last_value(name ORDER BY observed_at) AS name,
    last_value(permissions ORDER BY observed_at) AS permissions,
    last_value(approved_at ORDER BY observed_at) AS approved_at
    FROM connected_apps GROUP BY account_id, app_id ORDER BY account_id, app_id";

/// The report's cadences, by the number the rhythm query gives their group; the groups after
/// them, list additions and then the kinds no group counts, only have days.
const CADENCES: [&str; 4] = ["posts", "likes", "follows", "dms"];

/// How many groups the rhythm query numbers.
const GROUPS: usize = 6;

/// The count of a day's activity that group `grp` of the rhythm query adds to: none for the kinds
/// no group counts (the last group), whose days still show, with no activity.
fn count_of(day: &mut DayActivity, grp: usize) -> Option<&mut u64> {
    match grp {
        0 => Some(&mut day.posts),
        1 => Some(&mut day.likes),
        2 => Some(&mut day.follows),
        3 => Some(&mut day.dms),
        4 => Some(&mut day.list_adds),
        _ => None,
    }
}

/// Cadence and daily activity per activity group, from timed events only (snapshot diffs have no
/// real time), in one scan: `cadence` counts each group's days as it computes its rhythm. Apart,
/// the daily counts took a scan of their own and five CASE expressions per event (0.75 s of CPU
/// at 10M events), and a group named by a string CASE cost as much again where it was filtered.
/// List additions and the other kinds have a cadence nobody reads; they are here for their days.
const RHYTHM: &str = "SELECT account_id, grp, cadence(ts) AS c FROM (
      SELECT account_id, ts, CASE WHEN kind IN ('post','reply','quote','repost') THEN 0
          WHEN kind = 'like' THEN 1 WHEN kind IN ('follow','unfollow') THEN 2
          WHEN kind = 'dm_sent' THEN 3 WHEN kind = 'list_add' THEN 4 ELSE 5 END AS grp
      FROM events WHERE origin <> 'snapshot')
      GROUP BY account_id, grp";

#[derive(Deserialize)]
struct Handle {
    account_id: String,
    handle: Option<String>,
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
struct GroupRhythm {
    account_id: String,
    /// Below [`GROUPS`]; see [`count_of`] and [`CADENCES`].
    grp: usize,
    c: Rhythm,
}

#[derive(Deserialize)]
struct Rhythm {
    #[serde(flatten)]
    cadence: Cadence,
    days: Vec<GroupDay>,
}

#[derive(Deserialize)]
struct GroupDay {
    /// µs since the epoch of the day's midnight (UTC).
    day: i64,
    events: u64,
}

/// The facts of every account in the session's store; counts per kind, periods and clients come
/// from the `census`.
pub async fn load(ctx: &SessionContext, census: &Census) -> Result<BTreeMap<String, AccountFacts>> {
    let (handles, apps, rhythms) = futures::try_join!(
        query_rows::<Handle>(ctx, "account facts: handles", HANDLES),
        query_rows::<App>(ctx, "account facts: connected apps", APPS),
        query_rows::<GroupRhythm>(ctx, "account facts: cadence", RHYTHM),
    )?;
    let mut facts: BTreeMap<String, AccountFacts> = BTreeMap::new();
    for h in handles {
        if let Some(handle) = h.handle {
            facts.entry(h.account_id).or_default().handle = Some(handle);
        }
    }
    for (account, tallies) in &census.tallies {
        let f = facts.entry(account.clone()).or_default();
        for t in tallies {
            *f.counts.entry(t.kind.clone()).or_default() += t.n;
            let (lo, hi) = f.period.get_or_insert((t.first, t.last));
            *lo = (*lo).min(t.first);
            *hi = (*hi).max(t.last);
        }
    }
    for (account, clients) in &census.posting_clients {
        let f = facts.entry(account.clone()).or_default();
        for c in clients {
            let class = crate::udf::client_class_of(&c.client);
            f.clients.push(ClientUse {
                official: class == "official",
                class: class.to_string(),
                name: c.client.clone(),
                posts: c.n,
            });
        }
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
    add_rhythms(&mut facts, rhythms)?;
    Ok(facts)
}

/// Each group's cadence, and the days of all groups as the account's daily activity.
fn add_rhythms(
    facts: &mut BTreeMap<String, AccountFacts>,
    rhythms: Vec<GroupRhythm>,
) -> Result<()> {
    let mut daily: BTreeMap<String, BTreeMap<i64, DayActivity>> = BTreeMap::new();
    for r in rhythms {
        if r.grp >= GROUPS {
            return Err(crate::Error::Internal(format!(
                "account facts: cadence: no group {}",
                r.grp
            )));
        }
        let days = daily.entry(r.account_id.clone()).or_default();
        for d in &r.c.days {
            let day = days.entry(d.day.div_euclid(DAY_MICROS)).or_default();
            if let Some(count) = count_of(day, r.grp) {
                *count += d.events;
            }
        }
        if let Some(name) = CADENCES.get(r.grp) {
            facts
                .entry(r.account_id)
                .or_default()
                .cadence
                .insert(name.to_string(), r.c.cadence);
        }
    }
    for (account, days) in daily {
        facts.entry(account).or_default().daily = days
            .into_iter()
            .map(|(day, activity)| DayActivity {
                day: date_of(day),
                ..activity
            })
            .collect();
    }
    Ok(())
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
            let sql = RHYTHM.replace(
                "FROM events",
                &format!(
                    "FROM (SELECT 'a' AS account_id, 'like' AS kind, 'webhook' AS origin, \
                     to_timestamp_micros({ts}) AS ts)"
                ),
            );
            let ctx = SessionContext::new();
            crate::udf::register_all(&ctx);
            let rows = query_rows::<GroupRhythm>(&ctx, "rhythm", &sql)
                .await
                .unwrap();
            rows[0].c.days[0].day.div_euclid(DAY_MICROS)
        }
        let midnight: i64 = 20_423 * 86_400_000_000;
        assert_eq!(day(midnight - 1).await, 20_422);
        assert_eq!(day(midnight).await, 20_423);
        assert_eq!(day(-1).await, -1);
    }

    fn rhythm(grp: usize, days: &[(i64, u64)]) -> GroupRhythm {
        GroupRhythm {
            account_id: "a".into(),
            grp,
            c: Rhythm {
                cadence: Cadence {
                    events: days.iter().map(|d| d.1 as i64).sum(),
                    gap_cv: None,
                    hour_entropy: None,
                    longest_active_hours: None,
                },
                days: days
                    .iter()
                    .map(|&(day, events)| GroupDay {
                        day: day * DAY_MICROS,
                        events,
                    })
                    .collect(),
            },
        }
    }

    /// The daily activity was a query of its own, grouped by day over every timed event: a day
    /// with only events no group counts (a mention received) was still shown, with no activity.
    /// List additions have days but no cadence in the report.
    #[test]
    fn the_groups_days_make_the_daily_activity_and_their_cadences_the_report_s() {
        let mut facts = BTreeMap::new();
        add_rhythms(
            &mut facts,
            vec![
                rhythm(0, &[(1, 3), (2, 1)]),
                rhythm(1, &[(2, 5)]),
                rhythm(4, &[(1, 2)]),
                rhythm(5, &[(0, 7)]),
            ],
        )
        .unwrap();
        let a = &facts["a"];
        let day = |day: &str, posts, likes, list_adds| DayActivity {
            day: day.into(),
            posts,
            likes,
            list_adds,
            ..DayActivity::default()
        };
        assert_eq!(
            a.daily,
            [
                day("1970-01-01", 0, 0, 0),
                day("1970-01-02", 3, 0, 2),
                day("1970-01-03", 1, 5, 0),
            ]
        );
        assert_eq!(
            a.cadence.keys().collect::<Vec<_>>(),
            ["likes", "posts"],
            "no cadence for list additions or the other kinds"
        );
        assert_eq!(a.cadence["posts"].events, 4);
        let mut unknown = BTreeMap::new();
        assert!(add_rhythms(&mut unknown, vec![rhythm(6, &[])]).is_err());
    }
}
