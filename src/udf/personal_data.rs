//! `personal_data(text)`: the personal data in a text, as `list<struct<kind, value, checksummed>>`:
//! `kind` one of `payment_card`, `iban`, `bsn`, `tc_kimlik` (confirmed by their checksums, and for
//! the two identity numbers by a word such as "BSN" or "kimlik" in the text), `phone`, `email`;
//! `value` as written; `checksummed` whether a checksum confirmed it. NULL gives NULL; text without
//! any gives `[]`.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, ListBuilder, StringBuilder, StructBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::error::Result;

use super::scalar::Scalar;
use super::{arc, utf8_arg};
use crate::text::personal_data::find;

fn fields() -> Fields {
    Fields::from(vec![
        Field::new("kind", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, false),
        Field::new("checksummed", DataType::Boolean, false),
    ])
}

fn return_type() -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(fields()),
        true,
    )))
}

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let input = utf8_arg(&args[0])?;
    let item = StructBuilder::new(
        fields(),
        vec![
            Box::new(StringBuilder::new()),
            Box::new(StringBuilder::new()),
            Box::new(BooleanBuilder::new()),
        ],
    );
    let mut out = ListBuilder::new(item).with_field(Arc::new(Field::new(
        "item",
        DataType::Struct(fields()),
        true,
    )));
    for i in 0..input.len() {
        if input.is_null(i) {
            out.append(false);
            continue;
        }
        for f in find(input.value(i)) {
            let s = out.values();
            s.field_builder::<StringBuilder>(0)
                .expect("kind")
                .append_value(f.kind.as_str());
            s.field_builder::<StringBuilder>(1)
                .expect("value")
                .append_value(&f.value);
            s.field_builder::<BooleanBuilder>(2)
                .expect("checksummed")
                .append_value(f.kind.checksummed());
            s.append(true);
        }
        out.append(true);
    }
    Ok(arc(out.finish()))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("personal_data", 1, return_type(), body)
}
