//! `word_count(normalized_text)`: the number of words of a normalized text (single spaces between
//! words, as `normalize_text` writes it); 0 for `''`, NULL for NULL. Texts under 3 words are never
//! near-duplicates.

use datafusion::arrow::array::{ArrayRef, Int64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;

use super::scalar::Scalar;
use super::{arc, utf8_arg};

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let input = utf8_arg(&args[0])?;
    let out: Int64Array = (0..input.len())
        .map(|i| (!input.is_null(i)).then(|| crate::text::word_count(input.value(i)) as i64))
        .collect();
    Ok(arc(out))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("word_count", 1, DataType::Int64, body)
}
