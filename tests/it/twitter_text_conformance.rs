//! Entity extraction for inputs without entities must agree with twitter-text. The official
//! conformance cases (`extract.yml`) ship inside the `egg-mode-text` crate's sources, which cargo
//! has unpacked in its registry; this test runs the `mentions`, `hashtags` and `urls` cases
//! against `xaudit::text::entities::extract`.

use std::path::PathBuf;

fn conformance_file() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME is set");
    let registry = home.join("registry").join("src");
    for index in std::fs::read_dir(&registry).expect("cargo registry sources") {
        let index = index.unwrap().path();
        for krate in std::fs::read_dir(&index).into_iter().flatten().flatten() {
            let name = krate.file_name().to_string_lossy().to_string();
            if name.starts_with("egg-mode-text-1.") {
                let f = krate.path().join("src").join("extract.yml");
                if f.exists() {
                    return f;
                }
            }
        }
    }
    panic!(
        "twitter-text's extract.yml not found under {}: run `cargo fetch`",
        registry.display()
    );
}

/// `(section, text, expected)` for the cases whose `expected` is a flow list of strings.
fn cases() -> Vec<(String, String, Vec<String>)> {
    let yml = std::fs::read_to_string(conformance_file()).unwrap();
    let mut out = Vec::new();
    let (mut section, mut text) = (String::new(), None::<String>);
    for line in yml.lines() {
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
            if !name.starts_with(' ') {
                section = name.to_string();
            }
        } else if let Some(t) = line.trim_start().strip_prefix("text: ") {
            // YAML double-quoted scalars use JSON's escapes in this file.
            text = serde_json::from_str(t).ok();
        } else if let Some(e) = line.trim_start().strip_prefix("expected: ")
            && let (Some(t), Ok(expected)) = (text.take(), serde_json::from_str::<Vec<String>>(e))
        {
            out.push((section.clone(), t, expected));
        }
    }
    out
}

#[test]
fn mentions_hashtags_and_urls_follow_the_twitter_text_conformance_cases() {
    let cases = cases();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (section, text, expected) in &cases {
        let e = xaudit::text::entities::extract(text);
        let got: Vec<String> = match section.as_str() {
            "mentions" => e.mentions,
            "hashtags" | "hashtags_from_astral" => e.hashtags,
            "urls" => e.urls.into_iter().map(|u| u.url).collect(),
            _ => continue,
        };
        checked += 1;
        if &got != expected {
            failures.push(format!(
                "[{section}] {text:?}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(checked > 150, "only {checked} cases found");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
