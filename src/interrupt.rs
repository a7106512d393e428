//! Ctrl-C and SIGTERM. A run that writes to the store stops at its next safe point instead of
//! dying mid-write: an ingest stops taking events, waits for the files it was writing out, commits
//! nothing and exits 2 with the store as it was. Outside such a section (an audit reading, a
//! nightly run recording its findings) the process exits 2 at once, which the store survives like
//! any crash (the files of an unfinished commit are referenced by no version). A second signal
//! always exits at once.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::{Error, Result};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static GRACEFUL: AtomicUsize = AtomicUsize::new(0);

/// Listen for SIGINT and SIGTERM on the current tokio runtime.
pub fn install() {
    tokio::spawn(async {
        loop {
            let signal = next_signal().await;
            if INTERRUPTED.swap(true, Ordering::SeqCst) || GRACEFUL.load(Ordering::SeqCst) == 0 {
                eprintln!("xaudit: {signal}: stopped");
                std::process::exit(2);
            }
            eprintln!(
                "xaudit: {signal}: stopping at the next safe point, nothing will be committed (again to stop at once)"
            );
        }
    });
}

/// The next SIGINT or SIGTERM, for a server that ends cleanly on either (a cluster's scheduler).
/// Not with [`install`], which exits on the first.
pub async fn stop_signal() -> &'static str {
    next_signal().await
}

#[cfg(unix)]
async fn next_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        // Without handlers the default actions stay: the process just dies.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "interrupted (SIGINT)",
        _ = term.recv() => "terminated (SIGTERM)",
    }
}

#[cfg(not(unix))]
async fn next_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "interrupted (Ctrl-C)"
}

/// While one is alive, a signal asks the run to stop at its next [`check`] instead of exiting.
pub struct Graceful(());

impl Graceful {
    pub fn enter() -> Graceful {
        GRACEFUL.fetch_add(1, Ordering::SeqCst);
        Graceful(())
    }
}

impl Drop for Graceful {
    fn drop(&mut self) {
        GRACEFUL.fetch_sub(1, Ordering::SeqCst);
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// A safe point: the error that unwinds the run when a signal came.
pub fn check() -> Result<()> {
    if interrupted() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}
