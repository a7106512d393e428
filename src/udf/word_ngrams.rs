//! `word_ngrams(normalized_text, n)`: hashes of every run of `n` consecutive words of a
//! normalized text, as `list<bigint>` (empty when the text is shorter). Two texts sharing a hash
//! share an `n`-word run (up to hash collisions, 1 in 2^64). NULL gives NULL.

use datafusion::arrow::array::{Array, ArrayRef, Int64Builder, ListBuilder};
use datafusion::error::{DataFusionError, Result};

use super::int_lists::int64_arg;
use super::scalar::Scalar;
use super::{arc, int64_list_type, utf8_arg};
use crate::text::near_dup::hash_bytes;

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let input = utf8_arg(&args[0])?;
    let ns = int64_arg(&args[1])?;
    let mut out = ListBuilder::new(Int64Builder::new());
    for i in 0..input.len() {
        if input.is_null(i) || ns.is_null(i) {
            out.append(false);
            continue;
        }
        let n = usize::try_from(ns.value(i))
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| DataFusionError::Plan("word_ngrams: n must be at least 1".into()))?;
        let text = input.value(i);
        let bounds: Vec<(usize, usize)> = word_bounds(text);
        for w in bounds.windows(n) {
            let run = &text[w[0].0..w[n - 1].1];
            out.values()
                .append_value(hash_bytes(run.as_bytes(), 4) as i64);
        }
        out.append(true);
    }
    Ok(arc(out.finish()))
}

fn word_bounds(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b' ' {
            if i > start {
                out.push((start, i));
            }
            start = i + 1;
        }
    }
    if text.len() > start {
        out.push((start, text.len()));
    }
    out
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("word_ngrams", 2, int64_list_type(), body)
}
