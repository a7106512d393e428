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

/// Records are handed to the parallel handlers in blocks of about this many bytes.
const BLOCK_BYTES: usize = 1 << 20;

/// Blocks scanned but not yet handled, at most: bounds memory whatever the file size.
const BLOCKS_IN_FLIGHT: usize = 8;

/// Records copied out of the read buffer, to be handled on another thread.
#[derive(Default)]
struct Block {
    data: Vec<u8>,
    records: Vec<(RecordPos, std::ops::Range<usize>)>,
}

/// What a block's handling left: its output and, in strict mode, the error that stopped it.
struct Handled<P> {
    out: P,
    error: Option<InputError>,
}

/// [`for_each_element`] with the records handled on every rayon thread: one large file (a 2 GB
/// `tweets.js`) is parsed on all cores while this thread scans ahead for record boundaries.
/// Every block of records gets its own output from `fork`, which `close` turns into what `join`
/// receives, in file order, so what is collected does not depend on thread timing. The first
/// error in file order is returned, as [`for_each_element`] would.
pub fn for_each_element_par<R: Read, O, P: Send>(
    file: &str,
    reader: R,
    wrapper: Wrapper,
    fork: impl Fn() -> O + Sync,
    handle: impl Fn(&mut O, RecordPos, &[u8]) -> Flow + Sync,
    close: impl Fn(O) -> P + Sync,
    mut join: impl FnMut(P),
) -> Result<u64, InputError> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let done: Mutex<Vec<(usize, Handled<P>)>> = Mutex::new(Vec::new());
    let in_flight = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let run = |block: Block| -> Handled<P> {
        let mut out = fork();
        let mut error = None;
        for (pos, range) in &block.records {
            if let Flow::Abort(e) = handle(&mut out, *pos, &block.data[range.clone()]) {
                failed.store(true, Ordering::Relaxed);
                error = Some(e);
                break;
            }
        }
        Handled {
            out: close(out),
            error,
        }
    };
    let scanned = rayon::in_place_scope(|scope| {
        let mut block = Block::default();
        let mut blocks = 0usize;
        let mut dispatch = |block: Block| {
            // Wait for a free slot, handling queued blocks on this thread meanwhile.
            while in_flight.load(Ordering::Acquire) >= BLOCKS_IN_FLIGHT {
                if !matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
            }
            in_flight.fetch_add(1, Ordering::AcqRel);
            let i = blocks;
            blocks += 1;
            let (run, done, in_flight) = (&run, &done, &in_flight);
            scope.spawn(move |_| {
                let handled = run(block);
                done.lock().expect("no handler panics").push((i, handled));
                in_flight.fetch_sub(1, Ordering::AcqRel);
            });
        };
        let scanned = for_each_element(file, reader, wrapper, |pos, raw| {
            if failed.load(Ordering::Relaxed) {
                // A handler failed: the file's error is known, stop scanning. The placeholder is
                // replaced below by the handler's error, which comes first in the file.
                return Flow::Abort(InputError::file(file, "stopped at an earlier error"));
            }
            let start = block.data.len();
            block.data.extend_from_slice(raw);
            block.records.push((pos, start..block.data.len()));
            if block.data.len() >= BLOCK_BYTES {
                dispatch(std::mem::take(&mut block));
            }
            Flow::Continue
        });
        if scanned.is_ok() && !block.records.is_empty() {
            dispatch(block);
        }
        scanned
    });
    let mut done = done.into_inner().expect("no handler panics");
    done.sort_unstable_by_key(|(i, _)| *i);
    let mut first_error = None;
    for (_, handled) in done {
        if first_error.is_none() {
            first_error = handled.error;
        }
        join(handled.out);
    }
    match first_error {
        Some(e) => Err(e),
        None => scanned,
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

    /// A file of `n` records of about 250 bytes (several parallel blocks), record `bad` broken.
    fn many_records(n: usize, bad: &[usize]) -> String {
        let items: Vec<String> = (0..n)
            .map(|i| {
                if bad.contains(&i) {
                    format!("{{\"i\": {i}, \"x\": }}")
                } else {
                    format!("{{\"i\": {i}, \"pad\": \"{}\"}}", "p".repeat(230))
                }
            })
            .collect();
        format!("window.YTD.tweets.part0 = [\n{}\n]", items.join(",\n"))
    }

    fn parse_index(raw: &[u8]) -> Result<u64, ()> {
        let v: serde_json::Value = serde_json::from_slice(raw).map_err(|_| ())?;
        v["i"].as_u64().ok_or(())
    }

    #[test]
    fn parallel_handling_joins_blocks_in_file_order() {
        let n = 20_000;
        let input = many_records(n, &[]);
        assert!(
            input.len() > 4 * BLOCK_BYTES,
            "the test needs several blocks"
        );
        let mut seen = Vec::new();
        let count = for_each_element_par(
            "t.js",
            input.as_bytes(),
            Wrapper::Assignment,
            Vec::new,
            |out: &mut Vec<(u64, u64)>, pos, raw| {
                out.push((pos.index, parse_index(raw).unwrap()));
                Flow::Continue
            },
            |out| out,
            |block| seen.extend(block),
        )
        .unwrap();
        assert_eq!(count, n as u64);
        let expected: Vec<(u64, u64)> = (0..n as u64).map(|i| (i, i)).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn parallel_handling_reports_the_first_bad_record_in_file_order() {
        let input = many_records(20_000, &[6_000, 15_000]);
        let err = for_each_element_par(
            "t.js",
            input.as_bytes(),
            Wrapper::Assignment,
            || (),
            |_, pos, raw| match parse_index(raw) {
                Ok(_) => Flow::Continue,
                Err(()) => Flow::Abort(InputError::new(
                    "t.js",
                    pos.into(),
                    format!("bad record {}", pos.index),
                )),
            },
            |out| out,
            |_| {},
        )
        .unwrap_err();
        assert_eq!(err.reason, "bad record 6000");
        assert_eq!(err.position.record, Some(6000));
        assert_eq!(err.position.line, Some(6002));
    }

    #[test]
    fn parallel_handling_reports_a_truncated_file() {
        let input = many_records(5_000, &[]);
        let cut = &input[..input.len() - 400];
        let err = for_each_element_par(
            "t.js",
            cut.as_bytes(),
            Wrapper::Assignment,
            || (),
            |_, _, _| Flow::Continue,
            |out| out,
            |_| {},
        )
        .unwrap_err();
        assert!(err.reason.contains("truncated"), "{err}");
    }
}
