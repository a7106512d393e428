//! Trend snapshots (FORMATS.md §3): a v1.1 `trends/place` response (a one-element array), a JSONL
//! log of such responses (one per line, as a cron job archives them), the v2 shape
//! `{"data": [{"trend_name", "tweet_count"}]}` with the fetch time in `as_of` (v2 has none of its
//! own), and CSV with `as_of` and `name` columns.

use std::io::Read;

use serde_json::Value;

use crate::error::{InputError, Position};
use crate::model::{hash_id, time};
use crate::readers::guard::{OpenQuote, QuoteWatch};
use crate::readers::{Output, TrendRow};

/// Largest trend file read whole (JSON); JSONL and CSV stream.
const MAX_WHOLE_JSON: u64 = 512 << 20;

pub fn read(
    file: &str,
    mut r: impl Read,
    csv_format: bool,
    out: &mut Output,
) -> Result<u64, InputError> {
    if csv_format {
        return read_csv(file, r, out);
    }
    let mut bytes = Vec::new();
    (&mut r)
        .take(MAX_WHOLE_JSON)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::file(file, format!("cannot read: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        InputError::file(file, format!("invalid UTF-8 at byte {}", e.valid_up_to()))
    })?;
    // A whole-file JSON document first; otherwise one JSON document per line.
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        let mut n = 0;
        let pos = Position::record(0);
        match document(file, &pos, 0, &v, out) {
            Ok(k) => n += k,
            Err(e) => out.bad_record(e, None)?,
        }
        return Ok(n);
    }
    let mut n = 0;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let pos = Position::line(i as u64 + 1);
        let res = serde_json::from_str::<Value>(line)
            .map_err(|e| InputError::new(file, pos.clone(), format!("malformed JSON: {e}")))
            .and_then(|v| document(file, &pos, i as i64, &v, out));
        match res {
            Ok(k) => n += k,
            Err(e) => out.bad_record(e, Some(line.as_bytes()))?,
        }
    }
    Ok(n)
}

fn document(
    file: &str,
    pos: &Position,
    record: i64,
    v: &Value,
    out: &mut Output,
) -> Result<u64, InputError> {
    let err = |what: String| InputError::new(file, pos.clone(), what);
    match v {
        Value::Array(items) => {
            let mut n = 0;
            for item in items {
                n += document(file, pos, record, item, out)?;
            }
            Ok(n)
        }
        Value::Object(o) if o.contains_key("trends") => {
            let as_of_s = o
                .get("as_of")
                .or(o.get("created_at"))
                .and_then(Value::as_str)
                .ok_or_else(|| err("trend snapshot without `as_of`".into()))?;
            let as_of = time::parse_ts(as_of_s).ok_or_else(|| err(format!("`as_of` {as_of_s:?} is not a timestamp")))?;
            let created_at = o.get("created_at").and_then(Value::as_str).and_then(time::parse_ts);
            let loc = o.get("locations").and_then(Value::as_array).and_then(|l| l.first());
            let woeid = loc.and_then(|l| l.get("woeid")).and_then(Value::as_i64);
            let location = loc.and_then(|l| l.get("name")).and_then(Value::as_str).map(str::to_string);
            let trends = o.get("trends").and_then(Value::as_array).ok_or_else(|| err("`trends` must be an array".into()))?;
            for (i, t) in trends.iter().enumerate() {
                let name = t.get("name").and_then(Value::as_str).ok_or_else(|| err(format!("trend {i} has no `name`")))?;
                let query = t.get("query").and_then(Value::as_str).map(url_decode);
                let volume = t.get("tweet_volume").and_then(Value::as_i64);
                out.side.trends.push(row(name, query, as_of, created_at, woeid, location.clone(), volume, i, file, record));
            }
            Ok(trends.len() as u64)
        }
        Value::Object(o) if o.get("data").is_some_and(Value::is_array) => {
            let as_of_s = ["as_of", "fetched_at", "created_at", "time"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str))
                .ok_or_else(|| err("v2 trend responses carry no time of their own: add `as_of` (the fetch time) to each snapshot".into()))?;
            let as_of = time::parse_ts(as_of_s).ok_or_else(|| err(format!("`as_of` {as_of_s:?} is not a timestamp")))?;
            let woeid = o.get("woeid").and_then(Value::as_i64);
            let location = o.get("location").and_then(Value::as_str).map(str::to_string);
            let data = o.get("data").and_then(Value::as_array).expect("checked above");
            for (i, t) in data.iter().enumerate() {
                let name = t
                    .get("trend_name")
                    .or(t.get("name"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| err(format!("trend {i} has no `trend_name`")))?;
                let volume = t.get("tweet_count").or(t.get("post_count")).and_then(Value::as_i64);
                out.side.trends.push(row(name, None, as_of, None, woeid, location.clone(), volume, i, file, record));
            }
            Ok(data.len() as u64)
        }
        _ => Err(err("expected a trend snapshot: a `trends/place` response (`[{\"trends\": […], \"as_of\": …}]`) or a v2 `{\"data\": [{\"trend_name\": …}], \"as_of\": …}`".into())),
    }
}

#[allow(clippy::too_many_arguments)]
fn row(
    name: &str,
    query: Option<String>,
    as_of: i64,
    created_at: Option<i64>,
    woeid: Option<i64>,
    location: Option<String>,
    tweet_volume: Option<i64>,
    index: usize,
    file: &str,
    record: i64,
) -> TrendRow {
    let place = woeid
        .map(|w| w.to_string())
        .or(location.clone())
        .unwrap_or_default();
    TrendRow {
        trend_id: hash_id(&["trend", &as_of.to_string(), &place, name]),
        name: name.to_string(),
        query,
        as_of,
        created_at,
        woeid,
        location,
        tweet_volume,
        rank: index as i64 + 1,
        source: file.to_string(),
        source_record: record,
    }
}

fn read_csv(file: &str, r: impl Read, out: &mut Output) -> Result<u64, InputError> {
    let (r, open_quote) = QuoteWatch::new(r);
    let mut rdr = csv::Reader::from_reader(r);
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
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&h.trim().to_ascii_lowercase().as_str()))
    };
    let name_c = col(&["name", "trend", "trend_name"]).ok_or_else(|| {
        InputError::new(file, Position::line(1), "trend CSV needs a `name` column")
    })?;
    let time_c = col(&["as_of", "time", "timestamp", "fetched_at"]).ok_or_else(|| {
        InputError::new(file, Position::line(1), "trend CSV needs an `as_of` column")
    })?;
    let (woeid_c, loc_c, vol_c, rank_c, query_c) = (
        col(&["woeid"]),
        col(&["location", "place"]),
        col(&["tweet_volume", "tweet_count", "volume"]),
        col(&["rank"]),
        col(&["query"]),
    );
    let mut n = 0;
    let mut rank_in_snapshot: std::collections::HashMap<(i64, String), usize> = Default::default();
    for (i, rec) in rdr.records().enumerate() {
        let line = match &rec {
            Ok(r) => r.position().map(|p| p.line()),
            Err(e) => e.position().map(|p| p.line()),
        };
        let pos = Position {
            record: Some(i as u64),
            line: Some(line.unwrap_or(i as u64 + 2)),
            byte: None,
        };
        if let Some(opened) = open_quote.unclosed() {
            out.bad_record(OpenQuote::error(file, pos.record, opened), None)?;
            continue;
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.bad_record(
                    InputError::new(file, pos, format!("malformed CSV: {e}")),
                    None,
                )?;
                continue;
            }
        };
        let get = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let Some(name) = get(Some(name_c)) else {
            out.bad_record(InputError::new(file, pos, "empty `name`"), None)?;
            continue;
        };
        let Some(as_of) = get(Some(time_c)).and_then(time::parse_ts) else {
            out.bad_record(
                InputError::new(
                    file,
                    pos,
                    "`as_of` is not a timestamp; expected RFC 3339 or epoch milliseconds",
                ),
                None,
            )?;
            continue;
        };
        let parse_int = |c| get(c).and_then(|s: &str| s.parse::<i64>().ok());
        let woeid = parse_int(woeid_c);
        let location = get(loc_c).map(str::to_string);
        let place = woeid
            .map(|w| w.to_string())
            .or(location.clone())
            .unwrap_or_default();
        let auto_rank = rank_in_snapshot.entry((as_of, place)).or_default();
        *auto_rank += 1;
        // Ranks count from 1; a 0 or a negative rank (found by fuzzing: it overflowed) is a bad
        // record, not a wrapped-around number.
        let rank = match parse_int(rank_c) {
            None => *auto_rank,
            Some(r) if r >= 1 => r as usize,
            Some(r) => {
                out.bad_record(
                    InputError::new(file, pos, format!("`rank` is {r}; ranks count from 1")),
                    None,
                )?;
                continue;
            }
        };
        out.side.trends.push(row(
            name,
            get(query_c).map(url_decode),
            as_of,
            None,
            woeid,
            location,
            parse_int(vol_c),
            rank - 1,
            file,
            i as i64,
        ));
        n += 1;
    }
    Ok(n)
}

/// `%23Tag` → `#Tag`, `%22George+Lopez%22` → `"George Lopez"`.
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::url_decode;

    #[test]
    fn queries_are_url_decoded() {
        assert_eq!(url_decode("%23ChainedToTheRhythm"), "#ChainedToTheRhythm");
        assert_eq!(url_decode("%22George+Lopez%22"), "\"George Lopez\"");
        assert_eq!(url_decode("100%"), "100%");
    }
}
