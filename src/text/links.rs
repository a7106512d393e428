//! What a link's hosts say (RULES.md, `misleading_links`): the host of a URL, the site it belongs
//! to, and whether the host is a shortener or ad interstitial (`data/link_domains.toml`). No
//! network access: only what the post itself records.

use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Deserialize)]
struct Domains {
    shorteners: Vec<String>,
    ad_interstitials: Vec<String>,
    own: Vec<String>,
}

static DOMAINS: LazyLock<Domains> = LazyLock::new(|| {
    toml::from_str(include_str!("../../data/link_domains.toml"))
        .expect("data/link_domains.toml is valid")
});

/// The host of a URL (lowercase, without `www.`), with or without a scheme; `None` when there is
/// none.
pub fn host(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (host.contains('.') && !host.is_empty()).then_some(host)
}

/// The registrable part of a host, approximately: the last two labels, or three under a
/// two-letter country code with a generic second level (`bbc.co.uk`, `gov.com.tr`).
pub fn site(host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    if n >= 3
        && labels[n - 1].len() == 2
        && matches!(
            labels[n - 2],
            "co" | "com" | "org" | "net" | "ac" | "gov" | "edu" | "gen" | "bel" | "web"
        )
    {
        labels[n - 3..].join(".")
    } else if n >= 2 {
        labels[n - 2..].join(".")
    } else {
        host.to_string()
    }
}

fn listed(host: &str, list: &[String]) -> bool {
    list.iter().any(|d| {
        host == d
            || host
                .strip_suffix(d.as_str())
                .is_some_and(|p| p.ends_with('.'))
    })
}

/// `shortener`, `ad_interstitial`, `own` (X's hosts) or `None`.
pub fn class(host: &str) -> Option<&'static str> {
    let d = &*DOMAINS;
    if listed(host, &d.own) {
        Some("own")
    } else if listed(host, &d.ad_interstitials) {
        Some("ad_interstitial")
    } else if listed(host, &d.shorteners) {
        Some("shortener")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_sites() {
        assert_eq!(
            host("https://WWW.Example.com:443/a?b").as_deref(),
            Some("example.com")
        );
        assert_eq!(host("bit.ly/3kTxq9Z").as_deref(), Some("bit.ly"));
        assert_eq!(host("not a url"), None);
        assert_eq!(site("news.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(site("shop.example.com"), "example.com");
    }

    #[test]
    fn classes_come_from_the_data_file() {
        assert_eq!(class("bit.ly"), Some("shortener"));
        assert_eq!(class("adf.ly"), Some("ad_interstitial"));
        assert_eq!(class("t.co"), Some("own"));
        assert_eq!(class("sub.bit.ly"), Some("shortener"));
        assert_eq!(class("notbit.ly"), None);
        assert_eq!(class("example.com"), None);
    }
}
