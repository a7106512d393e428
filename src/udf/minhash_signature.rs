//! `minhash_signature(normalized_text)`: the MinHash signature (`list<bigint>`, 18 values) over
//! word 3-shingles, or character 5-grams for texts under 6 words. NULL for NULL and for texts
//! under 3 words, which are never anyone's near-duplicate.

use datafusion::arrow::array::{ArrayRef, Int64Builder, ListBuilder};
use datafusion::error::Result;

use super::scalar::Scalar;
use super::{arc, int64_list_type, utf8_arg};
use crate::text::near_dup::{SIGNATURE_LEN, signature};

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let input = utf8_arg(&args[0])?;
    let mut out = ListBuilder::with_capacity(
        Int64Builder::with_capacity(input.len() * SIGNATURE_LEN),
        input.len(),
    );
    for i in 0..input.len() {
        match (!input.is_null(i))
            .then(|| signature(input.value(i)))
            .flatten()
        {
            Some(sig) => {
                for v in sig {
                    out.values().append_value(v as i64);
                }
                out.append(true);
            }
            None => out.append(false),
        }
    }
    Ok(arc(out.finish()))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("minhash_signature", 1, int64_list_type(), body)
}
