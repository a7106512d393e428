//! The normalized event model: one Arrow schema for all activity (DESIGN.md, "The events table").

mod batch;
mod event;
mod finding;
mod kind;
pub mod schema;
pub mod time;

pub use batch::EventColumns;
pub use event::{Event, EventId, Mention, Origin, UrlEntity, conversation_id, hash_id, id_key};
pub use finding::{
    Change, Finding, RuleStatus, Severity, Status, Suppression, report_order, rule_fingerprint,
};
pub use kind::Kind;
