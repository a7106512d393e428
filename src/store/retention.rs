//! Every table keeps its whole history. A nightly store takes an ingest a night for years and is
//! audited "as of" any past version, so no log entry and no data file a version refers to may be
//! deleted. Delta's defaults do delete them: with log cleanup on and a 30-day log retention, the
//! commit that writes the 100th checkpoint deletes every log entry older than 30 days, and a
//! vacuum deletes files removed more than a week ago. xaudit's tables are made with properties
//! that switch both off, for xaudit and for any other Delta writer that honours them; xaudit's own
//! commits also ask delta-rs not to clean up, whatever a table's properties say.
//!
//! The cost is disk: the log grows by one small JSON file per commit (about 2-10 KB for an ingest,
//! each of seven tables), and files that `xaudit store optimize` compacts stay on disk beside
//! their compacted copy, since older versions still read them.

use std::collections::HashMap;

use deltalake::DeltaTable;
use deltalake::kernel::transaction::CommitProperties;

use super::Store;
use crate::error::Result;

/// "Forever", in the unit Delta's interval properties take.
const FOREVER: &str = "interval 36500 days";

/// The table properties that keep every log entry and every file an old version reads. With the
/// whole log kept, a checkpoint every 10 commits (Delta's default is 100) bounds what opening a
/// table replays: every ingest opens each table a few times, and a nightly store's log only
/// grows.
pub const KEEP_HISTORY: [(&str, &str); 4] = [
    ("delta.enableExpiredLogCleanup", "false"),
    ("delta.logRetentionDuration", FOREVER),
    ("delta.deletedFileRetentionDuration", FOREVER),
    ("delta.checkpointInterval", "10"),
];

/// Whether a table's properties keep its history.
pub fn keeps_history(table: &DeltaTable) -> bool {
    let Ok(snapshot) = table.snapshot() else {
        return false;
    };
    let config = snapshot.metadata().configuration();
    KEEP_HISTORY
        .iter()
        .all(|(k, v)| config.get(*k).map(String::as_str) == Some(*v))
}

/// What an ingest or nightly run says when it switched tables of an older store over.
pub fn history_kept_notice(upgraded: &[&str]) -> Option<String> {
    (!upgraded.is_empty()).then(|| {
        format!(
            "the store's tables ({}) now keep their whole history: until now Delta's log cleanup could delete log entries older than 30 days, and with them the versions they recorded",
            upgraded.join(", ")
        )
    })
}

/// Commit properties that never clean up the log, whatever the table says.
pub fn without_cleanup(props: CommitProperties) -> CommitProperties {
    props.with_cleanup_expired_logs(Some(false))
}

impl Store {
    /// Make the tables `names` keep their whole history, each that does not yet (a store made
    /// before xaudit set the properties).
    pub async fn keep_history_of(&self, names: &[&'static str]) -> Result<()> {
        let properties: HashMap<String, String> = KEEP_HISTORY
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let meta = serde_json::json!({ "operation": "keep history" });
        for name in names {
            let Some(table) = self.open(name).await? else {
                continue;
            };
            if keeps_history(&table) {
                continue;
            }
            table
                .set_tbl_properties()
                .with_properties(properties.clone())
                .with_commit_properties(super::commit_properties(&meta))
                .await
                .map_err(|e| self.err(name, e))?;
        }
        Ok(())
    }
}
