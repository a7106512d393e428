//! `consent_phrase(text)`: `opt_out` when a short message's normalized text is, or starts with, an
//! opt-out phrase of any supported language (en, nl, tr), `opt_in` for an opt-in phrase, else NULL.
//! The phrase lists are data files (`data/phrases/<lang>.toml`).

use std::sync::LazyLock;

use serde::Deserialize;

use super::string_map::StringMap;
use crate::text::normalize;

/// Longer messages are conversation, not commands ("please don't stop sending me the weather"
/// mentions stop but is not an opt-out).
const MAX_WORDS: usize = 6;

#[derive(Deserialize)]
struct Phrases {
    opt_out: Vec<String>,
    opt_in: Vec<String>,
}

static PHRASES: LazyLock<(Vec<String>, Vec<String>)> = LazyLock::new(|| {
    let mut out = (Vec::new(), Vec::new());
    for (lang, text) in [
        ("en", include_str!("../../data/phrases/en.toml")),
        ("nl", include_str!("../../data/phrases/nl.toml")),
        ("tr", include_str!("../../data/phrases/tr.toml")),
    ] {
        let p: Phrases = toml::from_str(text)
            .unwrap_or_else(|e| panic!("data/phrases/{lang}.toml is invalid: {e}"));
        out.0.extend(p.opt_out.iter().map(|s| normalize(s)));
        out.1.extend(p.opt_in.iter().map(|s| normalize(s)));
    }
    out
});

fn starts_with_phrase(text: &str, phrase: &str) -> bool {
    text == phrase
        || text
            .strip_prefix(phrase)
            .is_some_and(|rest| rest.starts_with(' '))
}

/// The consent meaning of a message, if it has one.
pub fn consent_of(text: &str) -> Option<&'static str> {
    let n = normalize(text);
    if n.is_empty() || n.split(' ').count() > MAX_WORDS {
        return None;
    }
    if PHRASES.0.iter().any(|p| starts_with_phrase(&n, p)) {
        Some("opt_out")
    } else if PHRASES.1.iter().any(|p| starts_with_phrase(&n, p)) {
        Some("opt_in")
    } else {
        None
    }
}

/// The SQL function.
pub fn udf() -> StringMap {
    StringMap::new("consent_phrase", consent_of)
}

#[cfg(test)]
mod tests {
    use super::consent_of;

    #[test]
    fn english_opt_out_and_opt_in() {
        assert_eq!(consent_of("STOP"), Some("opt_out"));
        assert_eq!(consent_of("@acme_helpdesk stop please"), Some("opt_out"));
        assert_eq!(consent_of("Unsubscribe."), Some("opt_out"));
        assert_eq!(consent_of("subscribe"), Some("opt_in"));
    }

    #[test]
    fn dutch_opt_out_and_opt_in() {
        assert_eq!(consent_of("Afmelden a.u.b."), Some("opt_out"));
        assert_eq!(consent_of("uitschrijven"), Some("opt_out"));
        assert_eq!(consent_of("Aanmelden"), Some("opt_in"));
    }

    #[test]
    fn turkish_opt_out_and_opt_in_with_dotted_capitals() {
        assert_eq!(consent_of("İPTAL"), Some("opt_out"));
        assert_eq!(consent_of("Mesaj atma lütfen"), Some("opt_out"));
        assert_eq!(consent_of("abonelikten çık"), Some("opt_out"));
        assert_eq!(consent_of("Abone ol"), Some("opt_in"));
    }

    #[test]
    fn near_misses_are_not_consent() {
        assert_eq!(consent_of("don't stop the music"), None);
        assert_eq!(consent_of("stopwatch battery is empty"), None);
        assert_eq!(
            consent_of("please do not stop sending me the daily weather report"),
            None
        );
        assert_eq!(consent_of(""), None);
    }
}
