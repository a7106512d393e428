//! Embeds the rule pack (`queries/*.sql`) in the binary, so adding a rule is adding a file: no
//! list to edit; and gathers each SQL function's documentation from the doc comment of its file
//! in `src/udf/`, so the comment a developer reads is the one `\\df` and `xaudit explain` show.

use std::fmt::Write;
use std::path::Path;

/// The commit the binary is built from, for `--version`: "unknown" outside a git checkout.
fn record_commit(root: &Path) {
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=XAUDIT_COMMIT={commit}");
    // Watched only where they exist: a missing path would rerun this script at every build.
    for watched in [".git/HEAD", ".git/refs/heads"] {
        if root.join(watched).exists() {
            println!("cargo:rerun-if-changed={watched}");
        }
    }
}

fn main() {
    // Read at run time: a build script compiled for another checkout (a shared target dir) must
    // still read this one.
    let root = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = root.as_path();
    record_commit(root);
    let mut out = String::from(
        "/// (file name, contents) of every rule in `queries/`, sorted by name.\npub static RULE_FILES: &[(&str, &str)] = &[\n",
    );
    let mut names: Vec<String> = std::fs::read_dir(root.join("queries"))
        .expect("queries/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    for n in &names {
        writeln!(
            out,
            "    ({n:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/queries/{n}\"))),"
        )
        .unwrap();
    }
    out.push_str("];\n");
    println!("cargo:rerun-if-changed=queries");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("rule_files.rs");
    std::fs::write(dest, out).unwrap();
    udf_docs(root);
}

/// `(name, syntax, description)` of every function file in `src/udf/`: a file whose doc comment
/// opens with `` `name(arguments)`: `` documents the function `name`; helper files do not.
fn udf_docs(root: &Path) {
    let dir = root.join("src").join("udf");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("src/udf exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    let mut out = String::from(
        "/// (name, syntax, description) of each SQL function, from its file's doc comment.\npub static UDF_DOCS: &[(&str, &str, &str)] = &[\n",
    );
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let doc: Vec<&str> = text
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| l.trim_start_matches("//!").trim())
            .collect();
        let stem = f.file_stem().unwrap().to_string_lossy();
        let Some(first) = doc.first() else { continue };
        let Some(rest) = first.strip_prefix(&format!("`{stem}(")) else {
            continue;
        };
        let Some(end) = rest.find("`:") else { continue };
        let syntax = format!("{stem}({}", &rest[..end]);
        // Paragraphs stay apart; the lines of a paragraph join with spaces.
        let mut description = rest[end + 2..].trim().to_string();
        for line in &doc[1..] {
            if line.is_empty() {
                description.push_str("\n\n");
            } else if description.ends_with('\n') {
                description.push_str(line);
            } else {
                description.push(' ');
                description.push_str(line);
            }
        }
        writeln!(out, "    ({stem:?}, {syntax:?}, {:?}),", description.trim()).unwrap();
    }
    out.push_str("];\n");
    println!("cargo:rerun-if-changed=src/udf");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("udf_docs.rs");
    std::fs::write(dest, out).unwrap();
}
