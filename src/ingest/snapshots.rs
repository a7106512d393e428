//! Snapshot files (followers, following, likes, blocks, mutes) carry no dates. Each becomes events
//! by diffing it against the state before it: a member first seen in snapshot B, absent from the
//! state at the previous snapshot A, is an event with the time interval (A, B]. The state at A is
//! a projection: the replay of every committed event of that relation up to A (so timed webhook
//! follows count too, and re-ingesting a snapshot yields no new events).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use ahash::{AHashMap, AHashSet};
use datafusion::arrow::array::Array;
use futures::StreamExt;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::Result;
use crate::model::{Event, Origin, hash_id, time};
use crate::readers::{Relation, SnapshotObs};
use crate::store::{RelationEvent, SessionOptions, Store, column, int64, utf8};

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

/// What the store knows about the relations of the accounts whose snapshots are diffed, read in
/// two queries for all of them (one per account and relation made an ingest of many archives
/// into a large store scan it thousands of times).
#[derive(Default)]
struct Stored {
    /// Relation events up to the latest first snapshot: (ts, is addition, member).
    events: HashMap<(String, Relation), Vec<Change>>,
    /// When the snapshots already in the store were taken.
    snapshots: HashMap<(String, Relation), Vec<i64>>,
}

impl Stored {
    async fn read(store: &Store, accounts: &[&str], until: i64) -> Result<Stored> {
        let ctx = store.session(&SessionOptions::default()).await?;
        let in_accounts = accounts
            .iter()
            .map(|a| sql_str(a))
            .collect::<Vec<_>>()
            .join(", ");
        let kinds: Vec<(&str, Relation, bool)> = Relation::ALL
            .iter()
            .flat_map(|&r| {
                let (add, remove) = r.kinds();
                [(add.as_str(), r, true), (remove.as_str(), r, false)]
            })
            .collect();
        let in_kinds = kinds
            .iter()
            .map(|(k, _, _)| format!("'{k}'"))
            .collect::<Vec<_>>()
            .join(", ");
        // Each kind's member, from the column its relation names it in.
        let member = kinds
            .iter()
            .map(|(k, r, _)| format!("WHEN '{k}' THEN {}", member_column(*r)))
            .collect::<Vec<_>>()
            .join(" ");
        let mut out = Stored::default();
        let q = format!(
            "SELECT * FROM (SELECT CAST(account_id AS VARCHAR) AS account_id, CAST(kind AS VARCHAR) AS kind, \
             CAST(CASE kind {member} END AS VARCHAR) AS member, ts FROM events \
             WHERE account_id IN ({in_accounts}) AND kind IN ({in_kinds}) AND ts <= to_timestamp_micros({until})) \
             WHERE member IS NOT NULL"
        );
        let mut stream = ctx.sql(&q).await?.execute_stream().await?;
        while let Some(b) = stream.next().await {
            let b = b?;
            const Q: &str = "snapshot diff: stored relation events";
            let account = utf8(column(Q, &b, "account_id")?)?;
            let kind = utf8(column(Q, &b, "kind")?)?;
            let member = utf8(column(Q, &b, "member")?)?;
            let ts = int64(column(Q, &b, "ts")?)?;
            for i in 0..b.num_rows() {
                if let Some(&(_, relation, add)) =
                    kinds.iter().find(|(k, _, _)| *k == kind.value(i))
                {
                    out.events
                        .entry((account.value(i).to_string(), relation))
                        .or_default()
                        .push((ts.value(i), add, member.value(i).to_string()));
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

/// Diff the snapshots of this ingest against the store, in time order per account and relation.
/// `created_at` gives each account's creation time, the lower bound for members of a first snapshot.
/// `store` is None when it held nothing before this ingest: there is no history to read then.
pub async fn diff(
    store: Option<&Store>,
    snapshots: Vec<SnapshotObs>,
    pending: &[RelationEvent],
    created_at: &BTreeMap<String, i64>,
    notices: &mut Vec<String>,
) -> Result<(Vec<Event<'static>>, Vec<SnapshotRow>)> {
    // This ingest's relation events, by account: each snapshot group reads only its own.
    let mut pending_by_account: AHashMap<&str, Vec<&RelationEvent>> = AHashMap::new();
    for r in pending {
        pending_by_account
            .entry(r.account_id.as_str())
            .or_default()
            .push(r);
    }
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
    let accounts: Vec<&str> = groups.keys().map(|(a, _)| a.as_str()).collect();
    let until = groups
        .values()
        .filter_map(|snaps| snaps.iter().filter_map(|s| s.taken_at).min())
        .max();
    let mut stored = match (store, until) {
        (Some(store), Some(until)) => Stored::read(store, &accounts, until).await?,
        _ => Stored::default(),
    };
    let groups: Vec<Group> = groups
        .into_iter()
        .map(|(key, snaps)| {
            let history = stored.events.remove(&key).unwrap_or_default();
            let taken = stored.snapshots.remove(&key).unwrap_or_default();
            let (account, relation) = key;
            Group {
                pending: pending_by_account
                    .get(account.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
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
    let diffed: Vec<Diffed> = groups.into_par_iter().map(Group::diff).collect();
    let mut events = Vec::new();
    let mut rows = Vec::new();
    for d in diffed {
        events.extend(d.events);
        rows.extend(d.rows);
        notices.extend(d.notice);
    }
    Ok((events, rows))
}

/// The snapshots of one account and relation, with what the store and this ingest know of it.
struct Group<'p> {
    account: String,
    relation: Relation,
    snaps: Vec<SnapshotObs>,
    /// Stored changes of the relation up to the latest first snapshot (see [`Stored`]).
    history: Vec<Change>,
    /// When the store's snapshots of the relation were taken.
    taken: Vec<i64>,
    /// This ingest's relation events of the account.
    pending: &'p [&'p RelationEvent],
    created_at: Option<i64>,
}

struct Diffed {
    events: Vec<Event<'static>>,
    rows: Vec<SnapshotRow>,
    notice: Option<String>,
}

impl Group<'_> {
    fn diff(self) -> Diffed {
        let Group {
            account,
            relation,
            mut snaps,
            history,
            taken,
            pending,
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
        changes.extend(
            pending
                .iter()
                .filter(|r| r.ts <= first_at && (r.kind == add_kind || r.kind == remove_kind))
                .map(|r| (r.ts, r.kind == add_kind, r.member.as_str())),
        );
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
                events.push(e);
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
                events.push(e);
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
        Diffed {
            events,
            rows,
            notice,
        }
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
