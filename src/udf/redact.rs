//! `redact(value)`: a value with all but its last four letters or digits masked
//! (`•••• •••• •••• 6467`), so reports can say which card or account number without repeating it.
//! NULL gives NULL.

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;

use super::scalar::Scalar;
use super::{arc, utf8_arg};

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let input = utf8_arg(&args[0])?;
    let mut out = StringBuilder::with_capacity(input.len(), input.text_bytes() * 2);
    for i in 0..input.len() {
        if input.is_null(i) {
            out.append_null();
        } else {
            out.append_value(crate::text::personal_data::redact(input.value(i)));
        }
    }
    Ok(arc(out.finish()))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("redact", 1, DataType::Utf8, body)
}
