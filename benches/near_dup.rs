//! The near-duplicate stage alone, end to end as the audit runs it (normalize, sign, band, verify,
//! cluster: the cached `post_*` views over an in-memory `activity` table), with throughput, peak
//! memory and recall against brute-force Jaccard on a sample. Not a pass/fail test.
//!
//!   cargo bench --bench near_dup                         # 1,000,000 posts, one 100,000-copy cluster
//!   XAUDIT_BENCH_POSTS=200000 cargo bench --bench near_dup
//!
//! The posts: 100,000 copies of one text; 20,000 groups of 5 variants of a text (each with its
//! own last word, Jaccard ≥ 0.8 within the group); the rest unrelated texts of 12–25 words from a
//! 2,000-word vocabulary.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use xaudit::text::near_dup::jaccard;
use xaudit::text::normalize;

mod common;
use common::{env, peak_rss_mib, reset_peak_rss};

const COPIES: usize = 100_000;
const GROUPS: usize = 20_000;
const VARIANTS: usize = 5;

fn texts(n: usize) -> (Vec<String>, Vec<Option<usize>>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    // Words without digits: texts whose numbers differ are never near-duplicates.
    let letters = |i: usize| -> String {
        i.to_string()
            .chars()
            .map(|d| char::from(b'a' + d.to_digit(10).unwrap() as u8))
            .collect()
    };
    let vocab: Vec<String> = (0..2000).map(|i| format!("w{}", letters(i))).collect();
    let sentence = |rng: &mut rand_chacha::ChaCha8Rng| {
        let k = rng.random_range(12..26);
        (0..k)
            .map(|_| vocab.choose(rng).unwrap().as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = Vec::with_capacity(n);
    let mut group = Vec::with_capacity(n);
    let copy = format!("Big sale today only {} visit the shop", sentence(&mut rng));
    for _ in 0..COPIES.min(n / 4) {
        out.push(copy.clone());
        group.push(None);
    }
    for g in 0..GROUPS.min(n / 10) {
        let base = sentence(&mut rng);
        for v in 0..VARIANTS {
            out.push(format!("{base} variant{}", letters(v)));
            group.push(Some(g));
        }
    }
    while out.len() < n {
        out.push(sentence(&mut rng));
        group.push(None);
    }
    (out, group)
}

fn main() {
    let n = env("XAUDIT_BENCH_POSTS", 1_000_000) as usize;
    let (texts, groups) = texts(n);
    let ts_type = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let schema = Arc::new(Schema::new(vec![
        Field::new("event_id", DataType::Utf8, false),
        Field::new("account_id", DataType::Utf8, false),
        Field::new("ts", ts_type, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("automated", DataType::Boolean, true),
        Field::new("text", DataType::Utf8, true),
        Field::new("target_user_id", DataType::Utf8, true),
        Field::new("urls", xaudit::model::schema::url_list(), true),
    ]));
    let batches: Vec<RecordBatch> = (0..n)
        .step_by(65_536)
        .map(|start| {
            let end = (start + 65_536).min(n);
            let cols: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from_iter_values(
                    (start..end).map(|i| format!("e{i}")),
                )),
                Arc::new(StringArray::from_iter_values(
                    (start..end).map(|i| format!("a{}", i % 1000)),
                )),
                Arc::new(
                    TimestampMicrosecondArray::from_iter_values(
                        (start..end).map(|i| 1_767_225_600_000_000 + i as i64 * 1_000_000),
                    )
                    .with_timezone("UTC"),
                ),
                Arc::new(StringArray::from_iter_values((start..end).map(|_| "post"))),
                Arc::new(BooleanArray::from(vec![true; end - start])),
                Arc::new(StringArray::from_iter_values(texts[start..end].iter())),
                Arc::new(StringArray::from(vec![None::<&str>; end - start])),
                datafusion::arrow::array::new_null_array(
                    &xaudit::model::schema::url_list(),
                    end - start,
                ),
            ];
            RecordBatch::try_new(schema.clone(), cols).unwrap()
        })
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let clusters: HashMap<String, i64> = rt.block_on(async {
        let ctx = SessionContext::new();
        xaudit::udf::register_all(&ctx);
        let parts: Vec<Vec<RecordBatch>> = (0..cores)
            .map(|p| batches.iter().skip(p).step_by(cores).cloned().collect())
            .collect();
        ctx.register_table("activity", Arc::new(MemTable::try_new(schema.clone(), parts).unwrap()))
            .unwrap();
        xaudit::audit::views::register_text_views(&ctx).await.unwrap();
        reset_peak_rss();
        let t = Instant::now();
        let out = ctx
            .sql("SELECT CAST(event_id AS VARCHAR) AS e, cluster_id FROM post_clusters")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        let mut map = HashMap::new();
        for b in &out {
            let e = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).unwrap();
            let e = e.as_any().downcast_ref::<StringArray>().unwrap();
            let c = datafusion::arrow::compute::cast(b.column(1), &DataType::Int64).unwrap();
            let c = c
                .as_any()
                .downcast_ref::<datafusion::arrow::array::Int64Array>()
                .unwrap();
            for i in 0..b.num_rows() {
                map.insert(e.value(i).to_string(), c.value(i));
            }
        }
        let distinct: std::collections::HashSet<i64> = map.values().copied().collect();
        println!(
            "near-duplicate stage: {n} posts in {secs:.2} s = {:.0} posts/s ({:.0} posts/s per core on {cores} cores); peak RSS {:.0} MiB",
            n as f64 / secs,
            n as f64 / secs / cores as f64,
            peak_rss_mib()
        );
        println!(
            "  {} posts have a near-duplicate, in {} clusters",
            map.len(),
            distinct.len()
        );
        map
    });

    // Recall on a sample: 200 planted groups and 1,000 unrelated texts, every pair compared by
    // brute force; a pair at Jaccard ≥ 0.8 is found when both posts share a cluster.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let mut sample: Vec<usize> = Vec::new();
    let group_starts: Vec<usize> = (0..n)
        .filter(|i| groups[*i].is_some() && (*i == 0 || groups[*i - 1] != groups[*i]))
        .collect();
    for s in group_starts.choose_multiple(&mut rng, 200) {
        sample.extend(*s..*s + VARIANTS);
    }
    let unrelated: Vec<usize> = (0..n)
        .filter(|i| groups[*i].is_none() && texts[*i] != texts[0])
        .collect();
    sample.extend(unrelated.choose_multiple(&mut rng, 1000));
    let norms: Vec<String> = sample.iter().map(|i| normalize(&texts[*i])).collect();
    let (mut similar, mut found, mut false_merges) = (0, 0, 0);
    for a in 0..sample.len() {
        for b in a + 1..sample.len() {
            let (ea, eb) = (format!("e{}", sample[a]), format!("e{}", sample[b]));
            let same =
                matches!((clusters.get(&ea), clusters.get(&eb)), (Some(x), Some(y)) if x == y);
            if jaccard(&norms[a], &norms[b]) >= 0.8 {
                similar += 1;
                found += usize::from(same);
            } else if same {
                false_merges += 1;
            }
        }
    }
    println!(
        "  recall at Jaccard 0.8 on a sample of {} posts: {:.4} ({found} of {similar} pairs); pairs put together below 0.8: {false_merges}",
        sample.len(),
        found as f64 / similar.max(1) as f64
    );
}
