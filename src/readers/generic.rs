//! Generic event logs: `.jsonl`, `.csv` and `.parquet` with the `events` column names (a bot's own
//! action log gets in this way, and it is the only source of timed list additions). `account_id`,
//! `ts` and `kind` are required; other known columns are optional; unknown columns are kept in
//! `attributes` (with a notice), never dropped silently.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::{InputError, Position};
use crate::model::{Event, Kind, Mention, Origin, UrlEntity, time};
use crate::readers::Output;
use crate::readers::api_tweet::unescape;
use crate::readers::guard::{OpenQuote, QuoteWatch, SkipBom, isolated};

const STRING_COLUMNS: [&str; 12] = [
    "actor_id",
    "target_user_id",
    "target_post_id",
    "post_id",
    "message_id",
    "conversation_id",
    "list_id",
    "text",
    "lang",
    "client",
    "client_id",
    "edit_of",
];
const OTHER_COLUMNS: [&str; 11] = [
    "event_id",
    "account_id",
    "ts",
    "ts_lower",
    "kind",
    "hashtags",
    "mentions",
    "mention_ids",
    "urls",
    "possibly_sensitive",
    "source",
];

/// The format of a generic log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Parquet,
}

pub fn read(path: &Path, file: &str, format: Format, out: &mut Output) -> Result<u64, InputError> {
    let open = || {
        std::fs::File::open(path).map_err(|e| InputError::file(file, format!("cannot open: {e}")))
    };
    let mut unknown = BTreeMap::new();
    let n = match format {
        Format::Jsonl => read_jsonl(file, SkipBom::new(open()?), out, &mut unknown)?,
        Format::Csv => read_csv(file, SkipBom::new(open()?), out, &mut unknown)?,
        Format::Parquet => read_parquet(file, open()?, out, &mut unknown)?,
    };
    for (col, count) in unknown {
        out.side.notices.push(format!(
            "{file}: column `{col}` is not an events column; kept in `attributes` ({count} rows)"
        ));
    }
    Ok(n)
}

fn read_jsonl(
    file: &str,
    r: impl Read,
    out: &mut Output,
    unknown: &mut BTreeMap<String, u64>,
) -> Result<u64, InputError> {
    let source: Arc<str> = Arc::from(file);
    let mut n = 0;
    for (i, line) in BufReader::new(r).split(b'\n').enumerate() {
        let pos = Position::line(i as u64 + 1);
        let bytes =
            line.map_err(|e| InputError::new(file, pos.clone(), format!("cannot read: {e}")))?;
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|e| {
                InputError::new(
                    file,
                    pos.clone(),
                    format!("invalid UTF-8 at column {}", e.valid_up_to() + 1),
                )
            })
            .and_then(|t| {
                if t.trim().is_empty() {
                    return Ok(None);
                }
                serde_json::from_str::<Map<String, Value>>(t)
                    .map(Some)
                    .map_err(|e| {
                        InputError::new(
                            file,
                            pos.clone(),
                            format!("expected one JSON object per line: {e}"),
                        )
                    })
            });
        match parsed.and_then(|m| {
            m.map(|m| row_to_event(file, &source, &pos, i as i64, m, unknown))
                .transpose()
        }) {
            Ok(Some(e)) => {
                n += 1;
                out.emit(e)?
            }
            Ok(None) => {}
            Err(e) => out.bad_record(e, Some(&bytes))?,
        }
    }
    Ok(n)
}

fn read_csv(
    file: &str,
    r: impl Read,
    out: &mut Output,
    unknown: &mut BTreeMap<String, u64>,
) -> Result<u64, InputError> {
    let source: Arc<str> = Arc::from(file);
    let (r, open_quote) = QuoteWatch::new(r);
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(r);
    let headers = rdr
        .headers()
        .map_err(|e| {
            InputError::new(
                file,
                Position::line(1),
                format!("cannot read the CSV header: {e}"),
            )
        })?
        .clone();
    let mut n = 0;
    let mut rec = csv::ByteRecord::new();
    let mut i = 0i64;
    loop {
        let line = rdr.position().line() + 1;
        let pos = Position {
            record: Some(i as u64),
            line: Some(line),
            byte: None,
        };
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let err = match open_quote.unclosed() {
                    Some(opened) => OpenQuote::error(file, pos.record, opened),
                    None => InputError::new(file, pos, format!("malformed CSV: {e}")),
                };
                out.bad_record(err, None)?;
                i += 1;
                continue;
            }
        }
        if let Some(opened) = open_quote.unclosed() {
            out.bad_record(
                OpenQuote::error(file, pos.record, opened),
                Some(rec.as_slice()),
            )?;
            i += 1;
            continue;
        }
        let mut m = Map::new();
        let mut bad = None;
        for (h, v) in headers.iter().zip(rec.iter()) {
            match std::str::from_utf8(v) {
                Ok("") => {}
                Ok(s) => {
                    m.insert(h.to_string(), Value::String(s.to_string()));
                }
                Err(e) => {
                    bad = Some(format!(
                        "column `{h}`: invalid UTF-8 at byte {}",
                        e.valid_up_to()
                    ))
                }
            }
        }
        let result = match bad {
            Some(b) => Err(InputError::new(file, pos.clone(), b)),
            None => row_to_event(file, &source, &pos, i, m, unknown),
        };
        match result {
            Ok(e) => {
                n += 1;
                out.emit(e)?
            }
            Err(e) => out.bad_record(e, Some(rec.as_slice()))?,
        }
        i += 1;
    }
    Ok(n)
}

fn read_parquet(
    file: &str,
    f: std::fs::File,
    out: &mut Output,
    unknown: &mut BTreeMap<String, u64>,
) -> Result<u64, InputError> {
    use datafusion::arrow::json::LineDelimitedWriter;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    const WHAT: &str = "Parquet file";
    let source: Arc<str> = Arc::from(file);
    check_parquet_footer(file, &f)?;
    // Parquet's and Arrow IPC's decoders panic on some corrupt bytes (a flipped bit in the
    // footer or a page header): every call into them is isolated.
    let mut reader = isolated(file, Position::default, WHAT, || {
        ParquetRecordBatchReaderBuilder::try_new(f)
            .and_then(|b| b.with_batch_size(8192).build())
            .map_err(|e| InputError::file(file, format!("not a readable Parquet file: {e}")))
    })?;
    let mut row = 0i64;
    let mut n = 0;
    while let Some(batch) = isolated(
        file,
        || Position::record(row as u64),
        WHAT,
        || Ok(reader.next()),
    )? {
        let batch = batch.map_err(|e| {
            InputError::new(
                file,
                Position::record(row as u64),
                format!("cannot read Parquet data: {e}"),
            )
        })?;
        // Rows go through the same path as JSONL, so every format obeys one set of column rules.
        let mut buf = Vec::new();
        {
            let mut w = LineDelimitedWriter::new(&mut buf);
            w.write(&batch).map_err(|e| {
                InputError::new(
                    file,
                    Position::record(row as u64),
                    format!("unsupported column type: {e}"),
                )
            })?;
            w.finish()
                .map_err(|e| InputError::file(file, e.to_string()))?;
        }
        for line in buf.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let pos = Position::record(row as u64);
            let m: Map<String, Value> = serde_json::from_slice(line)
                .map_err(|e| InputError::new(file, pos.clone(), e.to_string()))?;
            match row_to_event(file, &source, &pos, row, m, unknown) {
                Ok(e) => {
                    n += 1;
                    out.emit(e)?
                }
                Err(e) => out.bad_record(e, Some(line))?,
            }
            row += 1;
        }
    }
    Ok(n)
}

/// What can be checked before a Parquet decoder sees the file: it ends with the magic bytes and
/// its footer fits inside it. A truncated download fails here with a plain message.
fn check_parquet_footer(file: &str, f: &std::fs::File) -> Result<(), InputError> {
    use std::io::{Seek, SeekFrom};
    let refuse = |why: String| {
        InputError::file(
            file,
            format!("not a readable Parquet file: {why}; the file may be truncated or corrupt"),
        )
    };
    let len = f
        .metadata()
        .map_err(|e| InputError::file(file, format!("cannot read: {e}")))?
        .len();
    if len < 12 {
        return Err(refuse(format!(
            "it is {len} bytes long, too short for Parquet"
        )));
    }
    let mut tail = [0u8; 8];
    let mut r = f;
    r.seek(SeekFrom::End(-8))
        .and_then(|_| r.read_exact(&mut tail))
        .map_err(|e| InputError::file(file, format!("cannot read: {e}")))?;
    if &tail[4..] != b"PAR1" {
        return Err(refuse(
            "it does not end with the Parquet magic bytes `PAR1`".into(),
        ));
    }
    let footer = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as u64;
    if footer + 12 > len {
        return Err(refuse(format!(
            "its footer claims {footer} bytes, more than the {len}-byte file holds"
        )));
    }
    Ok(())
}

fn as_id(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn string_list(
    col: &str,
    v: &Value,
    err: &dyn Fn(String) -> InputError,
) -> Result<Vec<String>, InputError> {
    match v {
        Value::Null => Ok(Vec::new()),
        // CSV cells hold lists as space-separated values.
        Value::String(s) => Ok(s
            .split_whitespace()
            .map(|w| w.trim_start_matches(['#', '@']).to_string())
            .collect()),
        Value::Array(items) => items
            .iter()
            .map(|i| as_id(i).ok_or_else(|| err(format!("`{col}` must be a list of strings"))))
            .collect(),
        _ => Err(err(format!(
            "`{col}` must be a list of strings (or, in CSV, space-separated values)"
        ))),
    }
}

fn owned(strings: Vec<String>) -> Vec<Cow<'static, str>> {
    strings.into_iter().map(Cow::Owned).collect()
}

fn row_to_event(
    file: &str,
    source: &Arc<str>,
    pos: &Position,
    record: i64,
    mut m: Map<String, Value>,
    unknown: &mut BTreeMap<String, u64>,
) -> Result<Event<'static>, InputError> {
    let err = |what: String| InputError::new(file, pos.clone(), what);
    let required = |m: &Map<String, Value>, k: &str| -> Result<Value, InputError> {
        m.get(k).filter(|v| !v.is_null()).cloned().ok_or_else(|| {
            err(format!(
                "missing required column `{k}` (required: account_id, ts, kind)"
            ))
        })
    };
    let account = as_id(&required(&m, "account_id")?)
        .ok_or_else(|| err("`account_id` must be a string".into()))?;
    let kind: Kind = match required(&m, "kind")? {
        Value::String(s) => s.parse().map_err(err)?,
        other => return Err(err(format!("`kind` must be a string, found {other}"))),
    };
    let ts_of = |k: &str, v: &Value| -> Result<i64, InputError> {
        match v {
            Value::Number(n) => n
                .as_i64()
                .map(time::epoch_number_to_micros)
                .ok_or_else(|| err(format!("`{k}` {n} is not an epoch time"))),
            Value::String(s) => time::parse_ts_or_epoch(s).ok_or_else(|| {
                err(format!(
                    "`{k}` {s:?} is not a timestamp; expected RFC 3339 or epoch milliseconds"
                ))
            }),
            other => Err(err(format!(
                "`{k}` must be RFC 3339 text or epoch milliseconds, found {other}"
            ))),
        }
    };
    let ts = ts_of("ts", &required(&m, "ts")?)?;
    let mut e = Event::new(account, kind, ts, Origin::Generic, source.clone(), record);
    if let Some(v) = m.get("ts_lower").filter(|v| !v.is_null()) {
        e.ts_lower = ts_of("ts_lower", v)?;
        if e.ts_lower > e.ts {
            return Err(err("`ts_lower` is after `ts`".into()));
        }
    }
    e.given_id = m.get("event_id").and_then(as_id);
    for col in STRING_COLUMNS {
        let Some(v) = m.get(col).filter(|v| !v.is_null()) else {
            continue;
        };
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => return Err(err(format!("`{col}` must be a string, found {other}"))),
        };
        let slot = match col {
            "actor_id" => &mut e.actor_id,
            "target_user_id" => &mut e.target_user_id,
            "target_post_id" => &mut e.target_post_id,
            "post_id" => &mut e.post_id,
            "message_id" => &mut e.message_id,
            "conversation_id" => &mut e.conversation_id,
            "list_id" => &mut e.list_id,
            "text" => &mut e.text,
            "lang" => &mut e.lang,
            "client" => &mut e.client,
            "client_id" => &mut e.client_id,
            _ => &mut e.edit_of,
        };
        *slot = Some(Cow::Owned(if col == "text" { unescape(&s) } else { s }));
    }
    if e.actor_id.is_none()
        && !matches!(
            kind,
            Kind::FollowedBy
                | Kind::UnfollowedBy
                | Kind::DmReceived
                | Kind::MentionReceived
                | Kind::ReplyReceived
        )
    {
        e.actor_id = Some(e.account_id.clone());
    }
    if let Some(v) = m.get("hashtags") {
        e.hashtags = owned(string_list("hashtags", v, &err)?);
    }
    let names = m
        .get("mentions")
        .map(|v| string_list("mentions", v, &err))
        .transpose()?
        .unwrap_or_default();
    let ids = m
        .get("mention_ids")
        .map(|v| string_list("mention_ids", v, &err))
        .transpose()?
        .unwrap_or_default();
    e.mentions = (0..names.len().max(ids.len()))
        .map(|i| Mention {
            screen_name: names.get(i).cloned().map(Cow::Owned),
            id: ids.get(i).cloned().map(Cow::Owned),
        })
        .collect();
    if let Some(v) = m.get("urls") {
        e.urls = match v {
            Value::Null => Vec::new(),
            Value::String(s) => s
                .split_whitespace()
                .map(|u| UrlEntity {
                    url: Cow::Owned(u.to_string()),
                    expanded: Some(Cow::Owned(u.to_string())),
                    display: None,
                })
                .collect(),
            Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(u) => Ok(UrlEntity {
                        url: Cow::Owned(u.clone()),
                        expanded: Some(Cow::Owned(u.clone())),
                        display: None,
                    }),
                    Value::Object(o) => {
                        let g = |k: &str| {
                            o.get(k)
                                .and_then(Value::as_str)
                                .map(|v| Cow::Owned(v.to_string()))
                        };
                        let url = g("url")
                            .or_else(|| g("expanded"))
                            .ok_or_else(|| err("`urls` objects need `url` or `expanded`".into()))?;
                        Ok(UrlEntity {
                            url,
                            expanded: g("expanded").or_else(|| g("expanded_url")),
                            display: g("display").or_else(|| g("display_url")),
                        })
                    }
                    _ => Err(err(
                        "`urls` must be a list of strings or of {url, expanded, display} objects"
                            .into(),
                    )),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(err("`urls` must be a list".into())),
        };
    }
    // A log without entities gets them from its text, by twitter-text's rules.
    if let Some(text) = e.text.as_deref() {
        let absent = |k: &str| m.get(k).is_none_or(Value::is_null);
        if absent("hashtags") || absent("mentions") || absent("urls") {
            let found = crate::text::entities::extract(text);
            if absent("hashtags") {
                e.hashtags = owned(found.hashtags);
            }
            if absent("mentions") && absent("mention_ids") {
                e.mentions = found
                    .mentions
                    .into_iter()
                    .map(|n| Mention {
                        screen_name: Some(Cow::Owned(n)),
                        id: None,
                    })
                    .collect();
            }
            if absent("urls") {
                e.urls = found
                    .urls
                    .into_iter()
                    .map(|l| UrlEntity {
                        url: Cow::Owned(l.url),
                        expanded: Some(Cow::Owned(l.expanded)),
                        display: Some(Cow::Owned(l.display)),
                    })
                    .collect();
            }
        }
    }
    if let Some(v) = m.get("possibly_sensitive").filter(|v| !v.is_null()) {
        e.possibly_sensitive = Some(match v {
            Value::Bool(b) => *b,
            Value::String(s) if s.eq_ignore_ascii_case("true") => true,
            Value::String(s) if s.eq_ignore_ascii_case("false") => false,
            other => {
                return Err(err(format!(
                    "`possibly_sensitive` must be true or false, found {other}"
                )));
            }
        });
    }
    for k in STRING_COLUMNS.iter().chain(OTHER_COLUMNS.iter()) {
        m.remove(*k);
    }
    m.retain(|_, v| !v.is_null());
    if !m.is_empty() {
        for k in m.keys() {
            *unknown.entry(k.clone()).or_default() += 1;
        }
        let sorted: BTreeMap<_, _> = m.into_iter().collect();
        e.attributes = Some(serde_json::to_string(&sorted).map_err(|e| err(e.to_string()))?);
    }
    Ok(e)
}
