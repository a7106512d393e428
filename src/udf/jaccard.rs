//! `jaccard(a, b)`: exact Jaccard similarity of the shingle sets of two normalized texts, used to
//! confirm LSH candidates. 0 when either text has under 3 words or when their numbers differ (a
//! counter or a price makes other content); NULL when either is NULL.

use datafusion::arrow::array::{ArrayRef, Float64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;

use super::scalar::Scalar;
use super::{arc, utf8_arg};

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let (a, b) = (utf8_arg(&args[0])?, utf8_arg(&args[1])?);
    let out: Float64Array = (0..a.len())
        .map(|i| {
            (a.is_valid(i) && b.is_valid(i))
                .then(|| crate::text::near_dup::jaccard(a.value(i), b.value(i)))
        })
        .collect();
    Ok(arc(out))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("jaccard", 2, DataType::Float64, body)
}
