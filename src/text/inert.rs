//! Text from the data (account ids, handles, app and client names, post text) made inert for the
//! human-facing outputs: a terminal must not run escape sequences hidden in a handle, and a
//! Markdown viewer must not render headings, tables, HTML or links hidden in a post. Each output
//! format has one function here, applied to every value from the data it shows; JSON needs none
//! (serde escapes control characters) and HTML has its own escaping.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters a terminal or a viewer would act on rather than show: C0 and C1 controls (escape
/// sequences, carriage returns, bells), DEL, line and paragraph separators, and the
/// bidirectional overrides and isolates that make text read in a different order than it is
/// stored.
fn acts_on_display(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// A value from the data as text for a terminal or a plain-text file: every character that
/// [acts on the display](acts_on_display), newlines and tabs included, is shown as a Rust-style
/// escape (`\u{1b}`), so what is printed is exactly what is stored, visibly.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(acts_on_display) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if acts_on_display(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Plain text of our own (messages built around data) made safe for a terminal whole: like
/// [`visible`], but line breaks are kept.
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && acts_on_display(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.split('\n').map(visible).collect::<Vec<_>>().join("\n"))
}

/// A value from the data as Markdown text that renders as itself, in a table cell or a list
/// item: controls shown as in [`visible`], and every character that could start Markdown
/// structure backslash-escaped — emphasis, code, headings, table cells, HTML tags, entities,
/// math, a list marker at the start, and the `:` of `scheme://` and the dots of `www.` that
/// GitHub would turn into links. A word GitHub would make a mail link of (`name@host.tld`) goes
/// in a code span, where no link is made. Other punctuation is left as it is, so the Markdown
/// stays readable as text.
pub fn markdown(s: &str) -> String {
    let shown = visible(s);
    let mut out = String::with_capacity(shown.len() + 8);
    for (i, word) in shown.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if looks_like_mail(word) {
            code_span(&mut out, word);
            continue;
        }
        let www = word.to_ascii_lowercase().contains("www.");
        // `1.` or `2)` opening the value would start an ordered list.
        let list_number = i == 0 && {
            let digits = word.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0 && matches!(word.as_bytes().get(digits), Some(b'.' | b')'))
        };
        for (j, c) in word.char_indices() {
            let escape = match c {
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&' | '$' => {
                    true
                }
                ':' => word[j + 1..].starts_with('/'),
                '.' => www || list_number,
                ')' => list_number,
                '-' | '+' => i == 0 && j == 0,
                _ => false,
            };
            if escape {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// GitHub's extended autolinks make a mail link of any `x@y.z`, however its characters are
/// escaped: only a code span stops them.
fn looks_like_mail(word: &str) -> bool {
    word.split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
}

/// `word` as a code span, fenced by more backticks than it holds in a row. A `|` stays escaped:
/// in a table, GitHub splits cells on it even inside code.
fn code_span(out: &mut String, word: &str) {
    let longest = word.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let _ = write!(out, "{fence} {} {fence}", word.replace('|', "\\|"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_and_bidi_overrides_are_shown_not_acted_on() {
        assert_eq!(visible("a\x1b]0;pwned\x07b"), "a\\u{1b}]0;pwned\\u{7}b");
        assert_eq!(visible("\x1b[2J"), "\\u{1b}[2J");
        assert_eq!(visible("abc\u{202E}fed"), "abc\\u{202e}fed");
        assert_eq!(visible("a\nb\r"), "a\\u{a}b\\u{d}");
        assert_eq!(visible("\u{9b}31m"), "\\u{9b}31m");
        assert!(matches!(visible("plain @handle é 漢字"), Cow::Borrowed(_)));
        assert_eq!(visible_lines("one\ntwo\x1b"), "one\ntwo\\u{1b}");
    }

    #[test]
    fn markdown_from_data_cannot_open_structure_html_or_links() {
        assert_eq!(markdown("# head"), "\\# head");
        assert_eq!(markdown("a | b"), "a \\| b");
        assert_eq!(
            markdown("<script>alert(1)</script>"),
            "\\<script\\>alert(1)\\</script\\>"
        );
        assert_eq!(
            markdown("[x](javascript:alert(1))"),
            "\\[x\\](javascript:alert(1))"
        );
        assert_eq!(
            markdown("see https://evil.example"),
            "see https\\://evil.example"
        );
        assert_eq!(markdown("www.evil.example"), "www\\.evil\\.example");
        assert_eq!(markdown("mail me@evil.example"), "mail ` me@evil.example `");
        assert_eq!(markdown("a`b@c.d"), "`` a`b@c.d ``");
        assert_eq!(markdown("- item"), "\\- item");
        assert_eq!(markdown("12. item"), "12\\. item");
        assert_eq!(markdown("x\ny"), "x\\\\u{a}y");
        assert_eq!(markdown("&amp; *b* $x$"), "\\&amp; \\*b\\* \\$x\\$");
    }

    #[test]
    fn our_own_sentences_stay_readable() {
        let s = "needs direct messages: an archive (direct-messages.js), or a log; 40 posts.";
        assert_eq!(markdown(s), s);
    }
}
