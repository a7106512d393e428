use std::path::PathBuf;
use std::process::ExitCode;
use xaudit::text::inert::visible_lines;

use anyhow::Context;
use xaudit::ingest::{IngestOptions, ingest};
use xaudit::readers::InputKind;
use xaudit::readers::archive::ZipLimits;
use xaudit::store::{Contention, Store};

pub const AFTER_HELP: &str = "\
Inputs (kind detected from content; --kind overrides):
  archive   X \"Download your archive\" export, .zip or extracted folder, any generation
  webhook   Account Activity webhook log (.jsonl, one payload per line) or X Activity API envelopes
  generic   event log (.jsonl, .csv, .parquet) with the events columns; account_id, ts, kind required
  trends    trends/place JSON or JSONL, v2 trends JSON (with as_of), or CSV (as_of, name)

Re-ingesting the same input adds nothing. A second, later archive of the same account turns the
difference between its follower/following/like/block/mute snapshots and the first one's into events
timed by the interval between the two generation dates.

Examples:
  xaudit ingest --store ./store export.zip
  xaudit ingest --store ./store --lenient hooks/*.jsonl     # bad lines go to the rejects table";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: super::StoreArg,
    /// Inputs: archives (.zip or folder), webhook logs, generic logs, trend snapshots.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Keep going past bad records; each is stored in the `rejects` table with its position and reason.
    #[arg(long)]
    lenient: bool,
    /// Treat every input as this kind instead of detecting it.
    #[arg(long, value_parser = parse_kind)]
    kind: Option<InputKind>,
    /// Refuse archives whose data files unpack to more than this many bytes (zip-bomb guard).
    #[arg(long, value_name = "BYTES", default_value_t = ZipLimits::default().max_unpacked_bytes)]
    max_unpacked_size: u64,
    /// Refuse zip entries compressed more than this ratio (zip-bomb guard).
    #[arg(long, value_name = "N", default_value_t = ZipLimits::default().max_ratio)]
    max_ratio: u64,
    /// Print the ingest report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_kind(s: &str) -> Result<InputKind, String> {
    s.parse()
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let store = Store::at(&a.store.store)?;
    let opts = IngestOptions {
        lenient: a.lenient,
        kind: a.kind,
        limits: ZipLimits {
            max_unpacked_bytes: a.max_unpacked_size,
            max_ratio: a.max_ratio,
        },
        ..Default::default()
    };
    let _lock = store.lock("xaudit ingest", Contention::Wait, |holder| {
        eprintln!("waiting for {holder} to finish…")
    })?;
    let pb = super::progress("ingesting");
    let report = ingest(&store, &a.inputs, &opts, &pb)
        .await
        .with_context(|| {
            format!(
                "ingest into {} failed; the store is unchanged",
                a.store.store.display()
            )
        })?;
    pb.finish_and_clear();
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if report.inputs.len() <= 10 {
        for i in &report.inputs {
            let unit = if i.kind == "trends" {
                "trend rows"
            } else {
                "events"
            };
            let rejected = if i.rejected > 0 {
                format!(", {} rejected", i.rejected)
            } else {
                String::new()
            };
            let path = visible_lines(&i.path);
            outln!("{path} ({}): {} {unit}{rejected}", i.kind, i.records)?;
        }
    } else {
        let mut by_kind: std::collections::BTreeMap<&str, (usize, u64)> = Default::default();
        for i in &report.inputs {
            let e = by_kind.entry(i.kind.as_str()).or_default();
            e.0 += 1;
            e.1 += i.records;
        }
        let parts: Vec<String> = by_kind
            .iter()
            .map(|(k, (n, r))| {
                format!(
                    "{n} {k} ({r} {})",
                    if *k == "trends" {
                        "trend rows"
                    } else {
                        "events"
                    }
                )
            })
            .collect();
        outln!("{} inputs: {}", report.inputs.len(), parts.join(", "))?;
    }
    outln!(
        "events: {} read, {} new, {} already in the store{}",
        report.events_read,
        report.events_added,
        report.duplicates,
        if report.snapshot_events > 0 {
            format!(" ({} from snapshot diffs)", report.snapshot_events)
        } else {
            String::new()
        }
    )?;
    if report.trends_added > 0 {
        outln!("trends: {} new", report.trends_added)?;
    }
    match (report.version_before, report.version_after) {
        (b, Some(a)) if b != Some(a) => outln!("store {}: version {a}", store.root().display())?,
        (_, v) => outln!(
            "store {}: unchanged (version {})",
            store.root().display(),
            v.map(|v| v.to_string()).unwrap_or("-".into())
        )?,
    }
    for (file, want, got) in &report.count_mismatches {
        let file = visible_lines(file);
        eprintln!("warning: {file}: manifest.js says {want} records, {got} were read");
    }
    if report.rejects > 0 {
        eprintln!(
            "warning: {} bad records were skipped; see them with: xaudit sql --store {} \"SELECT * FROM rejects\"",
            report.rejects,
            store.root().display()
        );
    }
    for n in &report.notices {
        eprintln!("note: {}", visible_lines(n));
    }
    Ok(ExitCode::SUCCESS)
}
