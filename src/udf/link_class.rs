//! `link_class(host)`: `shortener` or `ad_interstitial` for hosts that hide where a link goes,
//! `own` for X's hosts (t.co), `brand` for a company's short links to its own site
//! (`maps.app.goo.gl`, `youtu.be`), else NULL. The lists are a data file (`data/link_domains.toml`).

use super::string_map::StringMap;

/// The SQL function.
pub fn udf() -> StringMap {
    StringMap::new("link_class", crate::text::links::class)
}
