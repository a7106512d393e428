//! Entry points for fuzzing the readers: each takes arbitrary bytes, reads them as one kind of
//! input, strictly and leniently, and throws the result away. A reader may refuse any bytes; it
//! must never panic, hang or run out of memory. The coverage-guided targets in `fuzz/` call
//! these, and `tests/it/fuzz_smoke.rs` runs them over the fixtures and mutations of them in CI.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use crate::readers::archive::{self, ZipLimits};
use crate::readers::digest::ReadDigests;
use crate::readers::generic::{self, Format};
use crate::readers::{Output, Side, trends, webhook};

/// The readers a fuzz target can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One data file of an extracted archive; the first byte picks which file it stands for.
    ArchiveDataFile,
    /// A whole `.zip` export.
    ZipContainer,
    /// An Account Activity / X Activity API JSONL log.
    WebhookLog,
    GenericCsv,
    GenericJsonl,
    GenericParquet,
    /// Trend snapshots, JSON or CSV (the first byte picks).
    TrendLog,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::ArchiveDataFile,
        Target::ZipContainer,
        Target::WebhookLog,
        Target::GenericCsv,
        Target::GenericJsonl,
        Target::GenericParquet,
        Target::TrendLog,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::ArchiveDataFile => "archive_data_file",
            Target::ZipContainer => "zip_container",
            Target::WebhookLog => "webhook_log",
            Target::GenericCsv => "generic_csv",
            Target::GenericJsonl => "generic_jsonl",
            Target::GenericParquet => "generic_parquet",
            Target::TrendLog => "trend_log",
        }
    }
}

/// Data files an archive fuzz input can stand for (`ArchiveDataFile` picks by the first byte).
pub const ARCHIVE_FILES: [&str; 12] = [
    "tweets.js",
    "direct-messages.js",
    "like.js",
    "follower.js",
    "following.js",
    "account.js",
    "manifest.js",
    "connected-application.js",
    "note-tweet.js",
    "block.js",
    "lists-member.js",
    "deleted-tweets.js",
];

/// Limits small enough that a fuzz input cannot make a reader use much memory.
const LIMITS: ZipLimits = ZipLimits {
    max_unpacked_bytes: 64 << 20,
    max_ratio: 1000,
};

/// A scratch folder for one fuzzing thread: readers that take a path get the bytes there.
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// `dir` must exist and belong to this thread alone.
    pub fn new(dir: &Path) -> Scratch {
        Scratch {
            dir: dir.to_path_buf(),
        }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let p = self.dir.join(name);
        std::fs::write(&p, bytes)?;
        Ok(p)
    }

    /// An extracted archive whose only data file is `name` with these bytes, beside a fixed
    /// `manifest.js` (unless the file is the manifest) so the archive is recognized.
    fn archive(&self, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let root = self.dir.join("archive");
        if root.exists() {
            std::fs::remove_dir_all(&root)?;
        }
        let data = root.join("data");
        std::fs::create_dir_all(&data)?;
        if name != "manifest.js" {
            std::fs::write(data.join("manifest.js"), MANIFEST)?;
        }
        std::fs::write(data.join(name), bytes)?;
        Ok(root)
    }
}

const MANIFEST: &str = r#"window.__THAR_CONFIG = {
  "userInfo" : { "accountId" : "1700000000000000001", "userName" : "fuzz", "displayName" : "Fuzz" },
  "archiveInfo" : { "generationDate" : "2026-03-10T12:00:00.000Z" },
  "dataTypes" : { }
}"#;

/// Read `bytes` as `target`, strictly and leniently. Any error is fine; a panic is a bug.
pub fn run(target: Target, bytes: &[u8], scratch: &Scratch) {
    for lenient in [false, true] {
        // The receiver is dropped with the reader's output: nothing is written.
        let (tx, _rx) = tokio::sync::mpsc::channel(1024);
        let mut out = Output::new(tx.clone(), lenient);
        let digests = ReadDigests::default();
        let side: Option<Side> = match target {
            Target::ArchiveDataFile => {
                let (pick, rest) = bytes.split_first().unwrap_or((&0, &[]));
                let name = ARCHIVE_FILES[*pick as usize % ARCHIVE_FILES.len()];
                scratch
                    .archive(name, rest)
                    .ok()
                    .and_then(|dir| archive::read(&dir, LIMITS, lenient, &tx, &digests).ok())
            }
            Target::ZipContainer => scratch
                .file("export.zip", bytes)
                .ok()
                .and_then(|zip| archive::read(&zip, LIMITS, lenient, &tx, &digests).ok()),
            Target::WebhookLog => {
                let _ = webhook::read("fuzz.jsonl", Cursor::new(bytes), &mut out);
                None
            }
            Target::GenericCsv | Target::GenericJsonl | Target::GenericParquet => {
                let (name, format) = match target {
                    Target::GenericCsv => ("log.csv", Format::Csv),
                    Target::GenericJsonl => ("log.jsonl", Format::Jsonl),
                    _ => ("log.parquet", Format::Parquet),
                };
                if let Ok(p) = scratch.file(name, bytes) {
                    let _ = generic::read(&p, name, format, &mut out);
                }
                None
            }
            Target::TrendLog => {
                let (pick, rest) = bytes.split_first().unwrap_or((&0, &[]));
                let csv = pick % 2 == 1;
                let _ = trends::read("fuzz-trends", Cursor::new(rest), csv, &mut out);
                None
            }
        };
        let mut side = side.unwrap_or_else(|| out.finish());
        // What the ingest does with every side table next must not panic either.
        let _ = side.take_unholdable_times();
    }
}
