//! Streams events into the `events` table: Parquet files are written as chunks arrive (so memory
//! stays bounded), and one commit at the end makes all of them visible at once. A crash or an
//! error before the commit leaves only unreferenced files, which no reader sees: the store stays
//! at its previous version.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use datafusion::arrow::array::{Array, BooleanArray, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::parquet::schema::types::ColumnPath;
use deltalake::kernel::transaction::CommitBuilder;
use deltalake::kernel::{Action, Add};
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::writer::{DeltaWriter, RecordBatchWriter};
use deltalake::{DeltaTable, DeltaTableError};
use futures::StreamExt;

use super::{SessionOptions, Store, commit_properties, holds_files};
use crate::error::{Error, Result};
use crate::model::schema::EVENTS;
use crate::model::{Event, EventColumns, Kind, Origin, id_key};

pub use super::superseded::{Reason, SupersededRow};

/// Ids are already uniform hashes: hashing them again would only cost time.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = (v as u64) ^ ((v >> 64) as u64);
    }
}

/// An event id's 16-byte key whose lowest three bits are replaced by the origin of the stored
/// copy: hashed and compared without those bits, so one set answers both "is this event stored?"
/// and "from which origin?" in one lookup, at the 16 bytes an id takes anyway. The ids keep 125
/// bits of their hash.
#[derive(Clone, Copy)]
struct Known(u128);

const ORIGIN_BITS: u128 = 0b111;

impl Known {
    fn new(key: u128, origin: Origin) -> Known {
        Known((key & !ORIGIN_BITS) | origin as u128)
    }
    fn origin(self) -> Origin {
        Origin::ALL[(self.0 & ORIGIN_BITS) as usize]
    }
}

impl PartialEq for Known {
    fn eq(&self, other: &Known) -> bool {
        (self.0 ^ other.0) & !ORIGIN_BITS == 0
    }
}

impl Eq for Known {}

impl std::hash::Hash for Known {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u128(self.0 & !ORIGIN_BITS);
    }
}

/// The events stored, by id, each with the origin of the copy `events` shows.
#[derive(Default)]
pub struct IdSet(HashSet<Known, BuildHasherDefault<IdHasher>>);

/// What storing one more copy of an event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The first copy: written.
    New,
    /// A copy of a higher-ranked origin than the stored one: written, and the stored copy (of
    /// this origin) is superseded.
    Replaces(Origin),
    /// The store has a copy as good: dropped.
    Duplicate,
}

impl IdSet {
    fn reserve(&mut self, n: usize) {
        self.0.reserve(n);
    }

    /// Record a copy of event `key` from `origin`, and say what becomes of it.
    pub fn store(&mut self, key: u128, origin: Origin) -> Stored {
        let new = Known::new(key, origin);
        match self.0.get(&new) {
            None => {
                self.0.insert(new);
                Stored::New
            }
            Some(old) if origin.precedence() < old.origin().precedence() => {
                let was = old.origin();
                self.0.replace(new);
                Stored::Replaces(was)
            }
            Some(_) => Stored::Duplicate,
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How event files are written. Columns of ids and times are near-random bytes that compression
/// barely shrinks (event ids not at all) but every audit pays to decompress on every scan, so they
/// are stored plain; the rest (text above all) uses LZ4, which every Parquet reader supports and
/// decodes faster than Snappy. On 10M events the full audit ran about 12 % faster than with
/// Snappy throughout (interleaved runs, README: Performance); files are 22 % larger. Columns whose
/// values are nearly all distinct skip the dictionary the writer would try and then abandon; text
/// and the ids that are hashes (event ids; message ids, which are not time-ordered like post ids)
/// skip min/max statistics that no query prunes on. Both cost ingest time for nothing: comparing
/// every event id with the page's minimum and maximum was about 1 % of a first ingest's CPU.
pub(super) fn writer_properties() -> WriterProperties {
    let mut b = WriterProperties::builder().set_compression(Compression::LZ4_RAW);
    for c in [
        "event_id",
        "ts",
        "ts_lower",
        "post_id",
        "target_post_id",
        "target_user_id",
    ] {
        b = b.set_column_compression(ColumnPath::from(c), Compression::UNCOMPRESSED);
    }
    for c in [
        "event_id",
        "ts",
        "ts_lower",
        "post_id",
        "target_post_id",
        "text",
        "source_record",
    ] {
        b = b.set_column_dictionary_enabled(ColumnPath::from(c), false);
    }
    for c in ["event_id", "message_id", "text", "attributes"] {
        b = b.set_column_statistics_enabled(ColumnPath::from(c), EnabledStatistics::None);
    }
    b.build()
}

/// Flush Parquet buffers to files once this much is buffered.
const FLUSH_BYTES: usize = 64 << 20;

/// A follow/like/block/mute-type event of this ingest, kept (compactly) so that snapshot diffs see
/// it before it is committed.
#[derive(Debug, Clone)]
pub struct RelationEvent {
    pub account_id: String,
    pub kind: Kind,
    pub member: String,
    pub ts: i64,
    pub origin: Origin,
}

fn relation_member<'e>(e: &'e Event<'_>) -> Option<&'e str> {
    match e.kind {
        Kind::Follow | Kind::Unfollow | Kind::Block | Kind::Unblock | Kind::Mute | Kind::Unmute => {
            e.target_user_id.as_deref()
        }
        Kind::FollowedBy | Kind::UnfollowedBy => e.actor_id.as_deref(),
        Kind::Like | Kind::Unlike => e.target_post_id.as_deref(),
        _ => None,
    }
}

/// Events converted for the writer: the Arrow batch, each row's id key, and the rows that are
/// relation events (with their row), which snapshot diffs must see. Built on the reader threads,
/// so that hashing ids and filling Arrow builders run in parallel; only de-duplication is left
/// for the single writer.
pub struct EventChunk {
    batch: RecordBatch,
    keys: Vec<u128>,
    origins: Vec<Origin>,
    relations: Vec<(usize, RelationEvent)>,
}

/// An [`EventChunk`] being filled one event at a time (see [`EventColumns`]).
pub struct ChunkBuilder {
    columns: EventColumns,
    keys: Vec<u128>,
    origins: Vec<Origin>,
    relations: Vec<(usize, RelationEvent)>,
}

impl ChunkBuilder {
    pub fn with_capacity(n: usize) -> ChunkBuilder {
        ChunkBuilder {
            columns: EventColumns::with_capacity(n),
            keys: Vec::with_capacity(n),
            origins: Vec::with_capacity(n),
            relations: Vec::new(),
        }
    }

    pub fn push(&mut self, e: &Event<'_>) {
        let id = e.id();
        if let Some(member) = relation_member(e) {
            self.relations.push((
                self.keys.len(),
                RelationEvent {
                    account_id: e.account_id.to_string(),
                    kind: e.kind,
                    member: member.to_string(),
                    ts: e.ts,
                    origin: e.origin,
                },
            ));
        }
        self.keys.push(id.key());
        self.origins.push(e.origin);
        self.columns.push(e, &id);
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The chunk of the events pushed so far; the builder starts over empty.
    pub fn finish(&mut self) -> Result<EventChunk> {
        Ok(EventChunk {
            batch: self.columns.finish()?,
            keys: std::mem::take(&mut self.keys),
            origins: std::mem::take(&mut self.origins),
            relations: std::mem::take(&mut self.relations),
        })
    }
}

impl EventChunk {
    pub fn new(events: Vec<Event<'_>>) -> Result<EventChunk> {
        let mut chunk = ChunkBuilder::with_capacity(events.len());
        for e in &events {
            chunk.push(e);
        }
        chunk.finish()
    }

    /// Events in the chunk, duplicates included.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

pub struct EventWriter {
    table: DeltaTable,
    pub relations: Vec<RelationEvent>,
    writer: RecordBatchWriter,
    /// Earlier writers' files being written out, while this one takes new events: while events
    /// stream in, at most one (memory stays bounded); the last one beside the end of the ingest.
    flushing: Vec<tokio::task::JoinHandle<std::result::Result<Vec<Add>, DeltaTableError>>>,
    adds: Vec<Action>,
    known: IdSet,
    /// Stored copies that copies written by this ingest supersede.
    pub replaced: Vec<SupersededRow>,
    pub added: u64,
    pub duplicates: u64,
}

impl EventWriter {
    /// Opens (or creates) the events table and loads the ids already in it.
    pub async fn new(store: &Store) -> Result<EventWriter> {
        let table = store.open_or_create(&EVENTS).await?;
        let writer = file_writer(&table)?;
        // A table without files (a store's first ingest) has no ids to load: scanning it needs a
        // session with every table registered, a good part of a first ingest's start.
        let known = if holds_files(&table).map_err(|e| store.err(EVENTS.name, e))? {
            load_ids(store).await?
        } else {
            IdSet::default()
        };
        Ok(EventWriter {
            table,
            relations: Vec::new(),
            writer,
            flushing: Vec::new(),
            adds: Vec::new(),
            known,
            replaced: Vec::new(),
            added: 0,
            duplicates: 0,
        })
    }

    /// Write a converted chunk, dropping events whose id is already in the store or in this
    /// ingest. Only this step is serial: the conversion ran on the reader's thread.
    pub async fn write_chunk(&mut self, chunk: EventChunk) -> Result<()> {
        let EventChunk {
            batch,
            keys,
            origins,
            relations,
        } = chunk;
        let mut fresh = Vec::with_capacity(keys.len());
        let mut replaced = Vec::new();
        for (row, (key, origin)) in keys.iter().zip(&origins).enumerate() {
            let stored = self.known.store(*key, *origin);
            if let Stored::Replaces(was) = stored {
                replaced.push((row, was));
            }
            fresh.push(stored != Stored::Duplicate);
        }
        if !replaced.is_empty() {
            self.replaced.extend(replaced_rows(&batch, &replaced)?);
        }
        let added = fresh.iter().filter(|f| **f).count();
        self.duplicates += (keys.len() - added) as u64;
        if added == 0 {
            return Ok(());
        }
        self.added += added as u64;
        self.relations.extend(
            relations
                .into_iter()
                .filter(|(row, _)| fresh[*row])
                .map(|(_, r)| r),
        );
        let batch = if added == keys.len() {
            batch
        } else {
            filter_record_batch(&batch, &BooleanArray::from(fresh))?
        };
        let path = self.table.table_url().to_string();
        self.writer
            .write(batch)
            .await
            .map_err(|e| Error::store(&path, e))?;
        if self.writer.buffer_len() > FLUSH_BYTES {
            // Writing a file out takes one core a good part of a second (most of it copying into
            // the page cache); done inline, it would stall the readers behind a full channel
            // and leave the other core idle. A fresh writer takes the next events meanwhile; at
            // most one file is in the air.
            self.wait_for_flush().await?;
            self.flush_in_background()?;
        }
        Ok(())
    }

    /// Write the events buffered so far out to a file on another task; a fresh writer takes the
    /// next ones. An ingest calls it when its readers are done, so the last file is written while
    /// snapshots are diffed and the side tables committed, instead of before the commit.
    pub fn flush_in_background(&mut self) -> Result<()> {
        if self.writer.buffered_record_batch_count() == 0 {
            return Ok(());
        }
        let mut full = std::mem::replace(&mut self.writer, file_writer(&self.table)?);
        self.flushing
            .push(tokio::spawn(async move { full.flush().await }));
        Ok(())
    }

    /// Wait for the files being written out, if any, and keep their add actions.
    async fn wait_for_flush(&mut self) -> Result<()> {
        for task in std::mem::take(&mut self.flushing) {
            let path = self.table.table_url().to_string();
            let adds = task
                .await
                .map_err(|e| Error::Internal(format!("writing an event file failed: {e}")))?
                .map_err(|e| Error::store(&path, e))?;
            self.adds.extend(adds.into_iter().map(Action::Add));
        }
        Ok(())
    }

    /// Give up: wait for the files still being written out and commit nothing (the files are
    /// referenced by no version). An ingest that fails calls it before returning its error: a
    /// file left writing when the runtime stops panics inside object_store.
    pub async fn discard(mut self) {
        for task in std::mem::take(&mut self.flushing) {
            let _ = task.await;
        }
    }

    /// Make everything written visible in one commit. Returns the new store version, or None when
    /// there was nothing new.
    /// Commit the files written. With nothing written there is no commit unless `always`.
    pub async fn commit(
        mut self,
        metadata: &serde_json::Value,
        always: bool,
    ) -> Result<Option<u64>> {
        self.wait_for_flush().await?;
        let path = self.table.table_url().to_string();
        let adds = self
            .writer
            .flush()
            .await
            .map_err(|e| Error::store(&path, e))?;
        self.adds.extend(adds.into_iter().map(Action::Add));
        if self.adds.is_empty() && !always {
            return Ok(None);
        }
        let snapshot = self.table.snapshot().map_err(|e| Error::store(&path, e))?;
        let op = DeltaOperation::Write {
            mode: SaveMode::Append,
            partition_by: None,
            predicate: None,
        };
        let done = CommitBuilder::from(commit_properties(metadata))
            .with_actions(self.adds)
            .build(Some(snapshot), self.table.log_store(), op)
            .await
            .map_err(|e| Error::store(&path, e))?;
        Ok(Some(done.version() as u64))
    }
}

/// A Parquet writer for the events table.
fn file_writer(table: &DeltaTable) -> Result<RecordBatchWriter> {
    Ok(RecordBatchWriter::for_table(table)
        .map_err(|e| Error::store(table.table_url().to_string(), e))?
        .with_writer_properties(writer_properties()))
}

/// The stored copies that rows of `batch` supersede: (row, origin of the stored copy).
fn replaced_rows(batch: &RecordBatch, replaced: &[(usize, Origin)]) -> Result<Vec<SupersededRow>> {
    const Q: &str = "superseded copy";
    let id = super::utf8(super::column(Q, batch, "event_id")?)?;
    let account = super::utf8(super::column(Q, batch, "account_id")?)?;
    Ok(replaced
        .iter()
        .map(|&(row, was)| SupersededRow::new(id.value(row), was, account.value(row), Reason::Copy))
        .collect())
}

/// Every stored row's id and origin: superseded copies too, so that they are not written again.
async fn load_ids(store: &Store) -> Result<IdSet> {
    let ctx = store.session(&SessionOptions::default()).await?;
    let mut stream = ctx
        .sql("SELECT event_id, origin FROM event_log")
        .await?
        .execute_stream()
        .await?;
    let mut ids = IdSet::default();
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        const Q: &str = "stored event ids";
        let col = super::utf8(super::column(Q, &batch, "event_id")?)?;
        let origin = super::utf8(super::column(Q, &batch, "origin")?)?;
        ids.reserve(col.len());
        for i in 0..col.len() {
            if col.is_valid(i) {
                let origin = Origin::parse(origin.value(i)).unwrap_or(Origin::Snapshot);
                ids.store(id_key(col.value(i)), origin);
            }
        }
    }
    Ok(ids)
}
