//! One writer at a time. Delta Lake keeps concurrent commits from corrupting a table, but an
//! ingest reads the known event ids before it writes, and a nightly run compares with the previous
//! run: two of them interleaved would add duplicates or compare with a run still in progress. The
//! lock is an advisory OS file lock on `<store>/.xaudit.lock`, so the kernel releases it when its
//! holder exits for any reason, `kill -9` included: a crashed run never leaves a stale lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;

use crate::error::{Error, Result};

use super::Store;

/// Held while the process writes to the store; released on drop (or exit).
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

/// What to do when another process holds the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contention {
    /// Fail at once with an error naming the holder.
    Fail,
    /// Wait until the holder is done; `notify` is called once, with the holder, before waiting.
    Wait,
}

impl Store {
    fn lock_path(&self) -> PathBuf {
        self.root().join(".xaudit.lock")
    }

    /// Take the store's writer lock. `what` says who holds it (shown to a run that finds it taken).
    pub fn lock(
        &self,
        what: &str,
        contention: Contention,
        notify: impl FnOnce(&str),
    ) -> Result<StoreLock> {
        std::fs::create_dir_all(self.root()).map_err(|e| Error::io(self.root(), e))?;
        let path = self.lock_path();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another xaudit process"
                } else {
                    holder
                };
                match contention {
                    Contention::Fail => {
                        return Err(Error::Locked {
                            store: self.root().to_path_buf(),
                            holder: holder.to_string(),
                        });
                    }
                    Contention::Wait => {
                        notify(holder);
                        file.lock().map_err(|e| Error::io(&path, e))?;
                    }
                }
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        // Say who holds it, for the next process that finds it taken.
        let note = format!(
            "{what} (pid {}, since {})\n",
            std::process::id(),
            crate::model::time::format_ts(chrono::Utc::now().timestamp_micros())
        );
        let written = file
            .set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| file.write_all(note.as_bytes()))
            .and_then(|_| file.flush());
        written.map_err(|e| Error::io(&path, e))?;
        Ok(StoreLock { _file: file })
    }
}
