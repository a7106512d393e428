//! What a folder input (an inbox, a `gen` output) stands for, and which of its files are data.
//!
//! Every file below the folder is an input, except hidden ones and files whose name says they
//! are not data ([`not_data_by_name`]). A file that is meant as data and cannot be read or
//! recognized is never skipped quietly: the caller makes it an error, or a reject with
//! `--lenient`. Symbolic links are followed (an inbox may link to exports kept elsewhere); a link
//! that leads nowhere, and anything that is not a regular file or a folder (a named pipe, a
//! socket, a device), is refused at once instead of being opened.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::InputError;
use crate::readers::archive::ArchiveSource;

/// One entry a folder input holds.
#[derive(Debug)]
pub enum Entry {
    /// A file or an extracted archive folder to read.
    Input(PathBuf),
    /// A file whose name says it is not data (a README, a checksum, a picture), with the reason.
    NotData(PathBuf, String),
    /// Something meant as data that cannot be read.
    Unreadable(InputError),
}

/// Extensions that mark a file as documentation, media or a checksum rather than activity data.
const NOT_DATA_EXTENSIONS: [&str; 24] = [
    "md", "markdown", "txt", "rst", "pdf", "html", "htm", "doc", "docx", "png", "jpg", "jpeg",
    "gif", "webp", "svg", "mp4", "mov", "sha1", "sha256", "sha512", "md5", "sig", "asc", "toml",
];

/// Names (before any extension) that mark a file as not data; `labels` is the ground truth that
/// `xaudit gen` writes beside the inputs it generates.
const NOT_DATA_NAMES: [&str; 6] = [
    "readme", "license", "licence", "thumbs", "desktop", "labels",
];

/// Why a file's name says it is not data, if it does.
pub fn not_data_by_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let stem = name.split('.').next().unwrap_or_default();
    if NOT_DATA_NAMES.contains(&stem) {
        return Some(format!("its name ({name}) says it is not data"));
    }
    let ext = path.extension()?.to_string_lossy().to_ascii_lowercase();
    NOT_DATA_EXTENSIONS
        .contains(&ext.as_str())
        .then(|| format!("a .{ext} file is not data"))
}

/// A file of a folder input: an input, unless its name says it is not data.
pub fn file_entry(path: PathBuf) -> Entry {
    match not_data_by_name(&path) {
        Some(why) => Entry::NotData(path, why),
        None => Entry::Input(path),
    }
}

/// The error for a path that is neither a regular file nor a folder; None when it is one.
pub fn refuse_special(path: &Path) -> Option<InputError> {
    let shown = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            let why = if std::fs::symlink_metadata(path).is_ok() {
                format!("a symbolic link whose target cannot be read ({e})")
            } else {
                format!("cannot read: {e}")
            };
            return Some(InputError::file(shown, why));
        }
    };
    if meta.is_file() || meta.is_dir() {
        return None;
    }
    Some(InputError::file(
        shown,
        format!(
            "{} is not a regular file; xaudit reads files and folders (copy the data to a file first)",
            special_kind(&meta)
        ),
    ))
}

#[cfg(unix)]
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "this"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::Metadata) -> &'static str {
    "this"
}

/// The entries of a folder input, recursively, in name order; archive folders inside count as
/// one input each.
pub fn entries(dir: &Path) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut visited = HashSet::new();
    walk(dir, &mut visited, &mut out);
    out
}

fn walk(dir: &Path, visited: &mut HashSet<PathBuf>, out: &mut Vec<Entry>) {
    // A link back to a folder above would otherwise be walked for ever.
    if let Ok(real) = dir.canonicalize()
        && !visited.insert(real)
    {
        return;
    }
    let listing = std::fs::read_dir(dir).and_then(|rd| rd.collect::<std::io::Result<Vec<_>>>());
    let mut listed = match listing {
        Ok(l) => l,
        Err(e) => {
            out.push(Entry::Unreadable(InputError::file(
                dir.display().to_string(),
                format!("cannot list the folder: {e}"),
            )));
            return;
        }
    };
    listed.sort_by_key(|e| e.file_name());
    for e in listed {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let p = e.path();
        if let Some(refused) = refuse_special(&p) {
            out.push(Entry::Unreadable(refused));
        } else if p.is_dir() {
            if ArchiveSource::looks_like_archive(&p) {
                out.push(Entry::Input(p));
            } else {
                walk(&p, visited, out);
            }
        } else {
            out.push(file_entry(p));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_media_and_checksums_are_not_data_by_name() {
        for name in [
            "README",
            "readme.md",
            "notes.txt",
            "export.zip.sha256",
            "LICENSE",
        ] {
            assert!(not_data_by_name(Path::new(name)).is_some(), "{name}");
        }
        for name in [
            "tweets.jsonl",
            "log.csv",
            "events.parquet",
            "export.zip",
            "webhook.log",
        ] {
            assert!(not_data_by_name(Path::new(name)).is_none(), "{name}");
        }
    }
}
