//! `xaudit ingest`: inputs → events → store, atomically. Readers run in parallel (rayon) and
//! stream events through a bounded channel into the writer; side tables are committed first and
//! the events table last, so the store version moves only once everything else is in, and every
//! table de-duplicates on its key, so a rerun after a crash completes without duplicates.

pub mod folder;
mod snapshots;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, InputError, Result};
use crate::model::hash_id;
use crate::model::schema::{
    ABSENT_FILES, ACCOUNTS, CONNECTED_APPS, INPUTS, LISTS, REJECTS, SNAPSHOTS, SUPERSEDED, TRENDS,
};
use crate::readers::archive::{self, ZipLimits};
use crate::readers::digest::{Digest, Digesting, ReadDigests};
use crate::readers::generic::{self, Format};
use crate::readers::guard::SkipBom;
use crate::readers::{InputKind, Output, Side, detect, trends, webhook};
use crate::store::{EventChunk, EventWriter, Store};

#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Keep going past bad records, recording each in `rejects`.
    pub lenient: bool,
    /// Skip content detection.
    pub kind: Option<InputKind>,
    pub limits: ZipLimits,
    /// Content hashes the caller already computed (nightly, to tell new inbox files from old
    /// ones), so those inputs are not read a second time just to hash them.
    pub content_hashes: std::collections::HashMap<PathBuf, String>,
    /// The inputs are files a folder input holds (nightly's inbox): one that cannot be read or
    /// recognized is an error, or a reject with `lenient`, and one whose name says it is not data
    /// is skipped with a notice.
    pub from_folder: bool,
    /// Files of a folder input the caller found unreadable (nightly's broken links, pipes): like
    /// the folder's files that cannot be recognized, errors, or rejects with `lenient`.
    pub unreadable: Vec<InputError>,
}

/// What one input contributed.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    pub path: String,
    pub kind: String,
    pub content_hash: String,
    /// Events read (trend rows, for trend snapshots), before de-duplication.
    pub records: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    pub inputs: Vec<InputSummary>,
    /// Events read (before de-duplication).
    pub events_read: u64,
    /// Events new to the store.
    pub events_added: u64,
    /// Events already in the store (or twice in this ingest).
    pub duplicates: u64,
    pub snapshot_events: u64,
    /// Stored rows this ingest superseded: copies of events it brought better ones of, and
    /// snapshot differences its timed events explain (see `superseded`).
    pub superseded: u64,
    pub trends_added: usize,
    pub rejects: usize,
    pub version_before: Option<u64>,
    pub version_after: Option<u64>,
    pub notices: Vec<String>,
    /// Manifest counts that did not match what was read: (file, manifest count, records read).
    pub count_mismatches: Vec<(String, u64, u64)>,
}

#[derive(Serialize)]
struct InputRow<'a> {
    row_id: String,
    content_hash: &'a str,
    path: &'a str,
    input_kind: &'a str,
    records: i64,
    rejected: i64,
    ingested_at: i64,
}

/// Reads one input (its events go to `tx`) and hashes its content: the files the reader reads
/// are hashed as it reads them, the others (an archive's media, say) beside it.
fn read_job(
    path: &Path,
    kind: InputKind,
    lenient: bool,
    limits: ZipLimits,
    tx: &crate::readers::EventTx,
    known_hash: Option<&String>,
) -> std::result::Result<(InputSummary, Side), InputError> {
    let read = ReadDigests::default();
    let (side, unread) = rayon::join(
        || read_input(path, kind, lenient, limits, tx, &read),
        || match known_hash {
            Some(_) => Ok(HashMap::new()),
            None => {
                let folder = path.is_dir();
                file_digests(path, |rel| !read_as_it_is_read(kind, folder, rel))
            }
        },
    );
    let side = side?;
    let hash = match known_hash {
        Some(h) => Ok(h.clone()),
        None => unread.and_then(|unread| {
            read.extend(unread);
            content_hash_from(path, &read.take())
        }),
    };
    let records = side.events + side.trends.len() as u64;
    let rejected = side.rejects.len() as u64;
    let summary = InputSummary {
        path: path.display().to_string(),
        kind: kind.as_str().to_string(),
        content_hash: hash.map_err(|e| {
            InputError::file(path.display().to_string(), format!("cannot read: {e}"))
        })?,
        records,
        rejected,
    };
    Ok((summary, side))
}

/// Whether the reader of an input (a `folder` or not) hashes its file `rel` ("" for the input
/// itself) as it reads it. A guess is enough: a file the reader does not read to its end is hashed
/// afterwards.
fn read_as_it_is_read(kind: InputKind, folder: bool, rel: &str) -> bool {
    match kind {
        InputKind::Webhook | InputKind::Trends => rel.is_empty(),
        InputKind::Archive if folder => {
            archive::reads_whole(rel.strip_prefix("data/").unwrap_or(rel))
        }
        _ => false,
    }
}

/// Ingest `inputs` into `store`. Strict mode (the default) stops at the first bad record and
/// commits nothing.
pub async fn ingest(
    store: &Store,
    inputs: &[PathBuf],
    opts: &IngestOptions,
    progress: &ProgressBar,
) -> Result<IngestReport> {
    let _graceful = crate::interrupt::Graceful::enter();
    if inputs.is_empty() && opts.unreadable.is_empty() {
        return Err(Error::Usage("no inputs given".into()));
    }
    let Plan {
        jobs,
        notices: skipped,
        rejects: folder_rejects,
    } = plan(inputs, opts)?;
    // A store that cannot be read fails before any input is read.
    let version_before = store.version().await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let lenient = opts.lenient;
    let limits = opts.limits;
    let known_hashes = opts.content_hashes.clone();
    let readers = std::thread::spawn(move || {
        // One wave per precedence rank, so that of an event in two inputs the store keeps the
        // richer copy whatever the thread timing (an archive's copy of a DM has no client, the
        // webhook log's has); inputs of one rank are read in parallel. Inputs without events
        // join the first wave rather than make one of their own, in which a core would idle.
        let first = jobs.iter().filter_map(|(_, k)| k.precedence()).min();
        let rank = |k: InputKind| k.precedence().or(first);
        let mut results = Vec::with_capacity(jobs.len());
        let mut ranks: Vec<Option<u8>> = jobs.iter().map(|(_, k)| rank(*k)).collect();
        ranks.sort_unstable();
        ranks.dedup();
        for wave_rank in ranks {
            let wave: Vec<(usize, &(PathBuf, InputKind))> = jobs
                .iter()
                .enumerate()
                .filter(|(_, (_, kind))| rank(*kind) == wave_rank)
                .collect();
            let done = wave
                .par_iter()
                .map(|&(i, (path, kind))| {
                    // A panic while reading is a bug of ours (dependencies' decoders are
                    // isolated where they read user bytes): it is reported with the file it
                    // happened on, and the other inputs still finish, so nothing is committed.
                    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        read_job(path, *kind, lenient, limits, &tx, known_hashes.get(path))
                    }))
                    .map_err(|panic| {
                        Error::Internal(format!(
                            "reading {} failed: {}",
                            path.display(),
                            crate::readers::guard::payload_message(panic.as_ref())
                        ))
                    });
                    (i, read)
                })
                .collect::<Vec<_>>();
            results.extend(done);
        }
        results.sort_unstable_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, r)| r).collect::<Vec<_>>()
    });

    // The store is made ready while the readers start (their first chunks wait in the channel):
    // creating a new store's tables takes about a tenth of a second, loading a large store's
    // event ids longer.
    let ready = async {
        let upgraded = store.init().await?;
        Ok::<_, Error>((upgraded, EventWriter::new(store).await?))
    };
    let (upgraded, mut writer) = match ready.await {
        Ok(ready) => ready,
        Err(e) => {
            // Nothing will take the readers' events: they finish without sending, and the store
            // is as it was.
            drop(rx);
            let _ = readers.join();
            return Err(e);
        }
    };

    // Everything up to the commit; on an error the files still being written out are waited
    // for before the error returns (left running, they would panic when the runtime stops).
    let prepared = async {
        let mut write_error = None;
        while let Some(chunk) = rx.recv().await {
            if write_error.is_none() && crate::interrupt::interrupted() {
                // Readers' next sends fail; what they already sent is drained unwritten.
                write_error = Some(Error::Interrupted);
                rx.close();
            }
            if write_error.is_some() {
                continue;
            }
            let written = match chunk {
                Ok(chunk) => {
                    progress.inc(chunk.len() as u64);
                    writer.write_chunk(chunk).await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = written {
                write_error = Some(e);
            }
        }
        let results = readers
            .join()
            .map_err(|_| Error::Internal("a reader thread panicked".into()))?;
        if let Some(e) = write_error {
            return Err(e);
        }
        writer.flush_in_background()?;
        let mut side = Side::default();
        side.rejects.extend(
            folder_rejects
                .iter()
                .map(|e| crate::readers::RejectRow::from_error(e, None)),
        );
        let mut summaries = Vec::new();
        let mut errors = Vec::new();
        for r in results {
            match r? {
                Ok((s, sd)) => {
                    summaries.push(s);
                    side.merge(sd);
                }
                // An input that cannot be read at all (a corrupt zip): lenient mode records it and
                // keeps what was read from it and from the other inputs.
                Err(e) if opts.lenient => side
                    .rejects
                    .push(crate::readers::RejectRow::from_error(&e, None)),
                Err(e) => errors.push(e),
            }
        }
        for e in side.take_unholdable_times() {
            if opts.lenient {
                side.rejects
                    .push(crate::readers::RejectRow::from_error(&e, None));
            } else {
                errors.push(e);
            }
        }
        if !errors.is_empty() {
            // Nothing is committed: the files written so far are referenced by no version.
            return Err(Error::bad_inputs(errors));
        }

        let mut report = IngestReport {
            version_before,
            ..Default::default()
        };
        let created: BTreeMap<String, i64> = side
            .accounts
            .iter()
            .filter_map(|a| a.created_at.map(|c| (a.account_id.clone(), c)))
            .collect();
        let snapshots = std::mem::take(&mut side.snapshots);
        let snapshots::Diffs {
            events: snap_events,
            explained: explained_chunks,
            rows: snap_rows,
            superseded: explained,
        } = snapshots::diff(
            version_before.is_some().then_some(store),
            snapshots,
            &writer.relations,
            &created,
            &mut side.notices,
        )
        .await?;
        report.snapshot_events = snap_events.len() as u64
            + explained_chunks.iter().map(|c| c.len() as u64).sum::<u64>();
        // Converted for the writer on every core: a first ingest of many archives diffs hundreds of
        // thousands of snapshot members into events.
        let chunks = snap_events
            .into_par_iter()
            .chunks(crate::readers::CHUNK)
            .map(EventChunk::new)
            .collect::<Result<Vec<_>>>()?;
        for chunk in chunks {
            writer.write_chunk(chunk).await?;
        }
        // Explained differences go last, into files of their own: `events` leaves them out by
        // their origin, and files holding nothing else are skipped by their statistics.
        if !explained_chunks.is_empty() {
            writer.flush_in_background()?;
            for chunk in explained_chunks {
                writer.write_chunk(chunk).await?;
            }
        }
        crate::fault::pause_point("ingest-before-side-tables");
        // A safe point before the first commit (the side tables go first).
        crate::interrupt::check()?;

        let meta = serde_json::json!({ "operation": "ingest", "inputs": summaries.iter().map(|s| &s.path).collect::<Vec<_>>() });
        // The side tables are independent of each other: their commits overlap.
        let mut superseded = std::mem::take(&mut writer.replaced);
        superseded.extend(explained);
        report.superseded = superseded.len() as u64;
        let (accounts, apps, trends, lists, snapshots, absent, rejects, superseded) = tokio::try_join!(
            store.append_rows(&ACCOUNTS, &side.accounts, &meta),
            store.append_rows(&CONNECTED_APPS, &side.apps, &meta),
            store.append_rows(&TRENDS, &side.trends, &meta),
            store.append_rows(&LISTS, &side.lists, &meta),
            store.append_rows(&SNAPSHOTS, &snap_rows, &meta),
            store.append_rows(&ABSENT_FILES, &side.absent, &meta),
            store.append_rows(&REJECTS, &side.rejects, &meta),
            store.append_rows(&SUPERSEDED, &superseded, &meta),
        )?;
        report.trends_added = trends;
        report.rejects = side.rejects.len();
        let side_rows =
            accounts + apps + trends + lists + snapshots + absent + rejects + superseded;

        report.events_added = writer.added;
        report.duplicates = writer.duplicates;
        // The events commit closes the ingest and names the side tables' versions, so the store
        // version pins them all (time travel). An ingest that brought only side rows (a trend log)
        // still moves the store version.
        let mut meta = meta;
        meta["tables"] = serde_json::to_value(store.table_versions().await?)
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok((report, meta, side, summaries, side_rows))
    }
    .await;
    let (mut report, meta, side, summaries, side_rows) = match prepared {
        Ok(p) => p,
        Err(e) => {
            writer.discard().await;
            return Err(e);
        }
    };
    crate::fault::pause_point("ingest-before-commit");
    // The last safe point: after it, the commit makes the ingest visible at once, or not at all.
    if let Err(e) = crate::interrupt::check() {
        writer.discard().await;
        return Err(e);
    }
    let committed = writer.commit(&meta, side_rows > 0).await?;
    report.version_after = committed.or(store.version().await?);

    let now = chrono::Utc::now().timestamp_micros();
    let version = report.version_after.unwrap_or_default().to_string();
    let rows: Vec<InputRow> = summaries
        .iter()
        .map(|s| InputRow {
            row_id: hash_id(&["input", &s.content_hash, &version]),
            content_hash: &s.content_hash,
            path: &s.path,
            input_kind: &s.kind,
            records: s.records as i64,
            rejected: s.rejected as i64,
            ingested_at: now,
        })
        .collect();
    store.append_rows(&INPUTS, &rows, &meta).await?;

    report.events_read = side.events;
    report.notices = skipped;
    report.notices.extend(side.notices);
    // Only now that the ingest has succeeded: a failed one leaves the store as it was.
    store.keep_history_of(&upgraded).await?;
    report
        .notices
        .extend(crate::store::history_kept_notice(&upgraded));
    report.count_mismatches = side
        .manifest_checks
        .into_iter()
        .filter(|(_, want, got)| want != got)
        .collect();
    report.inputs = summaries;
    Ok(report)
}

/// The inputs an ingest reads, found and recognized before anything is written.
struct Plan {
    jobs: Vec<(PathBuf, InputKind)>,
    /// Files of folder inputs skipped because their names say they are not data.
    notices: Vec<String>,
    /// Files of folder inputs that cannot be read or recognized, with `--lenient` (strict mode
    /// fails on them instead).
    rejects: Vec<InputError>,
}

/// Detect every input before anything is written, so a wrong path fails fast. A folder that is
/// not an archive (an inbox, a `gen` output) stands for the files inside it (see `folder`), as do
/// the inputs of a caller that says they come from one (`IngestOptions::from_folder`).
fn plan(inputs: &[PathBuf], opts: &IngestOptions) -> Result<Plan> {
    let mut plan = Plan {
        jobs: Vec::with_capacity(inputs.len()),
        notices: Vec::new(),
        rejects: Vec::new(),
    };
    let kind_of = |p: &Path| opts.kind.map_or_else(|| detect(p), Ok);
    let mut refused = Vec::new();
    let mut found: Vec<folder::Entry> = opts
        .unreadable
        .iter()
        .cloned()
        .map(folder::Entry::Unreadable)
        .collect();
    for p in inputs {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(InputError::file(p.display().to_string(), "no such file or folder").into());
        }
        if let Some(e) = folder::refuse_special(p) {
            if opts.from_folder {
                found.push(folder::Entry::Unreadable(e));
            } else {
                refused.push(e);
            }
        } else if opts.kind.is_none()
            && p.is_dir()
            && !archive::ArchiveSource::looks_like_archive(p)
        {
            found.extend(folder::entries(p));
        } else if opts.from_folder {
            found.push(folder::file_entry(p.clone()));
        } else {
            match kind_of(p) {
                Ok(k) => plan.jobs.push((p.clone(), k)),
                Err(e) => refused.push(e),
            }
        }
    }
    // A file inside a folder that is meant as data and cannot be read or recognized is never
    // skipped quietly: an error, or a reject with --lenient.
    for entry in found {
        let unusable = match entry {
            folder::Entry::Input(f) => match kind_of(&f) {
                Ok(k) => {
                    plan.jobs.push((f, k));
                    continue;
                }
                Err(e) => e,
            },
            folder::Entry::NotData(f, why) => {
                plan.notices
                    .push(format!("{}: skipped, {why}", f.display()));
                continue;
            }
            folder::Entry::Unreadable(e) => e,
        };
        if opts.lenient {
            plan.rejects.push(unusable);
        } else {
            refused.push(unusable);
        }
    }
    if !refused.is_empty() {
        return Err(Error::bad_inputs(refused));
    }
    if plan.jobs.is_empty() && plan.rejects.is_empty() {
        return Err(Error::Usage(format!(
            "no inputs found in {}",
            inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(plan)
}

fn read_input(
    path: &Path,
    kind: InputKind,
    lenient: bool,
    limits: ZipLimits,
    tx: &crate::readers::EventTx,
    digests: &ReadDigests,
) -> std::result::Result<Side, InputError> {
    let shown = path.display().to_string();
    if kind == InputKind::Archive {
        return archive::read(path, limits, lenient, tx, digests);
    }
    let mut out = Output::new(tx.clone(), lenient);
    let open = || {
        std::fs::File::open(path).map_err(|e| InputError::file(&shown, format!("cannot open: {e}")))
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match kind {
        InputKind::Webhook => {
            let bytes = SkipBom::new(Digesting::new(open()?, "", digests));
            webhook::read(&shown, bytes, &mut out)?;
        }
        InputKind::Generic => {
            let mut magic = [0u8; 4];
            let is_parquet = open()?.read_exact(&mut magic).is_ok() && &magic == b"PAR1";
            let format = if is_parquet {
                Format::Parquet
            } else if ext == "csv" || !looks_like_json(path) {
                Format::Csv
            } else {
                Format::Jsonl
            };
            generic::read(path, &shown, format, &mut out)?;
        }
        InputKind::Trends => {
            let csv = ext == "csv" || !looks_like_json(path);
            let bytes = SkipBom::new(Digesting::new(open()?, "", digests));
            trends::read(&shown, bytes, csv, &mut out)?;
        }
        InputKind::Archive => unreachable!("handled above"),
    }
    Ok(out.finish())
}

fn looks_like_json(path: &Path) -> bool {
    let mut buf = [0u8; 256];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut buf))
        .unwrap_or(0);
    crate::readers::detect::starts_like_json(&buf[..n])
}

/// An input's content hash: BLAKE3 of its bytes; for a folder, BLAKE3 of every file's relative
/// path and BLAKE3, in path order.
pub fn content_hash(path: &Path) -> std::io::Result<String> {
    content_hash_from(path, &HashMap::new())
}

/// [`content_hash`] with the digests of some files (relative paths, "" for `path` itself) known.
fn content_hash_from(path: &Path, known: &HashMap<String, Digest>) -> std::io::Result<String> {
    let digest_of = |rel: &str| -> std::io::Result<Digest> {
        match known.get(rel) {
            Some(d) => Ok(*d),
            None => file_digest(path, rel),
        }
    };
    if !path.is_dir() {
        return Ok(hex(&digest_of("")?));
    }
    let mut h = blake3::Hasher::new();
    for rel in folder_files(path)? {
        h.update(rel.as_bytes());
        h.update(&[0]);
        h.update(&digest_of(&rel)?);
    }
    Ok(h.finalize().to_hex().to_string())
}

/// Digests of the files of `path` (or of `path` itself, as "") that `wanted` names.
fn file_digests(
    path: &Path,
    wanted: impl Fn(&str) -> bool,
) -> std::io::Result<HashMap<String, Digest>> {
    let files = if path.is_dir() {
        folder_files(path)?
    } else {
        vec![String::new()]
    };
    files
        .into_iter()
        .filter(|rel| wanted(rel))
        .map(|rel| {
            let digest = file_digest(path, &rel)?;
            Ok((rel, digest))
        })
        .collect()
}

/// BLAKE3 of the file `rel` of the folder `path`, or of `path` itself for "".
fn file_digest(path: &Path, rel: &str) -> std::io::Result<Digest> {
    let file = if rel.is_empty() {
        std::fs::File::open(path)?
    } else {
        std::fs::File::open(path.join(rel))?
    };
    let mut h = blake3::Hasher::new();
    h.update_reader(file)?;
    Ok(*h.finalize().as_bytes())
}

fn hex(digest: &Digest) -> String {
    blake3::Hash::from_bytes(*digest).to_hex().to_string()
}

/// The files of a folder, as paths relative to it, in order.
fn folder_files(path: &Path) -> std::io::Result<Vec<String>> {
    let mut files = Vec::new();
    collect_files(path, path, &mut files)?;
    files.sort();
    Ok(files)
}

/// Symbolic links are followed as the readers follow them (an archive refuses those that leave
/// its folder before anything is hashed), at most `LINK_DEPTH` folders down so a link loop ends.
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    const LINK_DEPTH: usize = 16;
    fn collect(
        root: &Path,
        dir: &Path,
        depth: usize,
        out: &mut Vec<String>,
    ) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let mut ft = entry.file_type()?;
            if ft.is_symlink() {
                match std::fs::metadata(entry.path()) {
                    Ok(m) => ft = m.file_type(),
                    // A broken link is refused by the reader; it has no bytes to hash.
                    Err(_) => continue,
                }
            }
            if ft.is_dir() && depth < LINK_DEPTH {
                collect(root, &entry.path(), depth + 1, out)?;
            } else if ft.is_file() {
                out.push(
                    entry
                        .path()
                        .strip_prefix(root)
                        .unwrap_or(&entry.path())
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
        Ok(())
    }
    collect(root, dir, 0, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(rel)
    }

    /// Reads an input as an ingest does, with a channel that drops what it is sent, and returns
    /// the digests its readers recorded.
    fn digests_recorded_while_reading(path: &Path, kind: InputKind) -> HashMap<String, Digest> {
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        let drain = std::thread::spawn(move || while rx.blocking_recv().is_some() {});
        let read = ReadDigests::default();
        read_input(path, kind, false, ZipLimits::default(), &tx, &read).unwrap();
        drop(tx);
        drain.join().unwrap();
        read.take()
    }

    #[test]
    fn data_files_are_hashed_as_they_are_read_not_read_again() {
        let archive = fixture("archives/current-2026");
        let read = digests_recorded_while_reading(&archive, InputKind::Archive);
        let tweets = read
            .get("data/tweets.js")
            .expect("tweets.js hashed as it was read");
        assert_eq!(tweets, &file_digest(&archive, "data/tweets.js").unwrap());
        for (rel, digest) in &read {
            assert_eq!(digest, &file_digest(&archive, rel).unwrap(), "{rel}");
        }
        // What the side job hashes is what the readers do not.
        let predicted: Vec<String> = folder_files(&archive)
            .unwrap()
            .into_iter()
            .filter(|rel| read_as_it_is_read(InputKind::Archive, true, rel))
            .collect();
        assert!(predicted.contains(&"data/tweets.js".to_string()));
        for rel in &predicted {
            assert!(
                read.contains_key(rel),
                "{rel} was predicted read but not hashed"
            );
        }

        let log = fixture("webhooks/account-activity.jsonl");
        let read = digests_recorded_while_reading(&log, InputKind::Webhook);
        assert_eq!(read.get(""), Some(&file_digest(&log, "").unwrap()));
    }

    #[test]
    fn the_content_hash_is_the_same_from_digests_read_or_hashed_afterwards() {
        for (rel, kind) in [
            ("archives/current-2026", InputKind::Archive),
            ("archives/classic-2015", InputKind::Archive),
            ("webhooks/account-activity.jsonl", InputKind::Webhook),
            ("trends/hourly.jsonl", InputKind::Trends),
        ] {
            let path = fixture(rel);
            let read = digests_recorded_while_reading(&path, kind);
            assert!(!read.is_empty(), "{rel}");
            assert_eq!(
                content_hash_from(&path, &read).unwrap(),
                content_hash(&path).unwrap(),
                "{rel}"
            );
        }
        // A folder's hash covers each file's path and bytes.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "x").unwrap();
        let before = content_hash(dir.path()).unwrap();
        std::fs::write(dir.path().join("a"), "y").unwrap();
        let changed = content_hash(dir.path()).unwrap();
        std::fs::rename(dir.path().join("a"), dir.path().join("b")).unwrap();
        assert_ne!(before, changed);
        assert_ne!(changed, content_hash(dir.path()).unwrap());
    }
}
