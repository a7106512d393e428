//! Per-file readers of an archive. Each streams its file and emits one event per record (or per
//! message, for DM conversations).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use super::{ArchiveInfo, ArchiveSource, FileType};
use crate::error::InputError;
use crate::model::{Event, Kind, Origin, UrlEntity, time};
use crate::readers::api_tweet::{parse_tweet, str_or_num, unescape, unescape_cow};
use crate::readers::json_cursor::{Accepted, Cursor, Declined};
use crate::readers::json_stream::{self, Flow, RecordPos, Wrapper};
use crate::readers::{AppRow, ListRow, Output, Relation, Side, SnapshotObs, missing, parse_record};

/// Long posts: note-tweet.js holds the full text that tweets.js truncates.
#[derive(Debug, Default)]
pub struct NoteIndex {
    by_tweet: HashMap<String, String>,
    /// (created_at, full text) for notes whose tweet id is unknown: joined by time and prefix.
    by_time: Vec<(i64, String)>,
}

impl NoteIndex {
    /// The full text for a tweet whose archived text is `truncated`.
    pub fn full_text(&self, tweet_id: Option<&str>, ts: i64, truncated: &str) -> Option<&str> {
        if let Some(t) = tweet_id.and_then(|id| self.by_tweet.get(id)) {
            return Some(t);
        }
        if self.by_time.is_empty() {
            return None;
        }
        // X truncates to a prefix ending in "…" and adds a link to the full post.
        let head: String = truncated
            .split_whitespace()
            .filter(|w| !w.starts_with("https://t.co/"))
            .collect::<Vec<_>>()
            .join(" ");
        let head = head.trim_end_matches('…').trim_end();
        if head.chars().count() < 20 {
            return None;
        }
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        self.by_time
            .iter()
            .filter(|(t, _)| (t - ts).abs() <= 60_000_000)
            .find(|(_, text)| norm(text).starts_with(head))
            .map(|(_, t)| t.as_str())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NoteRecord {
    note_tweet: Option<Note>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Note {
    created_at: Option<String>,
    core: Option<NoteCore>,
    lifecycle: Option<NoteLifecycle>,
    #[serde(default, deserialize_with = "str_or_num")]
    tweet_id: Option<String>,
}

#[derive(Deserialize)]
struct NoteCore {
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NoteLifecycle {
    #[serde(default, deserialize_with = "str_or_num")]
    initial_tweet_id: Option<String>,
}

pub fn read_notes(
    src: &ArchiveSource,
    plan: &[(String, FileType)],
    _info: &ArchiveInfo,
    lenient: bool,
    side: &mut Side,
) -> Result<NoteIndex, InputError> {
    let mut idx = NoteIndex::default();
    for (rel, _) in plan.iter().filter(|(_, t)| *t == FileType::NoteTweets) {
        let shown = src.display(rel);
        let mut first_err = None;
        src.with_reader(rel, |r| {
            json_stream::for_each_element(&shown, r, Wrapper::Assignment, |pos, raw| {
                match parse_record::<NoteRecord>(&shown, pos, raw) {
                    Ok(NoteRecord {
                        note_tweet: Some(n),
                    }) => {
                        if let Some(text) = n.core.and_then(|c| c.text) {
                            let text = unescape(&text);
                            let id = n.tweet_id.or(n.lifecycle.and_then(|l| l.initial_tweet_id));
                            match id {
                                Some(id) => {
                                    idx.by_tweet.insert(id, text);
                                }
                                None => {
                                    if let Some(ts) =
                                        n.created_at.as_deref().and_then(time::parse_ts)
                                    {
                                        idx.by_time.push((ts, text));
                                    }
                                }
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(e) if lenient => side
                        .rejects
                        .push(crate::readers::RejectRow::from_error(&e, Some(raw))),
                    Err(e) => {
                        first_err.get_or_insert(e);
                        return Flow::Abort(first_err.clone().expect("set above"));
                    }
                }
                Flow::Continue
            })
        })?;
    }
    Ok(idx)
}

/// Read one data file; returns the number of records in it.
pub fn read_file(
    src: &ArchiveSource,
    rel: &str,
    t: FileType,
    info: &ArchiveInfo,
    notes: &NoteIndex,
    out: &mut Output,
) -> Result<u64, InputError> {
    let shown = src.display(rel);
    let source: Arc<str> = Arc::from(shown.as_str());
    let account = info.account_id.as_str();
    let handle = |out: &mut Output, pos: RecordPos, raw: &[u8]| -> Flow {
        let result = match t {
            FileType::Tweets
            | FileType::DeletedTweets
            | FileType::CommunityTweets
            | FileType::GrailbirdTweets => {
                tweet_record(&shown, &source, account, t, notes, pos, raw, out)
            }
            FileType::Dms | FileType::GroupDms | FileType::DmHeaders | FileType::GroupDmHeaders => {
                dm_conversation(&shown, &source, account, pos, raw, out)
            }
            FileType::MessageEvents => message_event(&shown, &source, account, pos, raw, out),
            FileType::Likes => snapshot_member(
                &shown,
                account,
                Relation::Like,
                "like",
                "tweetId",
                pos,
                raw,
                out,
            ),
            FileType::Followers => snapshot_member(
                &shown,
                account,
                Relation::Follower,
                "follower",
                "accountId",
                pos,
                raw,
                out,
            ),
            FileType::Following => snapshot_member(
                &shown,
                account,
                Relation::Following,
                "following",
                "accountId",
                pos,
                raw,
                out,
            ),
            FileType::Blocks => snapshot_member(
                &shown,
                account,
                Relation::Block,
                "blocking",
                "accountId",
                pos,
                raw,
                out,
            ),
            FileType::Mutes => snapshot_member(
                &shown,
                account,
                Relation::Mute,
                "muting",
                "accountId",
                pos,
                raw,
                out,
            ),
            FileType::ListsCreated => list_record(&shown, account, "created", pos, raw, out),
            FileType::ListsMember => list_record(&shown, account, "member", pos, raw, out),
            FileType::ListsSubscribed => list_record(&shown, account, "subscribed", pos, raw, out),
            FileType::ConnectedApps => app_record(&shown, &source, account, pos, raw, out),
            FileType::Profile => profile_record(&shown, account, pos, raw, out),
            FileType::NoteTweets => Ok(()),
        };
        match result {
            Ok(()) => Flow::Continue,
            Err(e) => match out.bad_record(e, Some(raw)) {
                Ok(()) => Flow::Continue,
                Err(e) => Flow::Abort(e),
            },
        }
    };
    src.with_reader(rel, |r| {
        if t.events_only() {
            let proto = out.fork();
            json_stream::for_each_element_par(
                &shown,
                r,
                Wrapper::Assignment,
                || proto.fork(),
                handle,
                Output::finish,
                |side| out.side.merge(side),
            )
        } else {
            json_stream::for_each_element(&shown, r, Wrapper::Assignment, |pos, raw| {
                handle(out, pos, raw)
            })
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn tweet_record(
    file: &str,
    source: &Arc<str>,
    account: &str,
    t: FileType,
    notes: &NoteIndex,
    pos: RecordPos,
    raw: &[u8],
    out: &mut Output,
) -> Result<(), InputError> {
    let mut record = parse_tweet(file, pos, raw)?;
    let tweet = record.inner_mut();
    let ts = tweet.ts().ok_or_else(|| {
        missing(
            file,
            pos,
            "`created_at` (and no snowflake `id_str` to date the post by)",
        )
    })?;
    if tweet.post_id().is_none() {
        return Err(missing(file, pos, "`id_str`"));
    }
    let community = tweet.community_id_str.take();
    let deleted_at = tweet.deleted_at.take();
    // Classic archives carry the author in `user`; others are the account's own posts.
    let mut e = tweet.take_event(
        account,
        None,
        ts,
        Origin::Archive,
        source.clone(),
        pos.index as i64,
    );
    // The account is the actor of every post in its archive, whatever `user` says.
    if e.actor_id.as_deref() != Some(account) {
        e.actor_id = Some(Cow::Borrowed(account));
    }
    if let Some(full) = e
        .text
        .as_deref()
        .and_then(|t| notes.full_text(e.post_id.as_deref(), ts, t))
    {
        e.text = Some(Cow::Borrowed(full));
    }
    if t == FileType::CommunityTweets
        && let Some(c) = &community
    {
        e.attributes = Some(serde_json::json!({ "community_id": c }).to_string());
    }
    if t == FileType::DeletedTweets
        && let Some(deleted) = deleted_at.as_deref()
    {
        let dts = time::parse_ts(deleted).ok_or_else(|| {
            InputError::new(
                file,
                pos.into(),
                format!("`deleted_at` {deleted:?} is not a timestamp"),
            )
        })?;
        let mut d = Event::new(
            account,
            Kind::Delete,
            dts,
            Origin::Archive,
            source.clone(),
            pos.index as i64,
        );
        d.actor_id = Some(Cow::Borrowed(account));
        d.target_post_id = e.post_id.clone();
        out.emit(d)?;
    }
    out.emit(e)?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DmRecord {
    dm_conversation: Option<DmConversation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DmConversation {
    conversation_id: Option<String>,
    #[serde(default)]
    messages: Vec<DmItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DmItem {
    message_create: Option<MessageCreate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageCreate {
    #[serde(default, deserialize_with = "str_or_num")]
    id: Option<String>,
    #[serde(default, deserialize_with = "str_or_num")]
    sender_id: Option<String>,
    #[serde(default, deserialize_with = "str_or_num")]
    recipient_id: Option<String>,
    text: Option<String>,
    created_at: Option<String>,
    #[serde(default)]
    urls: Vec<DmUrl>,
}

#[derive(Deserialize)]
struct DmUrl {
    url: Option<String>,
    expanded: Option<String>,
    display: Option<String>,
}

fn dm_conversation(
    file: &str,
    source: &Arc<str>,
    account: &str,
    pos: RecordPos,
    raw: &[u8],
    out: &mut Output,
) -> Result<(), InputError> {
    let rec = parse_record::<DmRecord>(file, pos, raw)?;
    let conv = rec
        .dm_conversation
        .ok_or_else(|| missing(file, pos, "`dmConversation`"))?;
    for (i, item) in conv.messages.into_iter().enumerate() {
        let Some(m) = item.message_create else {
            continue;
        };
        let what = |w: &str| {
            missing(
                file,
                pos,
                &format!("{w} in message {i} of the conversation"),
            )
        };
        let id = m.id.ok_or_else(|| what("`id`"))?;
        let sender = m.sender_id.ok_or_else(|| what("`senderId`"))?;
        let ts = m
            .created_at
            .as_deref()
            .and_then(time::parse_ts)
            .or_else(|| time::snowflake_ts(&id))
            .ok_or_else(|| what("`createdAt`"))?;
        // Group messages have no recipient (or "0").
        let recipient = m.recipient_id.filter(|r| r != "0" && !r.is_empty());
        let mut e = Event::direct_message(
            account,
            sender.into(),
            recipient.map(Cow::Owned),
            ts,
            Origin::Archive,
            source.clone(),
            pos.index as i64,
        );
        e.message_id = Some(id.into());
        e.conversation_id = conv.conversation_id.as_deref().map(Cow::Borrowed);
        e.text = m.text.map(|t| unescape_cow(t.into()));
        e.urls = m
            .urls
            .into_iter()
            .filter_map(|u| {
                Some(UrlEntity {
                    url: u.url?.into(),
                    expanded: u.expanded.map(Cow::Owned),
                    display: u.display.map(Cow::Owned),
                })
            })
            .collect();
        out.emit(e)?;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageEventRecord {
    message_event: Option<MessageEvent>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageEvent {
    #[serde(default, deserialize_with = "str_or_num")]
    created_at_msec: Option<String>,
    #[serde(default, deserialize_with = "str_or_num")]
    sender_id: Option<String>,
    conversation_id: Option<String>,
    message_id: Option<String>,
    detail: Option<serde_json::Map<String, serde_json::Value>>,
}

/// XChat (end-to-end encrypted) DMs: only metadata, the text is encrypted.
fn message_event(
    file: &str,
    source: &Arc<str>,
    account: &str,
    pos: RecordPos,
    raw: &[u8],
    out: &mut Output,
) -> Result<(), InputError> {
    let rec = parse_record::<MessageEventRecord>(file, pos, raw)?;
    let m = rec
        .message_event
        .ok_or_else(|| missing(file, pos, "`messageEvent`"))?;
    if !m
        .detail
        .as_ref()
        .is_some_and(|d| d.contains_key("messageCreateEvent"))
    {
        return Ok(());
    }
    let ts = m
        .created_at_msec
        .as_deref()
        .and_then(time::parse_epoch)
        .ok_or_else(|| missing(file, pos, "`createdAtMsec`"))?;
    let sender = m
        .sender_id
        .ok_or_else(|| missing(file, pos, "`senderId`"))?;
    // One-to-one XChat conversations are named `<userA>:<userB>`.
    let other = m.conversation_id.as_deref().and_then(|c| {
        c.split([':', '-'])
            .find(|p| *p != account && !p.is_empty())
            .map(str::to_string)
    });
    let mut e = Event::direct_message(
        account,
        sender.into(),
        other.map(Cow::Owned),
        ts,
        Origin::Archive,
        source.clone(),
        pos.index as i64,
    );
    e.message_id = m.message_id.map(Cow::Owned);
    e.conversation_id = m.conversation_id.map(Cow::Owned);
    out.emit(e)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn snapshot_member(
    file: &str,
    account: &str,
    relation: Relation,
    key: &str,
    id_key: &str,
    pos: RecordPos,
    raw: &[u8],
    out: &mut Output,
) -> Result<(), InputError> {
    let (id, text) = match member_fast(raw, key, id_key) {
        Ok(member) => member,
        Err(Declined) => member_value(file, pos, raw, key, id_key)?,
    };
    let snaps = &mut out.side.snapshots;
    let idx = match snaps.iter().position(|s| s.relation == relation) {
        Some(i) => i,
        None => {
            snaps.push(SnapshotObs {
                account_id: account.to_string(),
                relation,
                taken_at: None,
                members: Vec::new(),
                texts: Vec::new(),
                source: Arc::from(file),
            });
            snaps.len() - 1
        }
    };
    snaps[idx].members.push(id);
    snaps[idx].texts.push(text);
    Ok(())
}

/// A snapshot member record, `{ "<key>": { "<id_key>": "123", "fullText": "…", … } }`, read by
/// [`Cursor`]: the member's id and its text (likes carry the liked post's), unescaped. It declines
/// wherever [`member_value`] might read the record differently or fail (a repeated field, an id
/// that is neither a string nor an unsigned integer, anything malformed), and that reads it.
fn member_fast(raw: &[u8], key: &str, id_key: &str) -> Accepted<(String, Option<String>)> {
    let inner = |c: &mut Cursor| {
        let (mut id, mut text, mut text_seen) = (None, None, false);
        c.object(|c, k| {
            if k == id_key.as_bytes() {
                if id.is_some() {
                    return Err(Declined);
                }
                id = Some(match c.str_or_num()? {
                    // serde_json's `as_u64`: no sign, no fraction (str_or_num declines fractions).
                    Some(n) if !n.starts_with('-') => n.into_owned(),
                    _ => return Err(Declined),
                });
            } else if k == b"fullText" {
                if std::mem::replace(&mut text_seen, true) {
                    return Err(Declined);
                }
                text = c.opt(|c| c.string().map(|t| unescape(&t)))?;
            } else {
                c.skip()?;
            }
            Ok(())
        })?;
        Ok((id.ok_or(Declined)?, text))
    };
    Cursor::read_all(raw, |c| {
        let mut member = None;
        c.object(|c, k| {
            if k != key.as_bytes() {
                return c.skip();
            }
            if member.is_some() {
                return Err(Declined);
            }
            member = Some(inner(c)?);
            Ok(())
        })?;
        member.ok_or(Declined)
    })
}

/// [`member_fast`] through serde_json, with its errors.
fn member_value(
    file: &str,
    pos: RecordPos,
    raw: &[u8],
    key: &str,
    id_key: &str,
) -> Result<(String, Option<String>), InputError> {
    let v: serde_json::Value = parse_record(file, pos, raw)?;
    let inner = v
        .get(key)
        .ok_or_else(|| missing(file, pos, &format!("`{key}`")))?;
    let id = inner
        .get(id_key)
        .and_then(|x| {
            x.as_str()
                .map(str::to_string)
                .or_else(|| x.as_u64().map(|n| n.to_string()))
        })
        .ok_or_else(|| missing(file, pos, &format!("`{key}.{id_key}` (a string id)")))?;
    let text = inner.get("fullText").and_then(|t| t.as_str()).map(unescape);
    Ok((id, text))
}

fn list_record(
    file: &str,
    account: &str,
    relation: &str,
    pos: RecordPos,
    raw: &[u8],
    out: &mut Output,
) -> Result<(), InputError> {
    let v: serde_json::Value = parse_record(file, pos, raw)?;
    let info = v
        .get("userListInfo")
        .ok_or_else(|| missing(file, pos, "`userListInfo`"))?;
    // Newer archives: one `url` per record; older: one record with `urls: [...]`.
    let urls: Vec<String> = match (info.get("url"), info.get("urls")) {
        (Some(u), _) => u.as_str().map(|s| vec![s.to_string()]).unwrap_or_default(),
        (None, Some(us)) => us
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u.as_str().map(str::to_string))
            .collect(),
        _ => {
            return Err(missing(
                file,
                pos,
                "`userListInfo.url` or `userListInfo.urls`",
            ));
        }
    };
    for url in urls {
        let list_id = url
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_string);
        out.side.lists.push(ListRow {
            row_id: String::new(),
            account_id: account.to_string(),
            relation: relation.to_string(),
            list_url: url,
            list_id,
            observed_at: 0,
            source: file.to_string(),
        });
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppRecord {
    connected_application: Option<ConnectedApp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectedApp {
    #[serde(default, deserialize_with = "str_or_num")]
    id: Option<String>,
    name: Option<String>,
    organization: Option<Org>,
    #[serde(default)]
    permissions: Vec<String>,
    approved_at: Option<String>,
}

#[derive(Deserialize)]
struct Org {
    name: Option<String>,
    url: Option<String>,
}

fn app_record(
    file: &str,
    source: &Arc<str>,
    account: &str,
    pos: RecordPos,
    raw: &[u8],
    out: &mut Output,
) -> Result<(), InputError> {
    let rec = parse_record::<AppRecord>(file, pos, raw)?;
    let app = rec
        .connected_application
        .ok_or_else(|| missing(file, pos, "`connectedApplication`"))?;
    let id = app
        .id
        .ok_or_else(|| missing(file, pos, "`connectedApplication.id`"))?;
    let approved = match app.approved_at.as_deref() {
        Some(a) => Some(time::parse_ts(a).ok_or_else(|| {
            InputError::new(
                file,
                pos.into(),
                format!("`approvedAt` {a:?} is not a timestamp"),
            )
        })?),
        None => None,
    };
    if let Some(ts) = approved {
        let mut e = Event::new(
            account,
            Kind::AppConnected,
            ts,
            Origin::Archive,
            source.clone(),
            pos.index as i64,
        );
        e.actor_id = Some(Cow::Borrowed(account));
        e.client = app.name.as_deref().map(Cow::Borrowed);
        e.client_id = Some(Cow::Borrowed(&id));
        e.attributes = Some(serde_json::json!({ "permissions": app.permissions }).to_string());
        out.emit(e)?;
    }
    out.side.apps.push(AppRow {
        row_id: String::new(),
        account_id: account.to_string(),
        app_id: id,
        name: app.name,
        organization: app.organization.as_ref().and_then(|o| o.name.clone()),
        url: app.organization.and_then(|o| o.url),
        permissions: app.permissions,
        approved_at: approved,
        observed_at: 0,
        source: file.to_string(),
    });
    Ok(())
}

fn profile_record(
    file: &str,
    account: &str,
    pos: RecordPos,
    raw: &[u8],
    out: &mut Output,
) -> Result<(), InputError> {
    let v: serde_json::Value = parse_record(file, pos, raw)?;
    if let Some(bio) = v
        .pointer("/profile/description/bio")
        .and_then(|b| b.as_str())
    {
        let mut row = crate::readers::AccountRow::new(account, 0, file);
        row.description = Some(unescape(bio));
        out.side.accounts.push(row);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readers::json_cursor::testing::damaged;

    const LIKE: &str = r#"{ "like" : { "tweetId" : "1997951198061672092", "fullText" : "a &amp; b \"q\" \u00e9 \ud83d\ude00", "expandedUrl" : "https://twitter.com/i/web/status/1" } }"#;
    const FOLLOWER: &str = r#"{"follower": {"accountId": 3141592653, "userLink": "https://twitter.com/intent/user?user_id=3141592653"}}"#;

    fn pos() -> RecordPos {
        RecordPos {
            index: 0,
            line: 1,
            byte: 0,
        }
    }

    #[test]
    fn fast_snapshot_members_read_as_serde_json_values_do() {
        for (record, key, id_key) in [
            (LIKE, "like", "tweetId"),
            (FOLLOWER, "follower", "accountId"),
        ] {
            let want = member_value("f", pos(), record.as_bytes(), key, id_key).unwrap();
            assert_eq!(member_fast(record.as_bytes(), key, id_key), Ok(want));
            // Whatever damaged copy the fast reader takes, serde_json reads the same.
            let mut accepted = 0;
            for raw in damaged(record.as_bytes()) {
                if let Ok(fast) = member_fast(&raw, key, id_key) {
                    accepted += 1;
                    let slow = member_value("f", pos(), &raw, key, id_key).unwrap_or_else(|e| {
                        panic!("fast read what serde_json rejects ({e}): {raw:?}")
                    });
                    assert_eq!(fast, slow, "{}", String::from_utf8_lossy(&raw));
                }
            }
            assert!(accepted > 100, "{accepted}");
        }
    }

    #[test]
    fn fast_snapshot_members_decline_what_values_read_differently() {
        for record in [
            r#"{"like": {"tweetId": "1", "tweetId": "2"}}"#,
            r#"{"like": {"tweetId": "1"}, "like": {"tweetId": "2"}}"#,
            r#"{"like": {"tweetId": -1}}"#,
            r#"{"like": {"tweetId": "-1"}}"#,
            r#"{"like": {"tweetId": 1.5}}"#,
            r#"{"like": {"tweetId": 18446744073709551616}}"#,
            r#"{"like": {"tweetId": "1", "fullText": 5}}"#,
            r#"{"like": {"fullText": "x"}}"#,
            r#"{"follower": {"accountId": "1"}}"#,
        ] {
            assert_eq!(
                member_fast(record.as_bytes(), "like", "tweetId"),
                Err(Declined),
                "{record}"
            );
        }
    }
}
