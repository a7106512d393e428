//! Pause points for crash tests. With `XAUDIT_PAUSE_AT=<stage>` in the environment, the process
//! says so on stderr and sleeps at that stage, so a test can `kill -9` it at a known point of a
//! run (mid-ingest with files written but not committed, after the ingest, before a run is
//! recorded) and check that the next run picks up cleanly. Without the variable this does nothing.

/// Pause here when `XAUDIT_PAUSE_AT` names `stage`.
pub fn pause_point(stage: &str) {
    if std::env::var("XAUDIT_PAUSE_AT").is_ok_and(|s| s == stage) {
        eprintln!("xaudit: paused at {stage}");
        // A signal ends the pause, so tests can stop a run at a known point.
        for _ in 0..3000 {
            if crate::interrupt::interrupted() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}
