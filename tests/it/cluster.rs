//! The rule pack on a Ballista cluster finds what it finds in one process (issue 20): every rule's
//! findings, the coverage, the account facts and the evidence, on a generated population plus
//! the example inputs (trends and received DMs, which two functions carry to the executors).
//!
//! A job that never ends is the way a cluster fails here (a task status the scheduler refuses
//! leaves its stage open for ever), so every wait has a deadline: a hung test fails instead of
//! holding CI to its time limit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use datafusion::prelude::SessionContext;
use xaudit::audit::{Audit, AuditOptions, Config, Engine, audit};
use xaudit::cluster::ClusterUrl;
use xaudit::model::Finding;
use xaudit::rules::registry;
use xaudit::store::Store;
use xaudit::synth::{GenOptions, generate};

use crate::common::{fixture, ingest_all};

/// Every rule's fixture that must fire: with them, rules the generator plants nothing for
/// (rate_limits_exceeded, whose limits are a union of constant rows; dm_content_shared_publicly,
/// which carries the received DMs to the executors) find something on the cluster too.
fn fire_fixtures() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixture("rules"))
        .unwrap()
        .map(|e| e.unwrap().path().join("fire"))
        .filter(|d| d.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A generated population, the example inputs and every rule's firing fixture.
async fn population(dir: &Path) -> Store {
    let generated = dir.join("generated");
    generate(
        &generated,
        &GenOptions {
            accounts: 12,
            days: 7,
            seed: 11,
            ..Default::default()
        },
    )
    .unwrap();
    let store = Store::at(dir.join("store")).unwrap();
    let mut inputs = vec![
        generated,
        fixture("archives/current-2026"),
        fixture("webhooks"),
        fixture("trends"),
        fixture("logs"),
    ];
    inputs.extend(fire_fixtures());
    ingest_all(&store, &inputs, false).await.unwrap();
    store
}

/// A scheduler and two executors in this process (Ballista's standalone APIs), knowing xaudit's
/// functions and codecs as `xaudit cluster` does; the scheduler's address.
async fn standalone_cluster() -> ClusterUrl {
    let ctx = SessionContext::new_with_config(xaudit::cluster::session_config());
    xaudit::udf::register_all(&ctx);
    let state = xaudit::cluster::shippable(ctx.state());
    let scheduler = ballista_scheduler::standalone::new_standalone_scheduler_from_state(&state)
        .await
        .unwrap();
    for _ in 0..2 {
        let client = SchedulerGrpcClient::connect(format!("http://localhost:{}", scheduler.port()))
            .await
            .unwrap();
        ballista_executor::new_standalone_executor_from_state(client, 2, &state)
            .await
            .unwrap();
    }
    ClusterUrl::parse(&format!("df://localhost:{}", scheduler.port())).unwrap()
}

fn by_rule(audit: &Audit) -> BTreeMap<&str, Vec<&Finding>> {
    let mut out: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in audit.all_findings() {
        out.entry(f.rule.as_str()).or_default().push(f);
    }
    out
}

/// Runs `test` on a runtime whose threads have the stacks `xaudit` gives its own (a test's
/// threads are made before it could set `RUST_MIN_STACK`).
fn on_cluster_stacks(test: impl std::future::Future<Output = ()> + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(xaudit::cluster::THREAD_STACK)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .thread_stack_size(xaudit::cluster::THREAD_STACK)
                .enable_all()
                .build()
                .unwrap()
                .block_on(test)
        })
        .unwrap()
        .join()
        .unwrap();
}

/// Longer than a debug build takes for the audit on a cluster (about a minute), far shorter than
/// CI's limit.
const AUDIT_DEADLINE: Duration = Duration::from_secs(900);

#[test]
fn every_rule_finds_on_a_cluster_what_it_finds_locally() {
    on_cluster_stacks(every_rule_on_a_cluster());
}

/// A rule no role of the cluster was built with, in the pack's format: it must run there with
/// no other change, as a new file in `queries/` would. It joins a relation of constants, the
/// shape that once hung a cluster.
const NEW_RULE: &str = "\
-- id: night_posts
-- title: Posts at night
-- section: I.A.media
-- severity: info
-- needs: posts
-- metric: night_posts
-- param min_posts: 2 | posts between midnight and five from which the rule fires
-- what: Posts written between midnight and five, by hour.
-- why: A test of the cluster, not a policy.
-- example: 4 posts at night.
-- remediation: None.
WITH night AS (
    SELECT a.account_id, a.event_id, a.ts, h.label
    FROM activity a
    JOIN (VALUES (0, 'midnight'), (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four')) AS h(hour, label)
      ON CAST(date_part('hour', a.ts) AS BIGINT) = h.hour
    WHERE a.kind IN ('post', 'reply', 'quote')
)
SELECT account_id, min(ts) AS first_seen, max(ts) AS last_seen, CAST(count(*) AS DOUBLE) AS value,
       count(*) AS count, array_agg(event_id ORDER BY ts, event_id) AS evidence,
       concat(CAST(count(*) AS VARCHAR), ' posts at night, the last at ', max(label)) AS message,
       'night' AS key
FROM night GROUP BY account_id HAVING count(*) >= {{min_posts}}
";

async fn every_rule_on_a_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let store = population(dir.path()).await;
    let mut rules = registry().unwrap();
    rules.push(xaudit::rules::Rule::parse("queries/night_posts.sql", NEW_RULE).unwrap());
    let config = Config::default();
    let now = xaudit::model::time::parse_ts("2026-11-21T03:00:00Z").unwrap();
    let local = audit(
        &store,
        &rules,
        &config,
        &AuditOptions {
            now,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let url = standalone_cluster().await;
    let remote = tokio::time::timeout(
        AUDIT_DEADLINE,
        audit(
            &store,
            &rules,
            &config,
            &AuditOptions {
                now,
                // Views computed once into a folder, as `audit --cluster` does; plain views are
                // held to the local engine by `plain_views_on_a_cluster_read_as_locally`.
                engine: Engine::Cluster {
                    url,
                    partitions: 3,
                    views: Some(dir.path().to_path_buf()),
                },
                ..Default::default()
            },
        ),
    )
    .await
    .expect("the audit on the cluster ends")
    .unwrap();

    let (local_findings, remote_findings) = (by_rule(&local), by_rule(&remote));
    for rule in &rules {
        let id = rule.id.as_str();
        assert_eq!(
            remote_findings.get(id),
            local_findings.get(id),
            "{id}: the cluster's findings differ"
        );
    }
    // The population is a test of something only if the rules fire on it.
    assert!(
        local_findings.len() >= 25,
        "only {} rules fired: {:?}",
        local_findings.len(),
        local_findings.keys()
    );
    for hard_to_ship in [
        "night_posts",
        "trend_automation",
        "dm_content_shared_publicly",
        "rate_limits_exceeded",
    ] {
        assert!(
            local_findings.contains_key(hard_to_ship),
            "{hard_to_ship} did not fire; what makes its plan hard to ship goes untested"
        );
    }
    assert_eq!(remote.coverage, local.coverage);
    assert_eq!(remote.evidence, local.evidence);
    assert_eq!(
        format!("{:?}", remote.facts),
        format!("{:?}", local.facts),
        "account facts"
    );
    assert_eq!(remote.store_version, local.store_version);
}

/// The rows of `sql`, failing the test if they take longer than 120 s: a job that never ends on
/// the cluster must fail the test, not hold CI.
async fn rows_within_deadline<T: serde::de::DeserializeOwned>(
    ctx: &SessionContext,
    sql: &str,
) -> Vec<T> {
    tokio::time::timeout(
        Duration::from_secs(120),
        xaudit::store::query_rows::<T>(ctx, "the test's query", sql),
    )
    .await
    .unwrap_or_else(|_| panic!("{sql}: no result within 120 s"))
    .unwrap()
}

/// The hang issue 20's first step shipped with: a union of three constant rows joined to the
/// events (rate_limits_exceeded's limits) never ended on a cluster, because tasks owning
/// different branches of the union reported different numbers of metrics and the scheduler
/// refused the later one's status.
#[test]
fn a_union_of_constant_rows_joined_to_the_events_ends() {
    on_cluster_stacks(async {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path().join("store")).unwrap();
        // Two ingests, so `events` is more than one file and its scan more than one partition.
        for input in ["archives/current-2026", "webhooks"] {
            ingest_all(&store, &[fixture(input)], false).await.unwrap();
        }
        let url = standalone_cluster().await;
        let pin = store.pin_latest().await.unwrap();
        let ctx = xaudit::cluster::session(&store, &pin, &url, 4, None)
            .await
            .unwrap();
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Count {
            f: Option<String>,
            n: i64,
        }
        let joined: Vec<Count> = rows_within_deadline(
            &ctx,
            "SELECT f, count(*) AS n FROM (SELECT 'a' AS f UNION ALL SELECT 'b' \
             UNION ALL SELECT 'c') l CROSS JOIN events GROUP BY f ORDER BY f",
        )
        .await;
        let n = rows_within_deadline::<Count>(&ctx, "SELECT count(*) AS n FROM events").await[0].n;
        assert!(n > 0);
        let expected: Vec<Count> = ["a", "b", "c"]
            .into_iter()
            .map(|f| Count {
                f: Some(f.into()),
                n,
            })
            .collect();
        assert_eq!(joined, expected, "each constant row counts every event");
    });
}

/// Without a views folder (`sql --cluster`'s default) the shared views are plain views, computed
/// where they are read: the near-duplicate clusters and machine cadence runs read as locally.
#[test]
fn plain_views_on_a_cluster_read_as_locally() {
    on_cluster_stacks(async {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path().join("store")).unwrap();
        let inputs: Vec<PathBuf> = [fixture("archives/current-2026"), fixture("logs")]
            .into_iter()
            .chain(fire_fixtures())
            .collect();
        ingest_all(&store, &inputs, false).await.unwrap();
        let local = xaudit::audit::session(&store, None).await.unwrap();
        let engine = Engine::Cluster {
            url: standalone_cluster().await,
            partitions: 3,
            views: None,
        };
        let remote = xaudit::audit::session_on(&store, None, &engine)
            .await
            .unwrap();
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Row {
            account_id: String,
            key: String,
            n: i64,
        }
        for (view, sql) in [
            (
                "post_clusters",
                // Cluster ids are the engine's to number: their count, not their values.
                "SELECT account_id, CAST(count(DISTINCT cluster_id) AS VARCHAR) AS key, \
                 count(*) AS n FROM post_clusters GROUP BY 1 ORDER BY 1",
            ),
            (
                "machine_runs",
                "SELECT account_id, client AS key, count(*) AS n \
                 FROM machine_runs GROUP BY 1, 2 ORDER BY 1, 2",
            ),
        ] {
            let expected: Vec<Row> = rows_within_deadline(&local, sql).await;
            assert!(
                !expected.is_empty(),
                "{view} is empty: the test shows nothing"
            );
            let found: Vec<Row> = rows_within_deadline(&remote, sql).await;
            assert_eq!(found, expected, "{view}");
        }
    });
}

/// A child process killed and reaped when the test ends, however it ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        // SIGTERM first: the roles stop cleanly on it; SIGKILL if one does not.
        let _ = std::process::Command::new("kill")
            .arg(self.0.id().to_string())
            .status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> Running {
    Running(
        std::process::Command::new(env!("CARGO_BIN_EXE_xaudit"))
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("xaudit starts"),
    )
}

/// A port nothing listens on, and the one after it when `pair` (an executor takes two).
fn free_port(pair: bool) -> u16 {
    loop {
        let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if !pair
            || (port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok())
        {
            return port;
        }
    }
}

fn wait_listening(port: u16, role: &mut Running) {
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = role.0.try_wait() {
            panic!("a cluster role on port {port} exited: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("nothing listens on port {port} after 30 s");
}

/// `xaudit ARGS`'s output, or a failed test if it runs past `deadline` (the process is killed).
fn xaudit_within(args: &[&str], deadline: Duration) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xaudit"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("xaudit starts");
    // Read both pipes while waiting, or a full pipe would stall the child.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).map(|_| buf)
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut buf).map(|_| buf)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} did not end within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    std::process::Output {
        status,
        stdout: out.join().unwrap().unwrap(),
        stderr: err.join().unwrap().unwrap(),
    }
}

fn report_without_clock(args: &[&str]) -> serde_json::Value {
    let out = xaudit_within(args, AUDIT_DEADLINE);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{args:?}: {}",
        crate::common::stderr(&out)
    );
    let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report.as_object_mut().unwrap().remove("generated_at");
    report
}

/// `xaudit cluster scheduler` and two `xaudit cluster executor` processes on 127.0.0.1 give the
/// report a local audit gives, byte for byte apart from when it was made, with the shared views
/// computed once into a folder in the store that is gone afterwards; every process the test
/// started is stopped by its pid.
#[test]
fn a_cluster_of_xaudit_processes_gives_the_local_report() {
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("generated");
    let store = dir.path().join("store");
    let (generated_arg, store_arg) = (generated.to_str().unwrap(), store.to_str().unwrap());
    let gen_out = crate::common::xaudit(&[
        "gen",
        "--accounts",
        "8",
        "--days",
        "7",
        "--seed",
        "5",
        "--out",
        generated_arg,
    ]);
    assert!(
        gen_out.status.success(),
        "{}",
        crate::common::stderr(&gen_out)
    );
    let fixtures: Vec<PathBuf> = ["archives/current-2026", "webhooks", "trends"]
        .into_iter()
        .map(fixture)
        .chain(fire_fixtures())
        .collect();
    let mut ingest = vec!["ingest", "--store", store_arg, generated_arg];
    ingest.extend(fixtures.iter().map(|p| p.to_str().unwrap()));
    let ingested = crate::common::xaudit(&ingest);
    assert!(
        ingested.status.success(),
        "{}",
        crate::common::stderr(&ingested)
    );

    let scheduler_port = free_port(false);
    let scheduler_addr = format!("127.0.0.1:{scheduler_port}");
    let mut scheduler = start(&["cluster", "scheduler", "--bind", &scheduler_addr]);
    wait_listening(scheduler_port, &mut scheduler);
    let mut executors = Vec::new();
    for _ in 0..2 {
        let port = free_port(true);
        let work_dir = dir.path().join(format!("work-{port}"));
        let mut executor = start(&[
            "cluster",
            "executor",
            "--scheduler",
            &scheduler_addr,
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--work-dir",
            work_dir.to_str().unwrap(),
            "--concurrency",
            "2",
        ]);
        wait_listening(port, &mut executor);
        executors.push(executor);
    }

    let local = report_without_clock(&["audit", "--store", store_arg, "--format", "json"]);
    let url = format!("df://{scheduler_addr}");
    let remote = report_without_clock(&[
        "audit",
        "--store",
        store_arg,
        "--format",
        "json",
        "--cluster",
        &url,
        "--cluster-partitions",
        "4",
    ]);
    let left: Vec<_> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name.to_string_lossy().starts_with(".xaudit-views"))
        .collect();
    assert!(
        left.is_empty(),
        "the audit left its views in the store: {left:?}"
    );
    assert!(
        local
            .to_string()
            .contains(r#""rule":"rate_limits_exceeded""#),
        "the join with a constant relation goes untested"
    );
    if let Some(difference) = first_difference(&remote, &local, String::new()) {
        panic!("the cluster's report differs from the local one at {difference}");
    }
    drop(executors);
    drop(scheduler);
}

/// Where two JSON documents first differ, as a path and the two values there.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if x.len() == y.len() => {
            x.iter().find_map(|(k, v)| match y.get(k) {
                Some(w) => first_difference(v, w, format!("{path}.{k}")),
                None => Some(format!("{path}.{k}: only on the cluster")),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}: cluster {a}, local {b}")),
    }
}

/// Nothing listens at the address: the error says which scheduler and what to start.
#[test]
fn an_unreachable_scheduler_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let ingested = crate::common::xaudit(&[
        "ingest",
        "--store",
        store.to_str().unwrap(),
        fixture("trends").to_str().unwrap(),
    ]);
    assert!(
        ingested.status.success(),
        "{}",
        crate::common::stderr(&ingested)
    );
    let port = free_port(false);
    let out = crate::common::xaudit(&[
        "sql",
        "--store",
        store.to_str().unwrap(),
        "--cluster",
        &format!("df://127.0.0.1:{port}"),
        "SELECT 1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = crate::common::stderr(&out);
    assert!(
        err.contains(&format!("df://127.0.0.1:{port} cannot be reached"))
            && err.contains("xaudit cluster scheduler"),
        "{err}"
    );
}
