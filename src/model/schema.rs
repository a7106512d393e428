//! Arrow schemas of the store's tables, with a doc line per column. `xaudit schema` prints these and
//! the README embeds the same text (a test keeps the two in step).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

/// A column: name, type, nullable, documentation.
pub struct Column {
    pub name: &'static str,
    pub data_type: DataType,
    pub nullable: bool,
    pub doc: &'static str,
}

pub struct Table {
    pub name: &'static str,
    pub doc: &'static str,
    pub columns: Vec<Column>,
    /// Column whose value identifies a row: an append whose key is already present adds nothing.
    pub key: &'static str,
}

impl Table {
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(c.name, c.data_type.clone(), c.nullable))
                .collect::<Vec<_>>(),
        ))
    }
}

/// Delta Lake's name for list elements; using it avoids a cast on every write.
pub const LIST_ITEM: &str = "element";

pub fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}
pub fn string_list() -> DataType {
    DataType::List(Arc::new(Field::new(LIST_ITEM, DataType::Utf8, true)))
}
pub fn url_fields() -> Fields {
    Fields::from(vec![
        Field::new("url", DataType::Utf8, true),
        Field::new("expanded", DataType::Utf8, true),
        Field::new("display", DataType::Utf8, true),
    ])
}
pub fn url_list() -> DataType {
    DataType::List(Arc::new(Field::new(
        LIST_ITEM,
        DataType::Struct(url_fields()),
        true,
    )))
}

fn col(name: &'static str, data_type: DataType, nullable: bool, doc: &'static str) -> Column {
    Column {
        name,
        data_type,
        nullable,
        doc,
    }
}
fn s(name: &'static str, doc: &'static str) -> Column {
    col(name, DataType::Utf8, true, doc)
}

pub static EVENTS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "events",
    doc: "Every activity of every audited account, one immutable row per event.",
    key: "event_id",
    columns: vec![
        col(
            "event_id",
            DataType::Utf8,
            false,
            "deterministic id (128-bit BLAKE3 of what identifies the activity): re-ingest never duplicates, and a post seen in an archive and a webhook log is one event",
        ),
        col(
            "account_id",
            DataType::Utf8,
            false,
            "the audited account the event belongs to",
        ),
        col(
            "kind",
            DataType::Utf8,
            false,
            "post, reply, quote, repost, delete, like, unlike, follow, unfollow, followed_by, unfollowed_by, block, unblock, mute, unmute, list_add, list_remove, dm_sent, dm_received, mention_received, reply_received, app_connected, app_revoked",
        ),
        col(
            "ts",
            ts_type(),
            false,
            "event time, UTC; for snapshot-derived events the upper bound of the interval",
        ),
        col(
            "ts_lower",
            ts_type(),
            false,
            "lower bound of the time; equals ts unless the time is an interval (snapshot diffs)",
        ),
        s(
            "actor_id",
            "who acted (the account itself for its own activity; the other user for followed_by, dm_received, mention_received …)",
        ),
        s(
            "target_user_id",
            "the user acted upon: followed, replied to, DM recipient, added to a list",
        ),
        s(
            "target_post_id",
            "the post acted upon: replied to, quoted, reposted, liked, deleted",
        ),
        s(
            "post_id",
            "id of the post this event is (own posts, inbound mentions and replies)",
        ),
        s("message_id", "id of the direct message this event is"),
        s(
            "conversation_id",
            "DM conversation (`<userA>-<userB>` for one-to-one, a numeric id for groups)",
        ),
        s("list_id", "list added to or removed from"),
        s(
            "text",
            "content, HTML-unescaped; full text of long posts; NULL where the source has none (encrypted DMs)",
        ),
        s(
            "lang",
            "language code the source gave (X uses pseudo codes such as `qme`, `und`)",
        ),
        col("hashtags", string_list(), true, "hashtags without `#`"),
        col(
            "mentions",
            string_list(),
            true,
            "@mentioned screen names, without `@`",
        ),
        col(
            "mention_ids",
            string_list(),
            true,
            "ids of the mentioned users, aligned with `mentions` (NULL where unknown)",
        ),
        col(
            "urls",
            url_list(),
            true,
            "links: `url` as written (t.co), `expanded` target, `display` form",
        ),
        s(
            "client",
            "posting app name (the anchor text of `source`), or the DM's source app",
        ),
        s(
            "client_id",
            "app id where the source gives one (DM `source_app_id`, connected application id)",
        ),
        col(
            "possibly_sensitive",
            DataType::Boolean,
            true,
            "X's `possibly_sensitive` flag on the post",
        ),
        s(
            "edit_of",
            "for an edited version of a post, the id of the initial post",
        ),
        col(
            "origin",
            DataType::Utf8,
            false,
            "archive, snapshot (diff of snapshot files), webhook (Account Activity), activity_api (X Activity API), generic; in the Delta table also explained_snapshot (a snapshot difference a timed event explains, kept for later diffs and never in `events`)",
        ),
        col(
            "source",
            DataType::Utf8,
            false,
            "the input file (inside an archive: `archive.zip!data/tweets.js`)",
        ),
        col(
            "source_record",
            DataType::Int64,
            false,
            "0-based record index in that file (array element, line or row); -1 for an event inferred from a record's absence (a member gone from a snapshot)",
        ),
        s(
            "attributes",
            "JSON object of generic-log fields that have no column of their own",
        ),
    ],
});

pub static ACCOUNTS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "accounts",
    doc: "What inputs said about an account (handle, name, creation), one row per observation; the latest observed_at wins.",
    key: "row_id",
    columns: vec![
        col(
            "row_id",
            DataType::Utf8,
            false,
            "hash of account, source and observation time",
        ),
        col("account_id", DataType::Utf8, false, "account id"),
        s("handle", "screen name without `@`"),
        s("display_name", "display name"),
        col("created_at", ts_type(), true, "account creation time"),
        s(
            "created_via",
            "how the account was created (`web`, `oauth:<app id>` …)",
        ),
        s("description", "profile bio"),
        col(
            "observed_at",
            ts_type(),
            false,
            "when the source observed this (archive generation date, event time)",
        ),
        col("source", DataType::Utf8, false, "input file"),
    ],
});

pub static CONNECTED_APPS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "connected_apps",
    doc: "Applications authorized to act for an account (archive `connected-application.js`), with their permissions.",
    key: "row_id",
    columns: vec![
        col(
            "row_id",
            DataType::Utf8,
            false,
            "hash of account, app and observation time",
        ),
        col("account_id", DataType::Utf8, false, "account id"),
        col("app_id", DataType::Utf8, false, "application id"),
        s("name", "application name"),
        s("organization", "organization behind the app"),
        s("url", "organization URL"),
        col(
            "permissions",
            string_list(),
            true,
            "`read`, `write`, `directmessages` …",
        ),
        col(
            "approved_at",
            ts_type(),
            true,
            "when the account approved the app",
        ),
        col("observed_at", ts_type(), false, "archive generation date"),
        col("source", DataType::Utf8, false, "input file"),
    ],
});

pub static TRENDS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "trends",
    doc: "Trend snapshots: which topics were trending where, and when.",
    key: "trend_id",
    columns: vec![
        col(
            "trend_id",
            DataType::Utf8,
            false,
            "hash of snapshot time, place and name",
        ),
        col(
            "name",
            DataType::Utf8,
            false,
            "trend as shown (`#Tag` or a phrase)",
        ),
        s("query", "search query X gave (URL-decoded)"),
        col("as_of", ts_type(), false, "time of the snapshot"),
        col(
            "created_at",
            ts_type(),
            true,
            "when X computed the trend list (v1.1 `created_at`)",
        ),
        col(
            "woeid",
            DataType::Int64,
            true,
            "place (Yahoo WOEID; 1 = worldwide)",
        ),
        s("location", "place name"),
        col(
            "tweet_volume",
            DataType::Int64,
            true,
            "posts in the last 24 h, when X gave it",
        ),
        col(
            "rank",
            DataType::Int64,
            false,
            "1-based position in the snapshot",
        ),
        col("source", DataType::Utf8, false, "input file"),
        col(
            "source_record",
            DataType::Int64,
            false,
            "record (line or row) in that file",
        ),
    ],
});

pub static SNAPSHOTS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "snapshots",
    doc: "Each undated snapshot file seen (followers, following, likes, blocks, mutes): when, how many members. The members themselves become events by diffing.",
    key: "row_id",
    columns: vec![
        col(
            "row_id",
            DataType::Utf8,
            false,
            "hash of account, relation and time",
        ),
        col("account_id", DataType::Utf8, false, "account id"),
        col(
            "relation",
            DataType::Utf8,
            false,
            "following, follower, like, block, mute",
        ),
        col("taken_at", ts_type(), false, "archive generation date"),
        col("members", DataType::Int64, false, "members in the snapshot"),
        col(
            "added",
            DataType::Int64,
            false,
            "events emitted for members new since the previous snapshot",
        ),
        col(
            "removed",
            DataType::Int64,
            false,
            "events emitted for members gone since the previous snapshot",
        ),
        col("source", DataType::Utf8, false, "input file"),
    ],
});

pub static LISTS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "lists",
    doc: "Lists an account created, is a member of, or subscribes to (archive `lists-*.js`, undated).",
    key: "row_id",
    columns: vec![
        col(
            "row_id",
            DataType::Utf8,
            false,
            "hash of account, relation, list and time",
        ),
        col("account_id", DataType::Utf8, false, "account id"),
        col(
            "relation",
            DataType::Utf8,
            false,
            "created, member, subscribed",
        ),
        col("list_url", DataType::Utf8, false, "list URL"),
        s("list_id", "list id taken from the URL"),
        col("observed_at", ts_type(), false, "archive generation date"),
        col("source", DataType::Utf8, false, "input file"),
    ],
});

pub static ABSENT_FILES: LazyLock<Table> = LazyLock::new(|| Table {
    name: "absent_files",
    doc: "Data files an archive's manifest lists but the export lacks (removed before it was handed over): the rules that need their data say `not_evaluable` and name them.",
    key: "row_id",
    columns: vec![
        col(
            "row_id",
            DataType::Utf8,
            false,
            "hash of account, file and source",
        ),
        col("account_id", DataType::Utf8, false, "account id"),
        col(
            "file",
            DataType::Utf8,
            false,
            "the file as the manifest names it (`data/direct-messages.js`)",
        ),
        col("observed_at", ts_type(), false, "archive generation date"),
        col("source", DataType::Utf8, false, "input file"),
    ],
});

pub static SUPERSEDED: LazyLock<Table> = LazyLock::new(|| Table {
    name: "superseded",
    doc: "Stored event rows that `events` no longer shows, because a later ingest brought better evidence of the same activity: a copy of the same event from an input that ranks higher (webhook log, then bot log, then archive), or a timed event that explains a stored snapshot difference (same kind and member, inside its interval). The rows stay in the Delta table, so older versions read as they did; whatever the order inputs arrive in, `events` converges to the same rows.",
    key: "row_key",
    columns: vec![
        col(
            "row_key",
            DataType::Utf8,
            false,
            "hash of event_id and origin: the stored row no longer shown",
        ),
        col("event_id", DataType::Utf8, false, "the event's id"),
        col(
            "origin",
            DataType::Utf8,
            false,
            "the origin of the row no longer shown (`snapshot`, `archive` …)",
        ),
        col("account_id", DataType::Utf8, false, "account id"),
        col(
            "reason",
            DataType::Utf8,
            false,
            "`copy`: a higher-ranked copy of the event is stored; `explained`: a timed event explains the snapshot difference",
        ),
    ],
});

pub static REJECTS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "rejects",
    doc: "Bad records skipped by `ingest --lenient`, with where they were and why.",
    key: "reject_id",
    columns: vec![
        col(
            "reject_id",
            DataType::Utf8,
            false,
            "hash of file, position and reason",
        ),
        col("source", DataType::Utf8, false, "input file"),
        col("record", DataType::Int64, true, "0-based record index"),
        col("line", DataType::Int64, true, "1-based line"),
        col("byte", DataType::Int64, true, "byte offset"),
        col(
            "reason",
            DataType::Utf8,
            false,
            "what was wrong and what was expected",
        ),
        s(
            "raw",
            "the record's text (first 1,000 characters), where it could be read",
        ),
    ],
});

pub static INPUTS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "inputs",
    doc: "Every input ingested: content hash, kind and what it added.",
    key: "row_id",
    columns: vec![
        col(
            "row_id",
            DataType::Utf8,
            false,
            "hash of content hash and events table version",
        ),
        col(
            "content_hash",
            DataType::Utf8,
            false,
            "BLAKE3 of the input's bytes (for a folder: of each file's path and BLAKE3)",
        ),
        col("path", DataType::Utf8, false, "path as given"),
        col(
            "input_kind",
            DataType::Utf8,
            false,
            "archive, webhook, generic, trends",
        ),
        col(
            "records",
            DataType::Int64,
            false,
            "events read (before de-duplication)",
        ),
        col(
            "rejected",
            DataType::Int64,
            false,
            "records rejected (lenient mode)",
        ),
        col(
            "ingested_at",
            ts_type(),
            false,
            "wall-clock time of the ingest",
        ),
    ],
});

pub static AUDIT_RUNS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "audit_runs",
    doc: "One row per recorded audit (`xaudit nightly`): what was audited, with which config and rule pack, and what changed.",
    key: "run_id",
    columns: vec![
        col(
            "run_id",
            DataType::Utf8,
            false,
            "hash of start time, store version and previous run",
        ),
        s("previous_run_id", "the run this one is compared with"),
        col(
            "store_version",
            DataType::Int64,
            false,
            "store version audited (`--as-of-version` reproduces it)",
        ),
        col(
            "config_hash",
            DataType::Utf8,
            false,
            "hash of the effective rule levels and parameters",
        ),
        col(
            "rule_pack",
            DataType::Utf8,
            false,
            "hash of the rule files' text",
        ),
        col("tool_version", DataType::Utf8, false, "xaudit version"),
        col("started_at", ts_type(), false, "when the run started"),
        col(
            "finished_at",
            ts_type(),
            false,
            "when its findings were recorded",
        ),
        col(
            "inputs",
            DataType::Int64,
            false,
            "inbox files ingested by this run",
        ),
        col(
            "events_added",
            DataType::Int64,
            false,
            "events new to the store",
        ),
        col("accounts", DataType::Int64, false, "accounts audited"),
        col(
            "new",
            DataType::Int64,
            false,
            "findings not in the previous run",
        ),
        col(
            "open",
            DataType::Int64,
            false,
            "findings also in the previous run",
        ),
        col(
            "resolved",
            DataType::Int64,
            false,
            "findings of the previous run that no longer hold",
        ),
        col("suppressed", DataType::Int64, false, "findings suppressed"),
    ],
});

pub static FINDINGS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "findings",
    doc: "Every finding of every recorded run (including those resolved since the previous run), keyed by a fingerprint that survives new data.",
    key: "row_id",
    columns: vec![
        col(
            "row_id",
            DataType::Utf8,
            false,
            "hash of run and fingerprint",
        ),
        col("run_id", DataType::Utf8, false, "the run (`audit_runs`)"),
        col("run_at", ts_type(), false, "when the run started"),
        col(
            "fingerprint",
            DataType::Utf8,
            false,
            "rule, account and evidence key (`xaudit suppress` takes it)",
        ),
        col("account_id", DataType::Utf8, false, "account id"),
        col("rule", DataType::Utf8, false, "rule id"),
        col("severity", DataType::Utf8, false, "deny, warn, info"),
        col("section", DataType::Utf8, false, "policy section key"),
        col("message", DataType::Utf8, false, "what was found"),
        col("first_seen", ts_type(), false, "first event of the finding"),
        col("last_seen", ts_type(), false, "last event of the finding"),
        col("value", DataType::Float64, false, "measured value"),
        col(
            "threshold",
            DataType::Float64,
            true,
            "limit it was compared with",
        ),
        col("count", DataType::Int64, false, "events involved"),
        col(
            "change",
            DataType::Utf8,
            false,
            "new, open (also in the previous run) or resolved (in the previous run only)",
        ),
        col(
            "suppressed",
            DataType::Boolean,
            false,
            "suppressed by `xaudit suppress`",
        ),
    ],
});

pub static SUPPRESSIONS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "suppressions",
    doc: "The suppression audit trail: every `xaudit suppress` and `unsuppress`, who, when and why. The latest action per fingerprint counts.",
    key: "suppression_id",
    columns: vec![
        col(
            "suppression_id",
            DataType::Utf8,
            false,
            "hash of fingerprint, action and time",
        ),
        col(
            "fingerprint",
            DataType::Utf8,
            false,
            "the finding's fingerprint, or its rule's for an account (`suppress --rule R --account A`)",
        ),
        col("action", DataType::Utf8, false, "suppress or unsuppress"),
        s("reason", "why (required to suppress)"),
        col(
            "until",
            ts_type(),
            true,
            "the suppression lapses at this time (none: until unsuppressed)",
        ),
        col("by", DataType::Utf8, false, "who (`--by`, else $USER)"),
        col("at", ts_type(), false, "when"),
    ],
});

/// Every table, events first.
pub fn tables() -> [&'static Table; 13] {
    [
        &EVENTS,
        &ACCOUNTS,
        &CONNECTED_APPS,
        &TRENDS,
        &SNAPSHOTS,
        &LISTS,
        &ABSENT_FILES,
        &SUPERSEDED,
        &REJECTS,
        &INPUTS,
        &AUDIT_RUNS,
        &FINDINGS,
        &SUPPRESSIONS,
    ]
}

/// Tables about the store rather than of it: the findings log and the suppression trail are read
/// at their latest even when the data is read as of an earlier version.
pub const AUDIT_LOG: [&str; 3] = ["audit_runs", "findings", "suppressions"];

pub fn table(name: &str) -> Option<&'static Table> {
    tables().into_iter().find(|t| t.name == name)
}

fn type_name(t: &DataType) -> String {
    match t {
        DataType::Utf8 => "string".into(),
        DataType::Int64 => "int64".into(),
        DataType::Boolean => "bool".into(),
        DataType::Float64 => "float64".into(),
        DataType::Timestamp(_, _) => "timestamp(µs, UTC)".into(),
        DataType::List(f) => match f.data_type() {
            DataType::Struct(fs) => format!(
                "list<struct<{}>>",
                fs.iter()
                    .map(|f| f.name().as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            other => format!("list<{}>", type_name(other)),
        },
        other => other.to_string(),
    }
}

/// The schema as Markdown: one section per table.
pub fn markdown() -> String {
    let mut out = String::new();
    for t in tables() {
        out.push_str(&format!(
            "#### `{}`\n\n{}\n\n| column | type | null | meaning |\n| --- | --- | --- | --- |\n",
            t.name, t.doc
        ));
        for c in &t.columns {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                c.name,
                type_name(&c.data_type),
                if c.nullable { "yes" } else { "no" },
                c.doc
            ));
        }
        out.push('\n');
    }
    out
}
