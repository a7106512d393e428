//! The audit: every enabled rule's SQL runs against the store (with xaudit's functions and the
//! views of `views`), rows become findings, and findings, coverage and per-account facts become
//! the report.
//!
//! A rule's query returns one row per finding with these columns (by name):
//! `account_id`, `first_seen`, `last_seen`, `value`, `count` (required); `threshold` (else the
//! header's threshold parameter), `evidence` (event ids), `message`, `automated` (false means
//! evidently manual: II.* rules then report at most info), `automation` (evidence strings),
//! `severity` (a lower tier, e.g. `warn`), `key` (what identifies the finding across runs).

mod cached_view;
pub mod config;
pub mod coverage;
mod shared_ctes;
pub mod views;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};
use crate::model::{hash_id, time::format_ts};
use crate::report::{
    self, AccountReport, Automation, ClientUse, ConnectedApp, Evidence, Finding, Period, Report,
    RuleStatus, Tool,
};
use crate::rules::{Rule, Severity, sections};
use crate::store::{AsOf, Pin, Store, int64, utf8};

pub use config::Config;
use coverage::Status;

#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// Audit the store as it was then (None: as it is).
    pub as_of: Option<AsOf>,
    /// The report's `generated_at` (injected, so tests and reproductions control it).
    pub generated_at: String,
    /// The clock (µs since the epoch): suppressions in force now apply, unless `as_of` names
    /// another moment.
    pub now: i64,
    /// Counts rules as they run (its length is set to the number of enabled rules).
    pub progress: indicatif::ProgressBar,
}

impl Default for AuditOptions {
    fn default() -> Self {
        let now = chrono::Utc::now().timestamp_micros();
        AuditOptions {
            as_of: None,
            generated_at: format_ts(now / 1_000_000 * 1_000_000),
            now,
            progress: indicatif::ProgressBar::hidden(),
        }
    }
}

/// A session with the store, xaudit's functions and the audit views.
pub async fn session(store: &Store, as_of: Option<AsOf>) -> Result<SessionContext> {
    session_at(store, store.resolve(as_of).await?.as_ref()).await
}

async fn session_at(store: &Store, pin: Option<&Pin>) -> Result<SessionContext> {
    let ctx = store.session_at(pin).await?;
    crate::udf::register_all(&ctx);
    let trends = crate::udf::TrendTopics::from_store(&ctx).await?;
    ctx.register_udf(datafusion::logical_expr::ScalarUDF::from(trends));
    let received = crate::udf::DmEcho::from_store(&ctx).await?;
    ctx.register_udf(datafusion::logical_expr::ScalarUDF::from(received));
    views::register(&ctx).await?;
    Ok(ctx)
}

struct Row {
    account_id: String,
    first_seen: i64,
    last_seen: i64,
    value: f64,
    threshold: Option<f64>,
    count: u64,
    evidence: Vec<String>,
    message: String,
    automated: Option<bool>,
    automation: Vec<String>,
    severity: Option<Severity>,
    key: Option<String>,
}

fn column<'a>(b: &'a RecordBatch, name: &str) -> Option<&'a ArrayRef> {
    b.schema().index_of(name).ok().map(|i| b.column(i))
}

fn micros(a: &ArrayRef) -> Result<datafusion::arrow::array::Int64Array> {
    let a = datafusion::arrow::compute::cast(a, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
    int64(&a)
}

fn float(a: &ArrayRef) -> Result<datafusion::arrow::array::Float64Array> {
    let c = datafusion::arrow::compute::cast(a, &DataType::Float64)?;
    Ok(
        c.as_primitive::<datafusion::arrow::datatypes::Float64Type>()
            .clone(),
    )
}

fn string_lists(a: &ArrayRef) -> Result<Vec<Vec<String>>> {
    let target = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    let c = datafusion::arrow::compute::cast(a, &target)?;
    let list = c.as_list::<i32>();
    let mut out = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        if list.is_null(i) {
            out.push(Vec::new());
            continue;
        }
        let v = utf8(&list.value(i))?;
        out.push(
            (0..v.len())
                .filter(|&k| v.is_valid(k))
                .map(|k| v.value(k).to_string())
                .collect(),
        );
    }
    Ok(out)
}

fn rows_of(rule: &Rule, batches: &[RecordBatch]) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for b in batches {
        let need = |name: &str| {
            column(b, name).ok_or_else(|| Error::Internal(format!("{}: the query returns no `{name}` column (required: account_id, first_seen, last_seen, value, count)", rule.file)))
        };
        let account = utf8(need("account_id")?)?;
        let first = micros(need("first_seen")?)?;
        let last = micros(need("last_seen")?)?;
        let value = float(need("value")?)?;
        let count = int64(need("count")?)?;
        let threshold = column(b, "threshold").map(float).transpose()?;
        let evidence = column(b, "evidence").map(string_lists).transpose()?;
        let message = column(b, "message").map(utf8).transpose()?;
        let automated = column(b, "automated")
            .map(|a| datafusion::arrow::compute::cast(a, &DataType::Boolean))
            .transpose()?;
        let automation = column(b, "automation").map(string_lists).transpose()?;
        let severity = column(b, "severity").map(utf8).transpose()?;
        let key = column(b, "key").map(utf8).transpose()?;
        for r in 0..b.num_rows() {
            if account.is_null(r) || first.is_null(r) || last.is_null(r) {
                return Err(Error::Internal(format!(
                    "{}: a finding row has NULL account_id, first_seen or last_seen",
                    rule.file
                )));
            }
            let opt_str = |a: &Option<datafusion::arrow::array::StringArray>| {
                a.as_ref()
                    .filter(|a| a.is_valid(r))
                    .map(|a| a.value(r).to_string())
            };
            out.push(Row {
                account_id: account.value(r).to_string(),
                first_seen: first.value(r),
                last_seen: last.value(r),
                value: if value.is_valid(r) {
                    value.value(r)
                } else {
                    0.0
                },
                threshold: threshold
                    .as_ref()
                    .filter(|t| t.is_valid(r))
                    .map(|t| t.value(r)),
                count: if count.is_valid(r) {
                    count.value(r).max(0) as u64
                } else {
                    0
                },
                evidence: evidence.as_ref().map(|e| e[r].clone()).unwrap_or_default(),
                message: opt_str(&message).unwrap_or_default(),
                automated: automated.as_ref().and_then(|a| {
                    let a = a.as_boolean();
                    a.is_valid(r).then(|| a.value(r))
                }),
                automation: automation
                    .as_ref()
                    .map(|a| a[r].clone())
                    .unwrap_or_default(),
                severity: opt_str(&severity)
                    .map(|s| {
                        s.parse::<Severity>()
                            .map_err(|e| Error::Internal(format!("{}: {e}", rule.file)))
                    })
                    .transpose()?,
                key: opt_str(&key),
            });
        }
    }
    Ok(out)
}

/// Run the rule pack and build the report.
pub async fn audit(
    store: &Store,
    rules: &[Rule],
    config: &Config,
    opts: &AuditOptions,
) -> Result<Report> {
    let timings = std::env::var_os("XAUDIT_RULE_TIMINGS").is_some();
    let stage = |name: &str, since: std::time::Instant| {
        if timings {
            eprintln!("{:>8.3} s  [{name}]", since.elapsed().as_secs_f64());
        }
    };
    let started = std::time::Instant::now();
    let pin = store.resolve(opts.as_of).await?;
    let ctx = session_at(store, pin.as_ref()).await?;
    let moment = pin.as_ref().map_or(opts.now, |p| p.moment);
    let suppressions = crate::findings_log::suppressions::active(&ctx, moment).await?;
    stage("session", started);
    let started = std::time::Instant::now();
    let summary = coverage::summarize(&ctx).await?;
    stage("coverage", started);
    let mut findings: BTreeMap<String, Vec<(Finding, Vec<String>)>> = BTreeMap::new();
    let mut statuses: BTreeMap<String, Vec<RuleStatus>> = BTreeMap::new();
    opts.progress.set_length(
        rules
            .iter()
            .filter(|r| config.severity(r).is_some())
            .count() as u64,
    );
    for rule in rules {
        let Some(level) = config.severity(rule) else {
            continue;
        };
        opts.progress.set_message(rule.id.clone());
        let mut not_evaluable = BTreeSet::new();
        for (account, data) in &summary {
            let (status, reason) = coverage::status(&rule.needs, data);
            if status == Status::NotEvaluable {
                not_evaluable.insert(account.as_str());
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
        let started = std::time::Instant::now();
        let params = config.params(rule);
        let sql = rule.render_sql(&params);
        let batches = run_rule(&ctx, rule, &sql).await?;
        opts.progress.inc(1);
        stage(&rule.id, started);
        for row in rows_of(rule, &batches)? {
            if not_evaluable.contains(row.account_id.as_str()) {
                continue;
            }
            let mut severity = level;
            if let Some(s) = row.severity {
                severity = severity.min(s);
            }
            // II.* governs automated activity: evidently manual activity is reported at most as info.
            if rule.section.starts_with("II.") && row.automated == Some(false) {
                severity = severity.min(Severity::Info);
            }
            let threshold = row
                .threshold
                .or_else(|| rule.threshold.as_ref().and_then(|t| params.get(t).copied()));
            let key = row
                .key
                .clone()
                .unwrap_or_else(|| row.first_seen.to_string());
            let finding = Finding {
                rule: rule.id.clone(),
                severity,
                section: rule.section.clone(),
                title: rule.title.clone(),
                message: if row.message.is_empty() {
                    rule.title.clone()
                } else {
                    row.message.clone()
                },
                first_seen: format_ts(row.first_seen),
                last_seen: format_ts(row.last_seen),
                metric: rule.metric.clone(),
                value: row.value,
                threshold,
                count: row.count,
                automated_evidence: row.automation.clone(),
                fingerprint: hash_id(&[&rule.id, &row.account_id, &key]),
                evidence: Vec::new(),
                change: None,
                suppressed: None,
            };
            let ids: Vec<String> = row
                .evidence
                .into_iter()
                .take(config.report.evidence_limit)
                .collect();
            findings
                .entry(row.account_id.clone())
                .or_default()
                .push((finding, ids));
        }
    }

    let started = std::time::Instant::now();
    let evidence = load_evidence(
        &ctx,
        findings.values().flatten().flat_map(|(_, ids)| ids.iter()),
        config.report.show_private,
    )
    .await?;
    stage("evidence", started);
    let started = std::time::Instant::now();
    let facts = AccountFacts::load(&ctx).await?;
    stage("account facts", started);
    let mut accounts = Vec::new();
    for account in summary.keys() {
        let mut fs: Vec<Finding> = findings
            .remove(account)
            .unwrap_or_default()
            .into_iter()
            .map(|(mut f, ids)| {
                f.evidence = ids
                    .iter()
                    .filter_map(|id| evidence.get(id).cloned())
                    .collect();
                f.suppressed = suppressions.get(&f.fingerprint).cloned();
                f
            })
            .collect();
        fs.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.rule.cmp(&b.rule))
                .then(a.first_seen.cmp(&b.first_seen))
                .then(a.fingerprint.cmp(&b.fingerprint))
        });
        let mut rs = statuses.remove(account).unwrap_or_default();
        rs.sort_by(|a, b| a.rule.cmp(&b.rule));
        accounts.push(AccountReport {
            account_id: account.clone(),
            handle: facts.handles.get(account).cloned(),
            period: facts.periods.get(account).cloned().unwrap_or(Period {
                from: None,
                to: None,
            }),
            counts: facts.counts.get(account).cloned().unwrap_or_default(),
            automation: Automation {
                clients: facts.clients.get(account).cloned().unwrap_or_default(),
                connected_apps: facts.apps.get(account).cloned().unwrap_or_default(),
                cadence: facts.cadence.get(account).cloned().unwrap_or_default(),
            },
            rules: rs,
            daily: facts.daily.get(account).cloned().unwrap_or_default(),
            verdict: report::verdict(&fs),
            resolved: None,
            findings: fs,
        });
    }
    Ok(Report {
        schema_version: 1,
        tool: Tool {
            name: "xaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        policy: sections::POLICY,
        store_version: match pin {
            Some(pin) => Some(pin.version),
            None => store.version().await?,
        },
        generated_at: opts.generated_at.clone(),
        run: None,
        accounts,
    })
}

/// Run a rule's query, with the CTEs it reads more than once computed once (see `shared_ctes`).
async fn run_rule(ctx: &SessionContext, rule: &Rule, sql: &str) -> Result<Vec<RecordBatch>> {
    let bad_sql = |e: datafusion::error::DataFusionError| {
        Error::Internal(format!(
            "{} (SQL from line {}): {e}",
            rule.file, rule.sql_line
        ))
    };
    let split = shared_ctes::split(sql, |name| ctx.table_exist(name).unwrap_or(true));
    let (shared, main) = match &split {
        Some(s) => (s.shared.as_slice(), s.main.as_str()),
        None => (&[][..], sql),
    };
    let mut registered = Vec::new();
    let mut result = async {
        for (name, query) in shared {
            let plan = ctx
                .sql(query)
                .await
                .map_err(bad_sql)?
                .into_unoptimized_plan();
            ctx.register_table(name.as_str(), Arc::new(cached_view::CachedView::new(plan)))?;
            registered.push(name.as_str());
        }
        ctx.sql(main)
            .await
            .map_err(bad_sql)?
            .collect()
            .await
            .map_err(|e| Error::Internal(format!("{}: {e}", rule.file)))
    }
    .await;
    for name in registered {
        if let Err(e) = ctx.deregister_table(name) {
            result = Err(e.into());
        }
    }
    result
}

fn sql_list<'a>(ids: impl Iterator<Item = &'a String>) -> String {
    ids.map(|i| format!("'{}'", i.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn load_evidence<'a>(
    ctx: &SessionContext,
    ids: impl Iterator<Item = &'a String>,
    show_private: bool,
) -> Result<BTreeMap<String, Evidence>> {
    let ids: BTreeSet<&String> = ids.collect();
    let mut out = BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT event_id, ts, kind, coalesce(target_user_id, target_post_id, list_id) AS target, client, text FROM events WHERE event_id IN ({})",
        sql_list(ids.into_iter())
    );
    for b in ctx.sql(&sql).await?.collect().await? {
        let (id, ts, kind, target, client, text) = (
            utf8(b.column(0))?,
            micros(b.column(1))?,
            utf8(b.column(2))?,
            utf8(b.column(3))?,
            utf8(b.column(4))?,
            utf8(b.column(5))?,
        );
        for r in 0..b.num_rows() {
            let opt = |a: &datafusion::arrow::array::StringArray| {
                a.is_valid(r).then(|| a.value(r).to_string())
            };
            let kind_s = kind.value(r).to_string();
            let private = kind_s.starts_with("dm_");
            out.insert(
                id.value(r).to_string(),
                Evidence {
                    event_id: id.value(r).to_string(),
                    ts: format_ts(ts.value(r)),
                    kind: kind_s,
                    target: opt(&target),
                    client: opt(&client),
                    text: match opt(&text) {
                        Some(_) if private && !show_private => {
                            Some("[private message: shown with --show-private]".into())
                        }
                        t => t,
                    },
                },
            );
        }
    }
    Ok(out)
}

#[derive(Default)]
struct AccountFacts {
    handles: BTreeMap<String, String>,
    periods: BTreeMap<String, Period>,
    counts: BTreeMap<String, BTreeMap<String, u64>>,
    clients: BTreeMap<String, Vec<ClientUse>>,
    apps: BTreeMap<String, Vec<ConnectedApp>>,
    daily: BTreeMap<String, Vec<report::DayActivity>>,
    cadence: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

/// Rounded so that reports stay readable (and stable across float formatting).
fn round3(v: f64) -> serde_json::Value {
    serde_json::json!((v * 1000.0).round() / 1000.0)
}

impl AccountFacts {
    async fn load(ctx: &SessionContext) -> Result<Self> {
        let mut f = AccountFacts::default();
        let q = |sql: &'static str| async move {
            ctx.sql(sql).await?.collect().await.map_err(Error::from)
        };
        for b in q("SELECT account_id, last_value(handle ORDER BY observed_at) FROM accounts WHERE handle IS NOT NULL GROUP BY account_id").await? {
            let (a, h) = (utf8(b.column(0))?, utf8(b.column(1))?);
            for r in 0..b.num_rows() {
                if h.is_valid(r) {
                    f.handles.insert(a.value(r).to_string(), h.value(r).to_string());
                }
            }
        }
        // Counts and periods in one scan: the period is the span of the kinds' spans.
        let mut spans: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for b in q("SELECT account_id, kind, count(*), min(ts), max(ts) FROM events GROUP BY account_id, kind").await? {
            let (a, k, n) = (utf8(b.column(0))?, utf8(b.column(1))?, int64(b.column(2))?);
            let (lo, hi) = (micros(b.column(3))?, micros(b.column(4))?);
            for r in 0..b.num_rows() {
                f.counts
                    .entry(a.value(r).to_string())
                    .or_default()
                    .insert(k.value(r).to_string(), n.value(r) as u64);
                let span = spans
                    .entry(a.value(r).to_string())
                    .or_insert((lo.value(r), hi.value(r)));
                span.0 = span.0.min(lo.value(r));
                span.1 = span.1.max(hi.value(r));
            }
        }
        for (account, (lo, hi)) in spans {
            f.periods.insert(
                account,
                Period {
                    from: Some(format_ts(lo)),
                    to: Some(format_ts(hi)),
                },
            );
        }
        for b in q("SELECT account_id, client, count(*) AS n FROM events WHERE kind IN ('post','reply','quote','repost') AND client IS NOT NULL GROUP BY account_id, client ORDER BY account_id, n DESC, client").await? {
            let (a, c, n) = (utf8(b.column(0))?, utf8(b.column(1))?, int64(b.column(2))?);
            for r in 0..b.num_rows() {
                let class = crate::udf::client_class_of(c.value(r));
                f.clients.entry(a.value(r).to_string()).or_default().push(ClientUse {
                    name: c.value(r).to_string(),
                    official: class == "official",
                    class: class.to_string(),
                    posts: n.value(r) as u64,
                });
            }
        }
        for b in q("SELECT account_id, app_id, last_value(name ORDER BY observed_at), last_value(permissions ORDER BY observed_at), last_value(approved_at ORDER BY observed_at) FROM connected_apps GROUP BY account_id, app_id ORDER BY account_id, app_id").await? {
            let (a, id, name) = (utf8(b.column(0))?, utf8(b.column(1))?, utf8(b.column(2))?);
            let perms = string_lists(b.column(3))?;
            let approved = micros(b.column(4))?;
            for (r, permissions) in perms.into_iter().enumerate() {
                f.apps.entry(a.value(r).to_string()).or_default().push(ConnectedApp {
                    app_id: id.value(r).to_string(),
                    name: name.is_valid(r).then(|| name.value(r).to_string()),
                    permissions,
                    approved_at: approved.is_valid(r).then(|| format_ts(approved.value(r))),
                });
            }
        }
        // Cadence per activity group, from timed events only (snapshot diffs have no real time).
        let cadence = "SELECT account_id, grp, cadence(ts) AS c FROM (
                  SELECT account_id, ts, CASE WHEN kind IN ('post','reply','quote','repost') THEN 'posts'
                      WHEN kind = 'like' THEN 'likes' WHEN kind IN ('follow','unfollow') THEN 'follows'
                      WHEN kind = 'dm_sent' THEN 'dms' END AS grp
                  FROM events WHERE origin <> 'snapshot')
                  WHERE grp IS NOT NULL GROUP BY account_id, grp";
        for b in q(cadence).await? {
            let (a, g) = (utf8(b.column(0))?, utf8(b.column(1))?);
            let c = b.column(2).as_struct();
            let events = int64(c.column(0))?;
            let stats: Vec<_> = (1..4).map(|i| float(c.column(i))).collect::<Result<_>>()?;
            for r in 0..b.num_rows() {
                let mut o = serde_json::Map::new();
                o.insert("events".into(), serde_json::json!(events.value(r)));
                for (name, col) in ["gap_cv", "hour_entropy", "longest_active_hours"]
                    .iter()
                    .zip(&stats)
                {
                    if col.is_valid(r) {
                        o.insert(name.to_string(), round3(col.value(r)));
                    }
                }
                f.cadence
                    .entry(a.value(r).to_string())
                    .or_default()
                    .insert(g.value(r).to_string(), serde_json::Value::Object(o));
            }
        }
        // Grouped by the truncated time and only then cast to text: casting every event's day
        // first cost a second on 9M events.
        let daily = "SELECT account_id, CAST(day AS VARCHAR), p, l, f, d, la FROM (
                  SELECT account_id, date_trunc('day', ts) AS day,
                  sum(CASE WHEN kind IN ('post','reply','quote','repost') THEN 1 ELSE 0 END) AS p,
                  sum(CASE WHEN kind = 'like' THEN 1 ELSE 0 END) AS l,
                  sum(CASE WHEN kind IN ('follow','unfollow') THEN 1 ELSE 0 END) AS f,
                  sum(CASE WHEN kind = 'dm_sent' THEN 1 ELSE 0 END) AS d,
                  sum(CASE WHEN kind = 'list_add' THEN 1 ELSE 0 END) AS la
                  FROM events WHERE origin <> 'snapshot' GROUP BY account_id, day) ORDER BY account_id, day";
        for b in q(daily).await? {
            let (a, d) = (utf8(b.column(0))?, utf8(b.column(1))?);
            let n: Vec<_> = (2..7).map(|i| int64(b.column(i))).collect::<Result<_>>()?;
            for r in 0..b.num_rows() {
                f.daily
                    .entry(a.value(r).to_string())
                    .or_default()
                    .push(report::DayActivity {
                        day: d.value(r).chars().take(10).collect(),
                        posts: n[0].value(r) as u64,
                        likes: n[1].value(r) as u64,
                        follows: n[2].value(r) as u64,
                        dms: n[3].value(r) as u64,
                        list_adds: n[4].value(r) as u64,
                    });
            }
        }
        Ok(f)
    }
}
