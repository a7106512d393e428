//! The integration tests, as one test binary.
//!
//! Each file here was its own test crate once, and `cargo test` links and runs test crates one
//! after another: 23 binaries, 14 of them over 300 MB (linked against DataFusion, Delta and Ballista), and
//! a binary whose slowest test ran alone kept one of the two cores idle (the 110-ingest history
//! test used 1.07 cores for 230 s). As modules of one crate they link once, and the harness runs
//! every test across the cores (`RUST_TEST_THREADS`) whichever file it comes from. A module's
//! tests are selected with its name: `cargo test --test it cluster::`.

mod common;

mod architecture;
mod attribution;
mod bad_input;
mod ci_formats;
mod cli_conventions;
mod cluster;
mod cookbook;
mod crash_and_gen;
mod docs_match_code;
mod fuzz_smoke;
mod hostile_input;
mod inert_output;
mod ingest_formats;
mod many_findings;
mod nightly;
mod normalized_snapshots;
mod report;
mod rule_fixtures;
mod shell;
mod store_history;
mod store_order;
mod store_semantics;
mod twitter_text_conformance;
mod udf_sql;
