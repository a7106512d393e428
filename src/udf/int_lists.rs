//! What the near-duplicate aggregates (`lsh_candidates`, `connected_components`) share: they
//! collect plain `i64` columns, carry them between partial aggregates as `list<bigint>` states,
//! and return a list of `struct<…: bigint, …: bigint>` pairs. The other collecting aggregates
//! (`cadence`, and `regular_runs` and `sliding_bursts` through `collect`) carry their states with
//! the same one-row lists.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;

/// `values` as a one-row list scalar of `item`s, without going through one `ScalarValue` per value.
pub(super) fn one_row_list(item: DataType, values: ArrayRef) -> ScalarValue {
    ScalarValue::List(Arc::new(ListArray::new(
        Arc::new(Field::new("item", item, true)),
        OffsetBuffer::from_lengths([values.len()]),
        values,
        None,
    )))
}

/// `values` cut into one list per group of `lengths`: the state column of a groups accumulator.
pub(super) fn lists_of(
    item: DataType,
    lengths: impl IntoIterator<Item = usize>,
    values: ArrayRef,
) -> Result<ArrayRef> {
    Ok(Arc::new(ListArray::try_new(
        Arc::new(Field::new("item", item, true)),
        OffsetBuffer::from_lengths(lengths),
        values,
        None,
    )?))
}

/// Whether row `row` passes an aggregate's FILTER clause, if any.
pub(super) fn selected(filter: Option<&BooleanArray>, row: usize) -> bool {
    filter.is_none_or(|f| f.is_valid(row) && f.value(row))
}

/// The rows a groups accumulator's `convert_to_state` keeps, each its own one-value state: those
/// with a time that pass the filter.
pub(super) fn timed_rows(ts: &Int64Array, filter: Option<&BooleanArray>) -> BooleanArray {
    (0..ts.len())
        .map(|row| Some(ts.is_valid(row) && selected(filter, row)))
        .collect()
}

/// The state column of `convert_to_state`: `values` of the `kept` rows, a one-value list for each
/// kept row and an empty one for the others.
pub(super) fn one_value_lists(
    item: DataType,
    values: &dyn Array,
    kept: &BooleanArray,
) -> Result<ArrayRef> {
    let values = datafusion::arrow::compute::filter(values, kept)?;
    lists_of(item, kept.values().iter().map(usize::from), values)
}

/// `values` as a one-row `list<bigint>` scalar, moved out rather than copied: an aggregate's state
/// is asked for once, when the partial aggregate emits it, and a copy of the band keys of 7.4M
/// posts was 400 MB at the audit's peak (issue 23).
pub(super) fn take_list_scalar(values: &mut Vec<i64>) -> ScalarValue {
    one_row_list(
        DataType::Int64,
        Arc::new(Int64Array::from(std::mem::take(values))),
    )
}

/// Appends every value of every non-NULL row of a `list<bigint>` state column.
pub(super) fn extend_from_list_state(out: &mut Vec<i64>, state: &ArrayRef) -> Result<()> {
    let list = state.as_list::<i32>();
    // Room for all of them at once: growing by doubling could leave half the capacity unused.
    out.reserve(
        (0..list.len())
            .filter(|&row| list.is_valid(row))
            .map(|row| list.value_length(row) as usize)
            .sum(),
    );
    for row in 0..list.len() {
        if list.is_valid(row) {
            let v = list.value(row);
            out.extend(v.as_primitive::<Int64Type>().values().iter().copied());
        }
    }
    Ok(())
}

pub(super) fn list_state_field(name: &str, suffix: &str) -> FieldRef {
    Arc::new(Field::new(
        format!("{name}_{suffix}"),
        DataType::List(Arc::new(Field::new("item", DataType::Int64, true))),
        true,
    ))
}

fn pair_fields(names: [&str; 2]) -> Fields {
    Fields::from(vec![
        Field::new(names[0], DataType::Int64, false),
        Field::new(names[1], DataType::Int64, false),
    ])
}

/// `list<struct<names[0]: bigint, names[1]: bigint>>`.
pub(super) fn pairs_type(names: [&str; 2]) -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(pair_fields(names)),
        true,
    )))
}

/// One list value of pairs.
pub(super) fn pairs_scalar(names: [&str; 2], pairs: &[(i64, i64)]) -> Result<ScalarValue> {
    let a: ArrayRef = Arc::new(Int64Array::from_iter_values(pairs.iter().map(|p| p.0)));
    let b: ArrayRef = Arc::new(Int64Array::from_iter_values(pairs.iter().map(|p| p.1)));
    let structs = StructArray::try_new(pair_fields(names), vec![a, b], None)?;
    let DataType::List(item) = pairs_type(names) else {
        unreachable!("pairs_type is a list")
    };
    Ok(ScalarValue::List(Arc::new(ListArray::try_new(
        item,
        OffsetBuffer::from_lengths([pairs.len()]),
        Arc::new(structs),
        None,
    )?)))
}

/// Any integer column as `i64` values (NULL stays NULL).
pub(super) fn int64_arg(a: &ArrayRef) -> Result<Int64Array> {
    let c = datafusion::arrow::compute::cast(a, &DataType::Int64)?;
    Ok(c.as_primitive::<Int64Type>().clone())
}
