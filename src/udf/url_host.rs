//! `url_host(url)`: the host of a URL, lowercase and without `www.` (`https://WWW.Example.com/a`
//! gives `example.com`); works without a scheme. NULL for NULL and for text with no host.

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;

use super::scalar::Scalar;
use super::{arc, utf8_arg};

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let input = utf8_arg(&args[0])?;
    let mut out = StringBuilder::with_capacity(input.len(), input.len() * 12);
    for i in 0..input.len() {
        out.append_option(if input.is_null(i) {
            None
        } else {
            crate::text::links::host(input.value(i))
        });
    }
    Ok(arc(out.finish()))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("url_host", 1, DataType::Utf8, body)
}
