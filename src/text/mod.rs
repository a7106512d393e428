//! Text as the rules compare it (RULES.md, "normalized text").

pub mod near_dup;

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

/// HTML-unescaped, NFKC, case-folded so that Turkish `İ I ı i` all compare equal, URLs and
/// @mentions removed, `#` dropped from hashtags, emoji and punctuation removed, whitespace
/// collapsed. Digits are kept: a weather post with other numbers is other content.
pub fn normalize(text: &str) -> String {
    let unescaped: Cow<str> = if text.contains('&') {
        html_escape::decode_html_entities(text)
    } else {
        Cow::Borrowed(text)
    };
    // NFKC leaves ASCII unchanged, and most posts are ASCII.
    let nfkc: Cow<str> = if unescaped.is_ascii() {
        unescaped
    } else {
        Cow::Owned(unescaped.nfkc().collect())
    };
    let mut out = String::with_capacity(nfkc.len());
    for token in nfkc.split_whitespace() {
        if starts_with_ignore_case(token, "http://")
            || starts_with_ignore_case(token, "https://")
            || starts_with_ignore_case(token, "www.")
            || token.starts_with('@')
        {
            continue;
        }
        let mut pending_space = !out.is_empty();
        for c in token.chars() {
            let folded = match c {
                'İ' | 'I' | 'ı' => Some('i'),
                c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
                c if c.is_ascii() => None,
                c if c.is_alphanumeric() => {
                    if pending_space {
                        out.push(' ');
                        pending_space = false;
                    }
                    out.extend(c.to_lowercase());
                    continue;
                }
                _ => None,
            };
            match folded {
                Some(f) => {
                    if pending_space {
                        out.push(' ');
                        pending_space = false;
                    }
                    out.push(f);
                }
                // punctuation, symbols, emoji, `#`: word boundaries
                None => pending_space = !out.is_empty(),
            }
        }
    }
    out
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
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
