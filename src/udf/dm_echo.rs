//! `dm_echo(account_id, normalized_text, ts)`: the direct messages the account received before
//! `ts` whose words a text repeats, as `list<struct<dm, sender, words>>`: the DM's event id, its
//! sender and the longest run of consecutive normalized words the two share (3 or more). The
//! received DMs are indexed by word 3-grams when the audit session starts
//! ([`DmEcho::from_store`]), so each post costs a few hash lookups instead of a join of every
//! post's n-grams with every DM's. NULL arguments give NULL.

use ahash::AHashMap as HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, Int64Builder, ListBuilder, StringBuilder, StructBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;

use super::collect::micros;
use super::{arc, utf8_arg};
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
    index: Arc<Index>,
    signature: Signature,
}

impl DmEcho {
    /// `(account_id, event_id, sender, ts µs, normalized text)` of received DMs.
    pub fn new(received: Vec<(String, String, Option<String>, i64, String)>) -> Self {
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
        DmEcho {
            index: Arc::new(index),
            signature: Signature::any(3, Volatility::Immutable),
        }
    }

    /// Indexes the DMs the store's accounts received.
    pub async fn from_store(ctx: &SessionContext) -> crate::error::Result<Self> {
        #[derive(serde::Deserialize)]
        struct Received {
            account_id: String,
            event_id: String,
            actor_id: Option<String>,
            ts: i64,
            norm: Option<String>,
        }
        let rows = crate::store::query_rows::<Received>(
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
        .collect();
        Ok(DmEcho::new(rows))
    }

    /// `(dm index, shared run)` for the DMs of `account` received before `ts` that `norm` echoes.
    fn echoes(&self, account: &str, norm: &str, ts: i64) -> Vec<(usize, usize)> {
        let words = word_hashes(norm);
        if words.len() < MIN_RUN || self.index.grams.is_empty() {
            return Vec::new();
        }
        let account = hash_bytes(account.as_bytes(), 6);
        let mut candidates: Vec<u32> = words
            .windows(MIN_RUN)
            .filter_map(|w| self.index.grams.get(&(account, gram(w))))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|i| i as usize)
            .filter(|i| self.index.dms[*i].ts < ts)
            .map(|i| (i, longest_common_run(&words, &self.index.dms[i].words)))
            .filter(|(_, run)| *run >= MIN_RUN)
            .collect()
    }
}

impl PartialEq for DmEcho {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.index, &other.index)
    }
}

impl Eq for DmEcho {}

impl std::hash::Hash for DmEcho {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        "dm_echo".hash(state);
        self.index.dms.len().hash(state);
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
            for (dm, run) in self.echoes(accounts.value(i), texts.value(i), ts.value(i)) {
                let d = &self.index.dms[dm];
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
