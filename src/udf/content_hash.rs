//! `content_hash(text)`: a 64-bit hash of a (normalized) text, stable across runs and releases,
//! so equal texts group without comparing strings and cluster ids stay the same between audits.
//! NULL gives NULL.

use datafusion::arrow::array::{ArrayRef, Int64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;

use super::scalar::Scalar;
use super::{arc, utf8_arg};
use crate::text::near_dup::hash_bytes;

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let input = utf8_arg(&args[0])?;
    let out: Int64Array = (0..input.len())
        .map(|i| (!input.is_null(i)).then(|| hash_bytes(input.value(i).as_bytes(), 3) as i64))
        .collect();
    Ok(arc(out))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("content_hash", 1, DataType::Int64, body)
}
