//! `url_site(host)`: the site a host belongs to, approximately its registrable domain
//! (`news.bbc.co.uk` gives `bbc.co.uk`), so two hosts of one site compare equal. NULL gives NULL.

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;

use super::scalar::Scalar;
use super::{arc, utf8_arg};

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let input = utf8_arg(&args[0])?;
    let mut out = StringBuilder::with_capacity(input.len(), input.len() * 12);
    for i in 0..input.len() {
        out.append_option((!input.is_null(i)).then(|| crate::text::links::site(input.value(i))));
    }
    Ok(arc(out.finish()))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("url_site", 1, DataType::Utf8, body)
}
