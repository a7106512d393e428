//! Query results as a table, CSV or JSON.

use std::io::Write;

use datafusion::arrow::array::Array;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    /// aligned text table
    Table,
    /// CSV with a header row
    Csv,
    /// a JSON array of objects
    Json,
    /// one JSON object per line
    Jsonl,
}

fn io(e: std::io::Error) -> Error {
    Error::io("<stdout>", e)
}

pub fn write_batches(
    batches: &[RecordBatch],
    format: TableFormat,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        TableFormat::Table => {
            let opts = FormatOptions::default()
                .with_null("NULL")
                .with_timestamp_tz_format(Some("%Y-%m-%dT%H:%M:%S%.fZ"));
            let table = datafusion::arrow::util::pretty::pretty_format_batches_with_options(
                batches, &opts,
            )?;
            // Cells come from the data: escape sequences in them are shown, not run.
            let table = table.to_string();
            writeln!(out, "{}", crate::text::inert::visible_lines(&table)).map_err(io)?;
        }
        TableFormat::Csv => {
            let mut w = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            for b in batches {
                w.write(&flatten_nested(b)?)?;
            }
        }
        TableFormat::Json => {
            let mut w = datafusion::arrow::json::ArrayWriter::new(&mut *out);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            writeln!(out).map_err(io)?;
        }
        TableFormat::Jsonl => {
            let mut w = datafusion::arrow::json::LineDelimitedWriter::new(&mut *out);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
        }
    }
    Ok(())
}

/// One cell as text (for summaries).
pub fn cell(batch: &RecordBatch, col: usize, row: usize) -> String {
    ArrayFormatter::try_new(
        batch.column(col).as_ref(),
        &FormatOptions::default().with_null(""),
    )
    .map(|f| f.value(row).to_string())
    .unwrap_or_default()
}

/// CSV has no nested values: lists, structs and maps become their text form (`[a, b]`,
/// `{first_seen: …, peak: 150}`), as the table format shows them.
fn flatten_nested(b: &RecordBatch) -> Result<RecordBatch> {
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    if !b.columns().iter().any(|c| c.data_type().is_nested()) {
        return Ok(b.clone());
    }
    let opts = FormatOptions::default().with_null("");
    let mut fields = Vec::with_capacity(b.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(b.num_columns());
    for (f, c) in b.schema().fields().iter().zip(b.columns()) {
        if c.data_type().is_nested() {
            let fmt = ArrayFormatter::try_new(c.as_ref(), &opts)?;
            let text: StringArray = (0..c.len())
                .map(|i| c.is_valid(i).then(|| fmt.value(i).to_string()))
                .collect();
            fields.push(Field::new(f.name(), DataType::Utf8, true));
            columns.push(Arc::new(text));
        } else {
            fields.push(f.as_ref().clone());
            columns.push(c.clone());
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}
