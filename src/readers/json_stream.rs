//! Streaming reads of JSON arrays, so a 2 GB `tweets.js` is visited one record at a time in
//! bounded memory. A small scanner finds where each element begins and ends (it tracks strings,
//! escapes and nesting, nothing more); the caller deserializes each element into its typed form.
//! So one malformed record is one error (or one reject in lenient mode), exact byte offsets and
//! lines are known, and parsing runs on slices, which serde_json does several times faster than
//! on readers.

use std::io::{self, BufRead, BufReader, Read};

use crate::error::{InputError, Position};

/// What the per-record callback decides.
pub enum Flow {
    Continue,
    /// Stop reading this file with this error (strict mode).
    Abort(InputError),
}

/// Where a record sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordPos {
    pub index: u64,
    /// 1-based line where the record starts.
    pub line: u64,
    /// Byte offset where the record starts.
    pub byte: u64,
}

/// serde_json's message without its record-relative " at line L column C" (positions are given
/// in file terms next to it).
pub fn json_message(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.rfind(" at line ") {
        Some(i) if m[i..].contains(" column ") => m[..i].to_string(),
        _ => m,
    }
}

impl From<RecordPos> for Position {
    fn from(p: RecordPos) -> Self {
        Position {
            record: Some(p.index),
            line: Some(p.line),
            byte: Some(p.byte),
        }
    }
}

impl RecordPos {
    /// Position of a serde_json error inside this record, in file terms.
    /// `raw` is the record: serde counts lines and columns from its start.
    pub fn at_json_error(self, e: &serde_json::Error, raw: &[u8]) -> Position {
        let line = self.line + (e.line() as u64).saturating_sub(1);
        let mut offset = 0usize;
        for _ in 1..e.line() {
            match raw[offset..].iter().position(|&b| b == b'\n') {
                Some(i) => offset += i + 1,
                None => break,
            }
        }
        offset = (offset + e.column().saturating_sub(1)).min(raw.len());
        Position {
            record: Some(self.index),
            line: Some(line),
            byte: Some(self.byte + offset as u64),
        }
    }
}

/// Which wrapper the file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    /// `window.YTD.tweets.part0 = [ … ]` or `Grailbird.data.tweets_2015_01 = [ … ]`: skip to the first `=`.
    Assignment,
    /// Plain JSON.
    None,
}

struct Scanner<R> {
    r: BufReader<R>,
    byte: u64,
    line: u64,
    file: String,
}

impl<R: Read> Scanner<R> {
    fn peek(&mut self) -> Result<Option<u8>, InputError> {
        let buf = self.r.fill_buf().map_err(|e| io_err(&self.file, e))?;
        Ok(buf.first().copied())
    }
    fn bump(&mut self, b: u8) {
        self.r.consume(1);
        self.byte += 1;
        if b == b'\n' {
            self.line += 1;
        }
    }
    fn skip_ws(&mut self) -> Result<Option<u8>, InputError> {
        loop {
            match self.peek()? {
                Some(b) if b.is_ascii_whitespace() => self.bump(b),
                // A UTF-8 byte order mark, which some tools add.
                Some(0xEF) if self.byte == 0 => {
                    for _ in 0..3 {
                        if let Some(b) = self.peek()? {
                            self.bump(b)
                        }
                    }
                }
                other => return Ok(other),
            }
        }
    }
    fn err(&self, what: impl Into<String>) -> InputError {
        InputError::new(
            self.file.clone(),
            Position {
                record: None,
                line: Some(self.line),
                byte: Some(self.byte),
            },
            what,
        )
    }
    fn err_truncated(&self) -> InputError {
        self.err("the file ends in the middle of a record (truncated?)")
    }

    /// Move past `n` bytes of the buffer, keeping the position.
    fn advance(&mut self, n: usize, newlines: u64) {
        self.r.consume(n);
        self.byte += n as u64;
        self.line += newlines;
    }
}

/// Where one JSON value ends, found incrementally across buffer refills. It tracks strings,
/// escapes and nesting, nothing more; string contents are skipped with `memchr`.
#[derive(Default)]
struct ValueScan {
    depth: i64,
    in_str: bool,
    escaped: bool,
    started: bool,
}

impl ValueScan {
    /// The index just past the value's end in `buf`, or None when the value continues after it.
    fn scan(&mut self, buf: &[u8]) -> Option<usize> {
        let mut i = 0;
        while i < buf.len() {
            if self.in_str {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                let k = memchr::memchr2(b'"', b'\\', &buf[i..])?;
                i += k;
                if buf[i] == b'\\' {
                    self.escaped = true;
                } else {
                    self.in_str = false;
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                i += 1;
                continue;
            }
            match buf[i] {
                b'"' => {
                    self.in_str = true;
                    self.started = true;
                }
                b'{' | b'[' => {
                    self.depth += 1;
                    self.started = true;
                }
                b'}' | b']' => {
                    if self.depth == 0 {
                        // the end of a scalar: the bracket belongs to the enclosing array
                        return Some(i);
                    }
                    self.depth -= 1;
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                b',' if self.depth == 0 => return Some(i),
                b if b.is_ascii_whitespace() => {
                    if self.depth == 0 && self.started {
                        return Some(i);
                    }
                }
                _ => self.started = true,
            }
            i += 1;
        }
        None
    }
}

fn newlines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

fn io_err(file: &str, e: io::Error) -> InputError {
    let what = if e.kind() == io::ErrorKind::InvalidData {
        format!("could not read: {e}")
    } else {
        format!("could not read ({e}); the file or archive may be truncated or corrupt")
    };
    InputError::file(file, what)
}

/// Visit every element of a top-level JSON array. Returns the number of elements.
pub fn for_each_element<R: Read>(
    file: &str,
    reader: R,
    wrapper: Wrapper,
    mut f: impl FnMut(RecordPos, &[u8]) -> Flow,
) -> Result<u64, InputError> {
    let mut s = Scanner {
        r: BufReader::with_capacity(1 << 16, reader),
        byte: 0,
        line: 1,
        file: file.to_string(),
    };
    if wrapper == Wrapper::Assignment {
        let mut seen = 0;
        loop {
            match s.peek()? {
                None => {
                    return Err(s.err(
                        "expected an X archive data file (`window.YTD.<name>.part<N> = [ … ]`), but found no `=`",
                    ));
                }
                Some(b'=') => {
                    s.bump(b'=');
                    break;
                }
                Some(b) => {
                    s.bump(b);
                    seen += 1;
                    if seen > 4096 {
                        return Err(s.err(
                            "expected `window.YTD.<name>.part<N> = [` at the start of the file",
                        ));
                    }
                }
            }
        }
    }
    match s.skip_ws()? {
        Some(b'[') => s.bump(b'['),
        Some(b) => return Err(s.err(format!("expected a JSON array `[`, found {:?}", b as char))),
        None => return Err(s.err("expected a JSON array `[`, found the end of the file")),
    }
    let mut index = 0u64;
    let mut record = Vec::with_capacity(4096);
    loop {
        match s.skip_ws()? {
            Some(b']') if index == 0 => {
                s.bump(b']');
                break;
            }
            None => {
                return Err(s.err("the file ends before the array is closed with `]` (truncated?)"));
            }
            Some(_) => {}
        }
        let pos = RecordPos {
            index,
            line: s.line,
            byte: s.byte,
        };
        let mut scan = ValueScan::default();
        let buf = s.r.fill_buf().map_err(|e| io_err(&s.file, e))?;
        // Most records lie wholly inside the read buffer: parse them there, without a copy.
        let flow = if let Some(end) = scan.scan(buf) {
            let flow = f(pos, &buf[..end]);
            let nl = newlines(&buf[..end]);
            s.advance(end, nl);
            flow
        } else {
            // The record runs past the buffer: copy what was scanned, then scan on.
            record.clear();
            let mut first = true;
            loop {
                let buf = s.r.fill_buf().map_err(|e| io_err(&s.file, e))?;
                if buf.is_empty() {
                    return Err(s.err_truncated());
                }
                let done = if first { None } else { scan.scan(buf) };
                first = false;
                let take = done.unwrap_or(buf.len());
                record.extend_from_slice(&buf[..take]);
                let nl = newlines(&buf[..take]);
                s.advance(take, nl);
                if done.is_some() {
                    break;
                }
            }
            f(pos, &record)
        };
        if let Flow::Abort(e) = flow {
            return Err(e);
        }
        index += 1;
        match s.skip_ws()? {
            Some(b',') => s.bump(b','),
            Some(b']') => {
                s.bump(b']');
                break;
            }
            Some(b) => {
                return Err(s.err(format!(
                    "expected `,` or `]` after record {}, found {:?}",
                    index - 1,
                    b as char
                )));
            }
            None => {
                return Err(s.err("the file ends before the array is closed with `]` (truncated?)"));
            }
        }
    }
    // After the array only whitespace and an optional `;` may follow.
    loop {
        match s.skip_ws()? {
            None => return Ok(index),
            Some(b';') => s.bump(b';'),
            Some(b) => {
                return Err(s.err(format!(
                    "unexpected {:?} after the end of the JSON array; expected only whitespace or `;`",
                    b as char
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &str, w: Wrapper) -> Result<Vec<(RecordPos, String)>, InputError> {
        let mut out = Vec::new();
        for_each_element("t.js", input.as_bytes(), w, |p, raw| {
            out.push((p, String::from_utf8(raw.to_vec()).unwrap()));
            Flow::Continue
        })?;
        Ok(out)
    }

    #[test]
    fn splits_records_of_a_wrapped_file_with_positions() {
        let input =
            "window.YTD.tweets.part0 = [ {\n  \"a\" : \"x]}\\\"\"\n}, {\n  \"b\" : [ 1, 2 ]\n} ]";
        let recs = collect(input, Wrapper::Assignment).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].1, "{\n  \"a\" : \"x]}\\\"\"\n}");
        assert_eq!(recs[1].0.line, 3);
        assert_eq!(recs[1].0.index, 1);
        assert_eq!(
            &input[recs[1].0.byte as usize..recs[1].0.byte as usize + 1],
            "{"
        );
    }

    #[test]
    fn empty_files_in_both_spellings_have_no_records() {
        assert!(
            collect("window.YTD.lists_created.part0 = [ ]", Wrapper::Assignment)
                .unwrap()
                .is_empty()
        );
        assert!(
            collect(
                "window.YTD.account_suspension.part0 = []",
                Wrapper::Assignment
            )
            .unwrap()
            .is_empty()
        );
    }

    #[test]
    fn trailing_semicolon_and_bom_are_accepted() {
        assert_eq!(
            collect("\u{feff}[1, \"two\", {\"x\": 3}];\n", Wrapper::None)
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn truncated_file_is_an_error_naming_the_line() {
        let err = collect(
            "window.YTD.tweets.part0 = [ {\n \"a\": 1 }, {\n \"b\"",
            Wrapper::Assignment,
        )
        .unwrap_err();
        assert!(err.reason.contains("truncated"), "{err}");
        assert_eq!(err.position.line, Some(3));
    }

    #[test]
    fn missing_wrapper_is_an_error_that_says_what_was_expected() {
        let err = collect("hello", Wrapper::Assignment).unwrap_err();
        assert!(err.reason.contains("window.YTD"), "{err}");
    }

    #[test]
    fn records_straddling_buffer_refills_and_larger_than_the_buffer_are_read_whole() {
        // 300 records of varying size, some larger than the 64 KiB read buffer, with escapes.
        let mut items = Vec::new();
        for i in 0..300 {
            let len = if i % 97 == 0 {
                100_000
            } else {
                50 + (i * 37) % 3000
            };
            let text: String = (0..len)
                .map(|k| {
                    if k % 500 == 499 {
                        '"'
                    } else {
                        (b'a' + (k % 26) as u8) as char
                    }
                })
                .collect();
            items.push(serde_json::json!({ "i": i, "text": text, "nested": { "list": [1, "x]", { "y": "}" }] } }));
        }
        let input = format!(
            "window.YTD.tweets.part0 = {}",
            serde_json::to_string_pretty(&items).unwrap()
        );
        let mut got = Vec::new();
        for_each_element("t.js", input.as_bytes(), Wrapper::Assignment, |_, raw| {
            got.push(serde_json::from_slice::<serde_json::Value>(raw).unwrap());
            Flow::Continue
        })
        .unwrap();
        assert_eq!(got, items);
    }

    #[test]
    fn garbage_after_the_array_is_an_error() {
        assert!(collect("[1] x", Wrapper::None).is_err());
    }
}
