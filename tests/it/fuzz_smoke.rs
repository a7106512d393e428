//! The readers' fuzz entry points (`xaudit::readers::fuzz`), run briefly: over every fixture of
//! each target's format and a few hundred deterministic mutations of them (bit flips, cuts,
//! splices, repeated and deleted runs). A panic fails the test. The long, coverage-guided runs
//! are `scripts/fuzz` (README, "Reliability"); every crash they find becomes a regression input
//! in `fuzz/regressions/<target>/`, which this test replays.

use std::path::{Path, PathBuf};

use crate::common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xaudit::readers::fuzz::{ARCHIVE_FILES, Scratch, Target, run};

/// Mutations per seed in CI; `XAUDIT_FUZZ_SMOKE` raises it.
fn mutations() -> usize {
    std::env::var("XAUDIT_FUZZ_SMOKE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap()
}

/// Each target's seed inputs, from the fixtures.
pub fn seeds(target: Target, scratch: &Path) -> Vec<Vec<u8>> {
    match target {
        Target::ArchiveDataFile => ARCHIVE_FILES
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                let p = fixture("archives/current-2026/data").join(name);
                let mut bytes = vec![i as u8];
                bytes.extend(std::fs::read(p).ok()?);
                Some(bytes)
            })
            .collect(),
        Target::ZipContainer => {
            let zip = scratch.join("seed.zip");
            zip_dir(&fixture("archives/gdpr-2020"), &zip, "");
            vec![std::fs::read(zip).unwrap()]
        }
        Target::WebhookLog => vec![
            read("webhooks/account-activity.jsonl"),
            read("webhooks/activity-api.jsonl"),
        ],
        Target::GenericCsv => vec![read("logs/bot-actions.csv")],
        Target::GenericJsonl => vec![
            read("logs/bot-actions.jsonl"),
            read("example/helpbot-actions.jsonl"),
        ],
        Target::GenericParquet => vec![crate::common::generic_parquet()],
        Target::TrendLog => {
            let with = |pick: u8, rel: &str| [vec![pick], read(rel)].concat();
            vec![
                with(0, "trends/hourly.jsonl"),
                with(0, "trends/place.json"),
                with(0, "trends/v2.json"),
                with(1, "trends/snapshots.csv"),
            ]
        }
    }
}

/// One deterministic mutation of `seed`, in the spirit of libFuzzer's.
fn mutate(seed: &[u8], other: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    if b.is_empty() {
        return vec![rng.random()];
    }
    for _ in 0..rng.random_range(1..4) {
        let at = rng.random_range(0..b.len());
        match rng.random_range(0..7) {
            0 => b[at] ^= 1 << rng.random_range(0..8),
            1 => b[at] = rng.random(),
            2 => b.truncate(at),
            3 => {
                let end = (at + rng.random_range(1..64)).min(b.len());
                b.drain(at..end);
            }
            4 => {
                let end = (at + rng.random_range(1..64)).min(b.len());
                let run = b[at..end].to_vec();
                b.splice(at..at, run.iter().cycle().take(run.len() * 8).copied());
            }
            5 => {
                let from = rng.random_range(0..other.len().max(1));
                let end = (from + rng.random_range(1..256)).min(other.len());
                b.splice(at..at, other[from.min(end)..end].iter().copied());
            }
            _ => {
                let tokens: [&[u8]; 10] = [
                    b"\"",
                    b"\\",
                    b"{",
                    b"}]",
                    b"\n",
                    b"\xEF\xBB\xBF",
                    b"null",
                    b"-9e999",
                    b"\"2300-01-01T00:00:00Z\"",
                    b"\xff\xfe",
                ];
                let t = tokens[rng.random_range(0..tokens.len())];
                b.splice(at..at, t.iter().copied());
            }
        }
        if b.is_empty() {
            break;
        }
    }
    b
}

fn regressions(target: Target) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target.name());
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn smoke(target: Target) {
    let dir = tempfile::tempdir().unwrap();
    let scratch = Scratch::new(dir.path());
    let seeds = seeds(target, dir.path());
    assert!(!seeds.is_empty());
    // With XAUDIT_FUZZ_SEEDS=DIR the seeds are written out as the long fuzz's starting corpus.
    if let Ok(out) = std::env::var("XAUDIT_FUZZ_SEEDS") {
        let out = Path::new(&out).join(target.name());
        std::fs::create_dir_all(&out).unwrap();
        for (i, s) in seeds.iter().enumerate() {
            std::fs::write(out.join(format!("seed-{i}")), s).unwrap();
        }
    }
    for r in regressions(target) {
        run(target, &std::fs::read(&r).unwrap(), &scratch);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(18);
    for (i, seed) in seeds.iter().enumerate() {
        run(target, seed, &scratch);
        let other = &seeds[(i + 1) % seeds.len()];
        for _ in 0..mutations() {
            run(target, &mutate(seed, other, &mut rng), &scratch);
        }
    }
}

#[test]
fn archive_data_file() {
    smoke(Target::ArchiveDataFile);
}

#[test]
fn zip_container() {
    smoke(Target::ZipContainer);
}

#[test]
fn webhook_log() {
    smoke(Target::WebhookLog);
}

#[test]
fn generic_csv() {
    smoke(Target::GenericCsv);
}

#[test]
fn generic_jsonl() {
    smoke(Target::GenericJsonl);
}

#[test]
fn generic_parquet() {
    smoke(Target::GenericParquet);
}

#[test]
fn trend_log() {
    smoke(Target::TrendLog);
}
