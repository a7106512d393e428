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

/// How many rows a result shows. On a terminal a query that returns a million rows would scroll
/// for minutes, so the shell and `sql` show the first 40 there unless told otherwise, as
/// datafusion-cli does; into a pipe or file every row is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxRows {
    All,
    First(usize),
}

impl MaxRows {
    /// `--maxrows N` (0: all), or the default for where the output goes.
    pub fn new(given: Option<usize>, to_terminal: bool) -> MaxRows {
        match given {
            Some(0) => MaxRows::All,
            Some(n) => MaxRows::First(n),
            None if to_terminal => MaxRows::First(DEFAULT_TERMINAL_ROWS),
            None => MaxRows::All,
        }
    }
}

pub const DEFAULT_TERMINAL_ROWS: usize = 40;

/// What a written result held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Rows the query returned.
    pub rows: usize,
    /// Rows written (fewer than `rows` when `MaxRows` cut the result).
    pub shown: usize,
}

enum Writer<'a> {
    /// A table needs every shown row for its column widths: they are kept until the end.
    Table(Vec<RecordBatch>, &'a mut dyn Write),
    Csv(Box<datafusion::arrow::csv::Writer<&'a mut dyn Write>>),
    Json(datafusion::arrow::json::ArrayWriter<&'a mut dyn Write>),
    Jsonl(datafusion::arrow::json::LineDelimitedWriter<&'a mut dyn Write>),
}

/// Writes a result batch by batch as the query yields it: CSV and JSON rows leave as they come,
/// a table is drawn at the end from the rows shown. Rows past `MaxRows` are counted, not kept.
pub struct ResultWriter<'a> {
    writer: Writer<'a>,
    max: MaxRows,
    written: Written,
}

impl<'a> ResultWriter<'a> {
    pub fn new(format: TableFormat, max: MaxRows, out: &'a mut dyn Write) -> Self {
        let writer = match format {
            TableFormat::Table => Writer::Table(Vec::new(), out),
            TableFormat::Csv => Writer::Csv(Box::new(
                datafusion::arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(out),
            )),
            TableFormat::Json => Writer::Json(datafusion::arrow::json::ArrayWriter::new(out)),
            TableFormat::Jsonl => {
                Writer::Jsonl(datafusion::arrow::json::LineDelimitedWriter::new(out))
            }
        };
        ResultWriter {
            writer,
            max,
            written: Written { rows: 0, shown: 0 },
        }
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.written.rows += batch.num_rows();
        let room = match self.max {
            MaxRows::All => batch.num_rows(),
            MaxRows::First(n) => n.saturating_sub(self.written.shown),
        };
        let take = room.min(batch.num_rows());
        if take == 0 && self.written.shown > 0 {
            return Ok(());
        }
        // An empty first batch still carries the schema a table's header is drawn from.
        let batch = batch.slice(0, take);
        self.written.shown += take;
        match &mut self.writer {
            Writer::Table(kept, _) => kept.push(batch),
            Writer::Csv(w) => w.write(&flatten_nested(&batch)?)?,
            Writer::Json(w) => w.write(&batch)?,
            Writer::Jsonl(w) => w.write(&batch)?,
        }
        Ok(())
    }

    pub fn finish(self) -> Result<Written> {
        match self.writer {
            Writer::Table(kept, out) => {
                let opts = FormatOptions::default()
                    .with_null("NULL")
                    .with_timestamp_tz_format(Some("%Y-%m-%dT%H:%M:%S%.fZ"));
                let table = datafusion::arrow::util::pretty::pretty_format_batches_with_options(
                    &kept, &opts,
                )?;
                // Cells come from the data: escape sequences in them are shown, not run.
                let table = table.to_string();
                writeln!(out, "{}", crate::text::inert::visible_lines(&table)).map_err(io)?;
            }
            Writer::Csv(w) => {
                w.into_inner().flush().map_err(io)?;
            }
            Writer::Json(mut w) => {
                w.finish()?;
                writeln!(w.into_inner()).map_err(io)?;
            }
            Writer::Jsonl(mut w) => w.finish()?,
        }
        Ok(self.written)
    }
}

/// Write all of `batches`.
pub fn write_batches(
    batches: &[RecordBatch],
    format: TableFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let mut w = ResultWriter::new(format, MaxRows::All, out);
    for b in batches {
        w.write(b)?;
    }
    w.finish()?;
    Ok(())
}

/// Run `df` and write its rows as they come.
pub async fn write_stream(
    df: datafusion::dataframe::DataFrame,
    format: TableFormat,
    max: MaxRows,
    out: &mut dyn Write,
) -> Result<Written> {
    use futures::StreamExt;
    let mut stream = df.execute_stream().await?;
    let mut w = ResultWriter::new(format, max, out);
    while let Some(batch) = stream.next().await {
        w.write(&batch?)?;
    }
    w.finish()
}

/// The line that says a result was cut, for the error stream.
pub fn cut_note(w: Written) -> Option<String> {
    (w.shown < w.rows).then(|| {
        format!(
            "{} of {} rows shown (--maxrows N or \\pset maxrows N shows more, 0 all)",
            w.shown, w.rows
        )
    })
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
