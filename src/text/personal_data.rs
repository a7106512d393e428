//! Personal data in text, found by pattern and confirmed by checksum (RULES.md,
//! `private_information`): payment cards (Luhn, with issuer prefixes and lengths), IBANs (mod-97,
//! every country's length from `data/iban_lengths.tsv`), Dutch BSNs (11-check) and Turkish T.C.
//! kimlik numbers (both check digits), plus phone numbers and e-mail addresses, which have no
//! checksum. A 16-digit order number that fails Luhn is not a card.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    PaymentCard,
    Iban,
    Bsn,
    TcKimlik,
    Phone,
    Email,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PaymentCard => "payment_card",
            Kind::Iban => "iban",
            Kind::Bsn => "bsn",
            Kind::TcKimlik => "tc_kimlik",
            Kind::Phone => "phone",
            Kind::Email => "email",
        }
    }

    /// Checksum-confirmed identifiers of money or identity; phone numbers and e-mail addresses
    /// are contact data.
    pub fn checksummed(self) -> bool {
        matches!(
            self,
            Kind::PaymentCard | Kind::Iban | Kind::Bsn | Kind::TcKimlik
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    /// The matched text as written.
    pub value: String,
}

/// Luhn check over a digit string.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// Whether a digit string has the prefix and length of a card network's numbers.
pub fn card_issuer(digits: &str) -> Option<&'static str> {
    let len = digits.len();
    let prefix = |n: usize| digits[..n.min(len)].parse::<u32>().unwrap_or(0);
    let (p1, p2, p3, p4) = (prefix(1), prefix(2), prefix(3), prefix(4));
    if p1 == 4 && matches!(len, 13 | 16 | 19) {
        Some("visa")
    } else if ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && len == 16 {
        Some("mastercard")
    } else if matches!(p2, 34 | 37) && len == 15 {
        Some("amex")
    } else if (2200..=2204).contains(&p4) && (16..=19).contains(&len) {
        Some("mir")
    } else if p4 == 9792 && len == 16 {
        Some("troy")
    } else if (matches!(p2, 60 | 81 | 82) && p4 != 6011 || p3 == 508) && len == 16 {
        Some("rupay")
    } else if (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65) && (16..=19).contains(&len) {
        Some("discover")
    } else if (3528..=3589).contains(&p4) && (16..=19).contains(&len) {
        Some("jcb")
    } else if ((300..=305).contains(&p3) || p2 == 36 || p2 == 38) && (14..=19).contains(&len) {
        Some("diners")
    } else if p2 == 62 && (16..=19).contains(&len) {
        Some("unionpay")
    } else if (p2 == 50 || (56..=69).contains(&p2)) && (12..=19).contains(&len) {
        Some("maestro")
    } else {
        None
    }
}

static IBAN_LENGTHS: LazyLock<HashMap<String, usize>> = LazyLock::new(|| {
    include_str!("../../data/iban_lengths.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (cc, n) = l
                .split_once('\t')
                .expect("data/iban_lengths.tsv: country<TAB>length");
            (
                cc.to_string(),
                n.trim()
                    .parse()
                    .expect("data/iban_lengths.tsv: numeric length"),
            )
        })
        .collect()
});

/// IBAN check: the country's length and BBAN format (which positions are letters or digits, from
/// the SWIFT IBAN registry, through `iban_validate`) and mod-97 of the rearranged number is 1.
pub fn iban_valid(compact: &str) -> bool {
    let s = compact.to_ascii_uppercase();
    s.len() >= 5 && IBAN_LENGTHS.get(&s[..2]) == Some(&s.len()) && s.parse::<iban::Iban>().is_ok()
}

/// Dutch BSN 11-check: 9 digits, weights 9…2 and −1, the sum a multiple of 11 (and not 0).
pub fn bsn_valid(digits: &str) -> bool {
    if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d: Vec<i32> = digits.bytes().map(|b| i32::from(b - b'0')).collect();
    let sum: i32 = (0..8).map(|i| d[i] * (9 - i as i32)).sum::<i32>() - d[8];
    sum != 0 && sum % 11 == 0
}

/// Turkish T.C. kimlik no: 11 digits, no leading zero, the 10th and 11th digits check digits.
pub fn tc_kimlik_valid(digits: &str) -> bool {
    if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d: Vec<i32> = digits.bytes().map(|b| i32::from(b - b'0')).collect();
    if d[0] == 0 {
        return false;
    }
    let odd = d[0] + d[2] + d[4] + d[6] + d[8];
    let even = d[1] + d[3] + d[5] + d[7];
    let d10 = (odd * 7 - even).rem_euclid(10);
    let d11 = (d[..10].iter().sum::<i32>()) % 10;
    d[9] == d10 && d[10] == d11
}

#[derive(Deserialize)]
struct Context {
    context: HashMap<String, Vec<String>>,
}

static CONTEXT: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    toml::from_str::<Context>(include_str!("../../data/personal_data.toml"))
        .expect("data/personal_data.toml is valid")
        .context
});

fn has_context(lower_text: &str, kind: &str) -> bool {
    CONTEXT
        .get(kind)
        .is_some_and(|words| words.iter().any(|w| lower_text.contains(w.as_str())))
}

struct Patterns {
    digits: Regex,
    iban: Regex,
    email: Regex,
    phone: Regex,
}

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    Patterns {
    // runs of digits with single spaces, dots or dashes between groups
    digits: Regex::new(r"\b\d(?:[ .\-]?\d){7,18}\b").expect("valid"),
    iban: Regex::new(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}\b").expect("valid"),
    email: Regex::new(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b")
        .expect("valid"),
    // international (+country code), or common national mobile forms (NL 06, TR 05xx, US)
    phone: Regex::new(
        r"(?:\+\d{1,3}[ \-.]?(?:\(0\))?(?:\(?\d{1,4}\)?[ \-.]?){2,5}\d{2,4}|\b06[ \-]?\d{8}\b|\b05\d{2}[ ]?\d{3}[ ]?\d{2}[ ]?\d{2}\b|\(\d{3}\) ?\d{3}-\d{4}|\b\d{3}-\d{3}-\d{4}\b)",
    )
    .expect("valid"),
}
});

/// Every piece of personal data in `text`, in order of appearance within each kind.
pub fn find(text: &str) -> Vec<Found> {
    // Most posts have neither 8 digits (the shortest phone number, IBAN or card has more) nor an
    // `@` right after a letter (an e-mail address; a mention has a space before it): skip them
    // without running the patterns.
    let bytes = text.as_bytes();
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    let maybe_email = bytes
        .windows(2)
        .any(|w| w[1] == b'@' && (w[0].is_ascii_alphanumeric() || b"._%+-".contains(&w[0])));
    if digits < 8 && !maybe_email {
        return Vec::new();
    }
    let p = &*PATTERNS;
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for m in p.iban.find_iter(text) {
        // The pattern may run on into the next word ("NL91 ABNA 0417 1643 00 aub"): cut the match
        // at the country's length.
        let Some(len) = IBAN_LENGTHS.get(&m.as_str()[..2].to_ascii_uppercase()) else {
            continue;
        };
        let mut seen = 0;
        let Some(end) = m.as_str().char_indices().find_map(|(i, c)| {
            if c != ' ' {
                seen += 1;
            }
            (seen == *len).then_some(i + c.len_utf8())
        }) else {
            continue;
        };
        let raw = &m.as_str()[..end];
        let compact: String = raw.chars().filter(|c| *c != ' ').collect();
        if iban_valid(&compact) {
            taken.push((m.start(), m.start() + end));
            out.push(Found {
                kind: Kind::Iban,
                value: raw.to_string(),
            });
        }
    }
    for m in p.digits.find_iter(text) {
        if taken.iter().any(|(s, e)| m.start() < *e && *s < m.end()) {
            continue;
        }
        let digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
        let kind = if card_issuer(&digits).is_some() && luhn(&digits) {
            Some(Kind::PaymentCard)
        } else if bsn_valid(&digits) && has_context(&lower, "bsn") {
            Some(Kind::Bsn)
        } else if tc_kimlik_valid(&digits) && has_context(&lower, "tc_kimlik") {
            Some(Kind::TcKimlik)
        } else {
            None
        };
        if let Some(kind) = kind {
            taken.push((m.start(), m.end()));
            out.push(Found {
                kind,
                value: m.as_str().to_string(),
            });
        }
    }
    for m in p.email.find_iter(text) {
        out.push(Found {
            kind: Kind::Email,
            value: m.as_str().to_string(),
        });
    }
    for m in p.phone.find_iter(text) {
        if taken.iter().any(|(s, e)| m.start() < *e && *s < m.end()) {
            continue;
        }
        let digits = m.as_str().chars().filter(char::is_ascii_digit).count();
        if (8..=15).contains(&digits) {
            out.push(Found {
                kind: Kind::Phone,
                value: m.as_str().trim().to_string(),
            });
        }
    }
    out
}

/// The value with all but its last four letters or digits masked, for reports.
pub fn redact(value: &str) -> String {
    let total = value.chars().filter(|c| c.is_ascii_alphanumeric()).count();
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                seen += 1;
                if seen + 4 <= total { '•' } else { c }
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        find(text).into_iter().map(|f| f.kind).collect()
    }

    #[test]
    fn luhn_valid_card_numbers_with_issuer_prefixes_are_cards() {
        assert_eq!(
            kinds("card 4539 1488 0343 6467 thanks"),
            vec![Kind::PaymentCard]
        );
        assert_eq!(kinds("5500-0000-0000-0004"), vec![Kind::PaymentCard]);
        assert_eq!(kinds("amex 378282246310005"), vec![Kind::PaymentCard]);
    }

    /// Issue 22: Luhn-valid numbers of Troy, Mir, RuPay, JCB and UnionPay were not reported.
    #[test]
    fn every_card_network_is_a_card() {
        for (number, network) in [
            ("9792 0000 0000 0011", "troy"),
            ("2200 0000 0000 0004", "mir"),
            ("2204 3000 0000 0004", "mir"),
            ("8172 0000 0000 0005", "rupay"),
            ("6070 0000 0000 0002", "rupay"),
            ("5085 0000 0000 0007", "rupay"),
            ("3530 0000 0000 0003", "jcb"),
            ("6200 0000 0000 0005", "unionpay"),
        ] {
            let digits = number.replace(' ', "");
            assert!(luhn(&digits), "{number}");
            assert_eq!(card_issuer(&digits), Some(network), "{number}");
            assert_eq!(
                kinds(&format!("my card {number}")),
                vec![Kind::PaymentCard],
                "{number}"
            );
        }
    }

    #[test]
    fn a_sixteen_digit_order_number_that_fails_luhn_is_not_a_card() {
        assert!(!luhn("4539148803436468"));
        assert!(kinds("Your order 4539 1488 0343 6468 has shipped").is_empty());
        // Luhn-valid but no card network starts with 9
        assert!(luhn("9999999999999995"));
        assert!(kinds("tracking 9999999999999995").is_empty());
    }

    #[test]
    fn ibans_need_the_country_length_and_mod_97() {
        assert!(iban_valid("NL91ABNA0417164300"));
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(iban_valid("TR330006100519786457841326"));
        assert!(!iban_valid("NL91ABNA0417164301"), "checksum");
        assert!(!iban_valid("NL91ABNA04171643000"), "length");
        // Issue 22: right length and checksum, but Dutch account numbers are digits.
        assert!(!iban_valid("NL15ABNA041716430X"), "format");
        assert_eq!(
            kinds("Maak over naar NL91 ABNA 0417 1643 00 aub"),
            vec![Kind::Iban]
        );
    }

    #[test]
    fn a_bsn_needs_the_eleven_check_and_the_word() {
        assert!(bsn_valid("111222333"));
        assert!(!bsn_valid("111222334"));
        assert_eq!(kinds("Mijn BSN is 111222333"), vec![Kind::Bsn]);
        assert!(
            kinds("Bestelling 111222333 is verzonden").is_empty(),
            "no context word"
        );
    }

    #[test]
    fn a_tc_kimlik_needs_both_check_digits_and_the_word() {
        assert!(tc_kimlik_valid("10000000146"));
        assert!(!tc_kimlik_valid("10000000147"));
        assert!(!tc_kimlik_valid("00000000146"), "no leading zero");
        assert_eq!(kinds("TC kimlik no: 10000000146"), vec![Kind::TcKimlik]);
        assert!(kinds("Sipariş 10000000146 kargoda").is_empty());
    }

    #[test]
    fn phones_and_emails_are_found_but_prices_and_dates_are_not() {
        assert_eq!(
            kinds("Call Anna on +31 6 1234 5678 or anna.devries@example.nl"),
            vec![Kind::Email, Kind::Phone]
        );
        assert_eq!(kinds("bel 06-12345678"), vec![Kind::Phone]);
        assert_eq!(kinds("Ayşe: 0532 123 45 67"), vec![Kind::Phone]);
        assert!(kinds("Tickets €25, doors 20:00, 2026-03-01, @someone").is_empty());
    }

    #[test]
    fn redaction_keeps_the_last_four() {
        assert_eq!(redact("4539 1488 0343 6467"), "•••• •••• •••• 6467");
    }
}
