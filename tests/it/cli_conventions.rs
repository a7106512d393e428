//! Conventions users bring from other linters and command-line tools (issue 19): rule selection
//! by id or policy section, per-rule statistics, and NO_COLOR / --color on a real terminal.

use crate::common::*;

fn example_args() -> Vec<String> {
    ["archives/current-2026", "webhooks", "example"]
        .iter()
        .map(|rel| fixture(rel).display().to_string())
        .collect()
}

fn audit(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["audit".to_string()];
    args.extend(example_args());
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    xaudit(&args)
}

#[derive(serde::Deserialize)]
struct Row {
    rule: String,
    accounts: usize,
    findings: usize,
    worst: String,
}

fn statistics(extra: &[&str]) -> Vec<Row> {
    let mut args = vec!["--statistics", "--format", "json"];
    args.extend_from_slice(extra);
    let out = audit(&args);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn select_and_ignore_take_rule_ids_and_section_prefixes() {
    let all = statistics(&[]);
    assert!(all.len() > 2, "the example has findings of several rules");
    let total: usize = all.iter().map(|r| r.findings).sum();
    assert!(
        all.iter()
            .all(|r| r.accounts >= 1 && r.findings >= r.accounts)
    );
    assert!(all.iter().any(|r| r.worst == "deny"));

    // A section prefix keeps the rules under it, whole segments only.
    let section = statistics(&["--select", "II.D"]);
    assert!(!section.is_empty());
    let rules = xaudit(&["rules", "--format", "json"]);
    let rules: Vec<serde_json::Value> = serde_json::from_slice(&rules.stdout).unwrap();
    let section_of = |id: &str| {
        rules
            .iter()
            .find(|r| r["id"] == id)
            .and_then(|r| r["section"].as_str())
            .unwrap()
            .to_string()
    };
    assert!(
        section
            .iter()
            .all(|r| section_of(&r.rule).starts_with("II.D."))
    );

    // Ignore applies after select; ids and prefixes mix, comma-separated or repeated.
    let first = &section[0].rule;
    let narrowed = statistics(&["--select", "II.D", "--ignore", first]);
    assert!(narrowed.iter().all(|r| &r.rule != first));
    assert_eq!(narrowed.len(), section.len() - 1);
    let both = statistics(&["--select", &format!("{first},I.A")]);
    assert!(both.iter().any(|r| &r.rule == first));
    assert!(both.iter().map(|r| r.findings).sum::<usize>() <= total);
}

#[test]
fn a_selection_that_names_no_rule_is_an_error() {
    let out = audit(&["--select", "II.X"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--select II.X"), "{}", stderr(&out));
    let out = audit(&["--ignore", "no_such_rule"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The example audit run on a pseudo-terminal (util-linux `script`), everything it printed.
fn on_a_terminal(env: &str, extra: &str) -> Option<String> {
    on_a_pty(&format!(
        "{env} {} audit {} {extra}",
        env!("CARGO_BIN_EXE_xaudit"),
        example_args().join(" ")
    ))
}

#[test]
fn no_color_on_a_terminal_prints_no_escape_sequence() {
    let Some(plain) = on_a_terminal("NO_COLOR=1", "") else {
        return;
    };
    assert!(plain.contains("VIOLATIONS"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
    let never = on_a_terminal("", "--color never").unwrap();
    assert!(!never.contains('\u{1b}'), "{never:?}");
    // The same terminal without NO_COLOR is coloured: the check above can fail.
    let coloured = on_a_terminal("", "").unwrap();
    assert!(coloured.contains("\u{1b}["), "{coloured:?}");
    let forced = on_a_terminal("NO_COLOR=1", "--color always").unwrap();
    assert!(forced.contains("\u{1b}["), "{forced:?}");
}

#[test]
fn version_names_the_commit_and_explain_speaks_json() {
    let out = xaudit(&["--version"]);
    let version = String::from_utf8(out.stdout).unwrap();
    let commit = version
        .trim()
        .rsplit_once(" (")
        .and_then(|(_, c)| c.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no commit in {version:?}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{version}"
    );

    let rule: serde_json::Value =
        serde_json::from_slice(&xaudit(&["explain", "mass_follow", "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(rule["id"], "mass_follow");
    assert!(
        rule["section_heading"]
            .as_str()
            .is_some_and(|h| !h.is_empty())
    );
    assert!(rule["docs"]["what"].as_str().is_some());
    let function: serde_json::Value =
        serde_json::from_slice(&xaudit(&["explain", "cadence", "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(function["name"], "cadence");
}

/// `xaudit rules --functions | head -1` printed a panic: a closed pipe is not an error.
#[test]
fn a_listing_into_a_closed_pipe_exits_quietly() {
    for args in [
        &["rules", "--functions"][..],
        &["rules"],
        &["explain", "mass_follow"],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xaudit"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// `xaudit ingest … | head -1` panicked in `println!` once the pipe was closed, after the store
/// was written: the commands that print a summary after their work end as the work did.
#[test]
fn a_summary_into_a_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let generated = dir.path().join("gen").display().to_string();
    let archive = fixture("archives/current-2026").display().to_string();
    for args in [
        &["ingest", "--store", &store, &archive][..],
        &["ingest", "--json", "--store", &store, &archive],
        &["store", "check", "--store", &store],
        &["suppressions", "--store", &store],
        &["gen", "--accounts", "2", "--days", "2", "--out", &generated],
    ] {
        // The reading end is closed before the command starts: its first write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_xaudit"))
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
    // The work was done all the same.
    let events = xaudit(&[
        "sql",
        "--store",
        &store,
        "--format",
        "csv",
        "SELECT count(*) FROM events",
    ]);
    assert_ne!(
        String::from_utf8_lossy(&events.stdout).lines().nth(1),
        Some("0")
    );
}

#[test]
fn completions_and_the_manual_page_come_from_the_command_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let out = xaudit(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["nightly", "select", "color"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    // bash itself accepts the bash script.
    let dir = tempfile::tempdir().unwrap();
    let bash = dir.path().join("xaudit.bash");
    std::fs::write(&bash, xaudit(&["completions", "bash"]).stdout).unwrap();
    if let Ok(check) = std::process::Command::new("bash")
        .arg("-n")
        .arg(&bash)
        .output()
    {
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }

    let man = String::from_utf8(xaudit(&["man"]).stdout).unwrap();
    assert!(man.contains(".TH xaudit 1"), "{man}");
    assert!(man.contains("audit") && man.contains("nightly"), "{man}");
}

/// xaudit run in `dir` with extra environment variables (and XAUDIT_* cleared otherwise).
fn xaudit_in(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_xaudit"))
        .current_dir(dir)
        .env_remove("XAUDIT_STORE")
        .env_remove("XAUDIT_CONFIG")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_config_is_found_in_the_working_folder_then_the_store_and_named_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut ingest = vec![
        "ingest".to_string(),
        "--store".into(),
        store.display().to_string(),
    ];
    ingest.extend(example_args());
    let ingest: Vec<&str> = ingest.iter().map(String::as_str).collect();
    assert_eq!(xaudit_in(dir.path(), &[], &ingest).status.code(), Some(0));
    let rules_with_findings = |out: std::process::Output| -> Vec<String> {
        assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
        let rows: Vec<Row> = serde_json::from_slice(&out.stdout).unwrap();
        rows.into_iter().map(|r| r.rule).collect()
    };
    let s = store.to_str().unwrap();
    let stats = ["audit", "--store", s, "--statistics", "--format", "json"];
    let all = rules_with_findings(xaudit_in(dir.path(), &[], &stats));
    assert!(all.contains(&"bulk_list_add".to_string()));

    // In the store: used from any working folder.
    std::fs::write(
        store.join("xaudit.toml"),
        "[rules.bulk_list_add]\nlevel = \"off\"\n",
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let from_store = rules_with_findings(xaudit_in(elsewhere.path(), &[], &stats));
    assert!(!from_store.contains(&"bulk_list_add".to_string()));

    // In the working folder: it wins over the store's.
    std::fs::write(
        elsewhere.path().join("xaudit.toml"),
        "[rules.opt_out_ignored]\nlevel = \"off\"\n",
    )
    .unwrap();
    let here = rules_with_findings(xaudit_in(elsewhere.path(), &[], &stats));
    assert!(here.contains(&"bulk_list_add".to_string()));
    assert!(!here.contains(&"opt_out_ignored".to_string()));

    // XAUDIT_STORE and XAUDIT_CONFIG stand for --store and --config; --verbose names the file.
    let env_config = dir.path().join("env.toml");
    std::fs::write(
        &env_config,
        "[rules.external_source_posts]\nlevel = \"off\"\n",
    )
    .unwrap();
    let env = [
        ("XAUDIT_STORE", s),
        ("XAUDIT_CONFIG", env_config.to_str().unwrap()),
    ];
    let out = xaudit_in(
        elsewhere.path(),
        &env,
        &["audit", "--format", "json", "--verbose"],
    );
    assert!(stderr(&out).contains("env.toml"), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["config_file"], env_config.to_str().unwrap());
    let count = xaudit_in(
        dir.path(),
        &env,
        &["sql", "--format", "csv", "SELECT count(*) AS n FROM events"],
    );
    assert_eq!(count.status.code(), Some(0), "{}", stderr(&count));
}
