//! Streaming reads of JSON arrays, so a 2 GB `tweets.js` is visited one record at a time in
//! bounded memory. A small scanner finds where each element begins and ends (it tracks strings,
//! escapes and nesting, nothing more); the caller deserializes each element into its typed form.
//! So one malformed record is one error (or one reject in lenient mode), exact byte offsets and
//! lines are known, and parsing runs on slices, which serde_json does several times faster than
//! on readers.

use std::io::{self, Read};
use std::ops::Range;

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

/// The first read buffer of a file; most archive files fit in it. Later buffers are
/// [`BLOCK_BYTES`].
const FIRST_BUFFER: usize = 16 << 10;

/// Records are cut into blocks of about this many bytes: one read buffer each, handed whole to
/// a handler thread, so the file's bytes are copied once (by `read`), not once more per record.
const BLOCK_BYTES: usize = 1 << 20;

/// A buffer of the file and the complete records in it.
struct Block {
    data: Vec<u8>,
    records: Vec<(RecordPos, Range<usize>)>,
}

/// Where the splitter is in the file's grammar: `[prefix =] [ element, … ] [;]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before the `=` of `window.YTD.… =`, having skipped this many bytes.
    Prefix(usize),
    Open,
    FirstElement,
    Element,
    AfterElement,
    Trailer,
    Done,
}

/// What a scan of the buffered bytes ended with.
enum Scanned {
    NeedMore,
    Done,
}

/// Cuts a file into blocks of whole records. It reads into its own buffer, finds where each
/// element of the top-level array begins and ends ([`value_end`]), and hands out the buffer with
/// the records found in it; a record cut by the end of the buffer moves to the next one.
struct Splitter<R> {
    r: R,
    file: String,
    /// Read buffer, initialized to its full length; `buf[..filled]` holds data.
    buf: Vec<u8>,
    filled: usize,
    /// First byte of `buf` not yet consumed.
    at: usize,
    /// File offset of `buf[0]`.
    base: u64,
    /// Line number at `buf[counted]`: lines are counted lazily, as positions are asked for.
    line: u64,
    counted: usize,
    eof: bool,
    stage: Stage,
    index: u64,
    records: Vec<(RecordPos, Range<usize>)>,
    /// An error found after the records of the block being handed out; reported next.
    error: Option<InputError>,
    /// Buffers of handled blocks, to read into again without allocating and zeroing new ones.
    spare: Vec<Vec<u8>>,
}

impl<R: Read> Splitter<R> {
    fn new(file: &str, r: R, wrapper: Wrapper) -> Self {
        Splitter {
            r,
            file: file.to_string(),
            buf: vec![0; FIRST_BUFFER],
            filled: 0,
            at: 0,
            base: 0,
            line: 1,
            counted: 0,
            eof: false,
            stage: match wrapper {
                Wrapper::Assignment => Stage::Prefix(0),
                Wrapper::None => Stage::Open,
            },
            index: 0,
            records: Vec::new(),
            error: None,
            spare: Vec::new(),
        }
    }

    /// The next block of records, `None` after the last.
    fn next_block(&mut self) -> Result<Option<Block>, InputError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        loop {
            match self.scan() {
                Ok(Scanned::Done) => {
                    return Ok((!self.records.is_empty()).then(|| self.take_block()));
                }
                Ok(Scanned::NeedMore) => {}
                Err(e) => {
                    self.stage = Stage::Done;
                    if self.records.is_empty() {
                        return Err(e);
                    }
                    self.error = Some(e);
                    return Ok(Some(self.take_block()));
                }
            }
            if self.filled == self.buf.len() {
                if !self.records.is_empty() {
                    return Ok(Some(self.take_block()));
                }
                // A full buffer without one whole record: make room for the record.
                if self.at > 0 {
                    self.line_at(self.at);
                    self.buf.copy_within(self.at..self.filled, 0);
                    self.filled -= self.at;
                    self.base += self.at as u64;
                    self.counted -= self.at;
                    self.at = 0;
                } else {
                    self.buf.resize(self.buf.len().max(BLOCK_BYTES / 2) * 2, 0);
                }
            }
            self.fill()?;
        }
    }

    /// Give a handled block's buffer back, to be read into again.
    fn recycle(&mut self, mut data: Vec<u8>) {
        if self.spare.len() < BLOCKS_IN_FLIGHT {
            // Initialized before, so this zeroes only the tail cut off in `take_block`.
            data.resize(data.capacity(), 0);
            self.spare.push(data);
        }
    }

    /// Read into the buffer's free space, as far as it goes or the file ends.
    fn fill(&mut self) -> Result<(), InputError> {
        while self.filled < self.buf.len() {
            match self.r.read(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err(&self.file, e)),
            }
        }
        Ok(())
    }

    /// Hand out the buffer and its records; the unconsumed rest starts the next buffer.
    fn take_block(&mut self) -> Block {
        self.line_at(self.at);
        // Once the file is done (most archive files fit one buffer) nothing more is read.
        let rest = if self.stage == Stage::Done {
            0
        } else {
            self.filled - self.at
        };
        let mut next = match self.spare.pop() {
            Some(v) if v.len() >= rest * 2 => v,
            _ if self.stage == Stage::Done => Vec::new(),
            _ => vec![0; BLOCK_BYTES.max(rest * 2)],
        };
        next[..rest].copy_from_slice(&self.buf[self.at..self.at + rest]);
        self.filled = rest;
        let mut data = std::mem::replace(&mut self.buf, next);
        data.truncate(self.at);
        self.base += self.at as u64;
        self.counted -= self.at;
        self.at = 0;
        Block {
            data,
            records: std::mem::take(&mut self.records),
        }
    }

    /// The line of `buf[i]`; `i` never goes back.
    fn line_at(&mut self, i: usize) -> u64 {
        if i > self.counted {
            self.line += memchr::memchr_iter(b'\n', &self.buf[self.counted..i]).count() as u64;
            self.counted = i;
        }
        self.line
    }

    /// An error at the first unconsumed byte.
    fn err_here(&mut self, what: impl Into<String>) -> InputError {
        self.err_at(self.at, what)
    }

    fn err_at(&mut self, i: usize, what: impl Into<String>) -> InputError {
        let line = self.line_at(i);
        InputError::new(
            self.file.clone(),
            Position {
                record: None,
                line: Some(line),
                byte: Some(self.base + i as u64),
            },
            what,
        )
    }

    /// The next byte after whitespace, consuming the whitespace.
    fn skip_ws(&mut self) -> Option<u8> {
        while let Some(&b) = self.buf[..self.filled].get(self.at) {
            if !b.is_ascii_whitespace() {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    /// Consume what the buffer holds: records, separators, the wrapper.
    fn scan(&mut self) -> Result<Scanned, InputError> {
        loop {
            match self.stage {
                Stage::Prefix(seen) => {
                    let rest = &self.buf[self.at..self.filled];
                    match memchr::memchr(b'=', rest) {
                        Some(i) if seen + i <= PREFIX_LIMIT => {
                            self.at += i + 1;
                            self.stage = Stage::Open;
                        }
                        None if seen + rest.len() <= PREFIX_LIMIT => {
                            if self.eof {
                                let end = self.filled;
                                return Err(self.err_at(
                                    end,
                                    "expected an X archive data file (`window.YTD.<name>.part<N> = [ … ]`), but found no `=`",
                                ));
                            }
                            self.stage = Stage::Prefix(seen + rest.len());
                            self.at = self.filled;
                            return Ok(Scanned::NeedMore);
                        }
                        _ => {
                            let at = self.at + PREFIX_LIMIT - seen;
                            return Err(self.err_at(
                                at,
                                "expected `window.YTD.<name>.part<N> = [` at the start of the file",
                            ));
                        }
                    }
                }
                Stage::Open => {
                    // A UTF-8 byte order mark, which some tools add.
                    if self.base + self.at as u64 == 0 {
                        let head = &self.buf[..self.filled.min(3)];
                        if BOM.starts_with(head) && head.len() < 3 && !self.eof {
                            return Ok(Scanned::NeedMore);
                        }
                        if head == BOM {
                            self.at = 3;
                        }
                    }
                    match self.skip_ws() {
                        Some(b'[') => {
                            self.at += 1;
                            self.stage = Stage::FirstElement;
                        }
                        Some(b) => {
                            return Err(self.err_here(format!(
                                "expected a JSON array `[`, found {:?}",
                                b as char
                            )));
                        }
                        None if self.eof => {
                            return Err(self
                                .err_here("expected a JSON array `[`, found the end of the file"));
                        }
                        None => return Ok(Scanned::NeedMore),
                    }
                }
                Stage::FirstElement | Stage::Element => {
                    match self.skip_ws() {
                        Some(b']') if self.stage == Stage::FirstElement => {
                            self.at += 1;
                            self.stage = Stage::Trailer;
                            continue;
                        }
                        Some(_) => {}
                        None if self.eof => {
                            return Err(self.err_here(ARRAY_NOT_CLOSED));
                        }
                        None => return Ok(Scanned::NeedMore),
                    }
                    let start = self.at;
                    match value_end(&self.buf[start..self.filled]) {
                        Some(len) => {
                            let pos = RecordPos {
                                index: self.index,
                                line: self.line_at(start),
                                byte: self.base + start as u64,
                            };
                            self.records.push((pos, start..start + len));
                            self.index += 1;
                            self.at += len;
                            self.stage = Stage::AfterElement;
                        }
                        None if self.eof => {
                            let end = self.filled;
                            return Err(self.err_at(
                                end,
                                "the file ends in the middle of a record (truncated?)",
                            ));
                        }
                        None => return Ok(Scanned::NeedMore),
                    }
                }
                Stage::AfterElement => match self.skip_ws() {
                    Some(b',') => {
                        self.at += 1;
                        self.stage = Stage::Element;
                    }
                    Some(b']') => {
                        self.at += 1;
                        self.stage = Stage::Trailer;
                    }
                    Some(b) => {
                        let index = self.index;
                        return Err(self.err_here(format!(
                            "expected `,` or `]` after record {}, found {:?}",
                            index - 1,
                            b as char
                        )));
                    }
                    None if self.eof => {
                        return Err(self.err_here(ARRAY_NOT_CLOSED));
                    }
                    None => return Ok(Scanned::NeedMore),
                },
                // After the array only whitespace and an optional `;` may follow.
                Stage::Trailer => match self.skip_ws() {
                    Some(b';') => self.at += 1,
                    Some(b) => {
                        return Err(self.err_here(
                            format!(
                                "unexpected {:?} after the end of the JSON array; expected only whitespace or `;`",
                                b as char
                            ),
                        ));
                    }
                    None if self.eof => {
                        self.stage = Stage::Done;
                        return Ok(Scanned::Done);
                    }
                    None => return Ok(Scanned::NeedMore),
                },
                Stage::Done => return Ok(Scanned::Done),
            }
        }
    }
}

/// How a file whose top-level array never closes is reported.
const ARRAY_NOT_CLOSED: &str = "the file ends before the array is closed with `]` (truncated?)";

/// How far into a file the `=` of `window.YTD.… =` may be.
const PREFIX_LIMIT: usize = 4096;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where the JSON value at the start of `buf` ends (the index just past it), or `None` when `buf`
/// ends first. Only strings, escapes and bracket depth are tracked; whether the value is
/// well-formed is the parser's to say.
fn value_end(buf: &[u8]) -> Option<usize> {
    match buf.first()? {
        b'{' | b'[' => nested_end(buf),
        b'"' => string_end(buf, 1).map(|i| i + 1),
        // A scalar ends where the next separator or whitespace begins.
        _ => buf
            .iter()
            .position(|&b| matches!(b, b',' | b']' | b'}') || b.is_ascii_whitespace()),
    }
}

/// The index of the `"` closing the string whose contents start at `buf[from]`.
fn string_end(buf: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let i = from + memchr::memchr2(b'"', b'\\', &buf[from..])?;
        if buf[i] == b'"' {
            return Some(i);
        }
        from = i + 2;
        if from > buf.len() {
            return None;
        }
    }
}

/// [`value_end`] of an object or array, 64 bytes at a time: only quotes, backslashes and
/// brackets matter. A chunk without backslashes (most of them) is done without looking at its
/// bytes one by one: which bytes are inside strings follows from the quotes alone (a running
/// XOR), and the brackets outside strings are walked one by one only in the chunk where the depth
/// can reach zero. Chunks with backslashes are walked bit by bit ([`Nesting::step_walk`]).
fn nested_end(buf: &[u8]) -> Option<usize> {
    let mut state = Nesting {
        depth: 0,
        in_str: false,
        escaped: usize::MAX,
    };
    let mut base = 0;
    while base < buf.len() {
        let chunk: [u8; 64] = match buf.get(base..base + 64) {
            Some(c) => c.try_into().expect("64 bytes"),
            None => {
                let mut c = [b' '; 64];
                c[..buf.len() - base].copy_from_slice(&buf[base..]);
                c
            }
        };
        let m = Masks::of(&chunk);
        let end = if m.backslash == 0 && state.escaped != base {
            state.step_plain(&m, base)
        } else {
            state.step_walk(&m, base)
        };
        if end.is_some() {
            return end;
        }
        base += 64;
    }
    None
}

/// Where [`nested_end`] is after the chunks so far.
struct Nesting {
    depth: u32,
    in_str: bool,
    /// The byte a backslash escapes, which is then neither a quote nor a backslash.
    escaped: usize,
}

impl Nesting {
    /// A chunk with no backslash in it and no byte escaped from the chunk before.
    fn step_plain(&mut self, m: &Masks, base: usize) -> Option<usize> {
        // Bit i: an odd number of quotes up to byte i, i.e. byte i is inside a string (counting
        // the opening quote in, the closing one out), flipped when a string was open before.
        let mut inside = prefix_xor(m.quote);
        if self.in_str {
            inside = !inside;
        }
        self.in_str = inside >> 63 == 1;
        let (open, close) = (m.open & !inside, m.close & !inside);
        if close.count_ones() < self.depth {
            // The depth cannot reach zero in this chunk.
            self.depth = self.depth + open.count_ones() - close.count_ones();
            return None;
        }
        let mut bits = open | close;
        while bits != 0 {
            let bit = bits & bits.wrapping_neg();
            bits ^= bit;
            if open & bit != 0 {
                self.depth += 1;
            } else {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0 {
                    return Some(base + bit.trailing_zeros() as usize + 1);
                }
            }
        }
        None
    }

    /// Any chunk, walking its quotes, backslashes and brackets one by one.
    fn step_walk(&mut self, m: &Masks, base: usize) -> Option<usize> {
        let mut bits = m.quote | m.backslash | m.open | m.close;
        while bits != 0 {
            let bit = bits & bits.wrapping_neg();
            bits ^= bit;
            let at = base + bit.trailing_zeros() as usize;
            if at == self.escaped {
                continue;
            }
            if self.in_str {
                if m.backslash & bit != 0 {
                    self.escaped = at + 1;
                } else if m.quote & bit != 0 {
                    self.in_str = false;
                }
            } else if m.quote & bit != 0 {
                self.in_str = true;
            } else if m.open & bit != 0 {
                self.depth += 1;
            } else if m.close & bit != 0 {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0 {
                    return Some(at + 1);
                }
            }
        }
        None
    }
}

/// Bit i of the result is the XOR of bits 0..=i of `x`.
fn prefix_xor(mut x: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        x ^= x << shift;
    }
    x
}

/// Bit `i` of each mask is set when byte `i` of a 64-byte chunk is that character. Brackets of
/// both kinds count alike: in JSON they nest properly, so depth alone finds the end.
#[derive(Debug, Default, PartialEq, Eq)]
struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
}

impl Masks {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    fn of(chunk: &[u8; 64]) -> Masks {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
            _mm_set1_epi8,
        };
        let mut m = Masks::default();
        for k in 0..4 {
            // SAFETY: the cfg guarantees SSE2; the load reads bytes 16k..16k+16 of the 64-byte
            // array and needs no alignment.
            let [quote, backslash, open, close] = unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr().add(16 * k).cast::<__m128i>());
                // `[` and `]` are `{` and `}` with bit 5 clear: setting it folds each pair.
                let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
                [(v, b'"'), (v, b'\\'), (folded, b'{'), (folded, b'}')].map(|(x, c)| {
                    let hits = _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c as i8)));
                    u64::from(hits as u16) << (16 * k)
                })
            };
            m.quote |= quote;
            m.backslash |= backslash;
            m.open |= open;
            m.close |= close;
        }
        m
    }

    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    fn of(chunk: &[u8; 64]) -> Masks {
        Masks::of_bytes(chunk)
    }

    /// [`Masks::of`] a byte at a time: the fallback where SSE2 is missing, and its reference.
    #[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
    fn of_bytes(chunk: &[u8; 64]) -> Masks {
        let mut m = Masks::default();
        for (i, &b) in chunk.iter().enumerate() {
            let bit = 1u64 << i;
            if b == b'"' {
                m.quote |= bit;
            } else if b == b'\\' {
                m.backslash |= bit;
            } else if b | 0x20 == b'{' {
                m.open |= bit;
            } else if b | 0x20 == b'}' {
                m.close |= bit;
            }
        }
        m
    }
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
    let mut s = Splitter::new(file, reader, wrapper);
    while let Some(block) = s.next_block()? {
        for (pos, range) in &block.records {
            if let Flow::Abort(e) = f(*pos, &block.data[range.clone()]) {
                return Err(e);
            }
        }
        s.recycle(block.data);
    }
    Ok(s.index)
}

/// Blocks read but not yet handled, at most: bounds memory whatever the file size.
const BLOCKS_IN_FLIGHT: usize = 8;

/// What a block's handling left: its output and, in strict mode, the error that stopped it.
struct Handled<P> {
    out: P,
    error: Option<InputError>,
}

/// [`for_each_element`] with the records handled on every rayon thread: one large file (a 2 GB
/// `tweets.js`) is parsed on all cores while this thread reads ahead and finds record
/// boundaries. Every block of records gets its own output from `fork`, which `close` turns into
/// what `join` receives, in file order, so what is collected does not depend on thread timing.
/// The first error in file order is returned, as [`for_each_element`] would.
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
    let handled_buffers: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
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
        handled_buffers
            .lock()
            .expect("no handler panics")
            .push(block.data);
        Handled {
            out: close(out),
            error,
        }
    };
    let mut splitter = Splitter::new(file, reader, wrapper);
    let scanned = rayon::in_place_scope(|scope| {
        let mut blocks = 0usize;
        loop {
            if failed.load(Ordering::Relaxed) {
                // A handler failed: the file's error is known, stop reading. The placeholder is
                // replaced below by the handler's error, which comes first in the file.
                return Err(InputError::file(file, "stopped at an earlier error"));
            }
            for data in handled_buffers.lock().expect("no handler panics").drain(..) {
                splitter.recycle(data);
            }
            let block = match splitter.next_block() {
                Ok(Some(block)) => block,
                Ok(None) => return Ok(splitter.index),
                Err(e) => return Err(e),
            };
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
        }
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
    fn record_ends_found_64_bytes_at_a_time_agree_with_serde_json() {
        // Escapes, brackets inside strings and nesting, shifted across every 64-byte boundary.
        let tails = [
            r#""s": "a\\", "t": "\"}{[", "n": [1, {"a": "]"}, []], "e": {}}"#,
            r#""q": "\\\"", "b": "\\"}"#,
            r#""u": "\u0022}\\", "x": [[[{"y": "}}}"}]]]}"#,
        ];
        for pad in 0..140 {
            for tail in tails {
                let value = format!(r#"{{"p": "{}", {tail}"#, "x".repeat(pad));
                let input = format!("{value} , {{\"next\": 1}}");
                let mut stream =
                    serde_json::Deserializer::from_str(&input).into_iter::<serde_json::Value>();
                stream.next().unwrap().unwrap();
                assert_eq!(
                    value_end(input.as_bytes()),
                    Some(stream.byte_offset()),
                    "{value}"
                );
                assert_eq!(value_end(&value.as_bytes()[..value.len() - 1]), None);
            }
        }
    }

    /// What [`nested_end`] must find, a byte at a time: a backslash inside a string hides the
    /// next byte; outside strings it means nothing (the parser rejects it later).
    fn nested_end_bytewise(buf: &[u8]) -> Option<usize> {
        let (mut depth, mut in_str, mut i) = (0u32, false, 0);
        while i < buf.len() {
            match (in_str, buf[i]) {
                (true, b'\\') => i += 1,
                (true, b'"') => in_str = false,
                (false, b'"') => in_str = true,
                (false, b'{' | b'[') => depth += 1,
                (false, b'}' | b']') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    #[test]
    fn record_ends_of_random_bracket_quote_and_backslash_soup_agree_with_a_bytewise_scan() {
        // Mostly plain chunks (the fast path) with backslash runs, quotes and brackets sprinkled
        // in, so chunks switch between the two ways at every offset; valid JSON or not.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..20_000 {
            let len = (next() % 400) as usize + 1;
            let rare = [b'"', b'\\', b'{', b'}', b'[', b']'];
            let mut buf = vec![if case % 2 == 0 { b'{' } else { b'[' }];
            for _ in 1..len {
                let r = next();
                buf.push(if r % 100 < (case % 7) as u64 * 3 + 2 {
                    rare[(r >> 8) as usize % rare.len()]
                } else {
                    b"ab ,:0"[(r >> 8) as usize % 6]
                });
            }
            assert_eq!(
                nested_end(&buf),
                nested_end_bytewise(&buf),
                "{:?}",
                String::from_utf8_lossy(&buf)
            );
        }
    }

    #[test]
    fn prefix_xor_marks_the_bytes_after_an_odd_number_of_quotes() {
        assert_eq!(prefix_xor(0), 0);
        assert_eq!(prefix_xor(0b1), u64::MAX);
        assert_eq!(prefix_xor(0b10010), 0b01110);
        assert_eq!(prefix_xor(1 << 63), 1 << 63);
    }

    #[test]
    fn masks_a_byte_at_a_time_equal_the_vector_masks() {
        // Every byte value, at every position of a chunk.
        for shift in 0..64usize {
            let mut chunk = [0u8; 64];
            for (i, b) in chunk.iter_mut().enumerate() {
                *b = ((i * 4 + shift * 7) % 256) as u8;
            }
            chunk[shift] = b"\"\\{}[]"[shift % 6];
            assert_eq!(Masks::of(&chunk), Masks::of_bytes(&chunk), "shift {shift}");
        }
    }

    #[test]
    fn short_reads_split_the_same_records_at_the_same_positions() {
        let input = many_records(300, &[]);
        let whole = collect(&input, Wrapper::Assignment).unwrap();
        for step in [1, 3, 7, 4096] {
            let mut got = Vec::new();
            let reader = crate::readers::test_io::Trickle {
                data: input.as_bytes(),
                step,
            };
            for_each_element("t.js", reader, Wrapper::Assignment, |p, raw| {
                got.push((p, String::from_utf8(raw.to_vec()).unwrap()));
                Flow::Continue
            })
            .unwrap();
            assert_eq!(got, whole, "reads of {step} bytes");
        }
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
