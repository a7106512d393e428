//! `lexicon_terms(normalized_text, category)`: the entries of a lexicon category (`profanity`,
//! `personal_data`, `public_request`, `private_channel`, `sensitive_data`, `dm_request`,
//! `negation`; en, nl and tr together, from `data/lexicons/`) found in a normalized text, as
//! `list<utf8>` of the entries as written. NULL text gives NULL; an unknown category is an error.

use datafusion::arrow::array::{ArrayRef, ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::error::{DataFusionError, Result};

use super::scalar::Scalar;
use super::{arc, utf8_arg};
use crate::text::lexicon::{CATEGORIES, category};

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let input = utf8_arg(&args[0])?;
    let names = utf8_arg(&args[1])?;
    let mut out = ListBuilder::new(StringBuilder::new());
    for i in 0..input.len() {
        if input.is_null(i) || names.is_null(i) {
            out.append(false);
            continue;
        }
        let cat = category(names.value(i)).ok_or_else(|| {
            DataFusionError::Plan(format!(
                "lexicon_terms: unknown category {:?} (known: {})",
                names.value(i),
                CATEGORIES.join(", ")
            ))
        })?;
        for t in cat.find(input.value(i)) {
            out.values().append_value(t);
        }
        out.append(true);
    }
    Ok(arc(out.finish()))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new(
        "lexicon_terms",
        2,
        DataType::List(std::sync::Arc::new(Field::new(
            "item",
            DataType::Utf8,
            true,
        ))),
        body,
    )
}
