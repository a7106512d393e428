//! `dm_echo(account_id, normalized_text, ts)`: the direct messages the account received before
//! `ts` whose words a text repeats, as `list<struct<dm, sender, words>>`: the DM's event id, its
//! sender and the longest run of consecutive normalized words the two share (3 or more). The
//! received DMs are indexed by word 3-grams the first time a query of the audit session calls the
//! function ([`DmEcho::from_session`]), so each post costs a few hash lookups instead of a join of
//! every post's n-grams with every DM's. NULL arguments give NULL.

use ahash::AHashMap as HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use datafusion::arrow::array::{Array, Int64Builder, ListBuilder, StringBuilder, StructBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;

use super::collect::micros;
use super::{arc, utf8_arg};
use crate::store::Pin;
use crate::text::near_dup::hash_bytes;

/// Shortest shared run reported; rules set their own (larger) thresholds on `words`.
pub const MIN_RUN: usize = 3;

#[derive(Debug)]
struct Dm {
    event_id: String,
    sender: Option<String>,
    ts: i64,
    words: Vec<u64>,
}

#[derive(Debug, Default)]
struct Index {
    dms: Vec<Dm>,
    /// (account hash, 3-gram hash) → DMs containing it.
    grams: HashMap<(u64, u64), Vec<u32>>,
}

fn word_hashes(norm: &str) -> Vec<u64> {
    norm.split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| hash_bytes(w.as_bytes(), 5))
        .collect()
}

fn gram(w: &[u64]) -> u64 {
    w[0] ^ w[1].rotate_left(21) ^ w[2].rotate_left(42)
}

/// Longest run of equal consecutive elements of `a` and `b`.
fn longest_common_run(a: &[u64], b: &[u64]) -> usize {
    let mut best = 0;
    let mut prev = vec![0usize; b.len() + 1];
    for x in a {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            if x == y {
                cur[j + 1] = prev[j] + 1;
                best = best.max(cur[j + 1]);
            }
        }
        prev = cur;
    }
    best
}

#[derive(Debug)]
pub struct DmEcho {
    received: Received,
    signature: Signature,
}

/// Where the function's received DMs come from.
#[derive(Debug)]
enum Received {
    /// Indexed when the function was made.
    Indexed(Arc<Index>),
    /// Read from a local session's events and indexed the first time the function runs. Indexed
    /// when the session started, the received DMs were most of that start (about 1 s of CPU and
    /// 0.2 GiB at 10M events, issue 21) for audits of a few rules and every `xaudit sql` too,
    /// which never call the function.
    Deferred(Deferred),
    /// In a store, indexed where the function first runs: on a cluster's executors, which read
    /// the same store. They can be many and large, so a plan carries where they are, not them.
    Stored {
        source: StoredDms,
        index: OnceLock<Arc<Index>>,
    },
}

/// The received DMs of a store at a pinned version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredDms {
    pub store: PathBuf,
    pub pin: Pin,
}

impl DmEcho {
    /// `(account_id, event_id, sender, ts µs, normalized text)` of received DMs.
    pub fn new(received: Vec<(String, String, Option<String>, i64, String)>) -> Self {
        DmEcho::with(Received::Indexed(Arc::new(Index::of(received))))
    }

    /// The DMs the accounts of `source` received, read and indexed when the function first runs.
    pub fn stored(source: StoredDms) -> Self {
        DmEcho::with(Received::Stored {
            source,
            index: OnceLock::new(),
        })
    }

    fn with(received: Received) -> Self {
        DmEcho {
            received,
            signature: Signature::any(3, Volatility::Immutable),
        }
    }

    /// The DMs the accounts of `ctx`'s events received, read and indexed when the function
    /// first runs. The session as it is now is kept, with no `dm_echo` of its own to call back.
    pub fn from_session(ctx: &SessionContext) -> Self {
        DmEcho::with(Received::Deferred(Deferred {
            session: SessionContext::new_with_state(ctx.state()),
            index: Mutex::new(None),
        }))
    }

    /// Where the DMs are, as bytes, for a plan that travels to other processes; None for DMs
    /// indexed here, which only this process has.
    pub fn encode(&self) -> Option<Vec<u8>> {
        match &self.received {
            Received::Indexed(_) | Received::Deferred(_) => None,
            Received::Stored { source, .. } => {
                Some(serde_json::to_vec(source).expect("paths and versions serialize"))
            }
        }
    }

    /// The function [`DmEcho::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> std::result::Result<Self, serde_json::Error> {
        Ok(DmEcho::stored(serde_json::from_slice(bytes)?))
    }

    fn index(&self) -> Result<Arc<Index>> {
        match &self.received {
            Received::Indexed(index) => Ok(index.clone()),
            Received::Deferred(deferred) => deferred.index(),
            Received::Stored { source, index } => {
                if let Some(index) = index.get() {
                    return Ok(index.clone());
                }
                let loaded = load(source)?;
                Ok(index.get_or_init(|| loaded).clone())
            }
        }
    }
}

/// `(account_id, event_id, sender, ts, normalized text)` of the DMs the session's accounts received.
async fn received_dms(
    ctx: &SessionContext,
) -> crate::error::Result<Vec<(String, String, Option<String>, i64, String)>> {
    #[derive(serde::Deserialize)]
    struct Received {
        account_id: String,
        event_id: String,
        actor_id: Option<String>,
        ts: i64,
        norm: Option<String>,
    }
    Ok(crate::store::query_rows::<Received>(
        ctx,
        "dm_echo: received DMs",
        "SELECT account_id, event_id, actor_id, ts, normalize_text(text) AS norm
         FROM events WHERE kind = 'dm_received' AND text IS NOT NULL",
    )
    .await?
    .into_iter()
    .map(|r| {
        (
            r.account_id,
            r.event_id,
            r.actor_id,
            r.ts,
            r.norm.unwrap_or_default(),
        )
    })
    .collect())
}

/// The index of a stored source. An executor decodes a new function for every task, so the
/// indexes of the last sources it read are kept for the process.
fn load(source: &StoredDms) -> Result<Arc<Index>> {
    const KEPT: usize = 2;
    static LOADED: Mutex<Vec<(StoredDms, Arc<Index>)>> = Mutex::new(Vec::new());
    let mut loaded = LOADED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, index)) = loaded.iter().find(|(s, _)| s == source) {
        return Ok(index.clone());
    }
    let index = outside_the_callers_runtime(|| read_index(source))?;
    if loaded.len() == KEPT {
        loaded.remove(0);
    }
    loaded.push((source.clone(), index.clone()));
    Ok(index)
}

fn read_index(source: &StoredDms) -> Result<Arc<Index>> {
    block_on(async {
        let store = crate::store::Store::existing(&source.store)?;
        let ctx = store.session_at(Some(&source.pin)).await?;
        ctx.register_udf(datafusion::logical_expr::ScalarUDF::from(
            super::normalize_text::udf(),
        ));
        Ok(Arc::new(Index::of(received_dms(&ctx).await?)))
    })
}

/// A local session's received DMs, indexed once.
struct Deferred {
    session: SessionContext,
    index: Mutex<Option<Arc<Index>>>,
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deferred")
            .field("session", &self.session.session_id())
            .finish_non_exhaustive()
    }
}

impl Deferred {
    /// Partitions that call the function at once wait for one index instead of each building
    /// their own.
    fn index(&self) -> Result<Arc<Index>> {
        let mut index = self
            .index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(index) = &*index {
            return Ok(index.clone());
        }
        let built = outside_the_callers_runtime(|| {
            block_on(async { Ok(Arc::new(Index::of(received_dms(&self.session).await?))) })
        })?;
        *index = Some(built.clone());
        Ok(built)
    }
}

/// Runs `read` on a thread of its own: reading the DMs is async, and the function runs inside a
/// task of the caller's runtime, whatever kind of runtime that is.
fn outside_the_callers_runtime(
    read: impl FnOnce() -> Result<Arc<Index>> + Send,
) -> Result<Arc<Index>> {
    std::thread::scope(|scope| scope.spawn(read).join()).map_err(|_| {
        DataFusionError::Internal("dm_echo: reading the received DMs panicked".into())
    })?
}

/// Runs `read` to its end on a runtime of its own, a worker per core: it scans every event's kind.
fn block_on(read: impl Future<Output = crate::error::Result<Arc<Index>>>) -> Result<Arc<Index>> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(DataFusionError::IoError)?
        .block_on(read)
        .map_err(|e| DataFusionError::External(Box::new(e)))
}

impl Index {
    fn of(received: Vec<(String, String, Option<String>, i64, String)>) -> Index {
        let mut index = Index::default();
        for (account, event_id, sender, ts, norm) in received {
            let words = word_hashes(&norm);
            let i = index.dms.len() as u32;
            let account = hash_bytes(account.as_bytes(), 6);
            for w in words.windows(MIN_RUN) {
                let list = index.grams.entry((account, gram(w))).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
            index.dms.push(Dm {
                event_id,
                sender,
                ts,
                words,
            });
        }
        index
    }

    /// `(dm index, shared run)` for the DMs of `account` received before `ts` that `norm` echoes.
    fn echoes(&self, account: &str, norm: &str, ts: i64) -> Vec<(usize, usize)> {
        let words = word_hashes(norm);
        if words.len() < MIN_RUN || self.grams.is_empty() {
            return Vec::new();
        }
        let account = hash_bytes(account.as_bytes(), 6);
        let mut candidates: Vec<u32> = words
            .windows(MIN_RUN)
            .filter_map(|w| self.grams.get(&(account, gram(w))))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|i| i as usize)
            .filter(|i| self.dms[*i].ts < ts)
            .map(|i| (i, longest_common_run(&words, &self.dms[i].words)))
            .filter(|(_, run)| *run >= MIN_RUN)
            .collect()
    }
}

impl PartialEq for DmEcho {
    fn eq(&self, other: &Self) -> bool {
        match (&self.received, &other.received) {
            (Received::Indexed(a), Received::Indexed(b)) => Arc::ptr_eq(a, b),
            (Received::Deferred(a), Received::Deferred(b)) => {
                a.session.session_id() == b.session.session_id()
            }
            (Received::Stored { source: a, .. }, Received::Stored { source: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for DmEcho {}

impl std::hash::Hash for DmEcho {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        "dm_echo".hash(state);
        match &self.received {
            Received::Indexed(index) => index.dms.len().hash(state),
            Received::Deferred(deferred) => deferred.session.session_id().hash(state),
            Received::Stored { source, .. } => source.pin.version.hash(state),
        }
    }
}

fn fields() -> Fields {
    Fields::from(vec![
        Field::new("dm", DataType::Utf8, false),
        Field::new("sender", DataType::Utf8, true),
        Field::new("words", DataType::Int64, false),
    ])
}

impl ScalarUDFImpl for DmEcho {
    fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
        super::docs::of(self.name())
    }
    fn name(&self) -> &str {
        "dm_echo"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new(
            "item",
            DataType::Struct(fields()),
            true,
        ))))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let accounts = utf8_arg(&args.args[0].to_array(n)?)?;
        let texts = utf8_arg(&args.args[1].to_array(n)?)?;
        let ts = micros(&args.args[2].to_array(n)?)?;
        let index = self.index()?;
        let item = StructBuilder::new(
            fields(),
            vec![
                Box::new(StringBuilder::new()),
                Box::new(StringBuilder::new()),
                Box::new(Int64Builder::new()),
            ],
        );
        let mut out = ListBuilder::new(item).with_field(Arc::new(Field::new(
            "item",
            DataType::Struct(fields()),
            true,
        )));
        for i in 0..n {
            if accounts.is_null(i) || texts.is_null(i) || ts.is_null(i) {
                out.append(false);
                continue;
            }
            for (dm, run) in index.echoes(accounts.value(i), texts.value(i), ts.value(i)) {
                let d = &index.dms[dm];
                let s = out.values();
                s.field_builder::<StringBuilder>(0)
                    .expect("dm")
                    .append_value(&d.event_id);
                s.field_builder::<StringBuilder>(1)
                    .expect("sender")
                    .append_option(d.sender.as_deref());
                s.field_builder::<Int64Builder>(2)
                    .expect("words")
                    .append_value(run as i64);
                s.append(true);
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(arc(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_earlier_dms_of_the_same_account_with_the_shared_run() {
        let f = DmEcho::new(vec![
            (
                "a".into(),
                "dm1".into(),
                Some("u1".into()),
                10,
                "my order never arrived and nobody answers".into(),
            ),
            (
                "b".into(),
                "dm2".into(),
                Some("u2".into()),
                10,
                "my order never arrived and nobody answers".into(),
            ),
        ]);
        let f = f.index().unwrap();
        assert_eq!(
            f.echoes(
                "a",
                "customer says my order never arrived and nobody answers",
                20
            ),
            vec![(0, 7)]
        );
        assert!(
            f.echoes("a", "customer says my order never arrived", 5)
                .is_empty(),
            "before the DM"
        );
        assert!(
            f.echoes("c", "my order never arrived", 20).is_empty(),
            "another account"
        );
        assert!(f.echoes("a", "order arrived today", 20).is_empty());
    }
}
