//! Defences every reader shares against hostile or damaged files: a byte-order mark at the start,
//! a dependency's decoder that panics on corrupt bytes, and a CSV quote that is never closed.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::io::{self, Read};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Once;

use crate::error::{InputError, Position};

/// Drops a UTF-8 byte-order mark at the start of a stream, so that every text format accepts it
/// the same way (editors on Windows write one; CSV and archive readers always accepted it).
pub struct SkipBom<R> {
    inner: R,
    /// Bytes read ahead while looking for the mark, to be handed out first.
    head: [u8; 3],
    head_len: usize,
    head_at: usize,
    checked: bool,
}

impl<R: Read> SkipBom<R> {
    pub fn new(inner: R) -> Self {
        SkipBom {
            inner,
            head: [0; 3],
            head_len: 0,
            head_at: 0,
            checked: false,
        }
    }

    fn check(&mut self) -> io::Result<()> {
        while self.head_len < 3 {
            match self.inner.read(&mut self.head[self.head_len..]) {
                Ok(0) => break,
                Ok(n) => self.head_len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.head[..self.head_len] == [0xEF, 0xBB, 0xBF] {
            self.head_at = 3;
        }
        self.checked = true;
        Ok(())
    }
}

impl<R: Read> Read for SkipBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.checked {
            self.check()?;
        }
        if self.head_at < self.head_len {
            let n = (self.head_len - self.head_at).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.head_at..self.head_at + n]);
            self.head_at += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

thread_local! {
    /// Set while this thread runs a decoder whose panic is turned into an input error.
    static ISOLATED: Cell<bool> = const { Cell::new(false) };
    /// The message and place of the last panic caught on this thread.
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that keeps quiet about panics inside [`isolated`] decoding, whose
/// message goes into the input error instead; every other panic is reported as before.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if ISOLATED.with(Cell::get) {
                let place = info
                    .location()
                    .map(|l| format!(" in {}:{}", crate_relative(l.file()), l.line()))
                    .unwrap_or_default();
                let message = payload_message(info.payload());
                CAUGHT.with(|c| *c.borrow_mut() = Some(format!("{message}{place}")));
            } else {
                previous(info);
            }
        }));
    });
}

/// A dependency's source path from the crate's folder on (`arrow-buffer-59.3.2/src/…`), not
/// from the machine's cargo registry.
fn crate_relative(path: &str) -> &str {
    path.split_once("/registry/src/")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map_or(path, |(_, from_crate)| from_crate)
}

/// The text of a panic's payload.
pub fn payload_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Runs a dependency's decoder over the bytes of `file`. Some decoders (Parquet's, Arrow IPC's)
/// panic on corrupt input instead of returning an error; such a panic becomes an input error
/// that names the file, `what` it was expected to be, and where the decoder gave up.
/// The decoder must not spawn threads: only this thread's panics are caught quietly.
pub fn isolated<T>(
    file: &str,
    position: impl FnOnce() -> Position,
    what: &str,
    decode: impl FnOnce() -> Result<T, InputError>,
) -> Result<T, InputError> {
    install_hook();
    let was = ISOLATED.with(|f| f.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(decode));
    ISOLATED.with(|f| f.set(was));
    result.unwrap_or_else(|payload| {
        let detail = CAUGHT
            .with(|c| c.borrow_mut().take())
            .unwrap_or_else(|| payload_message(payload.as_ref()));
        Err(InputError::new(
            file,
            position(),
            format!("not a readable {what}: its bytes are corrupt (the decoder failed: {detail})"),
        ))
    })
}

/// Where a CSV parser is in the bytes it has been given, as far as quoting goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// At the start of a field: a quote here opens a quoted field.
    FieldStart,
    /// Inside an unquoted field: a quote here is an ordinary character.
    Unquoted,
    Quoted,
    /// Just after a quote inside a quoted field: either an escaped quote or the field's end.
    QuoteInQuoted,
}

#[derive(Debug)]
struct QuoteState {
    quoting: Quoting,
    line: u64,
    /// Line on which the quoted field being read opened.
    opened_at: u64,
    at_end: bool,
}

/// Follows the quoting of the CSV bytes passing through it (RFC 4180, as the `csv` crate reads
/// it), so that a quote never closed is caught: the parser would otherwise take every row after
/// it as one field's text and report nothing.
pub struct QuoteWatch<R> {
    inner: R,
    state: Rc<RefCell<QuoteState>>,
}

/// The reading end of a [`QuoteWatch`], kept by the reader while the CSV parser owns the stream.
#[derive(Clone)]
pub struct OpenQuote(Rc<RefCell<QuoteState>>);

impl<R: Read> QuoteWatch<R> {
    pub fn new(inner: R) -> (Self, OpenQuote) {
        let state = Rc::new(RefCell::new(QuoteState {
            quoting: Quoting::FieldStart,
            line: 1,
            opened_at: 1,
            at_end: false,
        }));
        (
            QuoteWatch {
                inner,
                state: state.clone(),
            },
            OpenQuote(state),
        )
    }
}

impl<R: Read> Read for QuoteWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut s = self.state.borrow_mut();
        if n == 0 && !buf.is_empty() {
            s.at_end = true;
        }
        for &b in &buf[..n] {
            if b == b'\n' {
                s.line += 1;
            }
            s.quoting = match (s.quoting, b) {
                (Quoting::FieldStart, b'"') => {
                    s.opened_at = s.line;
                    Quoting::Quoted
                }
                (Quoting::FieldStart | Quoting::Unquoted, b',' | b'\n' | b'\r') => {
                    Quoting::FieldStart
                }
                (Quoting::FieldStart | Quoting::Unquoted, _) => Quoting::Unquoted,
                (Quoting::Quoted, b'"') => Quoting::QuoteInQuoted,
                (Quoting::Quoted, _) => Quoting::Quoted,
                (Quoting::QuoteInQuoted, b'"') => Quoting::Quoted,
                (Quoting::QuoteInQuoted, b',' | b'\n' | b'\r') => Quoting::FieldStart,
                // `"a"b`: the csv crate reads on in an unquoted state.
                (Quoting::QuoteInQuoted, _) => Quoting::Unquoted,
            };
        }
        Ok(n)
    }
}

impl OpenQuote {
    /// The line of a quote that the whole rest of the file did not close, once the parser has
    /// read to the end: the record it returned last swallowed every line after that one.
    pub fn unclosed(&self) -> Option<u64> {
        let s = self.0.borrow();
        (s.at_end && s.quoting == Quoting::Quoted).then_some(s.opened_at)
    }

    /// The error for a quote left open at `line`.
    pub fn error(file: &str, record: Option<u64>, line: u64) -> InputError {
        InputError::new(
            file,
            Position {
                record,
                line: Some(line),
                byte: None,
            },
            format!(
                "malformed CSV: the quote opened on line {line} is never closed, so every line after it would be read as one value (a missing `\"`?)"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through_skip_bom(bytes: &[u8], step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut r = SkipBom::new(crate::readers::test_io::Trickle { data: bytes, step });
        r.read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn a_byte_order_mark_is_dropped_only_at_the_start_whatever_the_read_sizes() {
        for step in [1, 2, 3, 64] {
            assert_eq!(
                through_skip_bom(b"\xEF\xBB\xBF{\"a\":1}", step),
                b"{\"a\":1}"
            );
            assert_eq!(through_skip_bom(b"{}\xEF\xBB\xBF", step), b"{}\xEF\xBB\xBF");
            assert_eq!(through_skip_bom(b"\xEF\xBB", step), b"\xEF\xBB");
            assert_eq!(through_skip_bom(b"", step), b"");
        }
    }

    fn unclosed(csv: &str) -> Option<u64> {
        let (watch, open) = QuoteWatch::new(csv.as_bytes());
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(watch);
        for r in rdr.byte_records() {
            r.unwrap();
        }
        open.unclosed()
    }

    #[test]
    fn a_quote_never_closed_is_found_on_the_line_it_opened() {
        assert_eq!(unclosed("a,b\n1,\"x\n2,y\n3,z\n"), Some(2));
        assert_eq!(unclosed("a,b\n1,x\n2,\"y"), Some(3));
    }

    #[test]
    fn quoted_newlines_escaped_quotes_and_stray_quotes_are_not_open_quotes() {
        assert_eq!(
            unclosed("a,b\n1,\"x\ny\"\n2,\"he said \"\"hi\"\"\"\n"),
            None
        );
        assert_eq!(unclosed("a,b\n1,5\" screen\n2,y\n"), None);
        assert_eq!(unclosed("a,b\r\n1,\"\"\r\n"), None);
    }

    #[test]
    fn a_decoder_panic_becomes_an_input_error_naming_the_file() {
        let e = isolated::<()>("bad.parquet", Position::default, "Parquet file", || {
            panic!("index out of bounds")
        })
        .unwrap_err();
        assert_eq!(e.file, "bad.parquet");
        assert!(e.reason.contains("index out of bounds"), "{}", e.reason);
        assert!(
            e.reason.contains("not a readable Parquet file"),
            "{}",
            e.reason
        );
    }
}
