//! xaudit's SQL functions, one file each, registered through [`register_all`]. Detectors are SQL
//! over these functions, so the same plans can run on a distributed DataFusion engine.

mod cadence;
mod client_acts;
pub mod client_class;
mod collect;
mod connected_components;
mod consent_phrase;
mod content_hash;
mod dm_echo;
pub mod docs;
mod gap_runs;
mod int_lists;
mod jaccard;
mod lexicon_terms;
mod link_class;
mod link_targets;
mod lsh_bands;
mod lsh_candidates;
mod minhash_signature;
mod named_sites;
mod normalize_text;
mod personal_data;
mod redact;
mod regular_runs;
mod scalar;
mod sliding_bursts;
mod snowflake_time;
mod string_map;
mod trend_topics;
mod url_host;
mod url_site;
mod word_count;

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::{AggregateUDF, Documentation, ScalarUDF};
use datafusion::prelude::SessionContext;

pub use client_class::classify as client_class_of;
pub use consent_phrase::consent_of;
pub use dm_echo::{DmEcho, StoredDms};
pub use snowflake_time::SnowflakeTime;
pub use trend_topics::TrendTopics;

/// The one list of xaudit's functions.
pub fn register_all(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::from(client_class::udf()));
    ctx.register_udf(ScalarUDF::from(client_acts::udf()));
    ctx.register_udf(ScalarUDF::from(consent_phrase::udf()));
    ctx.register_udf(ScalarUDF::from(SnowflakeTime::new()));
    ctx.register_udf(ScalarUDF::from(normalize_text::udf()));
    ctx.register_udf(ScalarUDF::from(content_hash::udf()));
    ctx.register_udf(ScalarUDF::from(minhash_signature::udf()));
    ctx.register_udf(ScalarUDF::from(lsh_bands::udf()));
    ctx.register_udf(ScalarUDF::from(jaccard::udf()));
    ctx.register_udf(ScalarUDF::from(word_count::udf()));
    ctx.register_udf(ScalarUDF::from(personal_data::udf()));
    ctx.register_udf(ScalarUDF::from(redact::udf()));
    ctx.register_udf(ScalarUDF::from(url_host::udf()));
    ctx.register_udf(ScalarUDF::from(link_targets::udf()));
    ctx.register_udf(ScalarUDF::from(url_site::udf()));
    ctx.register_udf(ScalarUDF::from(link_class::udf()));
    ctx.register_udf(ScalarUDF::from(named_sites::udf()));
    ctx.register_udf(ScalarUDF::from(lexicon_terms::udf()));
    // No trend vocabulary until a session loads the store's (`TrendTopics::from_store`).
    ctx.register_udf(ScalarUDF::from(TrendTopics::new(Vec::<String>::new())));
    ctx.register_udf(ScalarUDF::from(DmEcho::new(Vec::new())));
    ctx.register_udaf(AggregateUDF::from(lsh_candidates::udaf()));
    ctx.register_udaf(AggregateUDF::from(connected_components::udaf()));
    ctx.register_udaf(AggregateUDF::from(sliding_bursts::udaf()));
    ctx.register_udaf(AggregateUDF::from(regular_runs::udaf()));
    ctx.register_udaf(AggregateUDF::from(gap_runs::udaf()));
    ctx.register_udaf(AggregateUDF::from(cadence::udaf()));
}

/// xaudit's functions (those `register_all` adds to DataFusion's own) with the documentation each
/// carries, sorted by name.
pub fn functions() -> Vec<(String, Option<Documentation>)> {
    let plain = SessionContext::new();
    let ours = SessionContext::new();
    register_all(&ours);
    let (p, o) = (plain.state(), ours.state());
    let mut out: Vec<(String, Option<Documentation>)> = o
        .scalar_functions()
        .iter()
        .filter(|(k, _)| !p.scalar_functions().contains_key(*k))
        .map(|(k, f)| (k.clone(), f.documentation().cloned()))
        .chain(
            o.aggregate_functions()
                .iter()
                .filter(|(k, _)| !p.aggregate_functions().contains_key(*k))
                .map(|(k, f)| (k.clone(), f.documentation().cloned())),
        )
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Any string array (Utf8, LargeUtf8, Utf8View) copied as Utf8, for the kernels that want one.
pub(crate) fn utf8_copy(a: &ArrayRef) -> Result<StringArray> {
    let c = datafusion::arrow::compute::cast(a, &DataType::Utf8)?;
    Ok(datafusion::arrow::array::AsArray::as_string::<i32>(&c).clone())
}

/// A string argument read in place where it is `Utf8View` or `Utf8`; other string types copied.
pub(crate) fn utf8_arg(a: &ArrayRef) -> Result<Strings> {
    use datafusion::arrow::array::AsArray;
    Ok(match a.data_type() {
        DataType::Utf8View => Strings::View(a.as_string_view().clone()),
        DataType::Utf8 => Strings::Utf8(a.as_string::<i32>().clone()),
        _ => Strings::Utf8(utf8_copy(a)?),
    })
}

/// A string argument as it came, read in place: scans give `Utf8View`, and casting it to `Utf8`
/// copied every string of every batch a function read (the posts' texts, the likes' post ids).
#[derive(Debug, Clone)]
pub(crate) enum Strings {
    Utf8(StringArray),
    View(datafusion::arrow::array::StringViewArray),
}

impl Strings {
    pub fn len(&self) -> usize {
        match self {
            Strings::Utf8(a) => a.len(),
            Strings::View(a) => a.len(),
        }
    }

    pub fn is_null(&self, i: usize) -> bool {
        match self {
            Strings::Utf8(a) => a.is_null(i),
            Strings::View(a) => a.is_null(i),
        }
    }

    pub fn is_valid(&self, i: usize) -> bool {
        !self.is_null(i)
    }

    /// The string at `i`; where it is NULL, whatever the array holds there.
    pub fn value(&self, i: usize) -> &str {
        match self {
            Strings::Utf8(a) => a.value(i),
            Strings::View(a) => a.value(i),
        }
    }

    /// The bytes of all the strings, to size an output by.
    pub fn text_bytes(&self) -> usize {
        match self {
            Strings::Utf8(a) => a.value_data().len(),
            // A view's low 32 bits are its string's length.
            Strings::View(a) => a.views().iter().map(|v| *v as u32 as usize).sum(),
        }
    }
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

/// `list<bigint>` with nullable items named `item`, as DataFusion's list functions make them.
pub(crate) fn int64_list_type() -> DataType {
    DataType::List(Arc::new(datafusion::arrow::datatypes::Field::new(
        "item",
        DataType::Int64,
        true,
    )))
}

#[cfg(test)]
mod tests {
    /// Every function carries its documentation, and its syntax names it: what `\\df` and
    /// `xaudit explain` show comes from the function itself.
    #[test]
    fn every_function_carries_its_documentation() {
        let functions = super::functions();
        assert!(functions.len() >= 20, "{functions:?}");
        for (name, doc) in functions {
            let doc = doc.unwrap_or_else(|| panic!("{name} has no documentation"));
            assert!(
                doc.syntax_example.starts_with(&format!("{name}(")),
                "{name}: {}",
                doc.syntax_example
            );
            assert!(doc.description.len() > 20, "{name}: {}", doc.description);
        }
    }
}
