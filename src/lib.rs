//! xaudit audits archived X (Twitter) account activity against the X Automation Rules.
//!
//! The pipeline: [`readers`] turn inputs (archives, webhook logs, generic logs, trend snapshots)
//! into normalized [`model::Event`]s; [`ingest`] streams them into the [`store`] (Delta Lake);
//! DataFusion SQL reads the store.

pub mod audit;
pub mod cluster;
pub mod error;
pub mod eval;
pub mod fault;
pub mod findings_log;
pub mod ingest;
pub mod interrupt;
pub mod model;
pub mod nightly;
pub mod output;
pub mod readers;
pub mod report;
pub mod rules;
pub mod shell;
pub mod store;
pub mod synth;
pub mod text;
pub mod udf;

pub use error::{Error, InputError, Result};
