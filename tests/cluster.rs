//! The rule pack on a Ballista cluster finds what it finds in one process (issue 20): every rule's
//! findings, the coverage, the account facts and the evidence, on a generated population plus
//! the example inputs (trends and received DMs, which two functions carry to the executors).
//!
//! The two equivalence tests are ignored by default until a hang is understood: on a cluster of
//! `xaudit cluster` processes (push-staged), `SELECT account_id, count(*) FROM (SELECT 'a' AS f
//! UNION ALL SELECT 'b' UNION ALL SELECT 'c') l CROSS JOIN events GROUP BY 1` never finished in
//! 6 runs of 6, and `rate_limits_exceeded` (which joins its limits, a relation of constants) in
//! about 1 run of 3; every other rule ran to the local result. A hung test would hold CI to its
//! time limit.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use datafusion::prelude::SessionContext;
use xaudit::audit::{Audit, AuditOptions, Config, Engine, audit};
use xaudit::cluster::ClusterUrl;
use xaudit::model::Finding;
use xaudit::rules::registry;
use xaudit::store::Store;
use xaudit::synth::{GenOptions, generate};

use common::{fixture, ingest_all};

/// A generated population with a planted violation of every rule, and the example inputs.
async fn population(dir: &Path) -> Store {
    let generated = dir.join("generated");
    generate(
        &generated,
        &GenOptions {
            accounts: 24,
            days: 10,
            seed: 11,
            ..Default::default()
        },
    )
    .unwrap();
    let store = Store::at(dir.join("store")).unwrap();
    ingest_all(
        &store,
        &[
            generated,
            fixture("archives/current-2026"),
            fixture("webhooks"),
            fixture("trends"),
            fixture("logs"),
        ],
        false,
    )
    .await
    .unwrap();
    store
}

/// A scheduler and two executors in this process (Ballista's standalone APIs), knowing xaudit's
/// functions and codecs as `xaudit cluster` does; the scheduler's address.
async fn standalone_cluster() -> ClusterUrl {
    let ctx = SessionContext::new_with_config(xaudit::cluster::session_config());
    xaudit::udf::register_all(&ctx);
    let state = xaudit::cluster::without_unshippable_rules(ctx.state());
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

/// Not in the default run yet: a Ballista job over a join with a constant relation hangs now and
/// then (see the module doc); `cargo test --test cluster -- --ignored` runs it.
#[test]
#[ignore = "Ballista jobs joining a constant relation hang intermittently (issue 20)"]
fn every_rule_finds_on_a_cluster_what_it_finds_locally() {
    on_cluster_stacks(every_rule_on_a_cluster());
}

async fn every_rule_on_a_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let store = population(dir.path()).await;
    let rules = registry().unwrap();
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
    let remote = audit(
        &store,
        &rules,
        &config,
        &AuditOptions {
            now,
            engine: Engine::Cluster { url, partitions: 3 },
            ..Default::default()
        },
    )
    .await
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
        local_findings.len() >= 15,
        "only {} rules fired: {:?}",
        local_findings.len(),
        local_findings.keys()
    );
    for needs_state in ["trend_automation", "dm_content_shared_publicly"] {
        assert!(
            local_findings.contains_key(needs_state),
            "{needs_state} did not fire; the functions with state go untested"
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

fn report_without_clock(args: &[&str]) -> serde_json::Value {
    let out = common::xaudit(args);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{args:?}: {}",
        common::stderr(&out)
    );
    let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report.as_object_mut().unwrap().remove("generated_at");
    report
}

/// `xaudit cluster scheduler` and two `xaudit cluster executor` processes on 127.0.0.1 give the
/// report a local audit gives, byte for byte apart from when it was made; every process the test
/// started is stopped by its pid.
#[test]
#[ignore = "Ballista jobs joining a constant relation hang intermittently (issue 20)"]
fn a_cluster_of_xaudit_processes_gives_the_local_report() {
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("generated");
    let store = dir.path().join("store");
    let (generated_arg, store_arg) = (generated.to_str().unwrap(), store.to_str().unwrap());
    let gen_out = common::xaudit(&[
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
    assert!(gen_out.status.success(), "{}", common::stderr(&gen_out));
    let ingested = common::xaudit(&[
        "ingest",
        "--store",
        store_arg,
        generated_arg,
        fixture("archives/current-2026").to_str().unwrap(),
        fixture("webhooks").to_str().unwrap(),
        fixture("trends").to_str().unwrap(),
    ]);
    assert!(ingested.status.success(), "{}", common::stderr(&ingested));

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
    assert!(!local["accounts"].as_array().unwrap().is_empty());
    assert_eq!(remote, local);
    drop(executors);
    drop(scheduler);
}

/// Nothing listens at the address: the error says which scheduler and what to start.
#[test]
fn an_unreachable_scheduler_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let ingested = common::xaudit(&[
        "ingest",
        "--store",
        store.to_str().unwrap(),
        fixture("trends").to_str().unwrap(),
    ]);
    assert!(ingested.status.success(), "{}", common::stderr(&ingested));
    let port = free_port(false);
    let out = common::xaudit(&[
        "sql",
        "--store",
        store.to_str().unwrap(),
        "--cluster",
        &format!("df://127.0.0.1:{port}"),
        "SELECT 1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!("df://127.0.0.1:{port} cannot be reached"))
            && err.contains("xaudit cluster scheduler"),
        "{err}"
    );
}
