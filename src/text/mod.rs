//! Text as the rules compare it (RULES.md, "normalized text").

pub mod entities;
pub mod inert;
pub mod lexicon;
pub mod links;
pub mod near_dup;
pub mod personal_data;

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

/// HTML-unescaped, NFKC, case-folded so that Turkish `İ I ı i` all compare equal, URLs and
/// @mentions removed, `#` dropped from hashtags, emoji and punctuation removed, whitespace
/// collapsed. Digits are kept: a weather post with other numbers is other content.
pub fn normalize(text: &str) -> String {
    let mut out = String::new();
    normalize_into(text, &mut out);
    out
}

/// [`normalize`] into `out` (its content replaced): a function normalizing millions of posts
/// reuses one buffer rather than allocating a string for each.
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
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
    if nfkc.is_ascii() {
        return normalize_ascii(nfkc.as_bytes(), out);
    }
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
}

/// [`normalize`] for ASCII text (most posts), byte by byte, into the empty `out`: the same result
/// without the Unicode tables.
fn normalize_ascii(text: &[u8], out: &mut String) {
    for token in text
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
    {
        if token[0] == b'@'
            || token.len() >= 7 && token[..7].eq_ignore_ascii_case(b"http://")
            || token.len() >= 8 && token[..8].eq_ignore_ascii_case(b"https://")
            || token.len() >= 4 && token[..4].eq_ignore_ascii_case(b"www.")
        {
            continue;
        }
        let mut pending_space = !out.is_empty();
        for b in token {
            if b.is_ascii_alphanumeric() {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(b.to_ascii_lowercase() as char);
            } else {
                pending_space = !out.is_empty();
            }
        }
    }
}

/// The number of words of a normalized text (single spaces between words, none at the ends).
pub fn word_count(norm: &str) -> usize {
    if norm.is_empty() {
        0
    } else {
        norm.bytes().filter(|b| *b == b' ').count() + 1
    }
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
    fn the_ascii_fast_path_agrees_with_the_unicode_path() {
        // The same text once pure ASCII and once with a non-ASCII character appended, which
        // normalizes to a separate trailing word.
        for t in [
            "RT @acme: Big SALE &amp; more!! #Deals https://t.co/x 50%",
            "  a--b  HTTP://X.COM www.y.org c.d @e f@g  ",
            "Amsterdam 14:00 weather: 12°C",
            "",
        ] {
            let ascii: String = t.chars().filter(char::is_ascii).collect();
            let mixed = format!("{ascii} é");
            let want = normalize(&mixed);
            let got = normalize(&ascii);
            assert_eq!(
                if got.is_empty() {
                    "é".to_string()
                } else {
                    format!("{got} é")
                },
                want,
                "{t:?}"
            );
        }
    }

    #[test]
    fn empty_and_mention_only_texts_normalize_to_nothing() {
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("@someone https://t.co/abc"), "");
    }
}
