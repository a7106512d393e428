//! Errors of the library. `InputError` is "your input is wrong" (exit 2, the user fixes the
//! file); `Error::Store` and `Error::Internal` are about the store or a bug in xaudit.

use std::fmt;
use std::path::PathBuf;

/// Where in an input something happened. Every field that is known is printed, so a user can
/// open the file at the right place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    /// 0-based index of the record in its file (array element, JSONL line, CSV row).
    pub record: Option<u64>,
    /// 1-based line in the file.
    pub line: Option<u64>,
    /// byte offset in the (decompressed) file.
    pub byte: Option<u64>,
}

impl Position {
    pub fn record(record: u64) -> Self {
        Position {
            record: Some(record),
            ..Default::default()
        }
    }
    pub fn line(line: u64) -> Self {
        Position {
            line: Some(line),
            record: Some(line.saturating_sub(1)),
            ..Default::default()
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(r) = self.record {
            parts.push(format!("record {r}"));
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        if let Some(b) = self.byte {
            parts.push(format!("byte {b}"));
        }
        write!(f, "{}", parts.join(", "))
    }
}

/// A problem with one input: the file (for archives, `archive.zip!data/tweets.js`), where in it,
/// and what was expected.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{file}{}: {reason}", at(.position))]
pub struct InputError {
    pub file: String,
    pub position: Position,
    pub reason: String,
}

fn at(p: &Position) -> String {
    let s = p.to_string();
    if s.is_empty() {
        String::new()
    } else {
        format!(" ({s})")
    }
}

impl InputError {
    pub fn new(file: impl Into<String>, position: Position, reason: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            position,
            reason: reason.into(),
        }
    }
    pub fn file(file: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(file, Position::default(), reason)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is malformed or not what it claims to be. Nothing was committed.
    #[error("bad input: {0}")]
    Input(InputError),

    /// Several inputs were bad (strict mode stops at the first file that fails, but files read in
    /// parallel can fail together).
    #[error("bad input ({} problems):\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Inputs(Vec<InputError>),

    /// A user-supplied argument is wrong (unknown `--kind`, bad limit, a store path that is a file).
    #[error("{0}")]
    Usage(String),

    /// The store could not be read or written.
    #[error("store {path}: {cause}")]
    Store {
        path: PathBuf,
        cause: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A query against the store failed (bad SQL is the user's; the message says which).
    #[error("query failed: {0}")]
    Query(datafusion::error::DataFusionError),

    /// Another process writes to the store.
    #[error("store {}: locked by {holder}; it is released when that run ends (nightly: pass --wait to queue behind it)", store.display())]
    Locked { store: PathBuf, holder: String },

    #[error("I/O error on {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },

    /// SIGINT or SIGTERM stopped a run before it committed.
    #[error("stopped by a signal before anything was committed: the store is as it was")]
    Interrupted,

    /// A cluster could not be reached, or one of its roles failed.
    #[error("cluster: {0}")]
    Cluster(#[from] ClusterError),

    /// A bug in xaudit: please report it with the command that produced it.
    #[error("internal error (a bug in xaudit, please report it): {0}")]
    Internal(String),
}

/// What went wrong between xaudit and a cluster (`xaudit cluster`, `--cluster`).
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("bad cluster address {given:?}: expected df://HOST:PORT (e.g. df://127.0.0.1:50050)")]
    BadUrl { given: String },
    #[error(
        "the scheduler at {url} cannot be reached ({cause}): is `xaudit cluster scheduler` running there?"
    )]
    Unreachable { url: String, cause: String },
    #[error("the {role} cannot listen on {address}: {cause}")]
    Bind {
        role: &'static str,
        address: String,
        cause: String,
    },
    #[error("the {role} failed: {cause}")]
    Ballista { role: &'static str, cause: String },
}

impl Error {
    pub fn store(
        path: impl Into<PathBuf>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Store {
            path: path.into(),
            cause: Box::new(source),
        }
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause: source,
        }
    }
    /// The error for one or more bad inputs (at least one): `Input` for one, `Inputs` for more.
    pub fn bad_inputs(mut errors: Vec<InputError>) -> Self {
        if errors.len() == 1 {
            Error::Input(errors.remove(0))
        } else {
            Error::Inputs(errors)
        }
    }
    /// True when the user's input, arguments or SQL are at fault (rather than the machine or xaudit).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::Input(_)
                | Error::Inputs(_)
                | Error::Usage(_)
                | Error::Query(_)
                | Error::Locked { .. }
        )
    }
}

// The messages above already include their cause, so no variant exposes it as `source()`: a
// chain-printing caller (anyhow's `{:#}`) would print it twice.
impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Input(e)
    }
}

impl From<datafusion::error::DataFusionError> for Error {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        Error::Query(e)
    }
}

impl Error {
    /// The underlying I/O error, if any (the CLI treats a broken pipe as success).
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            Error::Io { cause, .. } => Some(cause.kind()),
            _ => None,
        }
    }
}

impl From<datafusion::arrow::error::ArrowError> for Error {
    fn from(e: datafusion::arrow::error::ArrowError) -> Self {
        Error::Internal(format!("arrow: {e}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
