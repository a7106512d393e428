//! xaudit's SQL functions, one file each, registered through [`register_all`]. Detectors are SQL
//! over these functions, so the same plans can run on a distributed DataFusion engine.

mod client_class;
mod collect;
mod consent_phrase;
mod regular_runs;
mod sliding_bursts;
mod snowflake_time;
mod string_map;

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;

pub use client_class::classify as client_class_of;
pub use consent_phrase::consent_of;
pub use snowflake_time::SnowflakeTime;

/// The one list of xaudit's functions.
pub fn register_all(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::from(client_class::udf()));
    ctx.register_udf(ScalarUDF::from(consent_phrase::udf()));
    ctx.register_udf(ScalarUDF::from(SnowflakeTime::new()));
    ctx.register_udaf(AggregateUDF::from(sliding_bursts::udaf()));
    ctx.register_udaf(AggregateUDF::from(regular_runs::udaf()));
}

/// Any string array (Utf8, LargeUtf8, Utf8View) as Utf8.
pub(crate) fn utf8_arg(a: &ArrayRef) -> Result<StringArray> {
    let c = datafusion::arrow::compute::cast(a, &DataType::Utf8)?;
    Ok(datafusion::arrow::array::AsArray::as_string::<i32>(&c).clone())
}

pub(crate) fn to_array(
    v: &datafusion::logical_expr::ColumnarValue,
    rows: usize,
) -> Result<ArrayRef> {
    v.to_array(rows)
}

pub(crate) fn arc(a: impl datafusion::arrow::array::Array + 'static) -> ArrayRef {
    Arc::new(a)
}
