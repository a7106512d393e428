//! The metadata header of a rule file: `-- key: value` lines before the SQL. Continuation lines
//! (`--` and at least two spaces) extend the previous value. Unknown, missing and duplicate keys
//! are errors that name the file and line.

use std::collections::BTreeMap;

use crate::error::{InputError, Position};

/// Keys a header may have; `param <name>` may repeat with different names.
const KEYS: [&str; 13] = [
    "id",
    "title",
    "section",
    "severity",
    "needs",
    "metric",
    "threshold",
    "param",
    "what",
    "why",
    "example",
    "remediation",
    "scope",
];
const REQUIRED: [&str; 9] = [
    "id",
    "title",
    "section",
    "severity",
    "needs",
    "what",
    "why",
    "example",
    "remediation",
];

#[derive(Debug, Clone, PartialEq)]
pub struct RawParam {
    pub name: String,
    pub default: f64,
    pub doc: String,
    pub line: u64,
}

#[derive(Debug, Clone, Default)]
pub struct RawHeader {
    pub values: BTreeMap<String, (String, u64)>,
    pub params: Vec<RawParam>,
    /// The SQL after the header, and the line it starts on.
    pub sql: String,
    pub sql_line: u64,
}

pub fn parse(file: &str, text: &str) -> Result<RawHeader, InputError> {
    let err = |line: u64, what: String| {
        InputError::new(
            file,
            Position {
                line: Some(line),
                ..Default::default()
            },
            what,
        )
    };
    let mut h = RawHeader::default();
    let mut last: Option<(String, bool)> = None; // (key, is_param)
    let mut sql_start = None;
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        let Some(rest) = line.strip_prefix("--") else {
            sql_start = Some(i);
            break;
        };
        if rest.trim().is_empty() {
            continue;
        }
        if rest.starts_with("  ") {
            // continuation of the previous value
            let Some((key, is_param)) = &last else {
                return Err(err(
                    n,
                    "a continuation line before any `-- key: value`".into(),
                ));
            };
            let piece = rest.trim();
            if *is_param {
                let p = h.params.last_mut().expect("a param was just added");
                p.doc.push(' ');
                p.doc.push_str(piece);
            } else {
                let v = h.values.get_mut(key).expect("the key was just added");
                v.0.push('\n');
                v.0.push_str(piece);
            }
            continue;
        }
        let rest = rest.trim_start();
        let Some((key, value)) = rest.split_once(':') else {
            return Err(err(
                n,
                format!("expected `-- key: value`, found {:?}", line),
            ));
        };
        let key = key.trim();
        let value = value.trim().to_string();
        if let Some(name) = key.strip_prefix("param ") {
            let name = name.trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(err(
                    n,
                    format!("parameter name {name:?} must be snake_case"),
                ));
            }
            if h.params.iter().any(|p| p.name == name) {
                return Err(err(n, format!("duplicate parameter `{name}`")));
            }
            let (default, doc) = value
                .split_once('|')
                .map(|(a, b)| (a.trim(), b.trim()))
                .unwrap_or((value.as_str(), ""));
            let default: f64 = default.parse().map_err(|_| err(n, format!("parameter `{name}`: default {default:?} is not a number; expected `-- param {name}: <number> | <what it means>`")))?;
            if doc.is_empty() {
                return Err(err(
                    n,
                    format!("parameter `{name}` has no description after `|`"),
                ));
            }
            h.params.push(RawParam {
                name: name.to_string(),
                default,
                doc: doc.to_string(),
                line: n,
            });
            last = Some((name.to_string(), true));
            continue;
        }
        if !KEYS.contains(&key) || key == "param" {
            return Err(err(
                n,
                format!(
                    "unknown header key `{key}`; expected one of: {}",
                    KEYS.join(", ")
                ),
            ));
        }
        if h.values.contains_key(key) {
            return Err(err(n, format!("duplicate header key `{key}`")));
        }
        h.values.insert(key.to_string(), (value, n));
        last = Some((key.to_string(), false));
    }
    for k in REQUIRED {
        if !h.values.contains_key(k) {
            return Err(err(
                1,
                format!(
                    "missing header key `{k}` (required: {})",
                    REQUIRED.join(", ")
                ),
            ));
        }
    }
    let start = sql_start.ok_or_else(|| {
        err(
            text.lines().count() as u64,
            "no SQL after the header".into(),
        )
    })?;
    h.sql = text.lines().skip(start).collect::<Vec<_>>().join("\n");
    h.sql_line = start as u64 + 1;
    if h.sql.trim().is_empty() {
        return Err(err(h.sql_line, "no SQL after the header".into()));
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "-- id: x\n-- title: X\n-- section: II.C\n-- severity: deny\n-- needs: dms\n-- param limit: 5 | how many\n--   at most\n-- what: finds\n--   things\n-- why: bad\n-- example: e\n-- remediation: r\nSELECT 1\n";

    #[test]
    fn a_complete_header_parses_with_continuations() {
        let h = parse("x.sql", GOOD).unwrap();
        assert_eq!(h.values["what"].0, "finds\nthings");
        assert_eq!(
            h.params[0],
            RawParam {
                name: "limit".into(),
                default: 5.0,
                doc: "how many at most".into(),
                line: 6
            }
        );
        assert_eq!(h.sql_line, 13);
    }

    #[test]
    fn unknown_keys_are_errors_with_file_and_line() {
        let e = parse("x.sql", &GOOD.replace("-- why: bad", "-- whyy: bad")).unwrap_err();
        assert_eq!(e.position.line, Some(10));
        assert!(e.reason.contains("unknown header key `whyy`"), "{e}");
    }

    #[test]
    fn missing_and_duplicate_keys_are_errors() {
        let e = parse("x.sql", &GOOD.replace("-- remediation: r\n", "")).unwrap_err();
        assert!(e.reason.contains("missing header key `remediation`"), "{e}");
        let e = parse(
            "x.sql",
            &GOOD.replace("-- why: bad", "-- why: bad\n-- title: again"),
        )
        .unwrap_err();
        assert!(e.reason.contains("duplicate header key `title`"), "{e}");
        let e = parse(
            "x.sql",
            &GOOD.replace(
                "-- param limit: 5 | how many",
                "-- param limit: 5 | a\n-- param limit: 6 | b",
            ),
        )
        .unwrap_err();
        assert!(e.reason.contains("duplicate parameter"), "{e}");
    }

    #[test]
    fn parameter_defaults_must_be_numbers_with_a_description() {
        assert!(
            parse(
                "x.sql",
                &GOOD.replace("limit: 5 | how many", "limit: five | how many")
            )
            .unwrap_err()
            .reason
            .contains("not a number")
        );
        assert!(
            parse("x.sql", &GOOD.replace("limit: 5 | how many", "limit: 5"))
                .unwrap_err()
                .reason
                .contains("no description")
        );
    }
}
