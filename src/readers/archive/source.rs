//! An X archive as a `.zip` or as its extracted folder. Entries are streamed, never extracted: no
//! path from the zip is ever used to write anything. Entries with unsafe paths (`..`, absolute)
//! are refused anyway, because a zip that carries them is not an export X made, and limits on
//! decompressed size and compression ratio stop zip bombs.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use zip::ZipArchive;

use crate::error::InputError;
use crate::readers::digest::{Digest, Digesting, ReadDigests};

/// Limits against zip bombs. Both the sizes the zip declares and the bytes actually produced are
/// checked, since declared sizes can lie.
#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    /// Largest total decompressed size of the entries read.
    pub max_unpacked_bytes: u64,
    /// Largest decompressed/compressed ratio of one entry (checked once it is past 1 MiB).
    pub max_ratio: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        // Real exports reach 10+ GB; JSON compresses about 10:1, rarely beyond 100:1.
        ZipLimits {
            max_unpacked_bytes: 64 << 30,
            max_ratio: 1000,
        }
    }
}

const RATIO_GRACE: u64 = 1 << 20;

pub enum ArchiveSource {
    Dir {
        data: PathBuf,
        display: String,
        /// Where `data` is in the input folder: "data/" or "" (digests are keyed from the input).
        data_prefix: &'static str,
        /// Its data files, relative to `data`, sorted: the only ones ever opened.
        files: Vec<String>,
        /// Digests of the files read to their end.
        digests: ReadDigests,
    },
    Zip {
        path: PathBuf,
        display: String,
        prefix: String,
        entries: Vec<ZipEntry>,
        limits: ZipLimits,
    },
}

#[derive(Debug, Clone)]
pub struct ZipEntry {
    /// Full name in the zip.
    pub name: String,
    /// Name relative to the `data/` folder.
    pub rel: String,
    pub size: u64,
    pub compressed: u64,
}

/// Files that only an X archive's data folder has, relative to it.
const MARKERS: [&str; 6] = [
    "manifest.js",
    "account.js",
    "tweets.js",
    "tweet.js",
    "js/user_details.js",
    "js/tweet_index.js",
];

fn not_an_archive(display: &str) -> InputError {
    InputError::file(
        display,
        "not an X archive: expected a `data/` folder with manifest.js, account.js or tweets.js (or `data/js/tweets/` for classic archives)",
    )
}

impl ArchiveSource {
    /// A folder holding an extracted archive (its `data/` folder, or the data folder itself).
    pub fn looks_like_archive(dir: &Path) -> bool {
        let data = if dir.join("data").is_dir() {
            dir.join("data")
        } else {
            dir.to_path_buf()
        };
        MARKERS.iter().any(|m| data.join(m).is_file())
    }

    pub fn open(
        path: &Path,
        limits: ZipLimits,
        lenient_entries: &mut Vec<InputError>,
    ) -> Result<Self, InputError> {
        let display = path.display().to_string();
        if path.is_dir() {
            let (data, data_prefix) = if path.join("data").is_dir() {
                (path.join("data"), "data/")
            } else {
                (path.to_path_buf(), "")
            };
            let root = path
                .canonicalize()
                .map_err(|e| InputError::file(&display, format!("cannot read: {e}")))?;
            if let Ok(real) = data.canonicalize()
                && !real.starts_with(&root)
            {
                return Err(outside_link(&data, &real));
            }
            let mut files = Vec::new();
            walk(&root, &data, &data, 0, &mut files, lenient_entries);
            files.sort();
            if !MARKERS.iter().any(|m| files.iter().any(|f| f == m)) {
                return Err(not_an_archive(&display));
            }
            return Ok(ArchiveSource::Dir {
                data,
                display,
                data_prefix,
                files,
                digests: ReadDigests::default(),
            });
        }
        let file = File::open(path)
            .map_err(|e| InputError::file(&display, format!("cannot open: {e}")))?;
        let zip = ZipArchive::new(BufReader::new(file)).map_err(|e| {
            InputError::file(
                &display,
                format!("not a readable zip file ({e}); the download may be truncated or corrupt"),
            )
        })?;
        let mut raw = Vec::with_capacity(zip.len());
        let mut zip = zip;
        for i in 0..zip.len() {
            let f = zip
                .by_index_raw(i)
                .map_err(|e| InputError::file(&display, format!("corrupt zip entry #{i}: {e}")))?;
            let name = String::from_utf8_lossy(f.name_raw()).into_owned();
            if f.is_dir() {
                continue;
            }
            if f.enclosed_name().is_none()
                || name.starts_with('/')
                || name.starts_with('\\')
                || name.contains(":\\")
            {
                lenient_entries.push(InputError::file(
                    format!("{display}!{name}"),
                    "unsafe path in zip entry (absolute or with `..`); the entry was refused",
                ));
                continue;
            }
            raw.push((name, f.size(), f.compressed_size()));
        }
        let prefix = raw
            .iter()
            .filter_map(|(n, _, _)| {
                MARKERS.iter().find_map(|m| {
                    let with_data = format!("data/{m}");
                    if n == &with_data || n.ends_with(&format!("/{with_data}")) {
                        Some(n[..n.len() - m.len()].to_string())
                    } else {
                        None
                    }
                })
            })
            .min_by_key(|p| p.len())
            .or_else(|| {
                raw.iter()
                    .any(|(n, _, _)| MARKERS.contains(&n.as_str()))
                    .then(String::new)
            })
            .ok_or_else(|| not_an_archive(&display))?;
        let entries: Vec<ZipEntry> = raw
            .into_iter()
            .filter_map(|(name, size, compressed)| {
                let rel = name.strip_prefix(&prefix)?.to_string();
                Some(ZipEntry {
                    name,
                    rel,
                    size,
                    compressed,
                })
            })
            .collect();
        let declared: u64 = entries
            .iter()
            .filter(|e| e.rel.ends_with(".js"))
            .map(|e| e.size)
            .sum();
        if declared > limits.max_unpacked_bytes {
            return Err(InputError::file(
                &display,
                format!(
                    "the archive's data files unpack to {declared} bytes, over the limit of {} (raise it with --max-unpacked-size if the archive is genuine)",
                    limits.max_unpacked_bytes
                ),
            ));
        }
        Ok(ArchiveSource::Zip {
            path: path.to_path_buf(),
            display,
            prefix,
            entries,
            limits,
        })
    }

    /// Data files, relative to `data/` (`tweets.js`, `js/tweets/2015_01.js`).
    pub fn files(&self) -> Vec<String> {
        match self {
            ArchiveSource::Zip { entries, .. } => entries.iter().map(|e| e.rel.clone()).collect(),
            ArchiveSource::Dir { files, .. } => files.clone(),
        }
    }

    pub fn has(&self, rel: &str) -> bool {
        match self {
            ArchiveSource::Zip { entries, .. } => entries.iter().any(|e| e.rel == rel),
            ArchiveSource::Dir { files, .. } => listed(files, rel),
        }
    }

    /// How a file is named in messages: `export.zip!data/tweets.js`.
    pub fn display(&self, rel: &str) -> String {
        match self {
            ArchiveSource::Zip {
                display, prefix, ..
            } => format!("{display}!{prefix}{rel}"),
            ArchiveSource::Dir { data, .. } => data.join(rel).display().to_string(),
        }
    }

    pub fn display_root(&self) -> &str {
        match self {
            ArchiveSource::Zip { display, .. } | ArchiveSource::Dir { display, .. } => display,
        }
    }

    /// Digests of the files read to their end so far, keyed by their path in the input folder (a
    /// zip's entries are not the input's bytes: none).
    pub fn take_digests(&self) -> HashMap<String, Digest> {
        match self {
            ArchiveSource::Dir { digests, .. } => digests.take(),
            ArchiveSource::Zip { .. } => HashMap::new(),
        }
    }

    /// Run `f` over a streaming reader of one data file.
    pub fn with_reader<T>(
        &self,
        rel: &str,
        f: impl FnOnce(&mut dyn Read) -> Result<T, InputError>,
    ) -> Result<T, InputError> {
        let shown = self.display(rel);
        match self {
            ArchiveSource::Dir {
                data,
                data_prefix,
                files,
                digests,
                ..
            } => {
                if !listed(files, rel) {
                    return Err(InputError::file(&shown, "not in the archive"));
                }
                let file = File::open(data.join(rel))
                    .map_err(|e| InputError::file(&shown, format!("cannot open: {e}")))?;
                let key = format!("{data_prefix}{rel}");
                f(&mut Utf8Checked::new(Digesting::new(file, &key, digests)))
            }
            ArchiveSource::Zip {
                path,
                entries,
                limits,
                ..
            } => {
                let entry = entries
                    .iter()
                    .find(|e| e.rel == rel)
                    .ok_or_else(|| InputError::file(&shown, "not in the archive"))?;
                if entry.size > RATIO_GRACE
                    && entry.size / entry.compressed.max(1) > limits.max_ratio
                {
                    return Err(InputError::file(
                        &shown,
                        format!(
                            "compression ratio {}:1 is over the limit of {}:1 (a zip bomb?); raise it with --max-ratio if the archive is genuine",
                            entry.size / entry.compressed.max(1),
                            limits.max_ratio
                        ),
                    ));
                }
                let file = File::open(path)
                    .map_err(|e| InputError::file(&shown, format!("cannot open: {e}")))?;
                let mut zip = ZipArchive::new(BufReader::new(file)).map_err(|e| {
                    InputError::file(&shown, format!("not a readable zip file: {e}"))
                })?;
                let zf = zip
                    .by_name(&entry.name)
                    .map_err(|e| InputError::file(&shown, format!("cannot read zip entry: {e}")))?;
                let guarded = Guarded {
                    inner: zf,
                    read: 0,
                    max: limits.max_unpacked_bytes.min(entry.size.saturating_add(1)),
                    compressed: entry.compressed.max(1),
                    ratio: limits.max_ratio,
                };
                f(&mut Utf8Checked::new(guarded))
            }
        }
    }
}

/// Whether the sorted file list of an archive folder holds `rel`.
fn listed(files: &[String], rel: &str) -> bool {
    files.binary_search_by(|f| f.as_str().cmp(rel)).is_ok()
}

fn outside_link(link: &Path, target: &Path) -> InputError {
    InputError::file(
        link.display().to_string(),
        format!(
            "a symbolic link to {}, outside the archive folder; refused (copy the file into the archive instead)",
            target.display()
        ),
    )
}

/// The files of an extracted archive's data folder, at most three folders deep. A symbolic link
/// is followed while it stays inside the archive folder `root` (canonical); one that leaves it
/// or leads nowhere, and anything but files and folders (a named pipe, a device), is refused
/// into `refused` rather than read or skipped quietly: the same rule for data files and for the
/// manifest and account files that say whose archive it is.
fn walk(
    root: &Path,
    data: &Path,
    dir: &Path,
    depth: usize,
    out: &mut Vec<String>,
    refused: &mut Vec<InputError>,
) {
    let listing = std::fs::read_dir(dir).and_then(|rd| rd.collect::<io::Result<Vec<_>>>());
    let listed = match listing {
        Ok(l) => l,
        Err(e) => {
            refused.push(InputError::file(
                dir.display().to_string(),
                format!("cannot list the archive's folder: {e}"),
            ));
            return;
        }
    };
    for entry in listed {
        let p = entry.path();
        let shown = p.display().to_string();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_symlink() {
            match p.canonicalize() {
                Ok(target) if !target.starts_with(root) => {
                    refused.push(outside_link(&p, &target));
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    refused.push(InputError::file(
                        shown,
                        format!("a symbolic link whose target cannot be read ({e})"),
                    ));
                    continue;
                }
            }
        }
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            if depth < 3 {
                walk(root, data, &p, depth + 1, out, refused);
            }
        } else if meta.is_file() {
            if let Ok(rel) = p.strip_prefix(data) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        } else {
            refused.push(InputError::file(
                shown,
                "not a regular file (a named pipe or a device?); refused",
            ));
        }
    }
}

/// Stops a zip entry that produces more than it declared or more than the ratio allows.
struct Guarded<R> {
    inner: R,
    read: u64,
    max: u64,
    compressed: u64,
    ratio: u64,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "zip entry unpacks to more than it declares or than the size limit allows (a zip bomb?)",
            ));
        }
        if self.read > RATIO_GRACE && self.read / self.compressed > self.ratio {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "zip entry exceeds the compression-ratio limit (a zip bomb?)",
            ));
        }
        Ok(n)
    }
}

/// X archives are UTF-8. Invalid bytes are an error naming the offset, not mojibake in the store.
pub struct Utf8Checked<R> {
    inner: R,
    offset: u64,
    /// Bytes of an incomplete UTF-8 sequence at the end of the last read.
    carry: Vec<u8>,
}

impl<R: Read> Utf8Checked<R> {
    pub fn new(inner: R) -> Self {
        Utf8Checked {
            inner,
            offset: 0,
            carry: Vec::new(),
        }
    }
}

impl<R: Read> Read for Utf8Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            if !self.carry.is_empty() {
                let at = self.offset - self.carry.len() as u64;
                return Err(invalid_utf8(at, "the file ends inside a character"));
            }
            return Ok(0);
        }
        let mut rest = &buf[..n];
        let mut checked = 0;
        // A character cut by the previous read: complete it from the head of this one.
        if !self.carry.is_empty() {
            let carried = self.carry.len();
            let take = (4 - carried).min(n);
            self.carry.extend_from_slice(&rest[..take]);
            match std::str::from_utf8(&self.carry) {
                Ok(_) => checked = take,
                Err(e) if e.valid_up_to() > 0 => checked = e.valid_up_to() - carried,
                Err(e) if e.error_len().is_none() && take == n => {
                    // Still incomplete: this read was shorter than the character.
                    self.offset += n as u64;
                    return Ok(n);
                }
                Err(_) => {
                    let at = self.offset - carried as u64;
                    return Err(invalid_utf8(at, "X archives are UTF-8"));
                }
            }
            self.carry.clear();
            rest = &rest[checked..];
        }
        match std::str::from_utf8(rest) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => self.carry = rest[e.valid_up_to()..].to_vec(),
            Err(e) => {
                let at = self.offset + (checked + e.valid_up_to()) as u64;
                return Err(invalid_utf8(at, "X archives are UTF-8"));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

fn invalid_utf8(offset: u64, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("invalid UTF-8 at byte {offset} ({why})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readers::test_io::Trickle;

    /// Reads of `step` bytes cut characters at every place.
    fn read_all(data: &[u8], step: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        Utf8Checked::new(Trickle { data, step })
            .read_to_end(&mut out)
            .map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[test]
    fn characters_cut_between_reads_are_valid_utf8() {
        let text = "añb€c😀d — «ü» 日本語".repeat(3);
        for step in 1..9 {
            assert_eq!(read_all(text.as_bytes(), step).unwrap(), text.as_bytes());
        }
    }

    #[test]
    fn invalid_utf8_names_its_offset_however_the_reads_fall() {
        for (data, at) in [
            (&b"ab\xffcd"[..], 2),
            (b"a\xe2\x82", 1),            // ends inside a character
            (b"a\xe2\x82xyz", 1),         // a character cut short
            (b"\xc3\xa9\xc3\xa9\x80", 4), // a stray continuation byte
        ] {
            for step in 1..6 {
                let err = read_all(data, step).unwrap_err();
                assert!(
                    err.contains(&format!("invalid UTF-8 at byte {at} ")),
                    "{data:?} in reads of {step}: {err}"
                );
            }
        }
    }
}
