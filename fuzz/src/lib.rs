//! What every fuzz target shares: a scratch folder per thread and the reader entry point.

pub use libfuzzer_sys;
pub use xaudit::readers::fuzz::{Scratch, Target, run};

thread_local! {
    /// Readers that take a path read the input from here; the folder goes when the thread ends.
    static SCRATCH: (tempfile::TempDir, Scratch) = {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let scratch = Scratch::new(dir.path());
        (dir, scratch)
    };
}

/// Read `data` as `target` in this thread's scratch folder.
pub fn fuzz(target: Target, data: &[u8]) {
    SCRATCH.with(|(_, scratch)| run(target, data, scratch));
}

/// A fuzz target for one reader: `xaudit_fuzz::target!(WebhookLog);`.
#[macro_export]
macro_rules! target {
    ($target:ident) => {
        $crate::libfuzzer_sys::fuzz_target!(|data: &[u8]| {
            $crate::fuzz($crate::Target::$target, data);
        });
    };
}
