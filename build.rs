//! Embeds the rule pack (`queries/*.sql`) and the data files in the binary, so adding a rule is
//! adding a file: no list to edit.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
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
}
