//! The layering README's architecture section describes, held by the source itself: a module uses
//! only modules of lower layers (so there is no import cycle), and query results are read by
//! column name, never by position.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Top-level modules of `src/`, lowest first. A module may use modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    // errors, and the signal flag every layer may stop at
    &["error", "interrupt"],
    // the domain: events, findings, times, ids; pause points for crash tests; text as rules
    // compare it
    &["fault", "model", "text"],
    // Delta tables, sessions, rows in and out
    &["store"],
    // inputs into events; the rule pack; SQL functions; the generator; Arrow output for the shell
    &["readers", "rules", "udf", "synth", "output"],
    // the distributed engine: Ballista's roles, plans that carry xaudit's functions, sessions
    // over the store's files
    &["cluster"],
    // ingest; the engine: rules → typed findings, coverage, facts, evidence
    &["ingest", "audit"],
    // consumers of findings: the findings log, scoring against generated labels
    &["findings_log", "eval"],
    // the report, built once from findings
    &["report"],
    // jobs and front ends
    &["nightly", "shell", "cli", "main", "lib"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file of `src/` belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The file's code up to its unit tests (tests may reach across layers to build fixtures).
fn code_of(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests")
        .map_or(text, |i| &text[..i])
}

fn src_files() -> (PathBuf, Vec<PathBuf>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    (src, files)
}

#[test]
fn modules_use_only_lower_layers() {
    let (src, files) = src_files();
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        let Some(own) = layer_of(&module) else {
            problems.push(format!(
                "src/{module} is in no layer: add it to LAYERS in tests/it/architecture.rs"
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for (i, _) in code_of(&text).match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let used: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if used.is_empty() || used == module || used.chars().next().unwrap().is_uppercase() {
                continue;
            }
            match layer_of(&used) {
                Some(l) if l < own => {}
                _ => {
                    seen.entry((module.clone(), used.clone()))
                        .or_insert_with(|| file.display().to_string());
                }
            }
        }
    }
    for ((module, used), file) in seen {
        problems.push(format!(
            "{module} uses {used} ({file}), which is not in a lower layer"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn query_results_are_read_by_column_name() {
    let (src, files) = src_files();
    let decoder = src.join("store").join("rows.rs");
    let mut problems = Vec::new();
    for file in files.iter().filter(|f| **f != decoder) {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            // `batch.column(0)`, `b.column(3)`: a position tied to a SELECT list elsewhere.
            if let Some(i) = line.find(".column(") {
                let arg = &line[i + ".column(".len()..];
                if arg.starts_with(|c: char| c.is_ascii_digit()) {
                    problems.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "read query results with xaudit::store::query_rows / batches_to_rows / column:\n{}",
        problems.join("\n")
    );
}
