//! Entities of a text that carries none (generic logs, some DMs), extracted by twitter-text's rules
//! through `egg-mode-text`, a Rust port that ships twitter-text's conformance cases (tested in
//! `tests/it/twitter_text_conformance.rs`).

use egg_mode_text::{EntityKind, entities};

/// A link as the `urls` column holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    pub expanded: String,
    pub display: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Entities {
    /// Without `#`.
    pub hashtags: Vec<String>,
    /// Screen names without `@`.
    pub mentions: Vec<String>,
    pub urls: Vec<Link>,
}

/// Hashtags, mentions and links of a text, in order. A link written without a scheme
/// (`example.com/x`) is expanded with `http://`, as X links it.
pub fn extract(text: &str) -> Entities {
    let mut out = Entities::default();
    for e in entities(text) {
        let s = e.substr(text);
        match e.kind {
            EntityKind::Hashtag => out
                .hashtags
                .push(s[s.char_indices().nth(1).map_or(s.len(), |(i, _)| i)..].to_string()),
            EntityKind::ScreenName => out
                .mentions
                .push(s[s.char_indices().nth(1).map_or(s.len(), |(i, _)| i)..].to_string()),
            EntityKind::Url => {
                let lower = s.to_ascii_lowercase();
                let has_scheme = lower.starts_with("http://") || lower.starts_with("https://");
                out.urls.push(Link {
                    url: s.to_string(),
                    expanded: if has_scheme {
                        s.to_string()
                    } else {
                        format!("http://{s}")
                    },
                    display: s.split_once("://").map_or(s, |(_, rest)| rest).to_string(),
                });
            }
            EntityKind::ListName | EntityKind::Symbol => {}
        }
    }
    out
}

/// The domains a text names without linking them with a scheme ("read it on example.com"): the
/// hosts of twitter-text's scheme-less URLs.
pub fn named_domains(text: &str) -> Vec<String> {
    entities(text)
        .into_iter()
        .filter(|e| e.kind == EntityKind::Url)
        .map(|e| e.substr(text))
        .filter(|s| !s.contains("://"))
        .filter_map(|s| s.split(['/', '?', '#']).next())
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_hashtags_mentions_and_links_like_twitter() {
        let e =
            extract("@acme thanks! #Gündem see https://example.com/a and docs.rs/x, mail a@b.com");
        assert_eq!(e.mentions, vec!["acme"]);
        assert_eq!(e.hashtags, vec!["Gündem"]);
        assert_eq!(e.urls.len(), 2, "{:?}", e.urls);
        assert_eq!(e.urls[1].expanded, "http://docs.rs/x");
        assert_eq!(e.urls[1].display, "docs.rs/x");
    }

    #[test]
    fn named_domains_are_the_scheme_less_links() {
        assert_eq!(
            named_domains("Log in at PayPal.com now: https://t.co/abc"),
            vec!["paypal.com"]
        );
        assert!(named_domains("no domains here, 3.5 stars").is_empty());
    }
}
