//! `normalize_text(text)`: text as the rules compare it (RULES.md, "normalized text"): HTML
//! unescaped, NFKC, Turkish-safe case folding, URLs and @mentions removed, `#`, emoji and
//! punctuation removed, digits kept. NULL gives NULL; text with no words gives `''`.

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;

use super::scalar::Scalar;
use super::{arc, utf8_arg};

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let input = utf8_arg(&args[0])?;
    let mut out = StringBuilder::with_capacity(input.len(), input.text_bytes());
    let mut norm = String::new();
    for i in 0..input.len() {
        if input.is_null(i) {
            out.append_null();
        } else {
            crate::text::normalize_into(input.value(i), &mut norm);
            out.append_value(&norm);
        }
    }
    Ok(arc(out.finish()))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("normalize_text", 1, DataType::Utf8, body)
}
