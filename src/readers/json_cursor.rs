//! A strict JSON reader over one record's bytes, for the hot path of reading posts. It walks the
//! record once, hands the caller each key so it keeps only the fields it wants (strings are
//! borrowed unless they hold escapes), and checks but does not build the values it skips.
//!
//! It never explains a failure: on anything it does not accept — malformed JSON, a value of an
//! unexpected type, a number it cannot reproduce exactly, a repeated field — it declines, and the
//! caller hands the record to serde_json, which either reads it or names what is wrong and where.
//! So this reader must never accept what serde_json rejects, nor read a value differently; the
//! tests compare the two on valid records and on thousands of damaged ones.

use std::borrow::Cow;

/// This reader does not accept the record; serde_json decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declined;

pub type Accepted<T> = Result<T, Declined>;

/// serde_json refuses to nest deeper than 128; declining earlier leaves the error to it.
const MAX_DEPTH: u32 = 100;

pub struct Cursor<'a> {
    buf: &'a [u8],
    at: usize,
    depth: u32,
}

impl<'a> Cursor<'a> {
    /// Reads one whole record with `read`, after which only whitespace may follow.
    pub fn read_all<T>(
        buf: &'a [u8],
        read: impl FnOnce(&mut Cursor<'a>) -> Accepted<T>,
    ) -> Accepted<T> {
        let mut c = Cursor {
            buf,
            at: 0,
            depth: 0,
        };
        let value = read(&mut c)?;
        match c.peek() {
            None => Ok(value),
            Some(_) => Err(Declined),
        }
    }

    /// The next byte that is not whitespace, left unconsumed.
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.buf.get(self.at) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    fn literal(&mut self, word: &[u8]) -> Accepted<()> {
        if self.buf[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Declined)
        }
    }

    /// Consumes a `null` and says so, or leaves any other value alone.
    pub fn null(&mut self) -> Accepted<bool> {
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// `null` as `None`, else the value `read` reads.
    pub fn opt<T>(&mut self, read: impl FnOnce(&mut Self) -> Accepted<T>) -> Accepted<Option<T>> {
        if self.null()? {
            Ok(None)
        } else {
            read(self).map(Some)
        }
    }

    fn enter(&mut self, open: u8) -> Accepted<()> {
        if self.peek() != Some(open) || self.depth >= MAX_DEPTH {
            return Err(Declined);
        }
        self.at += 1;
        self.depth += 1;
        Ok(())
    }

    /// After an element: `,` (true, more follow) or the closing bracket (false).
    fn next_or_close(&mut self, close: u8) -> Accepted<bool> {
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.at += 1;
                self.depth -= 1;
                Ok(false)
            }
            _ => Err(Declined),
        }
    }

    /// An object: `field` gets each key (unescaped) and must consume its value.
    pub fn object(
        &mut self,
        mut field: impl FnMut(&mut Self, &[u8]) -> Accepted<()>,
    ) -> Accepted<()> {
        self.enter(b'{')?;
        if self.peek() == Some(b'}') {
            return self.next_or_close(b'}').map(drop);
        }
        loop {
            let key = self.checked_bytes()?;
            if self.peek() != Some(b':') {
                return Err(Declined);
            }
            self.at += 1;
            field(self, &key)?;
            if !self.next_or_close(b'}')? {
                return Ok(());
            }
        }
    }

    /// An array: `item` must consume each element.
    pub fn array(&mut self, mut item: impl FnMut(&mut Self) -> Accepted<()>) -> Accepted<()> {
        self.enter(b'[')?;
        if self.peek() == Some(b']') {
            return self.next_or_close(b']').map(drop);
        }
        loop {
            item(self)?;
            if !self.next_or_close(b']')? {
                return Ok(());
            }
        }
    }

    /// An array read element by element into a vector.
    pub fn vec<T>(&mut self, mut read: impl FnMut(&mut Self) -> Accepted<T>) -> Accepted<Vec<T>> {
        let mut out = Vec::new();
        self.array(|c| {
            out.push(read(c)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// A string, borrowed from the record unless it holds escapes.
    pub fn string(&mut self) -> Accepted<Cow<'a, str>> {
        let (bytes, ascii) = self.string_bytes()?;
        if ascii {
            // Most strings of a record (ids, dates, keys, language codes) are ASCII, which
            // `string_bytes` has already seen: checking them again was 2 % of reading a post.
            // SAFETY: with `ascii` set, every byte taken from the record is below 0x80, and the
            // only others are escapes decoded by `char::encode_utf8`; so the bytes are UTF-8.
            return Ok(match bytes {
                Cow::Borrowed(b) => Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(b) }),
                Cow::Owned(v) => Cow::Owned(unsafe { String::from_utf8_unchecked(v) }),
            });
        }
        match bytes {
            Cow::Borrowed(b) => std::str::from_utf8(b).map(Cow::Borrowed).ok(),
            Cow::Owned(v) => String::from_utf8(v).map(Cow::Owned).ok(),
        }
        .ok_or(Declined)
    }

    /// A string's bytes, unescaped, and whether they are all ASCII. Bytes beyond ASCII are not
    /// checked as UTF-8 here: [`Cursor::string`] does, and keys and skipped strings do when the
    /// flag says so.
    fn string_bytes(&mut self) -> Accepted<(Cow<'a, [u8]>, bool)> {
        if self.peek() != Some(b'"') {
            return Err(Declined);
        }
        let buf = self.buf;
        let start = self.at + 1;
        let mut from = start;
        let mut ascii = true;
        let mut unescaped: Option<Vec<u8>> = None;
        loop {
            let end = plain_run_end(buf, from, &mut ascii);
            let run = &buf[from..end];
            match buf.get(end) {
                Some(b'"') => {
                    self.at = end + 1;
                    // Without escapes, `run` is the whole string.
                    return Ok(match unescaped {
                        None => (Cow::Borrowed(run), ascii),
                        Some(mut out) => {
                            out.extend_from_slice(run);
                            (Cow::Owned(out), ascii)
                        }
                    });
                }
                Some(b'\\') => {}
                // A raw control character, or the record ended inside the string.
                _ => return Err(Declined),
            }
            // Strings with escapes are mostly HTML (`source`) or text of up to a few hundred
            // bytes: room for that up front spares most regrowing.
            let out = unescaped.get_or_insert_with(|| Vec::with_capacity(2 * (end - start) + 128));
            out.extend_from_slice(run);
            let escape = *buf.get(end + 1).ok_or(Declined)?;
            from = end + 2;
            let plain = match escape {
                b'"' => b'"',
                b'\\' => b'\\',
                b'/' => b'/',
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'u' => {
                    let (c, len) = unicode_escape(&buf[from..])?;
                    from += len;
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    continue;
                }
                _ => return Err(Declined),
            };
            out.push(plain);
        }
    }

    /// A key or a skipped string: its bytes, checked as UTF-8 only when they go beyond ASCII.
    fn checked_bytes(&mut self) -> Accepted<Cow<'a, [u8]>> {
        let (bytes, ascii) = self.string_bytes()?;
        if !ascii && std::str::from_utf8(&bytes).is_err() {
            return Err(Declined);
        }
        Ok(bytes)
    }

    /// A string or `null`, borrowed unless it holds escapes.
    pub fn opt_string(&mut self) -> Accepted<Option<Cow<'a, str>>> {
        self.opt(Self::string)
    }

    /// An id given as a string or as a number, as `api_tweet::str_or_num` reads it. serde_json
    /// turns an integer into a u64 or i64 and back into digits, which gives back the same digits
    /// for any integer that fits; anything else (fractions, exponents, `-0`, huge numbers) is left
    /// to it.
    pub fn str_or_num(&mut self) -> Accepted<Option<Cow<'a, str>>> {
        match self.peek() {
            Some(b'"') => self.string().map(Some),
            Some(b'n') => self.literal(b"null").map(|_| None),
            Some(b'-' | b'0'..=b'9') => {
                let number = self.number()?;
                let digits = number.strip_prefix('-').unwrap_or(number);
                let fits = if number.starts_with('-') {
                    digits.len() <= 18 && digits != "0"
                } else {
                    digits.len() <= 19
                };
                if !fits || digits.contains('.') {
                    return Err(Declined);
                }
                Ok(Some(Cow::Borrowed(number)))
            }
            _ => Err(Declined),
        }
    }

    /// A boolean, or `"true"`/`"false"`, or `null`, as `api_tweet::bool_or_str` reads it.
    pub fn bool_or_str(&mut self) -> Accepted<Option<bool>> {
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|_| Some(true)),
            Some(b'f') => self.literal(b"false").map(|_| Some(false)),
            Some(b'n') => self.literal(b"null").map(|_| None),
            Some(b'"') => match self.string()?.as_ref() {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(Declined),
            },
            _ => Err(Declined),
        }
    }

    /// Any value, checked but not kept.
    pub fn skip(&mut self) -> Accepted<()> {
        match self.peek() {
            Some(b'{') => self.object(|c, _| c.skip()),
            Some(b'[') => self.array(Self::skip),
            Some(b'"') => self.checked_bytes().map(drop),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            _ => self.number().map(drop),
        }
    }

    /// A number's text, by JSON's grammar. Exponents are left to serde_json, which checks their
    /// range.
    fn number(&mut self) -> Accepted<&'a str> {
        let buf = self.buf;
        let start = self.at;
        let digits_from = |mut i: usize| {
            while buf.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut i = start + usize::from(buf.get(start) == Some(&b'-'));
        i = match buf.get(i) {
            Some(b'0') => i + 1,
            Some(b'1'..=b'9') => digits_from(i + 1),
            _ => return Err(Declined),
        };
        if buf.get(i) == Some(&b'.') {
            let end = digits_from(i + 1);
            if end == i + 1 {
                return Err(Declined);
            }
            i = end;
        }
        if matches!(buf.get(i), Some(b'e' | b'E')) {
            return Err(Declined);
        }
        self.at = i;
        std::str::from_utf8(&buf[start..i]).map_err(|_| Declined)
    }
}

/// Where the run of plain string bytes from `from` ends: at the first quote, backslash or control
/// character (or the end of `buf`). Clears `ascii` if a byte beyond ASCII is near (in the run or
/// just after it: a spare UTF-8 check costs little). Sixteen bytes at a time: most strings of a
/// post record are short keys and ids, which one step covers, too short for memchr to pay.
fn plain_run_end(buf: &[u8], mut from: usize, ascii: &mut bool) -> usize {
    loop {
        let (stops, high) = match buf.get(from..from + 16) {
            Some(w) => Stops::of(w.try_into().expect("16 bytes")),
            None if from >= buf.len() => return buf.len(),
            // The last few bytes, padded with a byte that stops nothing.
            None => {
                let mut w = [b'a'; 16];
                w[..buf.len() - from].copy_from_slice(&buf[from..]);
                Stops::of(&w)
            }
        };
        if high != 0 {
            *ascii = false;
        }
        if stops != 0 {
            return (from + stops.trailing_zeros() as usize).min(buf.len());
        }
        from += 16;
    }
}

/// Bit i of the first mask: byte i of 16 ends a run of plain string bytes (a quote, a backslash
/// or a control character); of the second: byte i is beyond ASCII.
struct Stops;

impl Stops {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    fn of(w: &[u8; 16]) -> (u32, u32) {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: the cfg guarantees SSE2; the load reads the 16 bytes of `w` and needs no
        // alignment.
        unsafe {
            let v = _mm_loadu_si128(w.as_ptr().cast::<__m128i>());
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // Unsigned v <= 0x1f exactly where min(v, 0x1f) == v.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
            let stops = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control));
            (stops as u32, _mm_movemask_epi8(v) as u32)
        }
    }

    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    fn of(w: &[u8; 16]) -> (u32, u32) {
        Stops::of_bytes(w)
    }

    /// [`Stops::of`] a byte at a time: the fallback where SSE2 is missing, and its reference.
    #[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
    fn of_bytes(w: &[u8; 16]) -> (u32, u32) {
        let (mut stops, mut high) = (0, 0);
        for (i, &b) in w.iter().enumerate() {
            if b == b'"' || b == b'\\' || b < 0x20 {
                stops |= 1 << i;
            }
            if b >= 0x80 {
                high |= 1 << i;
            }
        }
        (stops, high)
    }
}

/// The character of a `\u` escape whose four hex digits start `rest` (a surrogate pair takes a
/// second escape), and how many bytes it took. Lone surrogates are left to serde_json.
fn unicode_escape(rest: &[u8]) -> Accepted<(char, usize)> {
    let unit = |at: usize| -> Accepted<u32> {
        let hex = rest.get(at..at + 4).ok_or(Declined)?;
        let hex = std::str::from_utf8(hex).map_err(|_| Declined)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Declined);
        }
        u32::from_str_radix(hex, 16).map_err(|_| Declined)
    };
    let first = unit(0)?;
    match first {
        0xD800..=0xDBFF => {
            if rest.get(4..6) != Some(b"\\u") {
                return Err(Declined);
            }
            let second = unit(6)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return Err(Declined);
            }
            let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            char::from_u32(c).map(|c| (c, 10)).ok_or(Declined)
        }
        _ => char::from_u32(first).map(|c| (c, 4)).ok_or(Declined),
    }
}

/// Fields already read in one object. serde's derive rejects a repeated field, so this reader
/// declines it; each field of a struct has its own number below 64 (see [`read_fields`]).
#[derive(Default)]
pub struct Seen(u64);

impl Seen {
    pub fn first(&mut self, field: u32) -> Accepted<()> {
        let bit = 1u64 << field;
        if self.0 & bit != 0 {
            return Err(Declined);
        }
        self.0 |= bit;
        Ok(())
    }
}

/// The number [`Seen`] gives `key`: its position in `keys`, found at compile time.
pub const fn field_number(keys: &[&[u8]], key: &[u8]) -> u32 {
    let mut i = 0;
    while i < keys.len() {
        let k = keys[i];
        if k.len() == key.len() {
            let mut j = 0;
            while j < k.len() && k[j] == key[j] {
                j += 1;
            }
            if j == k.len() {
                return i as u32;
            }
        }
        i += 1;
    }
    panic!("the key is not in the list")
}

/// Reads an object, one arm per field the caller keeps: `b"key" => place => reader;` stores what
/// `reader` (an expression over the cursor `$c`) reads from that key's value. Other keys are
/// checked and skipped, and a key given twice is declined, as serde's derive rejects it.
macro_rules! read_fields {
    ($c:ident, { $($key:literal => $place:expr => $read:expr;)* }) => {{
        const KEYS: &[&[u8]] = &[$($key),*];
        const _: () = assert!(KEYS.len() <= 64, "Seen numbers at most 64 fields");
        let mut seen = $crate::readers::json_cursor::Seen::default();
        $c.object(|$c, key| {
            let field = match key {
                $($key => {
                    $place = $read?;
                    const { $crate::readers::json_cursor::field_number(KEYS, $key) }
                })*
                _ => return $c.skip(),
            };
            seen.first(field)
        })
    }};
}
pub(crate) use read_fields;

#[cfg(test)]
mod tests {
    use super::*;

    /// Token soup: mostly invalid JSON, some valid, often nested. Whatever the cursor accepts as a
    /// value, serde_json must accept too, and as a string it must read the same text.
    #[test]
    fn random_token_sequences_are_never_accepted_when_serde_json_rejects_them() {
        use rand::seq::IndexedRandom;
        use rand::{Rng, SeedableRng};
        const TOKENS: &[&str] = &[
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            " ",
            "\n",
            "\"k\"",
            "\"k\":",
            "\"\\u00e9\"",
            "\"\\ud83d\\ude00\"",
            "\"\\ud83d\"",
            "\"\\x\"",
            "\"\\\"\"",
            "\"é\"",
            "\"\u{1}\"",
            "1",
            "-0",
            "-",
            "1.5",
            "1.",
            "1e5",
            "01",
            "true",
            "nul",
            "null",
            "false",
            "\"",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        let (mut accepted, mut strings) = (0, 0);
        for _ in 0..50_000 {
            let n = rng.random_range(1..16);
            let raw: String = (0..n).map(|_| *TOKENS.choose(&mut rng).unwrap()).collect();
            if Cursor::read_all(raw.as_bytes(), |c| c.skip()).is_ok() {
                accepted += 1;
                serde_json::from_str::<serde::de::IgnoredAny>(&raw)
                    .unwrap_or_else(|e| panic!("accepted {raw:?}, which serde_json rejects: {e}"));
            }
            if let Ok(s) = Cursor::read_all(raw.as_bytes(), |c| c.string()) {
                strings += 1;
                assert_eq!(
                    serde_json::from_str::<String>(&raw).ok().as_deref(),
                    Some(&*s)
                );
            }
        }
        assert!(
            accepted > 1000 && strings > 100,
            "{accepted} values, {strings} strings"
        );
    }

    #[test]
    fn stop_masks_equal_a_byte_at_a_time_scan_for_every_byte_value() {
        for shift in 0..16usize {
            let mut w = [0u8; 16];
            for (i, b) in w.iter_mut().enumerate() {
                *b = ((i * 16 + shift * 5) % 256) as u8;
            }
            for b in 0..=255u8 {
                w[shift] = b;
                assert_eq!(Stops::of(&w), Stops::of_bytes(&w), "byte {b} at {shift}");
            }
        }
    }

    #[test]
    fn plain_runs_end_where_a_byte_at_a_time_scan_ends() {
        let stops = [b'"', b'\\', 0x00, 0x1f, b'\n'];
        let plain = "abcdefghijklmnopqrstuvwxyz é😀 0123456789\u{7f} ~!ÿ".as_bytes();
        for len in 0..plain.len() {
            for start in 0..=len {
                for stop in stops.iter().map(Some).chain([None]) {
                    let mut buf = plain[..len].to_vec();
                    if let Some(&b) = stop {
                        buf.push(b);
                        buf.extend_from_slice(b"tail \"");
                    }
                    let want = buf[start..]
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                        .map_or(buf.len(), |i| start + i);
                    let mut ascii = true;
                    assert_eq!(
                        plain_run_end(&buf, start, &mut ascii),
                        want,
                        "{buf:?} from {start}"
                    );
                    if !buf[start..want].is_ascii() {
                        assert!(!ascii, "{buf:?} from {start}");
                    }
                }
            }
        }
    }
}

/// Checks that a fast reader keeps this module's promise, for the readers' tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::fmt::Debug;

    use serde::de::DeserializeOwned;

    /// Whatever `fast` accepts, serde_json accepts and reads to the same value. Returns whether
    /// `fast` accepted. `fast` gives the value's `Debug` form: what it reads borrows from `raw`
    /// (serde's reading owns), and a borrowed and an owned string look the same there.
    pub fn agrees_with_serde<T: DeserializeOwned + Debug>(
        raw: &[u8],
        fast: impl Fn(&[u8]) -> Option<String>,
    ) -> bool {
        let Some(value) = fast(raw) else {
            return false;
        };
        let reference = serde_json::from_slice::<T>(raw).unwrap_or_else(|e| {
            panic!(
                "the fast reader accepted what serde_json rejects ({e}): {}",
                String::from_utf8_lossy(raw)
            )
        });
        assert_eq!(
            value,
            format!("{reference:?}"),
            "{}",
            String::from_utf8_lossy(raw)
        );
        true
    }

    /// The JSON names of the fields serde's derive declares for `T` (renames applied): asked of
    /// the derive itself, by a deserializer that only records what `deserialize_struct` is given.
    pub fn declared_fields<T: DeserializeOwned>() -> &'static [&'static str] {
        use std::cell::Cell;
        use std::fmt;

        #[derive(Debug)]
        struct Stop;
        impl fmt::Display for Stop {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("stop")
            }
        }
        impl std::error::Error for Stop {}
        impl serde::de::Error for Stop {
            fn custom<M: fmt::Display>(_: M) -> Self {
                Stop
            }
        }
        struct Probe<'c>(&'c Cell<&'static [&'static str]>);
        impl<'de> serde::Deserializer<'de> for Probe<'_> {
            type Error = Stop;
            fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
                Err(Stop)
            }
            fn deserialize_struct<V: serde::de::Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Stop> {
                self.0.set(fields);
                Err(Stop)
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        let fields = Cell::new(&[][..]);
        let _ = T::deserialize(Probe(&fields));
        assert!(
            !fields.get().is_empty(),
            "{} is not a struct with fields",
            std::any::type_name::<T>()
        );
        fields.get()
    }

    /// Asserts that the object at `pointer` in `record` has a value (not null) for every field
    /// `T` declares but those in `except`, so a test record proves both readers read each one.
    pub fn holds_every_field<T: DeserializeOwned>(
        record: &serde_json::Value,
        pointer: &str,
        except: &[&str],
    ) {
        let object = record
            .pointer(pointer)
            .and_then(|o| o.as_object())
            .unwrap_or_else(|| panic!("no object at {pointer:?}"));
        for field in declared_fields::<T>() {
            if except.contains(field) {
                continue;
            }
            assert!(
                object.get(*field).is_some_and(|v| !v.is_null()),
                "the record has no value for {}'s field `{field}` at {pointer:?}: add one, so both readers are held to it",
                std::any::type_name::<T>()
            );
        }
    }

    /// The structs a reader file declares for serde (`#[derive(… Deserialize …)]` then
    /// `struct Name`), outside its tests: a test that lists the structs it covers checks this
    /// list against its own, so a new struct cannot go unchecked.
    pub fn deserialize_structs(source: &str) -> Vec<String> {
        let code = source
            .find("#[cfg(test)]\nmod tests")
            .map_or(source, |i| &source[..i]);
        let mut out = Vec::new();
        let mut derives = false;
        for line in code.lines().map(str::trim) {
            if line.starts_with("#[derive(") {
                derives = line.contains("Deserialize");
            } else if let Some(rest) = line
                .strip_prefix("pub struct ")
                .or_else(|| line.strip_prefix("struct "))
            {
                if derives {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    out.push(name);
                }
                derives = false;
            }
        }
        out
    }

    /// Damaged copies of a record: cut at every byte, every byte removed, and bytes that matter
    /// to JSON's grammar (plus a control character and bytes that are not UTF-8 on their own)
    /// written over and inserted before every byte.
    pub fn damaged(record: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
        const BYTES: &[u8] = b"\"\\{}[],:0-.eE+ntfu/ 9a\x01\xc3\xff";
        (0..record.len()).flat_map(move |i| {
            let mut cut = record.to_vec();
            cut.remove(i);
            let changed = BYTES.iter().map(move |&b| {
                let mut c = record.to_vec();
                c[i] = b;
                c
            });
            let grown = BYTES.iter().map(move |&b| {
                let mut c = record.to_vec();
                c.insert(i, b);
                c
            });
            [record[..i].to_vec(), cut]
                .into_iter()
                .chain(changed)
                .chain(grown)
        })
    }

    /// Runs [`agrees_with_serde`] on every damaged copy of `record`; returns (tried, accepted).
    pub fn damage_agrees_with_serde<T: DeserializeOwned + Debug>(
        record: &[u8],
        fast: impl Fn(&[u8]) -> Option<String>,
    ) -> (usize, usize) {
        damaged(record).fold((0, 0), |(tried, accepted), raw| {
            (
                tried + 1,
                accepted + usize::from(agrees_with_serde::<T>(&raw, &fast)),
            )
        })
    }
}
