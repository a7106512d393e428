//! Policy sections (`../shared/policy/README.md`) with their headings in en, nl and tr. The Dutch
//! and Turkish headings are quoted from the policy files; a test checks them against the text.

use std::sync::LazyLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub key: String,
    pub en: String,
    pub nl: String,
    pub tr: String,
}

impl Section {
    pub fn heading(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Nl => &self.nl,
            Lang::Tr => &self.tr,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Nl,
    Tr,
}

static SECTIONS: LazyLock<Vec<Section>> = LazyLock::new(|| {
    include_str!("../../data/sections.tsv")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Section {
                key: f[0].into(),
                en: f[1].into(),
                nl: f[2].into(),
                tr: f[3].into(),
            }
        })
        .collect()
});

pub fn get(key: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.key == key)
}

pub fn keys() -> Vec<&'static str> {
    SECTIONS.iter().map(|s| s.key.as_str()).collect()
}

pub fn all() -> &'static [Section] {
    &SECTIONS
}

/// The policy version this pack checks against.
pub const POLICY: &str = "x-automation-rules@2017-11-03";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_four_columns() {
        for l in include_str!("../../data/sections.tsv")
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            assert_eq!(l.split('\t').count(), 4, "{l}");
        }
        assert!(get("II.D.follows").is_some());
    }

    /// Dutch and Turkish headings must be quoted from the policy text (when `../shared` is beside
    /// the checkout, as on every developer machine and in CI).
    #[test]
    fn nl_and_tr_headings_are_quoted_from_the_policy_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/policy");
        let (Ok(nl), Ok(tr)) = (
            std::fs::read_to_string(dir.join("000_ea2ee1b6d5db9d20.txt")),
            std::fs::read_to_string(dir.join("001_86b080df1c6d2d62.txt")),
        ) else {
            eprintln!("../shared/policy not found; heading check skipped");
            return;
        };
        for s in all() {
            for part in s.nl.split(" — ") {
                assert!(
                    nl.contains(part),
                    "nl heading of {}: {part:?} is not in the policy text",
                    s.key
                );
            }
            for part in s.tr.split(" — ") {
                assert!(
                    tr.contains(part),
                    "tr heading of {}: {part:?} is not in the policy text",
                    s.key
                );
            }
        }
    }
}
