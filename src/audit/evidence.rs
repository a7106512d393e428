//! The events findings rest on, loaded once for all findings of an audit.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use serde::Deserialize;

use super::runner::EventActor;
use crate::error::Result;
use crate::store::query_rows;

/// One event cited as evidence. Direct-message text is replaced by a note unless private text is
/// to be shown: it never leaves the engine otherwise.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EvidenceEvent {
    pub event_id: String,
    /// µs since the epoch.
    pub ts: i64,
    pub kind: String,
    pub target: Option<String>,
    pub client: Option<String>,
    pub text: Option<String>,
    /// The input file the event was read from, and its record there (see the `events` schema).
    pub source: String,
    pub source_record: i64,
}

pub const PRIVATE_TEXT: &str = "[private message: shown with --show-private]";

/// The table of wanted ids the evidence query joins. An `IN (…)` list of every id grows the SQL
/// text and the plan with the number of findings; the join does not (30,000 ids of 60,000 events:
/// 0.4 s against 1.7 s for the list, in a debug build).
const WANTED: &str = "xaudit_evidence_ids";

/// Run `sql`, which joins the table [`WANTED`] of `ids`, and decode its rows.
async fn rows_of_wanted<'a, T: serde::de::DeserializeOwned>(
    ctx: &SessionContext,
    what: &str,
    ids: impl Iterator<Item = &'a String>,
    sql: &str,
) -> Result<Vec<T>> {
    let ids: BTreeSet<&String> = ids.collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let schema = Arc::new(Schema::new(vec![Field::new(
        "event_id",
        DataType::Utf8,
        false,
    )]));
    let wanted = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(StringArray::from_iter_values(ids))],
    )?;
    ctx.register_table(
        WANTED,
        Arc::new(MemTable::try_new(schema, vec![vec![wanted]])?),
    )?;
    let rows = query_rows::<T>(ctx, what, sql).await;
    ctx.deregister_table(WANTED)?;
    rows
}

/// The events with these ids, by id.
pub async fn load<'a>(
    ctx: &SessionContext,
    ids: impl Iterator<Item = &'a String>,
    show_private: bool,
) -> Result<BTreeMap<String, EvidenceEvent>> {
    let sql = format!(
        "SELECT e.event_id, e.ts, e.kind, coalesce(e.target_user_id, e.target_post_id, e.list_id) AS target,
                e.client, e.text, e.source, e.source_record
         FROM events e JOIN {WANTED} w ON e.event_id = w.event_id"
    );
    let rows: Vec<EvidenceEvent> = rows_of_wanted(ctx, "evidence", ids, &sql).await?;
    Ok(rows
        .into_iter()
        .map(|mut e| {
            if e.kind.starts_with("dm_") && !show_private && e.text.is_some() {
                e.text = Some(PRIVATE_TEXT.into());
            }
            (e.event_id.clone(), e)
        })
        .collect())
}

#[derive(Deserialize)]
struct ActorRow {
    event_id: String,
    #[serde(flatten)]
    actor: EventActor,
}

/// Who acted in each of these events (the `activity` view's `automated` and `automation`), by id.
pub async fn actors<'a>(
    ctx: &SessionContext,
    ids: impl Iterator<Item = &'a String>,
) -> Result<HashMap<String, EventActor>> {
    let sql = format!(
        "SELECT a.event_id, a.automated, a.automation
         FROM activity a JOIN {WANTED} w ON a.event_id = w.event_id"
    );
    let rows: Vec<ActorRow> = rows_of_wanted(ctx, "automation evidence", ids, &sql).await?;
    Ok(rows.into_iter().map(|r| (r.event_id, r.actor)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, TimestampMicrosecondArray};
    use datafusion::arrow::datatypes::TimeUnit;

    /// Evidence is loaded by joining a table of the wanted ids, not through a literal list that
    /// grows with the findings (issue 23): tens of thousands of ids, a missing one, DM privacy.
    #[tokio::test]
    async fn tens_of_thousands_of_evidence_ids_load_in_one_join() {
        const N: usize = 60_000;
        let text = |name: &str| Field::new(name, DataType::Utf8, true);
        let schema = Arc::new(Schema::new(vec![
            text("event_id"),
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Microsecond, None),
                false,
            ),
            text("kind"),
            text("target_user_id"),
            text("target_post_id"),
            text("list_id"),
            text("client"),
            text("text"),
            text("source"),
            Field::new("source_record", DataType::Int64, false),
        ]));
        let ids: Vec<String> = (0..N).map(|i| format!("e{i}")).collect();
        let strings = |f: &dyn Fn(usize) -> Option<String>| -> ArrayRef {
            Arc::new((0..N).map(f).collect::<StringArray>())
        };
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                strings(&|i| Some(ids[i].clone())),
                Arc::new(TimestampMicrosecondArray::from_iter_values(
                    (0..N as i64).map(|i| i * 1_000_000),
                )),
                strings(&|i| Some(if i % 2 == 0 { "post" } else { "dm_sent" }.into())),
                strings(&|i| Some(format!("u{i}"))),
                strings(&|_| None),
                strings(&|_| None),
                strings(&|_| Some("Bot".into())),
                strings(&|i| Some(format!("text {i}"))),
                strings(&|_| Some("log.jsonl".into())),
                Arc::new(datafusion::arrow::array::Int64Array::from_iter_values(
                    0..N as i64,
                )),
            ],
        )
        .unwrap();
        let ctx = SessionContext::new();
        ctx.register_table(
            "events",
            Arc::new(MemTable::try_new(schema, vec![vec![batch]]).unwrap()),
        )
        .unwrap();
        let wanted: Vec<String> = ids
            .iter()
            .step_by(2)
            .cloned()
            .chain(["missing".into()])
            .collect();
        let found = load(&ctx, wanted.iter(), false).await.unwrap();
        assert_eq!(found.len(), N / 2);
        assert_eq!(found["e4"].ts, 4_000_000);
        assert_eq!(found["e4"].target.as_deref(), Some("u4"));
        assert_eq!(
            (found["e4"].source.as_str(), found["e4"].source_record),
            ("log.jsonl", 4)
        );
        // The table of wanted ids is gone again, and DM text stays private.
        assert!(!ctx.table_exist(WANTED).unwrap());
        let dm = load(&ctx, [ids[1].clone()].iter(), false).await.unwrap();
        assert_eq!(dm["e1"].text.as_deref(), Some(PRIVATE_TEXT));
    }
}
