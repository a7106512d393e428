//! The audit engine: every enabled rule's SQL runs against the store (with xaudit's functions
//! and the views of `views`), and the [`runner`] turns each rule's rows into typed findings.
//! [`audit`] returns them with each rule's coverage of each account, the account facts and the
//! evidence events: everything a report needs, as data. The findings log compares them with the
//! previous run and records them; the report is built once from them and is the only place that
//! formats them as text.
//!
//! The flow: `audit` → [`Audit`] → (`findings_log::compare`, `findings_log::record`) →
//! `report::Report::build` → renderers.

mod cached_view;
mod census;
pub mod config;
pub mod coverage;
pub mod evidence;
pub mod facts;
pub mod runner;
mod shared_ctes;
pub mod views;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use datafusion::prelude::SessionContext;

use crate::error::Result;
use crate::model::{Finding, RuleStatus, Status, report_order};
use crate::rules::Rule;
use crate::store::{AsOf, Pin, Store};

pub use config::Config;
pub use evidence::EvidenceEvent;
pub use facts::AccountFacts;

#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// Audit the store as it was then (None: as it is).
    pub as_of: Option<AsOf>,
    /// The clock (µs since the epoch): suppressions in force now apply, unless `as_of` names
    /// another moment; the report's `generated_at` is this moment's whole second (injected, so
    /// tests and reproductions control it).
    pub now: i64,
    /// Counts rules as they run (its length is set to the number of enabled rules).
    pub progress: indicatif::ProgressBar,
    /// Where the queries run.
    pub engine: Engine,
}

/// Where an audit's queries run: the report is built here either way, from the same rows.
#[derive(Debug, Clone, Default)]
pub enum Engine {
    /// In this process.
    #[default]
    Local,
    /// On a Ballista cluster (`xaudit cluster`), with this many partitions per stage.
    Cluster {
        url: crate::cluster::ClusterUrl,
        partitions: usize,
        /// A folder the client and every executor reach at the same path, where the views
        /// several rules read are computed once; without, they are computed where read.
        views: Option<std::path::PathBuf>,
    },
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            as_of: None,
            now: chrono::Utc::now().timestamp_micros(),
            progress: indicatif::ProgressBar::hidden(),
            engine: Engine::Local,
        }
    }
}

/// A session with the store, xaudit's functions and the audit views.
pub async fn session(store: &Store, as_of: Option<AsOf>) -> Result<SessionContext> {
    session_on(store, as_of, &Engine::Local).await
}

/// [`session`], its queries running on `engine`.
pub async fn session_on(
    store: &Store,
    as_of: Option<AsOf>,
    engine: &Engine,
) -> Result<SessionContext> {
    session_at(store, store.resolve(as_of).await?.as_ref(), engine).await
}

async fn session_at(store: &Store, pin: Option<&Pin>, engine: &Engine) -> Result<SessionContext> {
    use crate::udf::{DmEcho, StoredDms, TrendTopics};
    use datafusion::logical_expr::ScalarUDF;
    let (ctx, received) = match engine {
        Engine::Local => (store.session_at(pin).await?, None),
        Engine::Cluster {
            url,
            partitions,
            views,
        } => {
            // Executors read the same version as the client, whatever commits meanwhile.
            let pin = match pin {
                Some(pin) => pin.clone(),
                None => store.pin_latest().await?,
            };
            let ctx =
                crate::cluster::session(store, &pin, url, *partitions, views.as_deref()).await?;
            let store =
                std::path::absolute(store.root()).map_err(|e| crate::Error::io(store.root(), e))?;
            (ctx, Some(DmEcho::stored(StoredDms { store, pin })))
        }
    };
    // After the session exists: a cluster session starts from a function list of its own.
    crate::udf::register_all(&ctx);
    let trends = TrendTopics::from_store(&ctx).await?;
    ctx.register_udf(ScalarUDF::from(trends));
    let received = match received {
        Some(stored) => stored,
        None => DmEcho::from_session(&ctx),
    };
    ctx.register_udf(ScalarUDF::from(received));
    views::register(&ctx).await?;
    Ok(ctx)
}

/// What an audit found, as data.
pub struct Audit {
    /// The session the rules ran in, at the audited version, so that what qualifies the findings
    /// (the suppressions in force) is read at that same version.
    pub session: SessionContext,
    /// The moment the audit speaks for (µs): the pinned version's commit time, else the clock.
    pub moment: i64,
    /// The audited store version (None: an empty store).
    pub store_version: Option<u64>,
    /// Every account in the store, with each enabled rule's coverage of it, sorted by rule.
    pub coverage: BTreeMap<String, Vec<RuleStatus>>,
    /// Per account, in report order ([`report_order`]).
    pub findings: BTreeMap<String, Vec<Finding>>,
    pub facts: BTreeMap<String, AccountFacts>,
    /// The events the findings cite, by id.
    pub evidence: BTreeMap<String, EvidenceEvent>,
}

impl Audit {
    /// Every finding, account by account.
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.values().flatten()
    }
}

/// Whether `sql` names `table` as a whole word.
fn mentions(sql: &str, table: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    sql.match_indices(table).any(|(i, _)| {
        !sql[..i].chars().next_back().is_some_and(word)
            && !sql[i + table.len()..].chars().next().is_some_and(word)
    })
}

/// For each cached text view, the index in `rules` of the last enabled rule that reads it,
/// directly or through a cached view built on it. The near-duplicate stages of millions of posts
/// hold gigabytes; kept to the end of the audit they were still in memory while the last rules
/// ran (issue 23).
fn last_readers(rules: &[&Rule], config: &Config) -> Vec<(&'static str, usize)> {
    let views = views::text_views();
    let mut last: Vec<Option<usize>> = vec![None; views.len()];
    // Views come in build order: a view's readers among the views come after it.
    for v in (0..views.len()).rev() {
        let name = views[v].0;
        let direct = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| config.severity(r).is_some() && mentions(&r.sql, name))
            .map(|(i, _)| i)
            .max();
        let through = (v + 1..views.len())
            .filter(|&w| mentions(&views[w].1, name))
            .filter_map(|w| last[w])
            .max();
        last[v] = direct.max(through);
    }
    views
        .iter()
        .zip(last)
        .filter_map(|((name, _), last)| last.map(|i| (*name, i)))
        .collect()
}

/// The rules in the order they run: the ones that read the cached text views first, so that the
/// views are built, read and freed before the rest of the pack runs instead of being held through
/// it (the posts of a 12M-event store are over a gigabyte); otherwise the pack's order. Nothing in
/// the report depends on the order: findings are sorted.
fn run_order(rules: &[Rule]) -> Vec<&Rule> {
    let views = views::text_views();
    let reads_views = |r: &Rule| views.iter().any(|(name, _)| mentions(&r.sql, name));
    let mut ordered: Vec<&Rule> = rules.iter().collect();
    ordered.sort_by_key(|r| !reads_views(r));
    ordered
}

/// Release the cached views whose last reader was rule `index`.
async fn release_after(
    ctx: &SessionContext,
    last_readers: &[(&'static str, usize)],
    index: usize,
) -> Result<()> {
    for (name, _) in last_readers.iter().filter(|(_, i)| *i == index) {
        let provider = ctx.table_provider(*name).await?;
        if let Some(view) = provider.downcast_ref::<cached_view::CachedView>() {
            view.release().await;
        }
    }
    Ok(())
}

/// Whether to print each stage's time (and each cached view's size) on stderr, for profiling.
pub(crate) fn timings() -> bool {
    std::env::var_os("XAUDIT_RULE_TIMINGS").is_some()
}

/// The wall and CPU time of one stage, printed under `XAUDIT_RULE_TIMINGS`. The CPU time is the
/// whole process's, so stages that overlap count each other's; it shows where cores sat idle (CPU
/// time well under twice the wall time on two cores).
pub(crate) struct Lap {
    wall: std::time::Instant,
    cpu: Option<std::time::Duration>,
}

impl Lap {
    pub(crate) fn start() -> Self {
        Lap {
            wall: std::time::Instant::now(),
            cpu: process_cpu(),
        }
    }

    /// Prints the stage's times, `what` after them.
    pub(crate) fn report(&self, what: std::fmt::Arguments<'_>) {
        if !timings() {
            return;
        }
        let cpu = match (self.cpu, process_cpu()) {
            (Some(then), Some(now)) => format!("{:>8.3} s CPU", (now - then).as_secs_f64()),
            _ => String::new(),
        };
        eprintln!(
            "{:>8.3} s{cpu}  [{what}]",
            self.wall.elapsed().as_secs_f64()
        );
    }
}

/// User and system time of the process so far.
fn process_cpu() -> Option<std::time::Duration> {
    #[cfg(unix)]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage writes the struct it is given, and reports failure by its result.
        let usage = unsafe {
            if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
                return None;
            }
            usage.assume_init()
        };
        let time =
            |t: libc::timeval| std::time::Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
        Some(time(usage.ru_utime) + time(usage.ru_stime))
    }
    #[cfg(not(unix))]
    None
}

/// Hand freed memory back to the system once a good deal of it sits unused. glibc keeps freed heap
/// pages mapped, so every rule ran on top of the high-water mark of the rules and cached views
/// before it: at 12M events the audit's peak was the sum of what the text views and the largest
/// later rule needed, not the larger of the two (issue 23). Below the threshold nothing is done:
/// memory handed back is faulted in again by the next rule that needs it, and trimming after
/// every rule made a 1M-event audit 4–8 % slower. Other allocators and systems return memory on
/// their own.
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const WORTH_RETURNING: usize = 256 << 20;
        // SAFETY: both only read or walk the allocator's own free lists, under its own locks.
        unsafe {
            if libc::mallinfo2().fordblks >= WORTH_RETURNING {
                libc::malloc_trim(0);
            }
        }
    }
}

/// Run the rule pack.
pub async fn audit(
    store: &Store,
    rules: &[Rule],
    config: &Config,
    opts: &AuditOptions,
) -> Result<Audit> {
    let lap = Lap::start();
    let pin = store.resolve(opts.as_of).await?;
    let ctx = session_at(store, pin.as_ref(), &opts.engine).await?;
    let moment = pin.as_ref().map_or(opts.now, |p| p.moment);
    lap.report(format_args!("session"));
    let lap = Lap::start();
    let census = census::take(&ctx).await?;
    let summary = coverage::summarize(&ctx, &census).await?;
    lap.report(format_args!("coverage"));
    let mut findings: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    let mut drafts = Vec::new();
    let mut statuses: BTreeMap<String, Vec<RuleStatus>> = BTreeMap::new();
    opts.progress.set_length(
        rules
            .iter()
            .filter(|r| config.severity(r).is_some())
            .count() as u64,
    );
    let rules = run_order(rules);
    let last_readers = last_readers(&rules, config);
    for (index, rule) in rules.iter().copied().enumerate() {
        let Some(level) = config.severity(rule) else {
            continue;
        };
        opts.progress.set_message(rule.id.clone());
        let mut not_evaluable = BTreeSet::new();
        let mut caps = BTreeMap::new();
        for (account, data) in &summary {
            let (status, reason) = coverage::status(&rule.needs, data);
            if status == Status::NotEvaluable {
                not_evaluable.insert(account.as_str());
            }
            if let Some(cap) = coverage::severity_cap(&rule.needs, data) {
                caps.insert(account.as_str(), cap);
            }
            statuses
                .entry(account.clone())
                .or_default()
                .push(RuleStatus {
                    rule: rule.id.clone(),
                    status,
                    reason,
                });
        }
        let lap = Lap::start();
        let params = config.params(rule);
        let run = runner::RuleRun {
            rule,
            level,
            params: &params,
            not_evaluable: &not_evaluable,
            caps: &caps,
        };
        drafts.extend(run.findings(&ctx).await?);
        release_after(&ctx, &last_readers, index).await?;
        return_freed_memory();
        opts.progress.inc(1);
        lap.report(format_args!("{}", rule.id));
    }

    // The evidence and the account facts load at once: each query alone left a core idle for
    // part of its time (planning, opening files, merging partitions).
    let lap = Lap::start();
    let (
        evidence::Evidence {
            actors,
            events: mut evidence,
        },
        facts,
    ) = futures::try_join!(
        evidence::load(
            &ctx,
            drafts.iter().flat_map(|d| d.evidence()),
            config.report.show_private,
        ),
        facts::load(&ctx, &census),
    )?;
    for draft in drafts {
        let f = draft.finish(&actors, config.report.evidence_limit);
        findings.entry(f.account_id.clone()).or_default().push(f);
    }
    // Only the evidence the findings cite after the limit is shown.
    let cited: HashSet<&String> = findings
        .values()
        .flatten()
        .flat_map(|f| &f.evidence)
        .collect();
    evidence.retain(|id, _| cited.contains(id));
    lap.report(format_args!("evidence and account facts"));
    // Accounts are the ones with events; a finding can name no other.
    findings.retain(|account, _| summary.contains_key(account));
    for fs in findings.values_mut() {
        fs.sort_by(report_order);
    }
    for rs in statuses.values_mut() {
        rs.sort_by(|a, b| a.rule.cmp(&b.rule));
    }
    let mut coverage = statuses;
    for account in summary.keys() {
        coverage.entry(account.clone()).or_default();
    }
    let store_version = match &pin {
        Some(pin) => Some(pin.version),
        None => store.version().await?,
    };
    Ok(Audit {
        session: ctx,
        moment,
        store_version,
        coverage,
        findings,
        facts,
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::registry;

    fn last_reader(rules: &[Rule], config: &Config, view: &str) -> Option<String> {
        let rules = run_order(rules);
        last_readers(&rules, config)
            .iter()
            .find(|(name, _)| *name == view)
            .map(|(_, i)| rules[*i].id.clone())
    }

    /// The posts' text views were held from the first rule that read them to trend_automation,
    /// through the heaviest rules of the pack, which then ran on top of them (issue 23).
    #[test]
    fn the_rules_that_read_the_text_views_run_first() {
        let rules = registry().unwrap();
        let ordered = run_order(&rules);
        let ids: Vec<&str> = ordered.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            &ids[..9],
            [
                "bulk_dm",
                "cross_account_duplicates",
                "dm_content_shared_publicly",
                "dm_sensitive_data_request",
                "duplicate_accounts",
                "duplicate_posts",
                "public_personal_data_request",
                "sensitive_content_unsolicited",
                "trend_automation",
            ]
        );
        // then the rest, in the pack's order
        assert_eq!(ids[9], "auto_dm_new_followers");
        assert_eq!(ordered.len(), rules.len());
    }

    /// The near-duplicate stages are freed after the last rule that reads them, directly or
    /// through a view built on them, and a rule that is off does not keep them (issue 23).
    #[test]
    fn cached_text_views_are_released_after_their_last_reader() {
        let rules = registry().unwrap();
        let config = Config::default();
        for view in ["post_candidates", "post_cluster_ids", "post_clusters"] {
            assert_eq!(
                last_reader(&rules, &config, view).as_deref(),
                Some("duplicate_posts"),
                "{view}"
            );
        }
        assert_eq!(
            last_reader(&rules, &config, "post_texts").as_deref(),
            Some("trend_automation")
        );
        let mut fewer = Config::default();
        fewer
            .apply_selection(&rules, &[], &["duplicate_posts".into(), "II".into()])
            .unwrap();
        assert_eq!(
            last_reader(&rules, &fewer, "post_clusters").as_deref(),
            Some("duplicate_accounts")
        );
        let mut none = Config::default();
        none.apply_selection(&rules, &["II.D".into()], &[]).unwrap();
        assert_eq!(last_reader(&rules, &none, "post_clusters"), None);
    }

    #[test]
    fn a_table_is_mentioned_only_as_a_whole_word() {
        assert!(mentions("SELECT * FROM post_clusters p", "post_clusters"));
        assert!(mentions("JOIN post_clusters\n", "post_clusters"));
        assert!(!mentions("FROM post_clusters_old", "post_clusters"));
        assert!(!mentions("FROM my_post_clusters", "post_clusters"));
    }
}
