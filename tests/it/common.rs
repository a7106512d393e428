//! Helpers shared by the integration tests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use xaudit::ingest::{IngestOptions, IngestReport, ingest};
use xaudit::store::{SessionOptions, Store};

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

pub fn xaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xaudit"))
        .args(args)
        .output()
        .expect("xaudit runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub async fn ingest_all(
    store: &Store,
    inputs: &[PathBuf],
    lenient: bool,
) -> xaudit::Result<IngestReport> {
    let opts = IngestOptions {
        lenient,
        ..Default::default()
    };
    ingest(store, inputs, &opts, &indicatif::ProgressBar::hidden()).await
}

/// Run SQL against the store, rows as JSON objects.
pub async fn rows(store: &Store, sql: &str) -> Vec<Value> {
    let ctx = store
        .session(&SessionOptions::default())
        .await
        .expect("session");
    let batches = ctx
        .sql(sql)
        .await
        .expect("valid SQL")
        .collect()
        .await
        .expect("query runs");
    let mut buf = Vec::new();
    {
        let mut w = datafusion::arrow::json::ArrayWriter::new(&mut buf);
        for b in &batches {
            w.write(b).expect("json");
        }
        w.finish().expect("json");
    }
    if buf.is_empty() {
        return Vec::new();
    }
    serde_json::from_slice::<Vec<Value>>(&buf).expect("json rows")
}

/// Every row of `events`, sorted by id, as CSV: as of `as_of`, or the latest when None.
pub async fn events_csv(store: &Store, as_of: Option<xaudit::store::AsOf>) -> String {
    let ctx = store
        .session(&SessionOptions { as_of })
        .await
        .expect("session");
    let batches = ctx
        .sql("SELECT * FROM events ORDER BY event_id")
        .await
        .expect("valid SQL")
        .collect()
        .await
        .expect("query runs");
    let mut csv = Vec::new();
    xaudit::output::write_batches(&batches, xaudit::output::TableFormat::Csv, &mut csv)
        .expect("csv");
    String::from_utf8(csv).expect("utf-8")
}

pub async fn count(store: &Store, sql: &str) -> i64 {
    let r = rows(store, sql).await;
    r[0].as_object()
        .and_then(|o| o.values().next())
        .and_then(Value::as_i64)
        .expect("a count")
}

/// Zip a fixture folder (so tests cover `.zip` archives without binary fixtures in git).
pub fn zip_dir(dir: &Path, out: &Path, prefix: &str) {
    let f = std::fs::File::create(out).expect("create zip");
    let mut zip = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut files = Vec::new();
    collect(dir, dir, &mut files);
    files.sort();
    for rel in files {
        zip.start_file(format!("{prefix}{rel}"), opts)
            .expect("entry");
        zip.write_all(&std::fs::read(dir.join(&rel)).expect("read"))
            .expect("write");
    }
    zip.finish().expect("finish zip");
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            collect(root, &p, out);
        } else {
            out.push(
                p.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
}

/// Copy a fixture folder to a temp dir, for tests that alter it.
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        let t = dst.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// `xaudit gen` into `out`; panics with its stderr when it fails.
pub fn generate(out: &Path, accounts: &str, days: &str, seed: &str) {
    let o = xaudit(&[
        "gen",
        "--accounts",
        accounts,
        "--days",
        days,
        "--seed",
        seed,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// `xaudit shell --store STORE EXTRA…` with `script` on its standard input.
pub fn shell(store: &Path, script: &str, extra: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xaudit"))
        .args(["shell", "--store", store.to_str().unwrap()])
        .args(extra)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("xaudit runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(script.as_bytes())
        .expect("script written");
    child.wait_with_output().expect("xaudit runs")
}

/// The report of a plain audit of `store` with the default rule pack and config.
pub async fn audit_default(store: &Store) -> xaudit::report::Report {
    xaudit::report::audit_report(
        store,
        &xaudit::rules::registry().unwrap(),
        &xaudit::audit::Config::default(),
        &xaudit::audit::AuditOptions::default(),
    )
    .await
    .unwrap()
}

/// Every input error of a failed ingest: one (`Error::Input`) or several (`Error::Inputs`).
pub fn input_errors(e: xaudit::Error) -> Vec<xaudit::InputError> {
    match e {
        xaudit::Error::Input(i) => vec![i],
        xaudit::Error::Inputs(v) => v,
        other => panic!("expected an input error, got {other}"),
    }
}

/// A valid generic log as Parquet (three events of two accounts), written with the Parquet
/// writer the store uses.
pub fn generic_parquet() -> Vec<u8> {
    use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
    let col = |v: Vec<&str>| std::sync::Arc::new(StringArray::from(v)) as ArrayRef;
    let batch = RecordBatch::try_from_iter([
        ("account_id", col(vec!["1", "1", "2"])),
        (
            "ts",
            col(vec![
                "2026-03-01T10:00:00Z",
                "2026-03-01T10:01:00Z",
                "2026-03-02T11:00:00Z",
            ]),
        ),
        ("kind", col(vec!["post", "like", "follow"])),
        ("client", col(vec!["HelpBot", "HelpBot", "Web App"])),
    ])
    .unwrap();
    let mut buf = Vec::new();
    let mut w =
        datafusion::parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    buf
}

/// Copy a file or a folder (recursively) into `inbox`, under its own name.
pub fn copy_into(src: &Path, inbox: &Path) {
    let dest = inbox.join(src.file_name().unwrap());
    if src.is_dir() {
        copy_dir(src, &dest);
    } else {
        std::fs::copy(src, dest).unwrap();
    }
}

/// `command` (a shell command line) run on a pseudo-terminal with util-linux `script`:
/// everything it printed, or None when `script` is not installed.
pub fn on_a_pty(command: &str) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed, so no pseudo-terminal");
        return None;
    }
    let out = Command::new("script")
        .args(["-q", "-e", "-c", command, "/dev/null"])
        .output()
        .unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `xaudit ingest --store STORE INPUT…`, which must succeed.
pub fn ingest_cli(store: &Path, inputs: &[&Path]) {
    let mut args = vec!["ingest", "--store", store.to_str().unwrap()];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    let o = xaudit(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// `xaudit audit --store STORE EXTRA…`: its standard output; it must not fail (exit 2).
pub fn audit_stdout(store: &Path, extra: &[&str]) -> String {
    let mut args = vec!["audit", "--store", store.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = xaudit(&args);
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// A generated population (6 accounts, 10 days, seed 3) with an empty inbox, a store and a
/// reports folder for `xaudit nightly`, in a temporary folder.
pub struct Setup {
    pub _dir: tempfile::TempDir,
    pub data: PathBuf,
    pub store: PathBuf,
    pub inbox: PathBuf,
    pub reports: PathBuf,
}

pub fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    generate(&data, "6", "10", "3");
    let (store, inbox, reports) = (
        dir.path().join("store"),
        dir.path().join("inbox"),
        dir.path().join("reports"),
    );
    std::fs::create_dir_all(&inbox).unwrap();
    Setup {
        _dir: dir,
        data,
        store,
        inbox,
        reports,
    }
}

/// `xaudit nightly` over the setup, as if at `now`, with `extra` arguments.
pub fn nightly_cmd(s: &Setup, now: &str, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xaudit"));
    c.args([
        "nightly",
        "--store",
        s.store.to_str().unwrap(),
        "--inbox",
        s.inbox.to_str().unwrap(),
        "--reports",
        s.reports.to_str().unwrap(),
        "--now",
        now,
    ])
    .args(extra);
    c
}
