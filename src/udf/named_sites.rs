//! `named_sites(text)`: the sites of the domains a text names without a scheme ("log in at
//! paypal.com"), found by twitter-text's URL rules, as `list<utf8>`. NULL gives NULL.

use datafusion::arrow::array::{ArrayRef, ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::error::Result;

use super::scalar::Scalar;
use super::{arc, utf8_arg};
use crate::text::{entities::named_domains, links::site};

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let input = utf8_arg(&args[0])?;
    let mut out = ListBuilder::new(StringBuilder::new());
    for i in 0..input.len() {
        if input.is_null(i) {
            out.append(false);
            continue;
        }
        // Most texts name no domain; a dot is the cheapest way to skip them.
        let text = input.value(i);
        if text.contains('.') {
            for d in named_domains(text) {
                out.values().append_value(site(&d));
            }
        }
        out.append(true);
    }
    Ok(arc(out.finish()))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new(
        "named_sites",
        1,
        DataType::List(std::sync::Arc::new(Field::new(
            "item",
            DataType::Utf8,
            true,
        ))),
        body,
    )
}
