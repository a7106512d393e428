//! What a link's hosts say (RULES.md, `misleading_links`): the host of a URL, the site it belongs
//! to, and whether the host is a shortener or ad interstitial (`data/link_domains.toml`). No
//! network access: only what the post itself records.

use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Deserialize)]
struct Domains {
    shorteners: Vec<String>,
    ad_interstitials: Vec<String>,
    brand_links: Vec<String>,
    own: Vec<String>,
}

static DOMAINS: LazyLock<Domains> = LazyLock::new(|| {
    toml::from_str(include_str!("../../data/link_domains.toml"))
        .expect("data/link_domains.toml is valid")
});

/// The host of a URL (lowercase, without `www.`), with or without a scheme; `None` when there is
/// none. Parsed by the WHATWG URL rules browsers follow (the `url` crate), so the host is the one
/// a click goes to: `https://evil.example\\@paypal.com/` goes to `evil.example` (a backslash ends
/// the authority), and `https://bit%2Ely/x` to `bit.ly` (the host is percent-decoded).
pub fn host(url: &str) -> Option<String> {
    host_of(&parse(url)?)
}

/// A link as a browser reads it. X shows links without their scheme (`bit.ly/3kTxq9Z`); a
/// browser reads those as web addresses. Only `scheme://` counts as a scheme here:
/// `example.com:8080/x` is a host and a port, not the scheme `example.com`.
fn parse(url: &str) -> Option<url::Url> {
    let url = url.trim();
    if url.contains("://") {
        url::Url::parse(url).ok()
    } else {
        url::Url::parse(&format!("http://{url}")).ok()
    }
}

fn host_of(parsed: &url::Url) -> Option<String> {
    let host = match parsed.host()? {
        url::Host::Domain(d) => d.trim_end_matches('.').to_ascii_lowercase(),
        url::Host::Ipv4(ip) => return Some(ip.to_string()),
        url::Host::Ipv6(ip) => return Some(ip.to_string()),
    };
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (host.contains('.') && !host.is_empty()).then_some(host)
}

/// Where a link leads, as one comparable token: host (as [`host`]), path and query, without the
/// scheme, a trailing slash or the fragment (`https://www.Example.com/p/1/?a=b#top` gives
/// `example.com/p/1?a=b`). `None` when there is no host.
pub fn target(url: &str) -> Option<String> {
    let parsed = parse(url)?;
    let host = host_of(&parsed)?;
    let path = parsed.path().trim_end_matches('/');
    Some(match parsed.query() {
        Some(q) if !q.is_empty() => format!("{host}{path}?{q}"),
        _ => format!("{host}{path}"),
    })
}

/// The site a host belongs to: its registrable domain by the Public Suffix List, private
/// suffixes included, so `alice.github.io` and `mallory.github.io` are two sites, and
/// `news.bbc.co.uk` is `bbc.co.uk`. A host that is itself a public suffix, or an IP address, is
/// its own site.
pub fn site(host: &str) -> String {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host.to_string();
    }
    psl::domain_str(host).unwrap_or(host).to_string()
}

fn listed(host: &str, list: &[String]) -> bool {
    list.iter().any(|d| {
        host == d
            || host
                .strip_suffix(d.as_str())
                .is_some_and(|p| p.ends_with('.'))
    })
}

/// `shortener`, `ad_interstitial`, `own` (X's hosts), `brand` (a company's short links to its
/// own site) or `None`.
pub fn class(host: &str) -> Option<&'static str> {
    let d = &*DOMAINS;
    if listed(host, &d.own) {
        Some("own")
    } else if listed(host, &d.brand_links) {
        Some("brand")
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
    fn a_link_target_keeps_host_path_and_query_only() {
        assert_eq!(
            target("https://www.Example.com/p/1/?a=b#top").as_deref(),
            Some("example.com/p/1?a=b")
        );
        assert_eq!(
            target("instagr.am/p/Lm1x").as_deref(),
            Some("instagr.am/p/Lm1x")
        );
        assert_eq!(target("not a link"), None);
    }

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
        assert_eq!(host("example.com:8080/x").as_deref(), Some("example.com"));
        assert_eq!(host("192.168.1.20/admin").as_deref(), Some("192.168.1.20"));
        assert_eq!(site("192.168.1.20"), "192.168.1.20");
    }

    /// Issue 22: a backslash ends the authority for a browser, so the `@` after it is in the
    /// path and the host is the part before.
    #[test]
    fn a_backslash_before_the_at_sign_does_not_hide_the_real_host() {
        assert_eq!(
            host(r"https://evil.example\@paypal.com/login").as_deref(),
            Some("evil.example")
        );
        assert_eq!(
            host("https://user:pw@paypal.com.evil.example/x").as_deref(),
            Some("paypal.com.evil.example")
        );
    }

    /// Issue 22: browsers percent-decode the host.
    #[test]
    fn a_percent_encoded_host_is_decoded() {
        assert_eq!(host("https://bit%2Ely/x").as_deref(), Some("bit.ly"));
        assert_eq!(
            class(&host("https://bit%2Ely/x").unwrap()),
            Some("shortener")
        );
    }

    /// Issue 22: subdomains of a private public suffix belong to different people.
    #[test]
    fn sites_follow_the_public_suffix_list_private_section_included() {
        assert_ne!(site("alice.github.io"), site("mallory.github.io"));
        assert_eq!(site("alice.github.io"), "alice.github.io");
        assert_eq!(site("gist.github.com"), "github.com");
        assert_eq!(site("github.io"), "github.io");
    }

    #[test]
    fn classes_come_from_the_data_file() {
        assert_eq!(class("bit.ly"), Some("shortener"));
        assert_eq!(class("adf.ly"), Some("ad_interstitial"));
        assert_eq!(class("t.co"), Some("own"));
        // Google Maps' share links are Google's own, though goo.gl was a shortener.
        assert_eq!(class("maps.app.goo.gl"), Some("brand"));
        assert_eq!(class("goo.gl"), Some("shortener"));
        assert_eq!(class("sub.bit.ly"), Some("shortener"));
        assert_eq!(class("notbit.ly"), None);
        assert_eq!(class("example.com"), None);
    }
}
