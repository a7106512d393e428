//! Word lists per language (`data/lexicons/{en,nl,tr}.toml`): profanity and adult terms, personal
//! data, ways of asking for it, private channels, highly sensitive data, and negations. Entries
//! match normalized text as whole words; an entry ending in `*` also matches longer forms of its
//! last word (Turkish suffixes: `telefon numara*` matches "telefon numaranızı").

use std::collections::BTreeMap;

use ahash::AHashMap as HashMap;
use std::sync::LazyLock;

use super::normalize;

pub const CATEGORIES: [&str; 7] = [
    "profanity",
    "personal_data",
    "public_request",
    "private_channel",
    "sensitive_data",
    "dm_request",
    "negation",
];

pub const LANGUAGES: [(&str, &str); 3] = [
    ("en", include_str!("../../data/lexicons/en.toml")),
    ("nl", include_str!("../../data/lexicons/nl.toml")),
    ("tr", include_str!("../../data/lexicons/tr.toml")),
];

#[derive(Debug)]
struct Entry {
    /// As written in the data file, without the prefix mark.
    term: String,
    words: Vec<String>,
    prefix_last: bool,
}

#[derive(Debug)]
pub struct Category {
    /// Entries by their first word (exact).
    by_first: HashMap<String, Vec<Entry>>,
    /// One-word prefix entries (`fuck*`), checked against every word that starts with the first
    /// byte of one of them.
    prefixes: Vec<Entry>,
    /// Per first byte, the lengths (bit `len`, 63 for longer) of the `by_first` words: most words
    /// of a text are ruled out without hashing them (a category is read in every post).
    first_lengths: [u64; 256],
    /// The first bytes of the prefix entries.
    prefix_starts: [bool; 256],
}

impl Default for Category {
    fn default() -> Self {
        Category {
            by_first: HashMap::default(),
            prefixes: Vec::new(),
            first_lengths: [0; 256],
            prefix_starts: [false; 256],
        }
    }
}

fn length_bit(word: &str) -> u64 {
    1 << word.len().min(63)
}

impl Category {
    fn add(&mut self, term: &str) {
        let prefix_last = term.ends_with('*');
        let words: Vec<String> = normalize(term.trim_end_matches('*'))
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let Some(first) = words.first().cloned() else {
            return;
        };
        let e = Entry {
            term: term.trim_end_matches('*').to_string(),
            words,
            prefix_last,
        };
        // `first` has a first byte: empty words are filtered out above.
        if e.prefix_last && e.words.len() == 1 {
            self.prefix_starts[first.as_bytes()[0] as usize] = true;
            self.prefixes.push(e);
        } else {
            self.first_lengths[first.as_bytes()[0] as usize] |= length_bit(&first);
            self.by_first.entry(first).or_default().push(e);
        }
    }

    /// The entries found in a normalized text, each once, in order of appearance.
    pub fn find<'a>(&'a self, norm: &str) -> Vec<&'a str> {
        let words: Vec<&str> = norm.split(' ').collect();
        let mut out: Vec<&str> = Vec::new();
        let mut push = |t: &'a str| {
            if !out.contains(&t) {
                out.push(t);
            }
        };
        for i in 0..words.len() {
            let Some(&start) = words[i].as_bytes().first() else {
                continue;
            };
            if self.first_lengths[start as usize] & length_bit(words[i]) != 0
                && let Some(entries) = self.by_first.get(words[i])
            {
                for e in entries {
                    if matches_at(&words[i..], e) {
                        push(&e.term);
                    }
                }
            }
            if self.prefix_starts[start as usize] {
                for e in &self.prefixes {
                    if words[i].starts_with(e.words[0].as_str()) {
                        push(&e.term);
                    }
                }
            }
        }
        out
    }
}

/// How many other words a multi-word entry may have inserted between its words: "deel hieronder
/// je telefoonnummer" is still "deel je" (share your) phone number.
pub const MAX_INSERTED_WORDS: usize = 2;

/// Whether `e` matches the words starting at `words[0]`: its first word there, each next word
/// after at most [`MAX_INSERTED_WORDS`] other words in all.
fn matches_at(words: &[&str], e: &Entry) -> bool {
    let last = e.words.len() - 1;
    let fits = |k: usize, word: &str| {
        if k == last && e.prefix_last {
            word.starts_with(e.words[k].as_str())
        } else {
            word == e.words[k]
        }
    };
    if words.is_empty() || !fits(0, words[0]) {
        return false;
    }
    let mut at = 1;
    let mut inserted = 0;
    for k in 1..e.words.len() {
        loop {
            let Some(word) = words.get(at) else {
                return false;
            };
            at += 1;
            if fits(k, word) {
                break;
            }
            inserted += 1;
            if inserted > MAX_INSERTED_WORDS {
                return false;
            }
        }
    }
    true
}

static LEXICON: LazyLock<BTreeMap<&'static str, Category>> = LazyLock::new(|| {
    let mut out: BTreeMap<&'static str, Category> = CATEGORIES
        .iter()
        .map(|c| (*c, Category::default()))
        .collect();
    for (lang, text) in LANGUAGES {
        let table: toml::Table = toml::from_str(text)
            .unwrap_or_else(|e| panic!("data/lexicons/{lang}.toml is invalid: {e}"));
        for (key, value) in table {
            let cat = out
                .get_mut(key.as_str())
                .unwrap_or_else(|| panic!("data/lexicons/{lang}.toml: unknown list `{key}`"));
            for term in value.as_array().into_iter().flatten() {
                cat.add(term.as_str().unwrap_or_else(|| {
                    panic!("data/lexicons/{lang}.toml: `{key}` has a non-string entry")
                }));
            }
        }
    }
    out
});

/// A category of the lexicon, or `None` when there is no such category.
pub fn category(name: &str) -> Option<&'static Category> {
    LEXICON.get(name)
}

/// The entries of a category found in a normalized text.
pub fn find(name: &str, norm: &str) -> Vec<&'static str> {
    category(name).map(|c| c.find(norm)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(cat: &str, text: &str) -> Vec<&'static str> {
        find(cat, &normalize(text))
    }

    #[test]
    fn every_language_file_is_valid_and_fills_every_category() {
        for (lang, text) in LANGUAGES {
            let table: toml::Table = toml::from_str(text).unwrap();
            for c in CATEGORIES {
                assert!(
                    table
                        .get(c)
                        .and_then(|v| v.as_array())
                        .is_some_and(|a| !a.is_empty()),
                    "{lang}: {c}"
                );
            }
        }
    }

    #[test]
    fn english_terms_match_whole_words() {
        assert_eq!(found("profanity", "What the FUCKING hell"), vec!["fuck"]);
        assert!(found("profanity", "Scunthorpe and Dickens, pass the shitake").is_empty());
        assert_eq!(
            found("personal_data", "Reply with your phone number"),
            vec!["phone number"]
        );
        assert_eq!(
            found("private_channel", "Please DM us"),
            vec!["dm", "dm us"]
        );
    }

    /// Issue 22: one inserted word let a request escape the exact phrase "deel je".
    #[test]
    fn multi_word_entries_allow_a_few_inserted_words() {
        assert_eq!(
            found("public_request", "Deel hieronder je telefoonnummer"),
            vec!["deel je"]
        );
        assert_eq!(
            found("personal_data", "Deel hieronder je telefoonnummer"),
            vec!["telefoonnummer"]
        );
        assert_eq!(
            found("public_request", "deel dan hier maar je adres"),
            Vec::<&str>::new(),
            "three inserted words are no longer one phrase"
        );
        assert_eq!(
            found("personal_data", "Reply with your mobile phone number"),
            vec!["mobile number", "phone number"]
        );
    }

    #[test]
    fn dutch_terms() {
        assert_eq!(found("profanity", "Wat een klote dag"), vec!["klote"]);
        assert_eq!(
            found("personal_data", "Wat is uw bestelnummer?"),
            vec!["bestelnummer"]
        );
        assert_eq!(found("sensitive_data", "Stuur je pincode"), vec!["pincode"]);
    }

    #[test]
    fn turkish_terms_with_suffixes_and_dotted_capitals() {
        assert_eq!(
            found("personal_data", "Telefon numaranızı yazar mısınız?"),
            vec!["telefon numara"]
        );
        assert_eq!(found("sensitive_data", "ŞİFRENİZİ gönderin"), vec!["şifre"]);
        assert!(found("profanity", "Bugün çok sıkıntılı bir gün").is_empty());
    }
}
