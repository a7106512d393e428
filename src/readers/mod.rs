//! Readers turn inputs into events. Each file is read on a rayon thread into an [`Output`], which
//! sends events in chunks through a bounded channel to the store writer (so memory stays bounded
//! however large the input) and keeps the small side tables (accounts, apps, trends, snapshots,
//! lists, rejects) until the end.

pub mod api_tweet;
pub mod archive;
pub mod detect;
pub mod digest;
pub mod fuzz;
pub mod generic;
pub mod guard;
pub mod json_cursor;
pub mod json_stream;
pub mod trends;
pub mod webhook;

use std::sync::Arc;

use serde::Serialize;

use crate::error::{InputError, Position};
use crate::model::{Event, hash_id, time};
use crate::store::ChunkBuilder;

pub use detect::{InputKind, detect};

/// Events per chunk sent to the writer.
pub const CHUNK: usize = 8192;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AccountRow {
    pub row_id: String,
    pub account_id: String,
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub created_at: Option<i64>,
    pub created_via: Option<String>,
    pub description: Option<String>,
    pub observed_at: i64,
    pub source: String,
}

impl AccountRow {
    pub fn new(account_id: &str, observed_at: i64, source: &str) -> Self {
        AccountRow {
            row_id: hash_id(&["account", account_id, &observed_at.to_string(), source]),
            account_id: account_id.to_string(),
            handle: None,
            display_name: None,
            created_at: None,
            created_via: None,
            description: None,
            observed_at,
            source: source.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AppRow {
    pub row_id: String,
    pub account_id: String,
    pub app_id: String,
    pub name: Option<String>,
    pub organization: Option<String>,
    pub url: Option<String>,
    pub permissions: Vec<String>,
    pub approved_at: Option<i64>,
    pub observed_at: i64,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TrendRow {
    pub trend_id: String,
    pub name: String,
    pub query: Option<String>,
    pub as_of: i64,
    pub created_at: Option<i64>,
    pub woeid: Option<i64>,
    pub location: Option<String>,
    pub tweet_volume: Option<i64>,
    pub rank: i64,
    pub source: String,
    pub source_record: i64,
}

/// Relations that archives only give as undated snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relation {
    Following,
    Follower,
    Like,
    Block,
    Mute,
}

impl Relation {
    pub const ALL: [Relation; 5] = [
        Relation::Following,
        Relation::Follower,
        Relation::Like,
        Relation::Block,
        Relation::Mute,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Following => "following",
            Relation::Follower => "follower",
            Relation::Like => "like",
            Relation::Block => "block",
            Relation::Mute => "mute",
        }
    }
    /// The event kinds for a member appearing and disappearing.
    pub fn kinds(self) -> (crate::model::Kind, crate::model::Kind) {
        use crate::model::Kind::*;
        match self {
            Relation::Following => (Follow, Unfollow),
            Relation::Follower => (FollowedBy, UnfollowedBy),
            Relation::Like => (Like, Unlike),
            Relation::Block => (Block, Unblock),
            Relation::Mute => (Mute, Unmute),
        }
    }
}

/// One snapshot file's members; `taken_at` is the archive's generation date (known only after the
/// manifest or the whole archive has been read).
#[derive(Debug, Clone)]
pub struct SnapshotObs {
    pub account_id: String,
    pub relation: Relation,
    pub taken_at: Option<i64>,
    pub members: Vec<String>,
    /// Text of liked posts (like.js `fullText`), kept for the like events.
    pub texts: Vec<Option<String>>,
    pub source: Arc<str>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ListRow {
    pub row_id: String,
    pub account_id: String,
    pub relation: String,
    pub list_url: String,
    pub list_id: Option<String>,
    pub observed_at: i64,
    pub source: String,
}

/// A data file an archive's manifest lists and the export lacks.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AbsentFileRow {
    pub row_id: String,
    pub account_id: String,
    pub file: String,
    pub observed_at: i64,
    pub source: String,
}

impl AbsentFileRow {
    pub fn new(account_id: &str, file: &str, observed_at: i64, source: &str) -> Self {
        AbsentFileRow {
            row_id: hash_id(&["absent", account_id, file, source]),
            account_id: account_id.to_string(),
            file: file.to_string(),
            observed_at,
            source: source.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RejectRow {
    pub reject_id: String,
    pub source: String,
    pub record: Option<i64>,
    pub line: Option<i64>,
    pub byte: Option<i64>,
    pub reason: String,
    pub raw: Option<String>,
}

impl RejectRow {
    pub fn from_error(e: &InputError, raw: Option<&[u8]>) -> Self {
        let p = &e.position;
        let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        RejectRow {
            reject_id: hash_id(&[
                "reject",
                &e.file,
                &opt(p.record),
                &opt(p.line),
                &opt(p.byte),
                &e.reason,
            ]),
            source: e.file.clone(),
            record: p.record.map(|v| v as i64),
            line: p.line.map(|v| v as i64),
            byte: p.byte.map(|v| v as i64),
            reason: e.reason.clone(),
            raw: raw.map(|r| {
                let s = String::from_utf8_lossy(r);
                s.chars().take(1000).collect()
            }),
        }
    }
}

/// Everything but events, merged across files at the end of a read.
#[derive(Debug, Default)]
pub struct Side {
    pub accounts: Vec<AccountRow>,
    pub apps: Vec<AppRow>,
    pub trends: Vec<TrendRow>,
    pub snapshots: Vec<SnapshotObs>,
    pub lists: Vec<ListRow>,
    /// Data files the manifest lists and the export lacks.
    pub absent: Vec<AbsentFileRow>,
    pub rejects: Vec<RejectRow>,
    /// Things worth telling the user that are not errors (unknown columns, skipped event types).
    pub notices: Vec<String>,
    /// Events emitted (before de-duplication).
    pub events: u64,
    /// Manifest counts checked against what was read: (file, expected, read).
    pub manifest_checks: Vec<(String, u64, u64)>,
    /// Latest event time seen: an archive without a manifest is taken to be generated then.
    pub max_ts: Option<i64>,
}

/// What dates the rows an archive observes (accounts, apps, lists, snapshots).
const GENERATED: &str = "the archive's generation date (data/manifest.js generationDate)";

/// The error for a time the store cannot hold, at `record` of `source` when known.
fn unholdable(source: &str, record: Option<i64>, what: &str, at: i64) -> InputError {
    let position = record
        .map(|r| Position::record(r.max(0) as u64))
        .unwrap_or_default();
    InputError::new(
        source,
        position,
        format!(
            "{what} {} is outside the years 1677 to 2262 that the store can hold (a typo in the year?)",
            time::format_ts(at)
        ),
    )
}

/// Collects the side-row times the store cannot hold.
#[derive(Default)]
struct TimeCheck(Vec<InputError>);

impl TimeCheck {
    /// Whether a row's own moment is holdable; if not, the row is to be dropped.
    fn keep(&mut self, at: i64, source: &str, record: Option<i64>, what: &str) -> bool {
        time::holdable(at) || {
            self.0.push(unholdable(source, record, what, at));
            false
        }
    }

    /// Clear an optional time the store cannot hold; `what` is built only then.
    fn clear(
        &mut self,
        at: &mut Option<i64>,
        source: &str,
        record: Option<i64>,
        what: impl FnOnce() -> String,
    ) {
        if let Some(t) = at.filter(|t| !time::holdable(*t)) {
            self.0.push(unholdable(source, record, &what(), t));
            *at = None;
        }
    }
}

impl Side {
    /// Take out of the side rows every time the store cannot hold, as events' times are refused
    /// in [`Output::emit`]: stored, such a time fails every later audit. A row whose own moment
    /// (observed, taken, as of) is wrong is dropped; an optional time (an account's creation, an
    /// app's approval) is cleared. Each is an error, for the caller to fail on or, with
    /// `--lenient`, to reject.
    pub fn take_unholdable_times(&mut self) -> Vec<InputError> {
        let mut check = TimeCheck::default();
        self.accounts.retain_mut(|a| {
            check.clear(&mut a.created_at, &a.source, None, || {
                format!("data/account.js: account {} created_at", a.account_id)
            });
            check.keep(a.observed_at, &a.source, None, GENERATED)
        });
        self.apps.retain_mut(|a| {
            check.clear(&mut a.approved_at, &a.source, None, || {
                format!(
                    "data/connected-application.js: app {} of account {} approved_at",
                    a.app_id, a.account_id
                )
            });
            check.keep(a.observed_at, &a.source, None, GENERATED)
        });
        self.trends.retain_mut(|t| {
            let record = Some(t.source_record);
            check.clear(&mut t.created_at, &t.source, record, || {
                "trend snapshot: created_at".into()
            });
            check.keep(t.as_of, &t.source, record, "trend snapshot: as_of")
        });
        self.snapshots.retain(|s| match s.taken_at {
            Some(t) => check.keep(t, &s.source, None, GENERATED),
            None => true,
        });
        self.lists
            .retain(|l| check.keep(l.observed_at, &l.source, None, GENERATED));
        self.absent
            .retain(|a| check.keep(a.observed_at, &a.source, None, GENERATED));
        // One wrong generation date is one problem, not one per row it dates.
        let mut errors = check.0;
        let mut seen = std::collections::HashSet::new();
        errors.retain(|e| seen.insert((e.file.clone(), e.reason.clone())));
        errors
    }

    pub fn merge(&mut self, other: Side) {
        self.accounts.extend(other.accounts);
        self.apps.extend(other.apps);
        self.trends.extend(other.trends);
        self.snapshots.extend(other.snapshots);
        self.lists.extend(other.lists);
        self.absent.extend(other.absent);
        self.rejects.extend(other.rejects);
        self.notices.extend(other.notices);
        self.events += other.events;
        self.manifest_checks.extend(other.manifest_checks);
        self.max_ts = self.max_ts.max(other.max_ts);
    }
}

/// The channel end a reader sends chunks of events into.
/// Chunks are converted for the store on the reader's thread; a conversion error is an internal
/// bug, which the writer reports.
pub type EventTx = tokio::sync::mpsc::Sender<crate::Result<crate::store::EventChunk>>;

/// Per-file output of a reader.
pub struct Output {
    tx: EventTx,
    chunk: ChunkBuilder,
    pub side: Side,
    pub lenient: bool,
}

impl Output {
    pub fn new(tx: EventTx, lenient: bool) -> Self {
        Output {
            tx,
            // Most outputs read one block of a file (about a thousand records); the columns grow
            // as needed.
            chunk: ChunkBuilder::with_capacity(1024),
            side: Side::default(),
            lenient,
        }
    }

    /// A fresh output for the same channel, to read part of a file on another thread.
    pub fn fork(&self) -> Output {
        Output::new(self.tx.clone(), self.lenient)
    }

    /// Converts the event for the writer at once (its strings are freed right away, for the next
    /// record to reuse); every `CHUNK` events go to the writer.
    /// Send an event on. One whose time the engine cannot hold (a typo year such as 2300, or
    /// year 0) is a bad record, refused here at the door: stored, it would fail every later audit.
    pub fn emit(&mut self, e: Event) -> Result<(), InputError> {
        if !time::holdable(e.ts) || !time::holdable(e.ts_lower) {
            let at = if time::holdable(e.ts) {
                e.ts_lower
            } else {
                e.ts
            };
            let err = unholdable(&e.source, Some(e.source_record), "time", at);
            return self.bad_record(err, None);
        }
        self.side.events += 1;
        self.side.max_ts = self.side.max_ts.max(Some(e.ts));
        self.chunk.push(&e);
        if self.chunk.len() >= CHUNK {
            self.flush();
        }
        Ok(())
    }

    pub fn flush(&mut self) {
        if !self.chunk.is_empty() {
            // A send fails only when the writer has already failed; its error is reported instead.
            let _ = self.tx.blocking_send(self.chunk.finish());
        }
    }

    /// A bad record: in lenient mode it goes to `rejects` and reading goes on; otherwise it is the
    /// error that stops the ingest.
    pub fn bad_record(&mut self, e: InputError, raw: Option<&[u8]>) -> Result<(), InputError> {
        if self.lenient {
            self.side.rejects.push(RejectRow::from_error(&e, raw));
            Ok(())
        } else {
            Err(e)
        }
    }

    pub fn finish(mut self) -> Side {
        self.flush();
        self.side
    }
}

/// Deserialize one record, turning serde's message into an error with the file position.
pub fn parse_record<'a, T: serde::Deserialize<'a>>(
    file: &str,
    pos: json_stream::RecordPos,
    raw: &'a [u8],
) -> Result<T, InputError> {
    serde_json::from_slice(raw).map_err(|e| {
        let msg = json_stream::json_message(&e);
        let what = if e.is_syntax() || e.is_eof() {
            format!("malformed JSON: {msg}")
        } else {
            format!("unexpected record shape: {msg}")
        };
        InputError::new(file, pos.at_json_error(&e, raw), what)
    })
}

/// A missing required field.
pub fn missing(file: &str, pos: impl Into<Position>, what: &str) -> InputError {
    InputError::new(file, pos.into(), format!("missing {what}"))
}

/// Readers that behave as awkward inputs do, for tests.
#[cfg(test)]
pub(crate) mod test_io {
    use std::io::{self, Read};

    /// Returns at most `step` bytes per read, as a slow pipe or a zip stream may.
    pub(crate) struct Trickle<'a> {
        pub data: &'a [u8],
        pub step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }
}
