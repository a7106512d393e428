//! Snapshot files (followers, following, likes, blocks, mutes) carry no dates. Each becomes events
//! by diffing it against the snapshot before it: a member first seen in snapshot B, absent from
//! the previous snapshot A, is an event with the time interval (A, B] (before the first snapshot,
//! the interval starts at the account's creation). The state at A is the replay of the stored
//! snapshot differences up to A, which is A's membership (so re-ingesting a snapshot yields no new
//! events).
//!
//! Timed events (a webhook's follow, a bot log's like) and snapshot differences reconcile by one
//! rule, whatever order they arrive in: a difference is *explained* when a timed event of the same
//! kind and member lies inside its interval, and then `events` shows the timed event, not the
//! difference. An explained difference is still written (the next snapshot is diffed against the
//! state it records): with the origin `explained_snapshot` when the timed event is already known
//! (in the store or this ingest), or as a plain difference that the ingest bringing the timed
//! event later lists in `superseded`.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use ahash::{AHashMap, AHashSet};
use datafusion::arrow::array::Array;
use futures::StreamExt;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::Result;
use crate::model::{Event, Kind, Origin, hash_id, time};
use crate::readers::{Relation, SnapshotObs};
use crate::store::{
    ChunkBuilder, EventChunk, Reason, RelationEvent, SessionOptions, Store, SupersededRow, column,
    int64, utf8,
};

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotRow {
    pub row_id: String,
    pub account_id: String,
    pub relation: String,
    pub taken_at: i64,
    pub members: i64,
    pub added: i64,
    pub removed: i64,
    pub source: String,
}

/// Which column of an event names the member of a relation.
fn member_column(r: Relation) -> &'static str {
    match r {
        Relation::Following | Relation::Block | Relation::Mute => "target_user_id",
        Relation::Follower => "actor_id",
        Relation::Like => "target_post_id",
    }
}

fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A relation change: (time, is an addition, member).
type Change = (i64, bool, String);

/// A stored snapshot difference: (event id, kind, member, interval start, interval end).
type StoredDiff = (String, Kind, String, i64, i64);

/// Times of timed events, by kind and member (owned for the store's, borrowed for this ingest's:
/// a first ingest of many accounts holds hundreds of thousands).
type Timed<M> = AHashMap<Kind, AHashMap<M, Vec<i64>>>;

/// What the store knows about the relations of some accounts, read in one query for all of them
/// (one per account and relation made an ingest of many archives into a large store scan it
/// thousands of times).
#[derive(Default)]
struct Stored {
    /// Stored snapshot differences as changes: (ts, is addition, member).
    history: HashMap<(String, Relation), Vec<Change>>,
    /// The same differences with their ids and intervals, by account.
    diffs: HashMap<String, Vec<StoredDiff>>,
    /// Stored timed relation events, by account.
    timed: HashMap<String, Timed<Box<str>>>,
    /// When the snapshots already in the store were taken.
    snapshots: HashMap<(String, Relation), Vec<i64>>,
}

/// Relation kinds with their relation and whether they add a member.
fn relation_kinds() -> Vec<(Kind, Relation, bool)> {
    Relation::ALL
        .iter()
        .flat_map(|&r| {
            let (add, remove) = r.kinds();
            [(add, r, true), (remove, r, false)]
        })
        .collect()
}

impl Stored {
    async fn read(store: &Store, accounts: &[&str]) -> Result<Stored> {
        let mut out = Stored::default();
        if accounts.is_empty() {
            return Ok(out);
        }
        let ctx = store.session(&SessionOptions::default()).await?;
        let in_accounts = accounts
            .iter()
            .map(|a| sql_str(a))
            .collect::<Vec<_>>()
            .join(", ");
        let kinds = relation_kinds();
        let in_kinds = kinds
            .iter()
            .map(|(k, _, _)| format!("'{}'", k.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        // Each kind's member, from the column its relation names it in.
        let member = kinds
            .iter()
            .map(|(k, r, _)| format!("WHEN '{}' THEN {}", k.as_str(), member_column(*r)))
            .collect::<Vec<_>>()
            .join(" ");
        // Every stored row (`event_log`, superseded ones too): an explained difference still
        // records the state the next snapshot is diffed against.
        let q = format!(
            "SELECT * FROM (SELECT CAST(event_id AS VARCHAR) AS event_id, CAST(account_id AS VARCHAR) AS account_id, \
             CAST(kind AS VARCHAR) AS kind, CAST(CASE kind {member} END AS VARCHAR) AS member, ts, ts_lower, \
             CAST(origin AS VARCHAR) AS origin FROM event_log \
             WHERE account_id IN ({in_accounts}) AND kind IN ({in_kinds})) \
             WHERE member IS NOT NULL"
        );
        let mut stream = ctx.sql(&q).await?.execute_stream().await?;
        while let Some(b) = stream.next().await {
            let b = b?;
            const Q: &str = "snapshot diff: stored relation events";
            let id = utf8(column(Q, &b, "event_id")?)?;
            let account = utf8(column(Q, &b, "account_id")?)?;
            let kind = utf8(column(Q, &b, "kind")?)?;
            let member = utf8(column(Q, &b, "member")?)?;
            let ts = int64(column(Q, &b, "ts")?)?;
            let lower = int64(column(Q, &b, "ts_lower")?)?;
            let origin = utf8(column(Q, &b, "origin")?)?;
            for i in 0..b.num_rows() {
                let Some(&(kind, relation, add)) =
                    kinds.iter().find(|(k, _, _)| k.as_str() == kind.value(i))
                else {
                    continue;
                };
                let (account, member) = (account.value(i), member.value(i));
                let origin = Origin::parse(origin.value(i));
                let is_diff = origin.is_some_and(Origin::is_snapshot_diff);
                if is_diff {
                    out.history
                        .entry((account.to_string(), relation))
                        .or_default()
                        .push((ts.value(i), add, member.to_string()));
                }
                if origin == Some(Origin::Snapshot) {
                    out.diffs.entry(account.to_string()).or_default().push((
                        id.value(i).to_string(),
                        kind,
                        member.to_string(),
                        lower.value(i),
                        ts.value(i),
                    ));
                }
                if !is_diff {
                    out.timed
                        .entry(account.to_string())
                        .or_default()
                        .entry(kind)
                        .or_default()
                        .entry(member.into())
                        .or_default()
                        .push(ts.value(i));
                }
            }
        }
        let q = format!(
            "SELECT CAST(account_id AS VARCHAR) AS account_id, CAST(relation AS VARCHAR) AS relation, taken_at FROM snapshots \
             WHERE account_id IN ({in_accounts})"
        );
        for b in ctx.sql(&q).await?.collect().await? {
            const Q: &str = "snapshot diff: stored snapshots";
            let account = utf8(column(Q, &b, "account_id")?)?;
            let relation = utf8(column(Q, &b, "relation")?)?;
            let taken_at = int64(column(Q, &b, "taken_at")?)?;
            for i in 0..b.num_rows() {
                if let Some(&r) = Relation::ALL
                    .iter()
                    .find(|r| r.as_str() == relation.value(i))
                    && taken_at.is_valid(i)
                {
                    out.snapshots
                        .entry((account.value(i).to_string(), r))
                        .or_default()
                        .push(taken_at.value(i));
                }
            }
        }
        Ok(out)
    }
}

/// Whether a timed event at `t` explains a difference with the interval (`lower`, `upper`].
fn inside(t: i64, lower: i64, upper: i64) -> bool {
    (lower < t && t <= upper) || t == upper
}

fn explained<M: std::borrow::Borrow<str> + std::hash::Hash + Eq>(
    timed: Option<&Timed<M>>,
    kind: Kind,
    member: &str,
    lower: i64,
    upper: i64,
) -> bool {
    timed
        .and_then(|t| t.get(&kind))
        .and_then(|members| members.get(member))
        .is_some_and(|times| times.iter().any(|&t| inside(t, lower, upper)))
}

/// This ingest's timed relation events, by account.
fn timed_by_account(pending: &[RelationEvent]) -> HashMap<&str, Timed<&str>> {
    let mut out: HashMap<&str, Timed<&str>> = HashMap::new();
    for r in pending.iter().filter(|r| !r.origin.is_snapshot_diff()) {
        out.entry(r.account_id.as_str())
            .or_default()
            .entry(r.kind)
            .or_default()
            .entry(r.member.as_str())
            .or_default()
            .push(r.ts);
    }
    out
}

/// What the snapshot diffs of an ingest produce.
#[derive(Default)]
pub struct Diffs {
    pub events: Vec<Event<'static>>,
    /// Differences a timed event already explains (origin `explained_snapshot`), converted for
    /// the writer as they were made (a first ingest of archives and webhook logs explains
    /// hundreds of thousands of them, and as events they would take several times the memory).
    pub explained: Vec<EventChunk>,
    pub rows: Vec<SnapshotRow>,
    /// Stored differences that this ingest's timed events explain.
    pub superseded: Vec<SupersededRow>,
}

/// Diff the snapshots of this ingest against the store, in time order per account and relation,
/// and reconcile differences with timed events (see the module doc). `created_at` gives each
/// account's creation time, the lower bound for members of a first snapshot. `store` is None when
/// it held nothing before this ingest: there is no history to read then.
pub async fn diff(
    store: Option<&Store>,
    snapshots: Vec<SnapshotObs>,
    pending: &[RelationEvent],
    created_at: &BTreeMap<String, i64>,
    notices: &mut Vec<String>,
) -> Result<Diffs> {
    let timed_pending = timed_by_account(pending);
    let mut groups: BTreeMap<(String, Relation), Vec<SnapshotObs>> = BTreeMap::new();
    for s in snapshots {
        if s.taken_at.is_none() {
            notices.push(format!("{}: snapshot skipped: the archive has no generation date (no manifest.js) and no dated record", s.source));
            continue;
        }
        groups
            .entry((s.account_id.clone(), s.relation))
            .or_default()
            .push(s);
    }
    let mut accounts: Vec<&str> = groups.keys().map(|(a, _)| a.as_str()).collect();
    accounts.extend(timed_pending.keys().copied());
    accounts.sort_unstable();
    accounts.dedup();
    let mut stored = match store {
        Some(store) => Stored::read(store, &accounts).await?,
        None => Stored::default(),
    };
    let mut out = Diffs::default();
    // Stored differences that this ingest's timed events explain (the timed events came second).
    for (account, timed) in &timed_pending {
        for (id, kind, member, lower, upper) in stored.diffs.get(*account).into_iter().flatten() {
            if explained(Some(timed), *kind, member, *lower, *upper) {
                out.superseded.push(SupersededRow::new(
                    id,
                    Origin::Snapshot,
                    account,
                    Reason::Explained,
                ));
            }
        }
    }
    let groups: Vec<Group> = groups
        .into_iter()
        .map(|(key, snaps)| {
            let history = stored.history.remove(&key).unwrap_or_default();
            let taken = stored.snapshots.remove(&key).unwrap_or_default();
            let (account, relation) = key;
            Group {
                created_at: created_at.get(&account).copied(),
                account,
                relation,
                snaps,
                history,
                taken,
            }
        })
        .collect();
    // Groups are independent, and a first ingest of many archives diffs hundreds of thousands of
    // members in the serial tail of the ingest: they are diffed on every core, in group order.
    let diffed: Vec<Diffed> = groups
        .into_par_iter()
        .map(|g| {
            let stored_timed = stored.timed.get(&g.account);
            let pending_timed = timed_pending.get(g.account.as_str());
            g.diff(stored_timed, pending_timed)
        })
        .collect::<Result<_>>()?;
    for d in diffed {
        out.events.extend(d.events);
        out.explained.extend(d.explained);
        out.rows.extend(d.rows);
        notices.extend(d.notice);
    }
    Ok(out)
}

/// The snapshots of one account and relation, with what the store knows of it.
struct Group {
    account: String,
    relation: Relation,
    snaps: Vec<SnapshotObs>,
    /// Stored snapshot differences of the relation (see [`Stored`]).
    history: Vec<Change>,
    /// When the store's snapshots of the relation were taken.
    taken: Vec<i64>,
    created_at: Option<i64>,
}

struct Diffed {
    events: Vec<Event<'static>>,
    explained: Vec<EventChunk>,
    rows: Vec<SnapshotRow>,
    notice: Option<String>,
}

impl Group {
    /// `stored_timed`, `pending_timed`: the account's timed relation events, stored and of this
    /// ingest.
    fn diff(
        self,
        stored_timed: Option<&Timed<Box<str>>>,
        pending_timed: Option<&Timed<&str>>,
    ) -> Result<Diffed> {
        let Group {
            account,
            relation,
            mut snaps,
            history,
            taken,
            created_at,
        } = self;
        snaps.sort_by_key(|s| s.taken_at);
        let first_at = snaps[0].taken_at.expect("filtered above");
        let (add_kind, remove_kind) = relation.kinds();
        let mut changes: Vec<(i64, bool, &str)> = history
            .iter()
            .filter(|h| h.0 <= first_at)
            .map(|(ts, add, m)| (*ts, *add, m.as_str()))
            .collect();
        // At equal times a removal sorts before an addition, so the member stays.
        changes.sort_by_key(|h| (h.0, h.1));
        // Members are hashed a few times each: a faster hash than SipHash pays.
        let mut state: AHashSet<&str> = AHashSet::new();
        for (_, add, m) in changes {
            if add {
                state.insert(m);
            } else {
                state.remove(m);
            }
        }
        let prev_at = taken.iter().copied().filter(|t| *t < first_at).max();
        let notice = taken.iter().any(|t| *t > first_at).then(|| {
            format!(
                "{}: a later {} snapshot of account {account} is already in the store; ingest archives of one account oldest first, or the intervals of the diff events overlap",
                snaps[0].source,
                relation.as_str()
            )
        });
        let mut lower = prev_at.unwrap_or(created_at.unwrap_or(time::X_EPOCH_MICROS));
        let mut events = Vec::new();
        let mut rows = Vec::new();
        let mut explained_chunks = Vec::new();
        let mut chunk = ChunkBuilder::with_capacity(0);
        let mut push = |mut e: Event<'static>, member: &str| {
            if explained(stored_timed, e.kind, member, e.ts_lower, e.ts)
                || explained(pending_timed, e.kind, member, e.ts_lower, e.ts)
            {
                // Kept only for the state later snapshots are diffed against: the liked post's
                // text is the timed event's to show.
                e.origin = Origin::ExplainedSnapshot;
                e.text = None;
                chunk.push(&e);
                if chunk.len() >= crate::readers::CHUNK {
                    explained_chunks.push(chunk.finish());
                }
            } else {
                events.push(e);
            }
        };
        for snap in &snaps {
            let taken_at = snap.taken_at.expect("filtered above");
            let current: AHashSet<&str> = snap.members.iter().map(String::as_str).collect();
            let mut added = 0i64;
            let mut removed = 0i64;
            for (i, m) in snap.members.iter().enumerate() {
                if state.contains(m.as_str()) {
                    continue;
                }
                let mut e = Event::new(
                    account.clone(),
                    add_kind,
                    taken_at,
                    Origin::Snapshot,
                    snap.source.clone(),
                    i as i64,
                );
                e.ts_lower = lower.min(taken_at);
                set_member(&mut e, relation, &account, m);
                e.text = snap.texts.get(i).cloned().flatten().map(Cow::Owned);
                push(e, m);
                added += 1;
            }
            let mut gone: Vec<&str> = state
                .iter()
                .filter(|m| !current.contains(*m))
                .copied()
                .collect();
            gone.sort_unstable();
            for m in gone {
                let mut e = Event::new(
                    account.clone(),
                    remove_kind,
                    taken_at,
                    Origin::Snapshot,
                    snap.source.clone(),
                    -1,
                );
                e.ts_lower = lower.min(taken_at);
                set_member(&mut e, relation, &account, m);
                push(e, m);
                removed += 1;
            }
            rows.push(SnapshotRow {
                row_id: hash_id(&[
                    "snapshot",
                    &account,
                    relation.as_str(),
                    &taken_at.to_string(),
                ]),
                account_id: account.clone(),
                relation: relation.as_str().to_string(),
                taken_at,
                members: snap.members.len() as i64,
                added,
                removed,
                source: snap.source.to_string(),
            });
            state = current;
            lower = taken_at;
        }
        if !chunk.is_empty() {
            explained_chunks.push(chunk.finish());
        }
        let explained = explained_chunks.into_iter().collect::<Result<Vec<_>>>()?;
        Ok(Diffed {
            events,
            explained,
            rows,
            notice,
        })
    }
}

fn set_member(e: &mut Event<'static>, r: Relation, account: &str, member: &str) {
    let (account, member) = (
        Cow::Owned(account.to_string()),
        Cow::Owned(member.to_string()),
    );
    match r {
        Relation::Follower => {
            e.actor_id = Some(member);
            e.target_user_id = Some(account);
        }
        Relation::Like => {
            e.actor_id = Some(account);
            e.target_post_id = Some(member);
        }
        _ => {
            e.actor_id = Some(account);
            e.target_user_id = Some(member);
        }
    }
}
