//! `xaudit nightly`: ingest what is new in an inbox, audit, compare with the previous run, record
//! the run in the findings log and write the night's reports. Built for cron and systemd timers:
//! no prompts, and every step leaves the store at a committed version, so a run killed at any
//! point is followed by a clean one.
//!
//! The audit covers the whole store every night rather than only the events since the last run:
//! rules see every burst, cluster and cadence whole however the data arrived, and a finding's
//! fingerprint is stable across nights because its evidence key is computed from all the data.

use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::audit::{AuditOptions, Config, audit};
use crate::error::{Error, InputError, Result};
use crate::findings_log::{self, Changes, RunRecord};
use crate::ingest::folder::Entry;
use crate::ingest::{IngestOptions, ingest};
use crate::model::Change;
use crate::model::hash_id;
use crate::model::time::format_ts;
use crate::report::{Report, RunRef, Verdict};
use crate::rules::Rule;
use crate::rules::sections::Lang;
use crate::store::{SessionOptions, Store, query_rows};

#[derive(Debug, Clone)]
pub struct NightlyOptions {
    pub inbox: PathBuf,
    pub reports: PathBuf,
    /// The run's clock (µs since the epoch): names the report folder and times the run.
    pub now: i64,
    /// Keep going past bad records in the inbox (kept in `rejects`).
    pub lenient: bool,
    pub lang: Lang,
    /// The config file the run uses, named in its report.
    pub config_file: Option<String>,
}

#[derive(Debug)]
pub struct NightlyOutcome {
    pub report: Report,
    pub run: RunRecord,
    pub changes: Changes,
    /// The folder the reports went to.
    pub dir: PathBuf,
    /// Inbox entries ingested by this run.
    pub ingested: Vec<PathBuf>,
    /// Things the operator should know (skipped inbox files, ingest notices).
    pub notices: Vec<String>,
}

/// Names that mean "still being written": a file copied into the inbox under such a name and
/// renamed when complete is never read half-way.
fn in_progress(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [".part", ".partial", ".tmp", ".crdownload", ".download"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// What a night finds in its inbox.
#[derive(Debug, Default)]
pub struct InboxScan {
    /// Entries not ingested before, with their content hashes (recognized by content, so a file
    /// renamed or copied twice into the inbox is read once).
    pub fresh: Vec<(PathBuf, String)>,
    /// Entries that cannot be read (a broken link, a named pipe, a folder that cannot be
    /// listed): the ingest fails on them, or rejects them with `--lenient`.
    pub unreadable: Vec<InputError>,
    /// Entries skipped for now or for good, with why (still being written, not data by name).
    pub notices: Vec<String>,
}

/// The inbox's entries not ingested before. Whether a fresh entry is data is for the ingest to
/// decide, as for any folder input: one it cannot recognize is an error, never a quiet skip.
pub async fn new_inputs(store: &Store, inbox: &Path) -> Result<InboxScan> {
    if !inbox.is_dir() {
        return Err(Error::Usage(format!(
            "--inbox {}: not a folder",
            inbox.display()
        )));
    }
    let mut scan = InboxScan::default();
    let mut entries = Vec::new();
    for entry in crate::ingest::folder::entries(inbox) {
        match entry {
            Entry::Input(p) if in_progress(&p) => scan
                .notices
                .push(format!("{}: skipped, still being written", p.display())),
            Entry::Input(p) => entries.push(p),
            Entry::NotData(p, why) => scan
                .notices
                .push(format!("{}: skipped, {why}", p.display())),
            Entry::Unreadable(e) => scan.unreadable.push(e),
        }
    }
    let hashed: Vec<(PathBuf, std::io::Result<String>)> = entries
        .into_par_iter()
        .map(|p| {
            let h = crate::ingest::content_hash(&p);
            (p, h)
        })
        .collect();
    let ctx = store.session(&SessionOptions::default()).await?;
    #[derive(serde::Deserialize)]
    struct Known {
        content_hash: String,
    }
    let known: std::collections::HashSet<String> = query_rows::<Known>(
        &ctx,
        "nightly: ingested inputs",
        "SELECT DISTINCT content_hash FROM inputs",
    )
    .await?
    .into_iter()
    .map(|k| k.content_hash)
    .collect();
    let mut this_night = std::collections::HashSet::new();
    for (p, h) in hashed {
        let h = match h {
            Ok(h) => h,
            Err(e) => {
                let shown = p.display().to_string();
                scan.unreadable
                    .push(InputError::file(shown, format!("cannot read: {e}")));
                continue;
            }
        };
        if known.contains(&h) || !this_night.insert(h.clone()) {
            continue;
        }
        scan.fresh.push((p, h));
    }
    Ok(scan)
}

/// Run one night. The caller holds the store lock.
pub async fn nightly(
    store: &Store,
    rules: &[Rule],
    config: &Config,
    opts: &NightlyOptions,
    progress: &ProgressBar,
) -> Result<NightlyOutcome> {
    let started_at = opts.now;
    let InboxScan {
        fresh,
        unreadable,
        mut notices,
    } = new_inputs(store, &opts.inbox).await?;
    let (fresh, content_hashes): (Vec<PathBuf>, std::collections::HashMap<PathBuf, String>) = (
        fresh.iter().map(|(p, _)| p.clone()).collect(),
        fresh.into_iter().collect(),
    );
    let mut events_added = 0;
    if !fresh.is_empty() || !unreadable.is_empty() {
        let report = ingest(
            store,
            &fresh,
            &IngestOptions {
                lenient: opts.lenient,
                content_hashes,
                from_folder: true,
                unreadable,
                ..Default::default()
            },
            progress,
        )
        .await?;
        events_added = report.events_added;
        notices.extend(report.notices);
    }
    crate::fault::pause_point("nightly-after-ingest");
    let upgraded = store.init().await?;
    store.keep_history_of(&upgraded).await?;
    notices.extend(crate::store::history_kept_notice(&upgraded));

    let ctx = store.session(&SessionOptions::default()).await?;
    let previous = findings_log::previous_run(&ctx).await?;
    drop(ctx);
    let audit = audit(
        store,
        rules,
        config,
        &AuditOptions {
            as_of: None,
            now: started_at,
            ..Default::default()
        },
    )
    .await?;
    let suppressions = findings_log::suppressions::active(&audit.session, audit.moment).await?;
    let comparison = findings_log::compare(audit.all_findings(), previous.as_ref(), &suppressions);
    let changes = comparison.counts;
    let store_version = audit.store_version.unwrap_or_default();
    let previous_id = previous.as_ref().map(|p| p.id.clone());
    let run_id = hash_id(&[
        "run",
        &started_at.to_string(),
        &store_version.to_string(),
        previous_id.as_deref().unwrap_or(""),
    ]);
    let mut report = Report::build(
        &audit,
        &suppressions,
        Some(&comparison),
        Some(RunRef {
            id: run_id.clone(),
            previous_id: previous_id.clone(),
            store_version: audit.store_version,
        }),
        started_at,
    );
    report.config_file = opts.config_file.clone();
    let run = RunRecord {
        run_id,
        previous_run_id: previous_id,
        store_version: store_version as i64,
        config_hash: config.fingerprint(rules),
        rule_pack: findings_log::rule_pack_hash(rules),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at,
        finished_at: started_at.max(chrono::Utc::now().timestamp_micros()),
        inputs: fresh.len() as i64,
        events_added: events_added as i64,
        accounts: report.accounts.len() as i64,
        new: changes.new as i64,
        open: changes.open as i64,
        resolved: changes.resolved as i64,
        suppressed: changes.suppressed as i64,
    };
    let dir = write_reports(&report, rules, &run, &changes, &fresh, opts)?;
    crate::fault::pause_point("nightly-before-record");
    findings_log::record(
        store,
        audit.all_findings(),
        &comparison,
        &suppressions,
        &run,
    )
    .await?;
    Ok(NightlyOutcome {
        report,
        run,
        changes,
        dir,
        ingested: fresh,
        notices,
    })
}

/// Write the night's reports into a fresh folder and move it into place, so a folder under
/// `REPORTS/` is always complete. A second run on the same day replaces that day's folder.
fn write_reports(
    report: &Report,
    rules: &[Rule],
    run: &RunRecord,
    changes: &Changes,
    ingested: &[PathBuf],
    opts: &NightlyOptions,
) -> Result<PathBuf> {
    let day: String = format_ts(run.started_at).chars().take(10).collect();
    let reports = &opts.reports;
    std::fs::create_dir_all(reports).map_err(|e| Error::io(reports, e))?;
    let dir = reports.join(&day);
    let tmp = reports.join(format!(".{day}.{}.tmp", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let files = [
        ("report.json", report.to_json()),
        ("report.html", crate::report::html(report, opts.lang)),
        ("report.md", crate::report::markdown(report, opts.lang)),
        ("report.sarif", crate::report::sarif(report, rules)),
        ("junit.xml", crate::report::junit(report)),
        (
            "summary.txt",
            summary(report, rules, run, changes, ingested),
        ),
    ];
    for (name, text) in files {
        let p = tmp.join(name);
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))?;
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    }
    std::fs::rename(&tmp, &dir).map_err(|e| Error::io(&dir, e))?;
    Ok(dir)
}

/// A few lines for a mail body or a chat message.
pub fn summary(
    report: &Report,
    rules: &[Rule],
    run: &RunRecord,
    changes: &Changes,
    ingested: &[PathBuf],
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let count = |v: Verdict| report.accounts.iter().filter(|a| a.verdict == v).count();
    let _ = writeln!(
        out,
        "xaudit nightly {} — run {} (previous {})",
        format_ts(run.started_at),
        &run.run_id[..12],
        run.previous_run_id
            .as_deref()
            .map_or("none", |p| &p[..12.min(p.len())])
    );
    let _ = writeln!(
        out,
        "store version {}; {} new input{}, {} events added",
        run.store_version,
        ingested.len(),
        if ingested.len() == 1 { "" } else { "s" },
        run.events_added
    );
    let _ = writeln!(
        out,
        "accounts: {} ({} with violations, {} with warnings, {} compliant)",
        report.accounts.len(),
        count(Verdict::Violations),
        count(Verdict::Warnings),
        count(Verdict::Compliant)
    );
    let _ = writeln!(
        out,
        "findings: {} new, {} open, {} resolved, {} suppressed",
        changes.new, changes.open, changes.resolved, changes.suppressed
    );
    let title = |id: &str| {
        rules
            .iter()
            .find(|r| r.id == id)
            .map_or(id.to_string(), |r| r.title.clone())
    };
    let mut new: Vec<String> = Vec::new();
    for a in &report.accounts {
        let name = a.short_name();
        for f in &a.findings {
            if f.change == Some(Change::New) {
                new.push(format!(
                    "  {:<4} {name}  {}: {}{}",
                    f.severity.as_str(),
                    f.rule,
                    f.message,
                    if f.suppressed.is_some() {
                        " (suppressed)"
                    } else {
                        ""
                    }
                ));
            }
        }
        for f in a.resolved.iter().flatten() {
            new.push(format!("  fixed {name}  {}: {}", f.rule, title(&f.rule)));
        }
    }
    const SHOWN: usize = 30;
    if !new.is_empty() {
        let _ = writeln!(out, "\nnew and resolved:");
        for l in new.iter().take(SHOWN) {
            let _ = writeln!(out, "{l}");
        }
        if new.len() > SHOWN {
            let _ = writeln!(
                out,
                "  … and {} more (report.md has them all)",
                new.len() - SHOWN
            );
        }
    }
    // Handles, ids and messages come from the data: a summary is read in terminals and mail.
    crate::text::inert::visible_lines(&out).into_owned()
}
