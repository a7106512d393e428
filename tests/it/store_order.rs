//! An event-sourced store converges: the same inputs ingested in any order and any split into
//! ingests give the same `events`, the same report and the same finding fingerprints. Regression
//! for ingest-order dependence: archives first and webhook logs in a later ingest stored every
//! like and follow twice (once from the snapshot difference, once from the webhook), and a post
//! kept whichever copy came first.

use std::path::{Path, PathBuf};

use crate::common::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use xaudit::store::Store;

struct State {
    events: String,
    report: serde_json::Value,
    fingerprints: Vec<String>,
}

async fn state_after(root: &Path, ingests: &[Vec<PathBuf>]) -> State {
    let store = Store::at(root).unwrap();
    for inputs in ingests.iter().filter(|i| !i.is_empty()) {
        ingest_all(&store, inputs, false).await.unwrap();
    }
    let events = events_csv(&store, None).await;
    let report = audit_default(&store).await;
    let mut fingerprints: Vec<String> = report
        .accounts
        .iter()
        .flat_map(|a| a.findings.iter().map(|f| f.fingerprint.clone()))
        .collect();
    fingerprints.sort();
    let mut report = serde_json::to_value(&report).unwrap();
    // What differs by design: when the report was made, and how many ingests made the store.
    let o = report.as_object_mut().unwrap();
    o.remove("generated_at");
    o.remove("store_version");
    State {
        events,
        report,
        fingerprints,
    }
}

fn population_inputs(dir: &Path) -> Vec<PathBuf> {
    let mut inputs = vec![dir.join("trends.jsonl")];
    for sub in ["archives", "webhooks", "logs"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            inputs.push(e.unwrap().path());
        }
    }
    inputs.sort();
    inputs
}

#[tokio::test]
async fn any_order_and_split_of_the_inputs_gives_the_same_events_report_and_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let population = dir.path().join("population");
    generate(&population, "12", "6", "5");
    let inputs = population_inputs(&population);
    assert!(
        inputs
            .iter()
            .any(|p| p.starts_with(population.join("webhooks"))),
        "the population has webhook logs to reconcile with the archives"
    );
    let reference = state_after(&dir.path().join("at-once"), std::slice::from_ref(&inputs)).await;
    assert!(reference.events.lines().count() > 1000);

    // Archives first and the rest later: the order of the issue that found the bug.
    let (archives, rest): (Vec<PathBuf>, Vec<PathBuf>) = inputs
        .iter()
        .cloned()
        .partition(|p| p.starts_with(population.join("archives")));
    let mut splits = vec![vec![archives.clone(), rest.clone()], vec![rest, archives]];
    // And shuffled splits into two to four ingests.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
    for _ in 0..2 {
        let mut shuffled = inputs.clone();
        shuffled.shuffle(&mut rng);
        let parts = rand::Rng::random_range(&mut rng, 2..=4usize);
        let mut split = vec![Vec::new(); parts];
        for (i, p) in shuffled.into_iter().enumerate() {
            let part = if i < parts {
                i
            } else {
                rand::Rng::random_range(&mut rng, 0..parts)
            };
            split[part].push(p);
        }
        splits.push(split);
    }
    for (n, split) in splits.iter().enumerate() {
        let got = state_after(&dir.path().join(format!("split-{n}")), split).await;
        let names: Vec<Vec<String>> = split
            .iter()
            .map(|i| {
                i.iter()
                    .map(|p| p.strip_prefix(&population).unwrap().display().to_string())
                    .collect()
            })
            .collect();
        assert!(
            got.events == reference.events,
            "events differ when ingested as {names:?}"
        );
        assert_eq!(got.fingerprints, reference.fingerprints, "{names:?}");
        assert_eq!(got.report, reference.report, "{names:?}");
    }
}
