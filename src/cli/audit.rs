use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use xaudit::text::inert::visible_lines;

use anyhow::Context;
use xaudit::audit::{AuditOptions, Config};
use xaudit::ingest::{IngestOptions, ingest};
use xaudit::rules::sections::Lang;
use xaudit::rules::{Severity, registry};
use xaudit::store::{Contention, Store};

pub const AFTER_HELP: &str = "\
Without --store the inputs go into a temporary store that is removed afterwards: one command from
export to report. With --store they are ingested into that store first (none: audit it as it is).

Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 error.

Examples:
  xaudit audit export.zip hooks.jsonl                      # terminal summary
  xaudit audit export.zip --format json --out report.json
  xaudit audit export.zip --format html --out report.html   # one self-contained page with charts
  xaudit audit --store ./store --format md --lang nl
  xaudit audit --store ./store --as-of-version 3 --fail-on warn
  xaudit audit --store ./store --as-of 2026-11-01T03:00:00Z --format json   # as it was then
  xaudit audit --store ./store --select II.D --ignore automated_likes --statistics
  xaudit audit bot-log.jsonl --format sarif --out xaudit.sarif   # upload to code scanning
  xaudit audit bot-log.jsonl --format github --fail-on warn      # annotations in a workflow
  xaudit audit --store ./store --format junit --out junit.xml    # test results in CI
  xaudit audit --store /shared/store --cluster df://127.0.0.1:50050   # on a cluster (xaudit cluster)
  NO_COLOR=1 xaudit audit export.zip        # or --color never: no escape sequences at all";

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Md,
    Html,
    /// SARIF 2.1.0, for code scanning (a result per finding, fingerprints, suppressions).
    Sarif,
    /// JUnit XML: a test suite per account, a test case per rule.
    Junit,
    /// GitHub Actions annotations, one per finding.
    Github,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Deny,
    Warn,
    Never,
}

#[derive(clap::Args)]
pub struct Args {
    /// Inputs to ingest before the audit (archives, webhook logs, generic logs, trend snapshots).
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Audit this store (inputs, if any, are ingested into it first).
    #[arg(long, value_name = "DIR", env = "XAUDIT_STORE")]
    store: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Rule levels and parameters (TOML; `xaudit config --default` prints the defaults). Without
    /// it: ./xaudit.toml, else <store>/xaudit.toml, else the defaults.
    #[arg(long, value_name = "FILE", env = "XAUDIT_CONFIG")]
    config: Option<PathBuf>,
    /// Language of section headings.
    #[arg(long, value_enum, default_value = "en")]
    lang: Lang,
    /// Exit 1 when there is a finding at or above this severity.
    #[arg(long, value_enum, default_value = "deny")]
    fail_on: FailOn,
    #[command(flatten)]
    as_of: super::AsOfArgs,
    #[command(flatten)]
    cluster: super::ClusterArgs,
    /// Show DM text in the evidence (redacted by default).
    #[arg(long)]
    show_private: bool,
    /// Keep going past bad input records (they are kept in the `rejects` table).
    #[arg(long)]
    lenient: bool,
    /// Run only these rules: rule ids or policy section prefixes (`II.D`), comma-separated or
    /// repeated; applied after the config file.
    #[arg(long, value_delimiter = ',', value_name = "RULE|SECTION")]
    select: Vec<String>,
    /// Leave out these rules (ids or section prefixes), after --select.
    #[arg(long, value_delimiter = ',', value_name = "RULE|SECTION")]
    ignore: Vec<String>,
    /// Print, per rule with findings, the accounts, findings and worst severity instead of the
    /// report (JSON with --format json).
    #[arg(long)]
    statistics: bool,
    /// Say which config file the audit runs with, and where it was found.
    #[arg(long, short = 'v')]
    verbose: bool,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let rules = registry()?;
    let found = super::find_config(a.config.as_deref(), a.store.as_deref());
    if a.verbose {
        match &found {
            Some((p, how)) => eprintln!("config: {} ({how})", p.display()),
            None => eprintln!("config: none (every rule at its default level and parameters)"),
        }
    }
    let mut config = match &found {
        Some((p, _)) => Config::load(p, &rules)?,
        None => Config::default(),
    };
    if a.show_private {
        config.report.show_private = true;
    }
    config.apply_selection(&rules, &a.select, &a.ignore)?;
    if a.store.is_none() && a.inputs.is_empty() {
        anyhow::bail!("nothing to audit: give inputs, or --store DIR (see `xaudit audit --help`)");
    }
    let temp = match &a.store {
        Some(_) => None,
        None => Some(tempfile::tempdir().context("cannot create a temporary store")?),
    };
    let store_dir = a
        .store
        .clone()
        .unwrap_or_else(|| temp.as_ref().expect("set above").path().join("store"));
    let store = if a.inputs.is_empty() {
        Store::existing(&store_dir)?
    } else {
        Store::at(&store_dir)?
    };
    // Only a persistent store is shared with other processes.
    let _lock = match (&a.store, a.inputs.is_empty()) {
        (Some(_), false) => Some(store.lock(
            "xaudit audit (ingesting)",
            Contention::Wait,
            |h| eprintln!("waiting for {h} to finish…"),
        )?),
        _ => None,
    };
    if !a.inputs.is_empty() {
        let pb = super::progress("ingesting");
        let report = ingest(
            &store,
            &a.inputs,
            &IngestOptions {
                lenient: a.lenient,
                ..Default::default()
            },
            &pb,
        )
        .await
        .with_context(|| "ingest failed; nothing was audited".to_string())?;
        pb.finish_and_clear();
        for n in &report.notices {
            eprintln!("note: {}", visible_lines(n));
        }
    }
    let opts = AuditOptions {
        as_of: a.as_of.get()?,
        progress: super::rule_progress(),
        // The store is where every executor already reads at the same path.
        engine: a.cluster.engine(Some(&store_dir))?,
        ..Default::default()
    };
    let mut report = xaudit::report::audit_report(&store, &rules, &config, &opts).await?;
    report.config_file = found.map(|(p, _)| p.display().to_string());
    opts.progress.finish_and_clear();
    // Rows an older xaudit stored with times the engine cannot hold are left out of `events`:
    // say so, since the audit did not see them.
    let unholdable = store.unholdable_events(1).await?;
    if let Some(row) = unholdable.first() {
        eprintln!(
            "warning: the audit left out stored events whose time the engine cannot hold, e.g. {row}; `xaudit store check --store {}` lists them",
            store.root().display()
        );
    }
    let color = a.out.is_none() && super::decorate(std::io::stdout().is_terminal());
    let rendered = match a.format {
        _ if a.statistics => statistics(&report, a.format == Format::Json)?,
        Format::Json => report.to_json(),
        Format::Md => xaudit::report::markdown(&report, a.lang),
        Format::Html => xaudit::report::html(&report, a.lang),
        Format::Text => xaudit::report::text(&report, &rules, a.lang, color),
        Format::Sarif => xaudit::report::sarif(&report, &rules),
        Format::Junit => xaudit::report::junit(&report),
        Format::Github => xaudit::report::github(&report),
    };
    match &a.out {
        Some(p) => {
            std::fs::write(p, rendered).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(rendered.as_bytes())?;
        }
    }
    Ok(exit_code(a.fail_on, report.worst()))
}

/// Per rule with findings: how many accounts, how many findings, the worst severity; the rules
/// with the most findings first.
fn statistics(report: &xaudit::report::Report, json: bool) -> anyhow::Result<String> {
    #[derive(serde::Serialize)]
    struct RuleStatistics {
        rule: String,
        accounts: usize,
        findings: usize,
        worst: Severity,
    }
    let mut by_rule: std::collections::BTreeMap<&str, (usize, usize, Severity)> =
        Default::default();
    for a in &report.accounts {
        let mut counted = std::collections::BTreeSet::new();
        for f in &a.findings {
            let e = by_rule.entry(f.rule.as_str()).or_insert((0, 0, f.severity));
            if counted.insert(f.rule.as_str()) {
                e.0 += 1;
            }
            e.1 += 1;
            e.2 = e.2.max(f.severity);
        }
    }
    let mut rows: Vec<RuleStatistics> = by_rule
        .into_iter()
        .map(|(rule, (accounts, findings, worst))| RuleStatistics {
            rule: rule.to_string(),
            accounts,
            findings,
            worst,
        })
        .collect();
    rows.sort_by(|a, b| b.findings.cmp(&a.findings).then(a.rule.cmp(&b.rule)));
    if json {
        return Ok(serde_json::to_string_pretty(&rows)? + "\n");
    }
    let mut out = format!(
        "{:<34} {:>8} {:>8}  worst\n",
        "rule", "accounts", "findings"
    );
    for r in &rows {
        out.push_str(&format!(
            "{:<34} {:>8} {:>8}  {}\n",
            r.rule,
            r.accounts,
            r.findings,
            r.worst.as_str()
        ));
    }
    Ok(out)
}

/// 1 when the worst unsuppressed finding is at or above `--fail-on`, else 0.
pub fn exit_code(fail_on: FailOn, worst: Option<Severity>) -> ExitCode {
    let limit = match fail_on {
        FailOn::Deny => Some(Severity::Deny),
        FailOn::Warn => Some(Severity::Warn),
        FailOn::Never => None,
    };
    match (limit, worst) {
        (Some(l), Some(w)) if w >= l => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}
