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

/// What the report shows of the evidence events, and who acted in them.
#[derive(Debug, Default)]
pub struct Evidence {
    /// The `activity` view's `automated` and `automation` of each event, by id.
    pub actors: HashMap<String, EventActor>,
    /// The events, by id (DM text hidden unless `show_private`).
    pub events: BTreeMap<String, EvidenceEvent>,
}

#[derive(Deserialize)]
struct EvidenceRow {
    #[serde(flatten)]
    event: EvidenceEvent,
    #[serde(flatten)]
    actor: EventActor,
}

/// The evidence events with these ids, in one join with `activity`: loading who acted and what
/// the report shows in two were two scans of the events (0.25 s and 0.36 s at 10M events).
pub async fn load<'a>(
    ctx: &SessionContext,
    ids: impl Iterator<Item = &'a String>,
    show_private: bool,
) -> Result<Evidence> {
    let sql = format!(
        "SELECT a.event_id, a.ts, a.kind, coalesce(a.target_user_id, a.target_post_id, a.list_id) AS target,
                a.client, a.text, a.source, a.source_record, a.automated, a.automation
         FROM activity a JOIN {WANTED} w ON a.event_id = w.event_id"
    );
    let rows: Vec<EvidenceRow> = rows_of_wanted(ctx, "evidence", ids, &sql).await?;
    let mut evidence = Evidence::default();
    for EvidenceRow { mut event, actor } in rows {
        if event.kind.starts_with("dm_") && !show_private && event.text.is_some() {
            event.text = Some(PRIVATE_TEXT.into());
        }
        evidence.actors.insert(event.event_id.clone(), actor);
        evidence.events.insert(event.event_id.clone(), event);
    }
    Ok(evidence)
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
        // Who acted comes from the audit's `activity` view; here every tenth event is a bot's.
        ctx.sql(
            "CREATE VIEW activity AS SELECT *, \
             CASE WHEN source_record % 10 = 0 THEN true END AS automated, \
             CASE WHEN source_record % 10 = 0 THEN 'client:Bot (automation)' END AS automation \
             FROM events",
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
        let wanted: Vec<String> = ids
            .iter()
            .step_by(2)
            .cloned()
            .chain(["missing".into()])
            .collect();
        let Evidence {
            actors,
            events: found,
        } = load(&ctx, wanted.iter(), false).await.unwrap();
        assert_eq!((found.len(), actors.len()), (N / 2, N / 2));
        assert_eq!(actors["e10"].automated, Some(true));
        assert_eq!(
            actors["e10"].automation.as_deref(),
            Some("client:Bot (automation)")
        );
        assert_eq!(actors["e4"].automated, None);
        assert_eq!(found["e4"].ts, 4_000_000);
        assert_eq!(found["e4"].target.as_deref(), Some("u4"));
        assert_eq!(
            (found["e4"].source.as_str(), found["e4"].source_record),
            ("log.jsonl", 4)
        );
        // The table of wanted ids is gone again, and DM text stays private.
        assert!(!ctx.table_exist(WANTED).unwrap());
        let dm = load(&ctx, [ids[1].clone()].iter(), false).await.unwrap();
        assert_eq!(dm.events["e1"].text.as_deref(), Some(PRIVATE_TEXT));
    }
}
