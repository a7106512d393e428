use std::borrow::Cow;
use std::sync::Arc;

use super::Kind;

/// Which kind of input produced an event. Rules use it for coverage: a `follow` with
/// `origin = snapshot` has only interval time, one from `webhook` is timed to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    Archive,
    Snapshot,
    /// A snapshot difference that a timed event of this ingest or the store explained (see
    /// `store::superseded`): kept for the state the next snapshot is diffed against, and not in
    /// `events`.
    ExplainedSnapshot,
    Webhook,
    Activity,
    Generic,
}

impl Origin {
    /// Every origin, in declaration order: `ALL[o as usize] == o`.
    pub const ALL: [Origin; 6] = [
        Origin::Archive,
        Origin::Snapshot,
        Origin::ExplainedSnapshot,
        Origin::Webhook,
        Origin::Activity,
        Origin::Generic,
    ];

    /// Whether the row is a snapshot difference (explained or not) rather than a timed event.
    pub fn is_snapshot_diff(self) -> bool {
        matches!(self, Origin::Snapshot | Origin::ExplainedSnapshot)
    }

    /// Which copy of an event the store shows when inputs of several origins hold it: the lowest
    /// rank. A webhook log (or the Activity API) knows the client of every action, a bot's own
    /// log usually does, an archive's DMs carry none, and a snapshot difference knows only an
    /// interval.
    pub fn precedence(self) -> u8 {
        match self {
            Origin::Webhook | Origin::Activity => 0,
            Origin::Generic => 1,
            Origin::Archive => 2,
            Origin::Snapshot | Origin::ExplainedSnapshot => 3,
        }
    }

    pub fn parse(s: &str) -> Option<Origin> {
        Origin::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Archive => "archive",
            Origin::Snapshot => "snapshot",
            Origin::ExplainedSnapshot => "explained_snapshot",
            Origin::Webhook => "webhook",
            Origin::Activity => "activity_api",
            Origin::Generic => "generic",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mention<'a> {
    pub id: Option<Cow<'a, str>>,
    pub screen_name: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlEntity<'a> {
    /// The URL as written in the text (usually a t.co link).
    pub url: Cow<'a, str>,
    /// Where it points, when the source says (archives: `expanded_url`; DMs: `expanded`).
    pub expanded: Option<Cow<'a, str>>,
    /// What a reader sees (`display_url` / `display`).
    pub display: Option<Cow<'a, str>>,
}

/// One normalized activity event. Times are microseconds since the Unix epoch, UTC.
///
/// Strings are borrowed from the record being read where they can be: an event is appended to the
/// columns as soon as it is built, so it never outlives its record, and a post read without
/// copying its ids, text and entities spares about twenty allocations (and, with glibc, the arena
/// lock the writer's frees contend for).
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    pub account_id: Cow<'a, str>,
    pub kind: Kind,
    pub ts: i64,
    pub ts_lower: i64,
    pub actor_id: Option<Cow<'a, str>>,
    pub target_user_id: Option<Cow<'a, str>>,
    pub target_post_id: Option<Cow<'a, str>>,
    pub post_id: Option<Cow<'a, str>>,
    pub message_id: Option<Cow<'a, str>>,
    pub conversation_id: Option<Cow<'a, str>>,
    pub list_id: Option<Cow<'a, str>>,
    pub text: Option<Cow<'a, str>>,
    pub lang: Option<Cow<'a, str>>,
    pub hashtags: Vec<Cow<'a, str>>,
    pub mentions: Vec<Mention<'a>>,
    pub urls: Vec<UrlEntity<'a>>,
    pub client: Option<Cow<'a, str>>,
    pub client_id: Option<Cow<'a, str>>,
    pub possibly_sensitive: Option<bool>,
    pub edit_of: Option<Cow<'a, str>>,
    pub origin: Origin,
    pub source: Arc<str>,
    pub source_record: i64,
    /// JSON object of input fields that have no column (generic logs), else None.
    pub attributes: Option<String>,
    /// An id given by the input itself (generic logs may carry `event_id`), used verbatim.
    pub given_id: Option<String>,
}

impl<'a> Event<'a> {
    pub fn new(
        account_id: impl Into<Cow<'a, str>>,
        kind: Kind,
        ts: i64,
        origin: Origin,
        source: Arc<str>,
        record: i64,
    ) -> Self {
        Event {
            account_id: account_id.into(),
            kind,
            ts,
            ts_lower: ts,
            actor_id: None,
            target_user_id: None,
            target_post_id: None,
            post_id: None,
            message_id: None,
            conversation_id: None,
            list_id: None,
            text: None,
            lang: None,
            hashtags: Vec::new(),
            mentions: Vec::new(),
            urls: Vec::new(),
            client: None,
            client_id: None,
            possibly_sensitive: None,
            edit_of: None,
            origin,
            source,
            source_record: record,
            attributes: None,
            given_id: None,
        }
    }

    /// A direct message as `account` sees it: `dm_sent` to `recipient` (unknown in group
    /// conversations) when the account sent it, else `dm_received` with the account as target.
    pub fn direct_message(
        account: &'a str,
        sender: Cow<'a, str>,
        recipient: Option<Cow<'a, str>>,
        ts: i64,
        origin: Origin,
        source: Arc<str>,
        record: i64,
    ) -> Self {
        let sent = *sender == *account;
        let kind = if sent { Kind::DmSent } else { Kind::DmReceived };
        let mut e = Event::new(account, kind, ts, origin, source, record);
        e.target_user_id = if sent {
            recipient
        } else {
            Some(Cow::Borrowed(account))
        };
        e.actor_id = Some(sender);
        e
    }

    /// The deterministic id. It depends only on what identifies the activity, never on the input
    /// file, so the same post seen in an archive and in a webhook log is one event, and
    /// re-ingesting an input adds nothing.
    pub fn event_id(&self) -> String {
        self.id().to_string()
    }

    /// [`Event::event_id`] without building the string: writers hash millions of these.
    pub fn id(&self) -> EventId {
        if let Some(id) = &self.given_id {
            return EventId::Given(id.clone());
        }
        let a = &*self.account_id;
        fn opt<'s>(o: &'s Option<Cow<'_, str>>) -> &'s str {
            o.as_deref().unwrap_or("")
        }
        match self.kind {
            k if k.is_own_post() && self.post_id.is_some() => {
                EventId::Digest(digest(&["post", a, opt(&self.post_id)]))
            }
            Kind::MentionReceived | Kind::ReplyReceived if self.post_id.is_some() => {
                EventId::Digest(digest(&[
                    "inbound",
                    self.kind.as_str(),
                    a,
                    opt(&self.post_id),
                ]))
            }
            k if k.is_dm() && self.message_id.is_some() => {
                EventId::Digest(digest(&["dm", k.as_str(), a, opt(&self.message_id)]))
            }
            Kind::Delete if self.target_post_id.is_some() => {
                EventId::Digest(digest(&["delete", a, opt(&self.target_post_id)]))
            }
            _ => {
                let (mut ts_buf, mut lower_buf) = ([0; 20], [0; 20]);
                EventId::Digest(digest(&[
                    self.kind.as_str(),
                    a,
                    decimal(self.ts_lower, &mut lower_buf),
                    decimal(self.ts, &mut ts_buf),
                    opt(&self.actor_id),
                    opt(&self.target_user_id),
                    opt(&self.target_post_id),
                    opt(&self.post_id),
                    opt(&self.list_id),
                    opt(&self.client_id),
                    opt(&self.text),
                ]))
            }
        }
    }
}

/// `v` in decimal, written into `buf` (as `to_string` would, without allocating: follows, likes
/// and DMs hash their times into their ids).
fn decimal(v: i64, buf: &mut [u8; 20]) -> &str {
    use std::io::Write;
    let mut rest = &mut buf[..];
    write!(rest, "{v}").expect("an i64 takes at most 20 bytes");
    let len = 20 - rest.len();
    std::str::from_utf8(&buf[..len]).expect("digits are ASCII")
}

/// X's name for a one-to-one DM conversation: both user ids, numerically smaller first
/// (`34914032-2509346272`). Ids are digit strings, so (length, text) is numeric order.
pub fn conversation_id(a: &str, b: &str) -> String {
    let (lo, hi) = if (a.len(), a) <= (b.len(), b) {
        (a, b)
    } else {
        (b, a)
    };
    format!("{lo}-{hi}")
}

/// A 128-bit BLAKE3 digest of the parts, as 32 hex characters. The separator cannot occur in ids,
/// so `["ab", "c"]` and `["a", "bc"]` differ.
pub fn hash_id(parts: &[&str]) -> String {
    EventId::Digest(digest(parts)).to_string()
}

fn digest(parts: &[&str]) -> [u8; 16] {
    // Most ids hash a few dozen bytes: joined on the stack they take BLAKE3's one-shot path,
    // without setting up a streaming hasher (about 2 KB of state) for each event. Both ways give
    // the same digest.
    let mut joined = [0u8; 256];
    let mut len = 0;
    for p in parts {
        let end = len + p.len() + 1;
        if end > joined.len() {
            return digest_streamed(parts);
        }
        joined[len..end - 1].copy_from_slice(p.as_bytes());
        joined[end - 1] = 0x1f;
        len = end;
    }
    blake3::hash(&joined[..len]).as_bytes()[..16]
        .try_into()
        .expect("16 bytes")
}

fn digest_streamed(parts: &[&str]) -> [u8; 16] {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0x1f]);
    }
    h.finalize().as_bytes()[..16].try_into().expect("16 bytes")
}

/// An event's id: the digest of what identifies the activity, or an id the input gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventId {
    Digest([u8; 16]),
    Given(String),
}

impl EventId {
    /// The id as the `event_id` column holds it (a digest in hex), written into `buf` if need be.
    pub fn as_str<'a>(&'a self, buf: &'a mut [u8; 32]) -> &'a str {
        match self {
            EventId::Given(id) => id,
            EventId::Digest(d) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                for (i, b) in d.iter().enumerate() {
                    buf[2 * i] = HEX[(b >> 4) as usize];
                    buf[2 * i + 1] = HEX[(b & 15) as usize];
                }
                std::str::from_utf8(buf).expect("hex digits are ASCII")
            }
        }
    }

    /// The 16-byte key writers de-duplicate on: the same as [`id_key`] of the id's text.
    pub fn key(&self) -> u128 {
        match self {
            EventId::Digest(d) => u128::from_be_bytes(*d),
            EventId::Given(id) => id_key(id),
        }
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.as_str(&mut [0; 32]))
    }
}

/// The de-duplication key of an `event_id` value: a digest's own 128 bits, or for any other id
/// (generic logs may give their own) a digest of it.
pub fn id_key(id: &str) -> u128 {
    if id.len() == 32
        && let Ok(v) = u128::from_str_radix(id, 16)
    {
        return v;
    }
    let h = blake3::hash(id.as_bytes());
    u128::from_le_bytes(h.as_bytes()[..16].try_into().expect("16 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The store's id set keeps an origin in three bits as `origin as u128` and reads it back
    /// through `ALL`: both must agree, and every origin must fit.
    #[test]
    fn origins_are_listed_in_declaration_order_and_fit_three_bits() {
        for (i, o) in Origin::ALL.iter().enumerate() {
            assert_eq!(*o as usize, i, "{o:?}");
            assert_eq!(Origin::parse(o.as_str()), Some(*o));
        }
        assert!(Origin::ALL.len() <= 8);
    }

    fn ev(origin: Origin, source: &str) -> Event<'static> {
        let mut e = Event::new("42", Kind::Post, 1_000_000, origin, source.into(), 0);
        e.post_id = Some("1000".into());
        e
    }

    #[test]
    fn a_post_has_the_same_id_from_an_archive_and_from_a_webhook_log() {
        assert_eq!(
            ev(Origin::Archive, "a.zip!data/tweets.js").event_id(),
            ev(Origin::Webhook, "hook.jsonl").event_id()
        );
    }

    #[test]
    fn conversation_ids_put_the_numerically_smaller_user_first() {
        assert_eq!(
            conversation_id("2509346272", "34914032"),
            "34914032-2509346272"
        );
        assert_eq!(
            conversation_id("1964312974236991488", "2846154391"),
            "2846154391-1964312974236991488"
        );
    }

    #[test]
    fn joined_and_streamed_digests_are_the_same() {
        // Around the 256-byte stack buffer, where `digest` switches to streaming.
        for len in [0, 1, 40, 200, 250, 254, 255, 256, 257, 600] {
            let long = "x".repeat(len);
            let parts = ["post", "42", long.as_str()];
            assert_eq!(digest(&parts), digest_streamed(&parts), "{len}");
        }
        assert_eq!(digest(&[]), digest_streamed(&[]));
    }

    #[test]
    fn times_are_hashed_in_decimal() {
        for v in [0, 7, -1, 1_700_000_000_000_000, i64::MIN, i64::MAX] {
            assert_eq!(decimal(v, &mut [0; 20]), v.to_string());
        }
    }

    #[test]
    fn ids_are_separator_safe() {
        assert_ne!(hash_id(&["ab", "c"]), hash_id(&["a", "bc"]));
        assert_eq!(hash_id(&["x"]).len(), 32);
    }

    #[test]
    fn the_writers_key_of_an_id_is_the_key_of_its_stored_text() {
        // Keys of new events are compared with keys of ids read back from the store.
        let digest = ev(Origin::Archive, "f").id();
        assert!(matches!(digest, EventId::Digest(_)));
        assert_eq!(digest.key(), id_key(&digest.to_string()));
        assert_eq!(
            hash_id(&["post", "42", "1000"]),
            ev(Origin::Archive, "f").event_id()
        );
        for given in ["my-own-id", "0123456789abcdef0123456789abcdef"] {
            let mut e = ev(Origin::Generic, "f");
            e.given_id = Some(given.into());
            assert_eq!(e.event_id(), given);
            assert_eq!(e.id().key(), id_key(given));
        }
    }

    #[test]
    fn the_same_follow_at_two_times_is_two_events() {
        let mut a = Event::new("42", Kind::Follow, 1, Origin::Webhook, "f".into(), 0);
        a.target_user_id = Some("7".into());
        let mut b = a.clone();
        b.ts = 2;
        b.ts_lower = 2;
        assert_ne!(a.event_id(), b.event_id());
    }
}
