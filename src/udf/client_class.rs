//! `client_class(client)`: `official` for X's own apps, `feed` for apps that republish external
//! content, `app` for any other app, NULL when the client is unknown. The lists are data files
//! (`data/official_clients.txt`, `data/feed_clients.txt`).

use std::sync::LazyLock;

use super::string_map::StringMap;

fn list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
}

static OFFICIAL: LazyLock<Vec<String>> =
    LazyLock::new(|| list(include_str!("../../data/official_clients.txt")));
static FEED: LazyLock<Vec<String>> =
    LazyLock::new(|| list(include_str!("../../data/feed_clients.txt")));

/// The class of a client name (see the module doc).
pub fn classify(client: &str) -> &'static str {
    let c = client.trim().to_lowercase();
    let matches = |pat: &String| match pat.strip_suffix('*') {
        Some(prefix) => c.starts_with(prefix),
        None => *pat == c,
    };
    if OFFICIAL.iter().any(matches) {
        "official"
    } else if FEED.iter().any(matches) {
        "feed"
    } else {
        "app"
    }
}

/// The SQL function.
pub fn udf() -> StringMap {
    StringMap::new("client_class", |c| Some(classify(c)))
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn official_feed_and_other_apps() {
        assert_eq!(classify("Twitter for iPhone"), "official");
        assert_eq!(classify("twitter web app"), "official");
        assert_eq!(classify("IFTTT"), "feed");
        assert_eq!(classify("Publicize for WordPress"), "feed");
        assert_eq!(classify("HelpBot Replies"), "app");
    }
}
