//! Text as the rules compare it (RULES.md, "normalized text").

use unicode_normalization::UnicodeNormalization;

/// HTML-unescaped, NFKC, case-folded so that Turkish `İ I ı i` all compare equal, URLs and
/// @mentions removed, `#` dropped from hashtags, emoji and punctuation removed, whitespace
/// collapsed. Digits are kept: a weather post with other numbers is other content.
pub fn normalize(text: &str) -> String {
    let unescaped = crate::readers::api_tweet::unescape(text);
    let nfkc: String = unescaped.nfkc().collect();
    let mut out = String::with_capacity(nfkc.len());
    for token in nfkc.split_whitespace() {
        let lower = token.to_ascii_lowercase();
        if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
            || token.starts_with('@')
        {
            continue;
        }
        for c in token.chars() {
            match c {
                'İ' | 'I' | 'ı' => out.push('i'),
                c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
                // punctuation, symbols, emoji, `#`: word boundaries
                _ => out.push(' '),
            }
        }
        out.push(' ');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn follows_the_rules_md_definition() {
        assert_eq!(
            normalize("RT @acme: Big SALE &amp; more!! 🎉 #Deals https://t.co/x 50%"),
            "rt big sale more deals 50"
        );
        assert_eq!(
            normalize("ＳＴＯＰ"),
            "stop",
            "NFKC folds full-width letters"
        );
    }

    #[test]
    fn turkish_dotted_and_dotless_i_compare_equal() {
        assert_eq!(normalize("İSTANBUL"), normalize("istanbul"));
        assert_eq!(normalize("ISTANBUL"), normalize("ıstanbul"));
        assert_eq!(normalize("İptal"), "iptal");
    }

    #[test]
    fn empty_and_mention_only_texts_normalize_to_nothing() {
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("@someone https://t.co/abc"), "");
    }
}
