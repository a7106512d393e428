//! Query results into typed rows, by column name: the mirror of [`super::rows_to_batch`].
//!
//! A struct that derives `Deserialize` names the columns it reads; the decoder finds each by name,
//! whatever its position in the SELECT list and whatever string, integer or timestamp layout the
//! scan produced. Columns the struct does not name are ignored, an `Option` field reads a missing
//! column or a NULL as `None`, and anything else that does not fit is an internal error naming the
//! query and the column: a rule or view whose SELECT changes shape fails loudly instead of
//! handing one column's values to another.
//!
//! Timestamps of any unit and time zone decode as microseconds since the epoch (`i64`).

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, TimeUnit};
use datafusion::prelude::SessionContext;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use crate::error::{Error, Result};

/// Run `sql` and decode every row into `T`. `query` names the query in errors (a rule file, a
/// view, "account facts: clients").
pub async fn query_rows<T: DeserializeOwned>(
    ctx: &SessionContext,
    query: &str,
    sql: &str,
) -> Result<Vec<T>> {
    let batches = ctx.sql(sql).await?.collect().await?;
    batches_to_rows(query, &batches)
}

/// Decode the rows of `batches` into `T`, by column name.
pub fn batches_to_rows<T: DeserializeOwned>(
    query: &str,
    batches: &[RecordBatch],
) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
    for batch in batches {
        let schema = batch.schema();
        let columns = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(f, a)| Ok((f.name().as_str(), Column::new(a)?)))
            .collect::<std::result::Result<Vec<_>, String>>()
            .map_err(|e| Error::Internal(format!("{query}: {e}")))?;
        for row in 0..batch.num_rows() {
            let value = T::deserialize(RowDeserializer {
                columns: &columns,
                row,
            })
            .map_err(|e| Error::Internal(format!("{query}: row {row}: {e}")))?;
            out.push(value);
        }
    }
    Ok(out)
}

/// The column `name` of a result batch, for loops over millions of values where decoding row by
/// row would cost too much; like [`batches_to_rows`], it finds the column by name and names the
/// query when the column is missing.
pub fn column<'a>(query: &str, batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch.column_by_name(name).ok_or_else(|| {
        Error::Internal(format!(
            "{query}: the result has no column `{name}` (it has: {})",
            batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// A column in the few layouts the decoder reads.
enum Column {
    Null,
    Str(datafusion::arrow::array::StringArray),
    Int(datafusion::arrow::array::Int64Array),
    Float(datafusion::arrow::array::Float64Array),
    Bool(datafusion::arrow::array::BooleanArray),
    /// Offsets into the flattened values, and whether each row is NULL.
    List {
        offsets: Vec<usize>,
        nulls: Vec<bool>,
        values: Box<Column>,
    },
    Struct {
        names: Vec<String>,
        nulls: Vec<bool>,
        fields: Vec<Column>,
    },
}

fn cast(a: &ArrayRef, to: &DataType) -> std::result::Result<ArrayRef, String> {
    datafusion::arrow::compute::cast(a, to).map_err(|e| e.to_string())
}

impl Column {
    fn new(a: &ArrayRef) -> std::result::Result<Column, String> {
        use DataType::*;
        Ok(match a.data_type() {
            Null => Column::Null,
            Utf8 | LargeUtf8 | Utf8View | Dictionary(..) => {
                Column::Str(cast(a, &Utf8)?.as_string::<i32>().clone())
            }
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => {
                Column::Int(cast(a, &Int64)?.as_primitive::<Int64Type>().clone())
            }
            Timestamp(..) | Date32 | Date64 => {
                let micros = cast(a, &Timestamp(TimeUnit::Microsecond, None))?;
                Column::Int(cast(&micros, &Int64)?.as_primitive::<Int64Type>().clone())
            }
            Float16 | Float32 | Float64 | Decimal128(..) | Decimal256(..) => {
                Column::Float(cast(a, &Float64)?.as_primitive::<Float64Type>().clone())
            }
            Boolean => Column::Bool(a.as_boolean().clone()),
            List(_) | LargeList(_) | ListView(_) | LargeListView(_) | FixedSizeList(..) => {
                let item = match a.data_type() {
                    List(f) | LargeList(f) | ListView(f) | LargeListView(f) => f.clone(),
                    FixedSizeList(f, _) => f.clone(),
                    _ => unreachable!("matched above"),
                };
                let list = cast(
                    a,
                    &List(Arc::new(Field::new("item", item.data_type().clone(), true))),
                )?;
                let list = list.as_list::<i32>();
                Column::List {
                    offsets: list.offsets().iter().map(|&o| o as usize).collect(),
                    nulls: (0..list.len()).map(|i| list.is_null(i)).collect(),
                    values: Box::new(Column::new(list.values())?),
                }
            }
            Struct(fields) => {
                let s = a.as_struct();
                Column::Struct {
                    names: fields.iter().map(|f| f.name().clone()).collect(),
                    nulls: (0..s.len()).map(|i| s.is_null(i)).collect(),
                    fields: s
                        .columns()
                        .iter()
                        .map(Column::new)
                        .collect::<std::result::Result<_, _>>()?,
                }
            }
            other => return Err(format!("a column of type {other} cannot be decoded")),
        })
    }

    fn is_null(&self, row: usize) -> bool {
        match self {
            Column::Null => true,
            Column::Str(a) => a.is_null(row),
            Column::Int(a) => a.is_null(row),
            Column::Float(a) => a.is_null(row),
            Column::Bool(a) => a.is_null(row),
            Column::List { nulls, .. } | Column::Struct { nulls, .. } => nulls[row],
        }
    }
}

/// Errors of the decoder: serde's messages, with the column they happened in.
#[derive(Debug)]
pub struct DecodeError(String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError(msg.to_string())
    }
}

struct RowDeserializer<'a> {
    columns: &'a [(&'a str, Column)],
    row: usize,
}

impl<'de> de::Deserializer<'de> for RowDeserializer<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, DecodeError> {
        visitor.visit_map(Fields {
            names: self.columns.iter().map(|(n, _)| *n),
            columns: self.columns.iter().map(|(_, c)| c),
            row: self.row,
            pending: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// The columns of one row (or the fields of one struct value) as a map from name to value.
struct Fields<'a, N, C> {
    names: N,
    columns: C,
    row: usize,
    pending: Option<(&'a str, &'a Column)>,
}

impl<'de, 'a, N, C> MapAccess<'de> for Fields<'a, N, C>
where
    N: Iterator<Item = &'a str>,
    C: Iterator<Item = &'a Column>,
{
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> std::result::Result<Option<K::Value>, DecodeError> {
        match (self.names.next(), self.columns.next()) {
            (Some(name), Some(column)) => {
                self.pending = Some((name, column));
                seed.deserialize(name.into_deserializer()).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> std::result::Result<V::Value, DecodeError> {
        let (name, column) = self
            .pending
            .take()
            .ok_or_else(|| DecodeError("a value was asked for before its key".into()))?;
        seed.deserialize(Value {
            column,
            row: self.row,
        })
        .map_err(|e| DecodeError(format!("column `{name}`: {e}")))
    }
}

/// One cell.
struct Value<'a> {
    column: &'a Column,
    row: usize,
}

struct Items<'a> {
    values: &'a Column,
    next: usize,
    end: usize,
}

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> std::result::Result<Option<T::Value>, DecodeError> {
        if self.next >= self.end {
            return Ok(None);
        }
        let row = self.next;
        self.next += 1;
        seed.deserialize(Value {
            column: self.values,
            row,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.end - self.next)
    }
}

impl Value<'_> {
    fn integral(&self) -> std::result::Result<Option<i64>, DecodeError> {
        match self.column {
            Column::Int(a) => Ok(Some(a.value(self.row))),
            // Rules may compute a count in floating point; a whole number reads as an integer.
            Column::Float(a) if a.value(self.row).fract() == 0.0 => {
                Ok(Some(a.value(self.row) as i64))
            }
            _ => Ok(None),
        }
    }
}

macro_rules! integer {
    ($method:ident, $visit:ident, $t:ty) => {
        fn $method<V: Visitor<'de>>(
            self,
            visitor: V,
        ) -> std::result::Result<V::Value, DecodeError> {
            if self.column.is_null(self.row) {
                return visitor.visit_none();
            }
            match self.integral()? {
                Some(v) => {
                    visitor.$visit(<$t>::try_from(v).map_err(|_| {
                        DecodeError(format!("{v} does not fit in {}", stringify!($t)))
                    })?)
                }
                None => self.deserialize_any(visitor),
            }
        }
    };
}

impl<'de> de::Deserializer<'de> for Value<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, DecodeError> {
        let row = self.row;
        if self.column.is_null(row) {
            return visitor.visit_none();
        }
        match self.column {
            Column::Null => visitor.visit_none(),
            Column::Str(a) => visitor.visit_str(a.value(row)),
            Column::Int(a) => visitor.visit_i64(a.value(row)),
            Column::Float(a) => visitor.visit_f64(a.value(row)),
            Column::Bool(a) => visitor.visit_bool(a.value(row)),
            Column::List {
                offsets, values, ..
            } => visitor.visit_seq(Items {
                values,
                next: offsets[row],
                end: offsets[row + 1],
            }),
            Column::Struct { names, fields, .. } => visitor.visit_map(Fields {
                names: names.iter().map(String::as_str),
                columns: fields.iter(),
                row,
                pending: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, DecodeError> {
        if self.column.is_null(self.row) {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    integer!(deserialize_i64, visit_i64, i64);
    integer!(deserialize_u64, visit_u64, u64);
    integer!(deserialize_i32, visit_i32, i32);
    integer!(deserialize_u32, visit_u32, u32);

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> std::result::Result<V::Value, DecodeError> {
        match self.column {
            Column::Str(a) if a.is_valid(self.row) => {
                visitor.visit_enum(a.value(self.row).into_deserializer())
            }
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i128 u8 u16 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        Float64Array, Int32Array, ListBuilder, StringBuilder, StringViewArray,
        TimestampMillisecondArray,
    };
    use datafusion::arrow::datatypes::Schema;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Row {
        account_id: String,
        first_seen: i64,
        count: u64,
        value: f64,
        threshold: Option<f64>,
        evidence: Option<Vec<String>>,
    }

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect();
        RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns.into_iter().map(|(_, a)| a).collect(),
        )
        .unwrap()
    }

    fn evidence() -> ArrayRef {
        let mut b = ListBuilder::new(StringBuilder::new());
        b.values().append_value("e1");
        b.values().append_value("e2");
        b.append(true);
        b.append(false);
        Arc::new(b.finish())
    }

    /// Columns are found by name, in whatever order the SELECT lists them and whatever layout
    /// the scan chose (string views, narrow integers, millisecond timestamps).
    #[test]
    fn rows_decode_by_name_whatever_the_order_and_layout() {
        let b = batch(vec![
            ("evidence", evidence()),
            ("value", Arc::new(Float64Array::from(vec![2.5, 1.0]))),
            ("count", Arc::new(Int32Array::from(vec![3, 4]))),
            ("ignored", Arc::new(Int32Array::from(vec![0, 0]))),
            (
                "first_seen",
                Arc::new(TimestampMillisecondArray::from(vec![1_000, 2_000])),
            ),
            (
                "account_id",
                Arc::new(StringViewArray::from(vec!["a", "b"])),
            ),
        ]);
        let rows: Vec<Row> = batches_to_rows("test", &[b]).unwrap();
        assert_eq!(
            rows,
            [
                Row {
                    account_id: "a".into(),
                    first_seen: 1_000_000,
                    count: 3,
                    value: 2.5,
                    threshold: None,
                    evidence: Some(vec!["e1".into(), "e2".into()]),
                },
                Row {
                    account_id: "b".into(),
                    first_seen: 2_000_000,
                    count: 4,
                    value: 1.0,
                    threshold: None,
                    evidence: None,
                },
            ]
        );
    }

    /// A SELECT that lost a column, or returns text where a number belongs, is an internal error
    /// naming the query and the column.
    #[test]
    fn a_missing_or_mistyped_column_names_the_query_and_column() {
        let b = batch(vec![
            ("account_id", Arc::new(StringViewArray::from(vec!["a"]))),
            ("first_seen", Arc::new(Int32Array::from(vec![1]))),
            ("value", Arc::new(Float64Array::from(vec![1.0]))),
        ]);
        let e = batches_to_rows::<Row>("queries/x.sql", &[b])
            .unwrap_err()
            .to_string();
        assert!(e.contains("queries/x.sql") && e.contains("count"), "{e}");

        let b = batch(vec![
            ("account_id", Arc::new(StringViewArray::from(vec!["a"]))),
            ("first_seen", Arc::new(Int32Array::from(vec![1]))),
            ("value", Arc::new(Float64Array::from(vec![1.0]))),
            ("count", Arc::new(StringViewArray::from(vec!["many"]))),
        ]);
        let e = batches_to_rows::<Row>("queries/x.sql", &[b])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("queries/x.sql") && e.contains("column `count`"),
            "{e}"
        );
    }

    #[test]
    fn a_negative_count_does_not_wrap_around() {
        let b = batch(vec![
            ("account_id", Arc::new(StringViewArray::from(vec!["a"]))),
            ("first_seen", Arc::new(Int32Array::from(vec![1]))),
            ("value", Arc::new(Float64Array::from(vec![1.0]))),
            ("count", Arc::new(Int32Array::from(vec![-1]))),
        ]);
        let e = batches_to_rows::<Row>("q", &[b]).unwrap_err().to_string();
        assert!(e.contains("does not fit"), "{e}");
    }
}
