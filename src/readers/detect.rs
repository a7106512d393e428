//! Which kind of input a path is, from its content (the extension only breaks ties).

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use serde_json::Value;

use crate::error::InputError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Archive,
    Webhook,
    Generic,
    Trends,
}

impl InputKind {
    /// Which copy of an event seen in several inputs of one ingest is kept (lower first): the
    /// store keeps the first copy it receives, so inputs are read in waves of this rank. A
    /// webhook log knows the client of every action (DMs through its `apps` map), a bot's own log
    /// usually does too, while an archive's DMs carry none. None for trend logs: they hold no
    /// events, so any wave will do.
    pub fn precedence(self) -> Option<u8> {
        match self {
            InputKind::Webhook => Some(0),
            InputKind::Generic => Some(1),
            InputKind::Archive => Some(2),
            InputKind::Trends => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Archive => "archive",
            InputKind::Webhook => "webhook",
            InputKind::Generic => "generic",
            InputKind::Trends => "trends",
        }
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InputKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "archive" => Ok(InputKind::Archive),
            "webhook" | "activity" => Ok(InputKind::Webhook),
            "generic" => Ok(InputKind::Generic),
            "trends" => Ok(InputKind::Trends),
            other => Err(format!(
                "unknown input kind {other:?}; expected archive, webhook, generic or trends"
            )),
        }
    }
}

const EXPECTED: &str = "expected an X archive (.zip or its folder), an Account Activity / X Activity API log (.jsonl), a generic event log (.jsonl, .csv or .parquet with account_id, ts and kind), or trend snapshots (trends/place JSON, JSONL, v2 JSON or CSV)";

/// Bytes read to recognize an input.
const HEAD: usize = 64 * 1024;
/// Longest first record read to recognize a JSONL input.
const MAX_FIRST_RECORD: u64 = 64 << 20;

/// Whether the first bytes of a file open a JSON value (after a byte-order mark and whitespace).
pub fn starts_like_json(head: &[u8]) -> bool {
    String::from_utf8_lossy(head)
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with(['{', '['])
}

pub fn detect(path: &Path) -> Result<InputKind, InputError> {
    let shown = path.display().to_string();
    if path.is_dir() {
        return Ok(InputKind::Archive);
    }
    let mut f = std::fs::File::open(path)
        .map_err(|e| InputError::file(&shown, format!("cannot open: {e}")))?;
    let mut head = vec![0u8; HEAD];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(InputError::file(&shown, format!("cannot read: {e}"))),
        }
    }
    head.truncate(n);
    // A JSONL log's first record can be longer than the head (a post with a long thread of
    // entities): read on to the end of that line, within a bound, so the record is recognized.
    if head.len() == HEAD && !head.contains(&b'\n') && starts_like_json(&head) {
        let mut more = Vec::new();
        let rest = (&mut f).take(MAX_FIRST_RECORD - HEAD as u64);
        let mut rest = std::io::BufReader::new(rest);
        std::io::BufRead::read_until(&mut rest, b'\n', &mut more)
            .map_err(|e| InputError::file(&shown, format!("cannot read: {e}")))?;
        head.extend_from_slice(&more);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(InputKind::Archive);
    }
    if head.starts_with(b"PAR1") {
        return Ok(InputKind::Generic);
    }
    let text = String::from_utf8_lossy(&head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Err(InputError::file(
            &shown,
            format!("the file is empty; {EXPECTED}"),
        ));
    }
    if trimmed.starts_with("window.YTD") || trimmed.starts_with("Grailbird.data") {
        return Err(InputError::file(
            &shown,
            "this is one data file of an X archive: pass the whole archive (.zip) or its extracted folder",
        ));
    }
    let first_line = trimmed.lines().next().unwrap_or_default();
    if !first_line.starts_with('{') && !first_line.starts_with('[') {
        // CSV: decide by the header.
        let cols: Vec<String> = first_line
            .split(',')
            .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
            .collect();
        let has = |c: &str| cols.iter().any(|x| x == c);
        if has("account_id") && has("kind") && has("ts") {
            return Ok(InputKind::Generic);
        }
        if (has("name") || has("trend") || has("trend_name"))
            && (has("as_of") || has("time") || has("timestamp"))
        {
            return Ok(InputKind::Trends);
        }
        return Err(InputError::file(
            &shown,
            format!(
                "unrecognized input (a CSV header without account_id, ts and kind, or name and as_of?); {EXPECTED}"
            ),
        ));
    }
    if let Ok(v) = serde_json::from_str::<Value>(first_line) {
        if let Some(k) = classify_json(&v) {
            return Ok(k);
        }
    } else if text.contains("\"trends\"") || text.contains("\"trend_name\"") {
        return Ok(InputKind::Trends);
    }
    Err(InputError::file(
        &shown,
        format!("unrecognized input; {EXPECTED}"),
    ))
}

fn classify_json(v: &Value) -> Option<InputKind> {
    match v {
        Value::Array(a) => a.first().and_then(classify_json),
        Value::Object(o) => {
            if o.contains_key("for_user_id") || o.contains_key("user_event") {
                return Some(InputKind::Webhook);
            }
            if o.contains_key("trends") {
                return Some(InputKind::Trends);
            }
            if let Some(d) = o.get("data") {
                if d.get("event_type").is_some() {
                    return Some(InputKind::Webhook);
                }
                if d.as_array()
                    .and_then(|a| a.first())
                    .is_some_and(|x| x.get("trend_name").is_some())
                {
                    return Some(InputKind::Trends);
                }
            }
            if o.contains_key("account_id") && o.contains_key("kind") {
                return Some(InputKind::Generic);
            }
            None
        }
        _ => None,
    }
}
