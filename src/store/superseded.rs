//! Stored rows that `events` no longer shows. The events table is append-only (older versions must
//! read as they did), so an ingest that brings better evidence of an activity already stored does
//! not rewrite the old row: it records it here, and the session's `events` view leaves it out.
//! Two kinds of better evidence, each defined so that the rows `events` shows do not depend on
//! the order or the split in which inputs are ingested:
//!
//! - **a better copy**: the same event (same id) from an origin of higher precedence (see
//!   [`crate::model::Origin::precedence`]): a webhook log's copy of a post first ingested from
//!   an archive;
//! - **an explained difference**: a snapshot difference (a follow, like … known only to lie
//!   between two snapshots) for which a timed event of the same kind and member lies inside that
//!   interval. The difference is still written (later snapshots are diffed against it), but the
//!   timed event is what `events` shows.

use serde::Serialize;

use crate::model::{Origin, hash_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Copy,
    Explained,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Copy => "copy",
            Reason::Explained => "explained",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SupersededRow {
    pub row_key: String,
    pub event_id: String,
    pub origin: &'static str,
    pub account_id: String,
    pub reason: &'static str,
}

impl SupersededRow {
    pub fn new(event_id: &str, origin: Origin, account_id: &str, reason: Reason) -> SupersededRow {
        SupersededRow {
            row_key: row_key(event_id, origin.as_str()),
            event_id: event_id.to_string(),
            origin: origin.as_str(),
            account_id: account_id.to_string(),
            reason: reason.as_str(),
        }
    }
}

/// The key of one stored row: an event id is shared by the copies of one event.
pub fn row_key(event_id: &str, origin: &str) -> String {
    hash_id(&["row", event_id, origin])
}
