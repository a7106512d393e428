//! An input's content hash (`inputs.content_hash`) is taken from the bytes the readers read
//! anyway, instead of reading every file a second time for it: that second pass over a 1 GB
//! `tweets.js` was a tenth of the ingest's CPU time (the copy out of the page cache plus BLAKE3).
//!
//! A reader wraps each file it reads in [`Digesting`], which records the file's BLAKE3 once it has
//! been read to its end; the content hash then combines those digests with digests of whatever the
//! readers did not read (see `ingest::content_hash`).

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Mutex;

pub type Digest = [u8; 32];

/// Digests of whole files, by path relative to the input ("" for an input that is one file).
#[derive(Debug, Default)]
pub struct ReadDigests(Mutex<HashMap<String, Digest>>);

impl ReadDigests {
    pub fn insert(&self, rel: &str, digest: Digest) {
        self.lock().insert(rel.to_string(), digest);
    }

    pub fn extend(&self, other: HashMap<String, Digest>) {
        self.lock().extend(other);
    }

    pub fn take(&self) -> HashMap<String, Digest> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Digest>> {
        // A reader that panicked mid-file recorded nothing wrong: the map is still sound.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A reader that hashes what passes through it and, at the end of the file, records the digest.
/// A file given up before its end records nothing, and is hashed separately.
pub struct Digesting<'a, R> {
    inner: R,
    hasher: blake3::Hasher,
    rel: &'a str,
    sink: &'a ReadDigests,
    recorded: bool,
}

impl<'a, R: Read> Digesting<'a, R> {
    pub fn new(inner: R, rel: &'a str, sink: &'a ReadDigests) -> Self {
        Digesting {
            inner,
            hasher: blake3::Hasher::new(),
            rel,
            sink,
            recorded: false,
        }
    }
}

impl<R: Read> Read for Digesting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.hasher.update(&buf[..n]);
        } else if !buf.is_empty() && !self.recorded {
            self.recorded = true;
            self.sink
                .insert(self.rel, *self.hasher.finalize().as_bytes());
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_read_to_its_end_records_its_blake3() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let sink = ReadDigests::default();
        let mut r = Digesting::new(&data[..], "data/tweets.js", &sink);
        // Odd-sized reads, as a record splitter makes them.
        let mut buf = [0u8; 7777];
        while r.read(&mut buf).unwrap() > 0 {}
        assert_eq!(r.read(&mut buf).unwrap(), 0);
        assert_eq!(
            sink.take(),
            HashMap::from([(
                "data/tweets.js".to_string(),
                *blake3::hash(&data).as_bytes()
            )])
        );
    }

    #[test]
    fn a_file_given_up_before_its_end_records_nothing() {
        let data = vec![1u8; 100_000];
        let sink = ReadDigests::default();
        let mut r = Digesting::new(&data[..], "x", &sink);
        let mut buf = [0u8; 4096];
        r.read_exact(&mut buf).unwrap();
        // An empty buffer reads nothing without meaning the end.
        assert_eq!(r.read(&mut []).unwrap(), 0);
        drop(r);
        assert!(sink.take().is_empty());
    }
}
