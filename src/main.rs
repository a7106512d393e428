//! The `xaudit` command: a thin layer over the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::var_os("RUST_MIN_STACK").is_none() {
        // SAFETY: no other thread exists yet to read the environment.
        unsafe { std::env::set_var("RUST_MIN_STACK", xaudit::cluster::THREAD_STACK.to_string()) };
    }
    cli::main()
}
