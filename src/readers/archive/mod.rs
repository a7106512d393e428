//! "Download your archive" exports, every generation of FORMATS.md §1: classic Grailbird
//! (`data/js/tweets/YYYY_MM.js`), 2019 flat records in `tweet.js`, 2020–2022 `{"tweet": …}` in
//! `tweet.js`, and the current `tweets.js` with `tweets-partN.js`; `manifest.js` when present and
//! globbing when not.

mod files;
mod records;
pub mod source;

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;

use crate::error::InputError;
use crate::readers::digest::ReadDigests;
use crate::readers::json_stream::{self, Flow, Wrapper};
use crate::readers::{AccountRow, EventTx, Output, Side};

pub use files::{FileType, classify};
pub use source::{ArchiveSource, ZipLimits};

/// What the archive says about itself before its records are read.
#[derive(Debug, Clone, Default)]
pub struct ArchiveInfo {
    pub account_id: String,
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub created_at: Option<i64>,
    pub created_via: Option<String>,
    /// manifest `archiveInfo.generationDate`: the time of every snapshot file.
    pub generated_at: Option<i64>,
    /// manifest files with their record counts: (rel name, count).
    pub manifest_files: Vec<(String, Option<u64>)>,
}

/// Whether [`read`] reads the data file `rel` (relative to `data/`) to its end, as far as its name
/// tells.
pub fn reads_whole(rel: &str) -> bool {
    classify(rel).is_some()
}

/// Read a whole archive. Events go to `tx`, digests of the files read to their end to `digests`;
/// the rest is returned.
pub fn read(
    path: &Path,
    limits: ZipLimits,
    lenient: bool,
    tx: &EventTx,
    digests: &ReadDigests,
) -> Result<Side, InputError> {
    let mut unsafe_entries = Vec::new();
    let src = ArchiveSource::open(path, limits, &mut unsafe_entries)?;
    let mut side = Side::default();
    for e in unsafe_entries {
        if lenient {
            side.rejects
                .push(crate::readers::RejectRow::from_error(&e, None));
        } else {
            return Err(e);
        }
    }
    let info = read_info(&src)?;
    let files = src.files();

    // A file the manifest lists and the export lacks was removed before the export was handed
    // over (people strip their DMs): not an error, but recorded, so that the rules needing its
    // data say they could not look instead of reading its absence as compliance. Files that are
    // there but truncated or corrupt stay errors.
    for (rel, _) in &info.manifest_files {
        if classify(rel).is_some() && !src.has(rel) {
            side.notices.push(format!(
                "{}: listed in manifest.js but absent from the export; rules that need its data report not_evaluable",
                src.display(rel)
            ));
            side.absent.push(crate::readers::AbsentFileRow::new(
                &info.account_id,
                &format!("data/{rel}"),
                info.generated_at.unwrap_or(0),
                src.display_root(),
            ));
        }
    }
    let mut plan: Vec<(String, FileType)> = files
        .iter()
        .filter_map(|f| classify(f).map(|t| (f.clone(), t)))
        .collect();
    plan.sort();
    files::drop_headers_when_full_files_exist(&mut plan);
    for f in &files {
        if f.ends_with(".js")
            && classify(f).is_none()
            && !files::KNOWN_IGNORED.iter().any(|k| f.starts_with(k))
        {
            side.notices
                .push(format!("{}: not used (no rule needs it)", src.display(f)));
        }
    }

    let notes = Arc::new(records::read_notes(&src, &plan, &info, lenient, &mut side)?);
    let results: Vec<Result<Side, InputError>> = plan
        .par_iter()
        .filter(|(_, t)| *t != FileType::NoteTweets)
        .map(|(rel, t)| {
            let mut out = Output::new(tx.clone(), lenient);
            let expected = info
                .manifest_files
                .iter()
                .find(|(f, _)| f == rel)
                .and_then(|(_, c)| *c);
            let read = records::read_file(&src, rel, *t, &info, &notes, &mut out)?;
            let mut side = out.finish();
            if let Some(expected) = expected {
                side.manifest_checks
                    .push((src.display(rel), expected, read));
            }
            Ok(side)
        })
        .collect();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(s) => side.merge(s),
            // A data file that cannot be read to its end (truncated, corrupt): lenient mode keeps
            // the records read before the damage and the rest of the archive.
            Err(e) if lenient => side
                .rejects
                .push(crate::readers::RejectRow::from_error(&e, None)),
            Err(e) => errors.push(e),
        }
    }
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }

    // Snapshot files have no dates: they were true at the archive's generation date.
    let taken_at = info.generated_at.or(side.max_ts);
    for s in &mut side.snapshots {
        s.taken_at = taken_at;
    }
    let observed = taken_at.or(info.created_at).unwrap_or(0);
    let mut acct = AccountRow::new(&info.account_id, observed, src.display_root());
    acct.handle = info.handle.clone();
    acct.display_name = info.display_name.clone();
    acct.created_at = info.created_at;
    acct.created_via = info.created_via.clone();
    acct.description = side.accounts.iter().find_map(|a| a.description.clone());
    side.accounts.retain(|a| a.description.is_none());
    side.accounts.push(acct);
    for a in &mut side.apps {
        a.observed_at = observed;
        a.row_id = crate::model::hash_id(&["app", &a.account_id, &a.app_id, &observed.to_string()]);
    }
    for l in &mut side.lists {
        l.observed_at = observed;
        l.row_id = crate::model::hash_id(&[
            "list",
            &l.account_id,
            &l.relation,
            &l.list_url,
            &observed.to_string(),
        ]);
    }
    digests.extend(src.take_digests());
    Ok(side)
}

/// Manifest, account.js and (classic archives) user_details.js: whose archive, and when made.
fn read_info(src: &ArchiveSource) -> Result<ArchiveInfo, InputError> {
    let mut info = ArchiveInfo::default();
    if src.has("manifest.js") {
        let v = read_object(src, "manifest.js")?;
        let shown = src.display("manifest.js");
        info.account_id = v
            .pointer("/userInfo/accountId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        info.handle = v
            .pointer("/userInfo/userName")
            .and_then(Value::as_str)
            .map(str::to_string);
        info.display_name = v
            .pointer("/userInfo/displayName")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(g) = v
            .pointer("/archiveInfo/generationDate")
            .and_then(Value::as_str)
        {
            info.generated_at = Some(crate::model::time::parse_ts(g).ok_or_else(|| {
                InputError::file(
                    &shown,
                    format!(
                        "archiveInfo.generationDate {g:?} is not a timestamp; expected ISO 8601"
                    ),
                )
            })?);
        }
        if let Some(types) = v.get("dataTypes").and_then(Value::as_object) {
            for t in types.values() {
                for f in t
                    .get("files")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(name) = f.get("fileName").and_then(Value::as_str) {
                        let rel = name.strip_prefix("data/").unwrap_or(name).to_string();
                        let count = f.get("count").and_then(|c| {
                            c.as_str()
                                .and_then(|s| s.parse().ok())
                                .or_else(|| c.as_u64())
                        });
                        info.manifest_files.push((rel, count));
                    }
                }
            }
        }
    }
    if src.has("account.js") {
        let shown = src.display("account.js");
        let arr = read_array_small(src, "account.js")?;
        if let Some(a) = arr.first().and_then(|r| r.get("account")) {
            let s = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_string);
            if info.account_id.is_empty() {
                info.account_id = s("accountId").unwrap_or_default();
            }
            info.handle = info.handle.take().or_else(|| s("username"));
            info.display_name = info.display_name.take().or_else(|| s("accountDisplayName"));
            info.created_via = s("createdVia");
            if let Some(c) = s("createdAt") {
                info.created_at = Some(crate::model::time::parse_ts(&c).ok_or_else(|| {
                    InputError::file(
                        &shown,
                        format!("account.createdAt {c:?} is not a timestamp"),
                    )
                })?);
            }
        }
    }
    if info.account_id.is_empty() && src.has("js/user_details.js") {
        let v = read_object(src, "js/user_details.js")?;
        info.account_id = v
            .get("id")
            .and_then(|x| {
                x.as_str()
                    .map(str::to_string)
                    .or_else(|| x.as_u64().map(|n| n.to_string()))
            })
            .unwrap_or_default();
        info.handle = v
            .get("screen_name")
            .and_then(Value::as_str)
            .map(str::to_string);
        info.display_name = v
            .get("full_name")
            .and_then(Value::as_str)
            .map(str::to_string);
        info.created_at = v
            .get("created_at")
            .and_then(Value::as_str)
            .and_then(crate::model::time::parse_ts);
    }
    if info.account_id.is_empty() {
        return Err(InputError::file(
            src.display_root(),
            "cannot tell whose archive this is: expected userInfo.accountId in data/manifest.js, accountId in data/account.js, or id in data/js/user_details.js",
        ));
    }
    Ok(info)
}

/// A small file whose JSON is an object after the `=` (manifest.js, user_details.js).
fn read_object(src: &ArchiveSource, rel: &str) -> Result<Value, InputError> {
    let shown = src.display(rel);
    src.with_reader(rel, |r| {
        let mut s = String::new();
        r.read_to_string(&mut s)
            .map_err(|e| InputError::file(&shown, format!("cannot read: {e}")))?;
        let json = s
            .split_once('=')
            .map(|(_, j)| j)
            .unwrap_or(&s)
            .trim()
            .trim_end_matches(';');
        serde_json::from_str::<Value>(json).map_err(|e| {
            InputError::new(
                &shown,
                crate::error::Position {
                    record: None,
                    line: Some(e.line() as u64),
                    byte: None,
                },
                format!("malformed JSON: {e}"),
            )
        })
    })
}

fn read_array_small(src: &ArchiveSource, rel: &str) -> Result<Vec<Value>, InputError> {
    let shown = src.display(rel);
    src.with_reader(rel, |r| {
        let mut out = Vec::new();
        let mut err = None;
        json_stream::for_each_element(&shown, r, Wrapper::Assignment, |pos, raw| {
            match serde_json::from_slice(raw) {
                Ok(v) => {
                    out.push(v);
                    Flow::Continue
                }
                Err(e) => {
                    err = Some(InputError::new(
                        &shown,
                        pos.at_json_error(&e, raw),
                        format!("malformed JSON: {}", json_stream::json_message(&e)),
                    ));
                    Flow::Continue
                }
            }
        })?;
        match err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    })
}
