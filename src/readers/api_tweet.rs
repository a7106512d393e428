//! The API v1.1 tweet object, as archives (every generation), Grailbird files and Account Activity
//! payloads carry it. Every field is optional (archives omit rather than null), ids and counts
//! accept strings or numbers, and unknown fields are ignored.

use std::borrow::Cow;
use std::sync::Arc;

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::InputError;
use crate::model::{Event, Kind, Mention, Origin, UrlEntity, time};
use crate::readers::json_cursor::{Accepted, Cursor, read_fields};
use crate::readers::json_stream::RecordPos;
use crate::readers::parse_record;

/// A string, or a number written as one (`"id": 1924465506158878979` in API payloads, where the
/// string twin `id_str` should be preferred). A visitor, not an untagged enum: that would buffer
/// each value and, for every numeric id of a webhook payload, build and drop an error for the
/// string variant first (9 % of the CPU time of ingesting the benchmark population).
pub fn str_or_num<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct StrOrNum;
    impl<'de> Visitor<'de> for StrOrNum {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a number")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(format!("{v}")))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(StrOrNum)
        }
    }
    d.deserialize_option(StrOrNum)
}

/// [`str_or_num`] for a field that may borrow (serde's own reading always owns).
pub fn cow_str_or_num<'de, 'a, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    str_or_num(d).map(|v| v.map(Cow::Owned))
}

/// A boolean, or `"true"`/`"false"` (AAA sends `"user_has_blocked": "false"`).
pub fn bool_or_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum V {
        B(bool),
        S(String),
    }
    match Option::<V>::deserialize(d)? {
        None => Ok(None),
        Some(V::B(b)) => Ok(Some(b)),
        Some(V::S(s)) => match s.as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            other => Err(serde::de::Error::custom(format!(
                "expected a boolean, found {other:?}"
            ))),
        },
    }
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub struct ApiUser<'a> {
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub id_str: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub id: Option<Cow<'a, str>>,
    pub screen_name: Option<Cow<'a, str>>,
    pub name: Option<Cow<'a, str>>,
    pub created_at: Option<Cow<'a, str>>,
    pub description: Option<Cow<'a, str>>,
}

impl<'a> ApiUser<'a> {
    pub fn id(&self) -> Option<&str> {
        self.id_str.as_deref().or(self.id.as_deref())
    }

    /// [`ApiUser::id`], taken out of the user.
    pub fn take_id(&mut self) -> Option<Cow<'a, str>> {
        self.id_str.take().or(self.id.take())
    }
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub struct Hashtag<'a> {
    pub text: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub struct UserMention<'a> {
    pub screen_name: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub id_str: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub id: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub struct UrlEnt<'a> {
    pub url: Option<Cow<'a, str>>,
    pub expanded_url: Option<Cow<'a, str>>,
    pub display_url: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub struct Entities<'a> {
    #[serde(default)]
    pub hashtags: Vec<Hashtag<'a>>,
    #[serde(default)]
    pub user_mentions: Vec<UserMention<'a>>,
    #[serde(default)]
    pub urls: Vec<UrlEnt<'a>>,
    #[serde(default)]
    pub media: Vec<UrlEnt<'a>>,
}

impl<'a> Entities<'a> {
    /// Hashtags, mentions and links (media links included) onto an event.
    pub fn apply_to(self, e: &mut Event<'a>) {
        e.hashtags = self.hashtags.into_iter().filter_map(|h| h.text).collect();
        e.mentions = self
            .user_mentions
            .into_iter()
            .map(|m| Mention {
                id: m.id_str.or(m.id),
                screen_name: m.screen_name,
            })
            .collect();
        e.urls = self
            .urls
            .into_iter()
            .chain(self.media)
            .filter_map(|u| {
                Some(UrlEntity {
                    url: u.url?,
                    expanded: u.expanded_url,
                    display: u.display_url,
                })
            })
            .collect();
    }
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub struct ExtendedTweet<'a> {
    pub full_text: Option<Cow<'a, str>>,
    pub entities: Option<Entities<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub struct EditInfo<'a> {
    pub edit: Option<EditOf<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditOf<'a> {
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub initial_tweet_id: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub struct ApiTweet<'a> {
    /// Current archives wrap each record: `{ "tweet": { … } }`; 2019 archives are flat.
    pub tweet: Option<Box<ApiTweet<'a>>>,
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub id_str: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub id: Option<Cow<'a, str>>,
    pub created_at: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub timestamp_ms: Option<Cow<'a, str>>,
    pub deleted_at: Option<Cow<'a, str>>,
    pub full_text: Option<Cow<'a, str>>,
    pub text: Option<Cow<'a, str>>,
    pub extended_tweet: Option<ExtendedTweet<'a>>,
    pub source: Option<Cow<'a, str>>,
    pub lang: Option<Cow<'a, str>>,
    pub entities: Option<Entities<'a>>,
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub in_reply_to_status_id_str: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub in_reply_to_status_id: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub in_reply_to_user_id_str: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub in_reply_to_user_id: Option<Cow<'a, str>>,
    pub in_reply_to_screen_name: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "bool_or_str")]
    pub possibly_sensitive: Option<bool>,
    pub user: Option<ApiUser<'a>>,
    pub retweeted_status: Option<Box<ApiTweet<'a>>>,
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub quoted_status_id_str: Option<Cow<'a, str>>,
    pub edit_info: Option<EditInfo<'a>>,
    #[serde(default, deserialize_with = "cow_str_or_num")]
    pub community_id_str: Option<Cow<'a, str>>,
}

impl<'a> ApiTweet<'a> {
    /// The record itself, unwrapping `{ "tweet": … }` in place: a post is about 800 bytes, not
    /// worth moving.
    pub fn inner_mut(&mut self) -> &mut ApiTweet<'a> {
        // Not a `match`: the borrow checker cannot yet return the inner borrow from one arm and
        // `self` from the other.
        if self.tweet.is_none() {
            return self;
        }
        self.tweet.as_deref_mut().expect("checked above")
    }

    pub fn post_id(&self) -> Option<&str> {
        self.id_str.as_deref().or(self.id.as_deref())
    }

    /// [`ApiTweet::post_id`], taken out of the tweet.
    pub fn take_post_id(&mut self) -> Option<Cow<'a, str>> {
        self.id_str.take().or(self.id.take())
    }

    pub fn reply_to_post(&self) -> Option<&str> {
        self.in_reply_to_status_id_str
            .as_deref()
            .or(self.in_reply_to_status_id.as_deref())
    }

    pub fn reply_to_user(&self) -> Option<&str> {
        self.in_reply_to_user_id_str
            .as_deref()
            .or(self.in_reply_to_user_id.as_deref())
    }

    /// Creation time: `created_at` in any format, else `timestamp_ms`, else the snowflake id.
    pub fn ts(&self) -> Option<i64> {
        self.created_at
            .as_deref()
            .and_then(time::parse_ts)
            .or_else(|| self.timestamp_ms.as_deref().and_then(time::parse_epoch))
            .or_else(|| self.post_id().and_then(time::snowflake_ts))
    }

    fn take_raw_text(&mut self) -> Option<Cow<'a, str>> {
        self.extended_tweet
            .as_mut()
            .and_then(|x| x.full_text.take())
            .or(self.full_text.take())
            .or(self.text.take())
    }

    fn entities(&self) -> Option<&Entities<'a>> {
        self.extended_tweet
            .as_ref()
            .and_then(|x| x.entities.as_ref())
            .or(self.entities.as_ref())
    }

    fn take_entities(&mut self) -> Option<Entities<'a>> {
        self.extended_tweet
            .as_mut()
            .and_then(|x| x.entities.take())
            .or(self.entities.take())
    }

    /// Turn the tweet into an event of `account_id`. `kind` is decided here for the author's own
    /// posts (post/reply/quote/repost); inbound tweets pass their kind explicitly. The tweet's
    /// strings are taken into the event (the tweet is left without them: it is not moved, it is
    /// large).
    pub fn take_event(
        &mut self,
        account_id: &'a str,
        kind: Option<Kind>,
        ts: i64,
        origin: Origin,
        source: Arc<str>,
        record: i64,
    ) -> Event<'a> {
        let text = self.take_raw_text().map(unescape_cow);
        let kind = kind.unwrap_or_else(|| self.classify(text.as_deref()));
        let mut e = Event::new(account_id, kind, ts, origin, source, record);
        match kind {
            Kind::Reply | Kind::ReplyReceived => {
                // What `reply_to_post` and `reply_to_user` read, taken out.
                e.target_post_id = self
                    .in_reply_to_status_id_str
                    .take()
                    .or(self.in_reply_to_status_id.take());
                e.target_user_id = self
                    .in_reply_to_user_id_str
                    .take()
                    .or(self.in_reply_to_user_id.take());
            }
            Kind::Quote => e.target_post_id = self.quoted_post_id(),
            Kind::Repost => {
                if let Some(rt) = self.retweeted_status.as_deref_mut() {
                    e.target_post_id = rt.take_post_id();
                    e.target_user_id = rt.user.as_mut().and_then(ApiUser::take_id);
                }
            }
            _ => {}
        }
        e.post_id = self.take_post_id();
        e.actor_id = Some(
            self.user
                .as_mut()
                .and_then(ApiUser::take_id)
                .unwrap_or(Cow::Borrowed(account_id)),
        );
        e.lang = self.lang.take();
        e.client = self.source.take().map(client_name);
        e.possibly_sensitive = self.possibly_sensitive;
        e.edit_of = self
            .edit_info
            .take()
            .and_then(|i| i.edit)
            .and_then(|x| x.initial_tweet_id)
            .filter(|initial| Some(initial) != e.post_id.as_ref());
        if let Some(ent) = self.take_entities() {
            ent.apply_to(&mut e);
        }
        if kind == Kind::Repost && e.target_user_id.is_none() {
            // Archives have no retweeted_status: the first mention of `RT @x:` is the author.
            e.target_user_id = e.mentions.first().and_then(|m| m.id.clone());
        }
        e.text = text;
        e
    }

    /// Reposts are `RT @` texts (archives keep `retweeted` false even for them) or carry
    /// `retweeted_status`; replies have `in_reply_to_*`; quotes link a status URL.
    pub fn classify(&self, text: Option<&str>) -> Kind {
        if self.retweeted_status.is_some() || text.is_some_and(|t| t.starts_with("RT @")) {
            Kind::Repost
        } else if self.reply_to_post().is_some() || self.reply_to_user().is_some() {
            Kind::Reply
        } else if self.quoted_post_id().is_some() {
            Kind::Quote
        } else {
            Kind::Post
        }
    }

    fn quoted_post_id(&self) -> Option<Cow<'a, str>> {
        if let Some(q) = &self.quoted_status_id_str {
            return Some(q.clone());
        }
        let ent = self.entities()?;
        ent.urls
            .iter()
            .find_map(|u| u.expanded_url.as_deref().and_then(status_id_of_url))
            .map(Cow::Owned)
    }
}

/// The same structs read by [`Cursor`] instead of serde's derive: about 1.4 µs per archive post
/// record against 1.9 µs, because skipped fields (`edit_info.initial`, `display_text_range`,
/// `indices`, counters) are checked without being built and strings without escapes are copied
/// once. Each reader must read exactly what the derive reads; where it cannot, it declines and
/// [`parse_tweet`] asks serde_json.
impl<'a> ApiTweet<'a> {
    pub fn read_fast(raw: &'a [u8]) -> Option<ApiTweet<'a>> {
        Cursor::read_all(raw, Self::read).ok()
    }

    pub(crate) fn read(c: &mut Cursor<'a>) -> Accepted<ApiTweet<'a>> {
        let mut t = ApiTweet::default();
        Self::read_into(c, &mut t)?;
        Ok(t)
    }

    fn read_boxed(c: &mut Cursor<'a>) -> Accepted<Box<ApiTweet<'a>>> {
        let mut t = Box::<ApiTweet>::default();
        Self::read_into(c, &mut t)?;
        Ok(t)
    }

    /// Reads into a struct in place: a post is about 800 bytes, and the `{"tweet": …}` wrapper of
    /// current archives would otherwise move each one more than once (7 % of the reading time).
    fn read_into(c: &mut Cursor<'a>, t: &mut ApiTweet<'a>) -> Accepted<()> {
        read_fields!(c, {
            b"tweet" => t.tweet => c.opt(Self::read_boxed);
            b"id_str" => t.id_str => c.str_or_num();
            b"id" => t.id => c.str_or_num();
            b"created_at" => t.created_at => c.opt_string();
            b"timestamp_ms" => t.timestamp_ms => c.str_or_num();
            b"deleted_at" => t.deleted_at => c.opt_string();
            b"full_text" => t.full_text => c.opt_string();
            b"text" => t.text => c.opt_string();
            b"extended_tweet" => t.extended_tweet => c.opt(ExtendedTweet::read);
            b"source" => t.source => c.opt_string();
            b"lang" => t.lang => c.opt_string();
            b"entities" => t.entities => c.opt(Entities::read);
            b"in_reply_to_status_id_str" => t.in_reply_to_status_id_str => c.str_or_num();
            b"in_reply_to_status_id" => t.in_reply_to_status_id => c.str_or_num();
            b"in_reply_to_user_id_str" => t.in_reply_to_user_id_str => c.str_or_num();
            b"in_reply_to_user_id" => t.in_reply_to_user_id => c.str_or_num();
            b"in_reply_to_screen_name" => t.in_reply_to_screen_name => c.opt_string();
            b"possibly_sensitive" => t.possibly_sensitive => c.bool_or_str();
            b"user" => t.user => c.opt(ApiUser::read);
            b"retweeted_status" => t.retweeted_status => c.opt(Self::read_boxed);
            b"quoted_status_id_str" => t.quoted_status_id_str => c.str_or_num();
            b"edit_info" => t.edit_info => c.opt(EditInfo::read);
            b"community_id_str" => t.community_id_str => c.str_or_num();
        })
    }
}

impl<'a> ApiUser<'a> {
    pub(crate) fn read(c: &mut Cursor<'a>) -> Accepted<ApiUser<'a>> {
        let mut u = ApiUser::default();
        read_fields!(c, {
            b"id_str" => u.id_str => c.str_or_num();
            b"id" => u.id => c.str_or_num();
            b"screen_name" => u.screen_name => c.opt_string();
            b"name" => u.name => c.opt_string();
            b"created_at" => u.created_at => c.opt_string();
            b"description" => u.description => c.opt_string();
        })?;
        Ok(u)
    }
}

impl<'a> Entities<'a> {
    pub(crate) fn read(c: &mut Cursor<'a>) -> Accepted<Entities<'a>> {
        let mut e = Entities::default();
        read_fields!(c, {
            b"hashtags" => e.hashtags => c.vec(|c| {
                let mut h = Hashtag::default();
                read_fields!(c, { b"text" => h.text => c.opt_string(); })?;
                Ok(h)
            });
            b"user_mentions" => e.user_mentions => c.vec(UserMention::read);
            b"urls" => e.urls => c.vec(UrlEnt::read);
            b"media" => e.media => c.vec(UrlEnt::read);
        })?;
        Ok(e)
    }
}

impl<'a> UserMention<'a> {
    fn read(c: &mut Cursor<'a>) -> Accepted<UserMention<'a>> {
        let mut m = UserMention::default();
        read_fields!(c, {
            b"screen_name" => m.screen_name => c.opt_string();
            b"id_str" => m.id_str => c.str_or_num();
            b"id" => m.id => c.str_or_num();
        })?;
        Ok(m)
    }
}

impl<'a> UrlEnt<'a> {
    fn read(c: &mut Cursor<'a>) -> Accepted<UrlEnt<'a>> {
        let mut u = UrlEnt::default();
        read_fields!(c, {
            b"url" => u.url => c.opt_string();
            b"expanded_url" => u.expanded_url => c.opt_string();
            b"display_url" => u.display_url => c.opt_string();
        })?;
        Ok(u)
    }
}

impl<'a> ExtendedTweet<'a> {
    fn read(c: &mut Cursor<'a>) -> Accepted<ExtendedTweet<'a>> {
        let mut x = ExtendedTweet::default();
        read_fields!(c, {
            b"full_text" => x.full_text => c.opt_string();
            b"entities" => x.entities => c.opt(Entities::read);
        })?;
        Ok(x)
    }
}

impl<'a> EditInfo<'a> {
    fn read(c: &mut Cursor<'a>) -> Accepted<EditInfo<'a>> {
        let mut info = EditInfo::default();
        read_fields!(c, {
            b"edit" => info.edit => c.opt(|c| {
                let mut edit = EditOf::default();
                read_fields!(c, { b"initialTweetId" => edit.initial_tweet_id => c.str_or_num(); })?;
                Ok(edit)
            });
        })?;
        Ok(info)
    }
}

/// One post record: read by [`ApiTweet::read_fast`], or by serde_json where that declines (which
/// then reads it, or names what is wrong and where).
pub fn parse_tweet<'a>(
    file: &str,
    pos: RecordPos,
    raw: &'a [u8],
) -> Result<ApiTweet<'a>, InputError> {
    match ApiTweet::read_fast(raw) {
        Some(t) => Ok(t),
        None => parse_record(file, pos, raw),
    }
}

/// `https://(twitter|x).com/<user>/status/<id>` → id.
pub fn status_id_of_url(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let rest = rest
        .strip_prefix("www.")
        .or_else(|| rest.strip_prefix("mobile."))
        .unwrap_or(rest);
    let rest = rest
        .strip_prefix("twitter.com/")
        .or_else(|| rest.strip_prefix("x.com/"))?;
    let mut parts = rest.split('/');
    let _user = parts.next()?;
    if parts.next()? != "status" {
        return None;
    }
    let id: String = parts
        .next()?
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    (!id.is_empty()).then_some(id)
}

/// The app name from `source`: the anchor text of `<a href="…" rel="nofollow">Twitter Web App</a>`,
/// or the value itself when it is plain text (generic logs, v2 `source`).
///
/// The name is cut out of `source` itself, without copying it, where it has no entities to decode:
/// most posts' `source` holds escaped quotes, so it is an owned string already.
pub fn client_name(source: Cow<'_, str>) -> Cow<'_, str> {
    let range = client_name_range(&source);
    if let Some(decoded) = decode_entities(&source[range.clone()]) {
        return Cow::Owned(decoded);
    }
    match source {
        Cow::Borrowed(s) => Cow::Borrowed(&s[range]),
        Cow::Owned(mut s) => {
            s.truncate(range.end);
            s.drain(..range.start);
            Cow::Owned(s)
        }
    }
}

/// Where the app name is in `source`: the anchor text when there is an anchor, else the whole
/// value, trimmed either way.
fn client_name_range(source: &str) -> std::ops::Range<usize> {
    let trimmed = |from: usize, to: usize| {
        let part = &source[from..to];
        let start = from + (part.len() - part.trim_start().len());
        start..start + part.trim().len()
    };
    let whole = trimmed(0, source.len());
    let s = &source[whole.clone()];
    // The anchor text is short: a plain scan beats setting up a substring search.
    if let Some(start) = s.find('>')
        && let Some(end) = s.as_bytes()[start + 1..]
            .windows(4)
            .position(|w| w == b"</a>")
    {
        let from = whole.start + start + 1;
        return trimmed(from, from + end);
    }
    whole
}

/// Archive and API text is HTML-escaped (`&amp;`, `&gt;`).
pub fn unescape(s: &str) -> String {
    decode_entities(s).unwrap_or_else(|| s.to_string())
}

/// [`unescape`] that keeps the string (borrowed or owned) when there is nothing to decode.
pub fn unescape_cow(s: Cow<'_, str>) -> Cow<'_, str> {
    match decode_entities(&s) {
        Some(decoded) => Cow::Owned(decoded),
        None => s,
    }
}

/// The text with its HTML entities decoded, or `None` when it has none. X escapes only a few
/// characters, decoded here directly; any other entity goes through the full HTML table.
fn decode_entities(s: &str) -> Option<String> {
    const COMMON: [(&str, char); 6] = [
        ("&amp;", '&'),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&quot;", '"'),
        ("&#39;", '\''),
        ("&apos;", '\''),
    ];
    let first = memchr::memchr(b'&', s.as_bytes())?;
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..first]);
    let mut rest = &s[first..];
    loop {
        let Some((entity, c)) = COMMON.iter().find(|(e, _)| rest.starts_with(e)) else {
            return Some(html_escape::decode_html_entities(s).into_owned());
        };
        out.push(*c);
        rest = &rest[entity.len()..];
        match memchr::memchr(b'&', rest.as_bytes()) {
            Some(i) => {
                out.push_str(&rest[..i]);
                rest = &rest[i..];
            }
            None => {
                out.push_str(rest);
                return Some(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readers::json_cursor::testing::{agrees_with_serde, damage_agrees_with_serde};

    fn parse(json: &str) -> ApiTweet<'_> {
        std::mem::take(serde_json::from_str::<ApiTweet>(json).unwrap().inner_mut())
    }

    #[test]
    fn client_is_the_anchor_text_of_source() {
        // The first `</a>` after the tag ends the name, trimmed; entities are decoded; no end tag
        // or an empty name are taken as they are.
        for (source, name) in [
            (
                "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
                "Twitter Web App",
            ),
            ("IFTTT", "IFTTT"),
            ("  IFTTT \n", "IFTTT"),
            ("<a href=\"x\">A &amp; B</a>x</a>", "A & B"),
            ("<a href=\"x\"> Pad\t</a>", "Pad"),
            ("<a href=\"x\"></a>", ""),
            (" <a href=\"x\">Half", "<a href=\"x\">Half"),
            ("a>b</a", "a>b</a"),
            ("", ""),
        ] {
            // Cut out of a borrowed or an owned `source`, the name is the same.
            assert_eq!(client_name(Cow::Borrowed(source)), name, "{source:?}");
            assert_eq!(
                client_name(Cow::Owned(source.to_string())),
                name,
                "{source:?}"
            );
        }
    }

    #[test]
    fn flat_and_wrapped_records_read_the_same() {
        let flat = parse(
            r#"{"id_str":"1","created_at":"Thu Nov 14 03:37:58 +0000 2019","full_text":"a &amp; b"}"#,
        );
        let wrapped = parse(
            r#"{"tweet":{"id_str":"1","created_at":"Thu Nov 14 03:37:58 +0000 2019","full_text":"a &amp; b"}}"#,
        );
        for mut t in [flat, wrapped] {
            let ts = t.ts().unwrap();
            let e = t.take_event("9", None, ts, Origin::Archive, "f".into(), 0);
            assert_eq!(e.text.as_deref(), Some("a & b"));
            assert_eq!(e.kind, Kind::Post);
        }
    }

    #[test]
    fn reposts_replies_and_quotes_are_told_apart() {
        assert_eq!(
            parse(r#"{"full_text":"RT @a: hi"}"#).classify(Some("RT @a: hi")),
            Kind::Repost
        );
        assert_eq!(
            parse(r#"{"in_reply_to_status_id_str":"5","in_reply_to_user_id_str":"6"}"#)
                .classify(None),
            Kind::Reply
        );
        let q = parse(
            r#"{"entities":{"urls":[{"url":"https://t.co/x","expanded_url":"https://x.com/someone/status/123"}]}}"#,
        );
        assert_eq!(q.classify(None), Kind::Quote);
        assert_eq!(
            status_id_of_url("https://twitter.com/a/status/77?s=20"),
            Some("77".into())
        );
    }

    #[test]
    fn numeric_ids_and_string_booleans_are_accepted() {
        let t = parse(
            r#"{"id": 1924465506158879000, "id_str": "1924465506158878979", "possibly_sensitive": "false"}"#,
        );
        assert_eq!(t.post_id(), Some("1924465506158878979"));
        assert_eq!(t.possibly_sensitive, Some(false));
    }

    #[test]
    fn entities_decode_as_the_full_html_table_does() {
        for s in [
            "plain",
            "a &amp; b",
            "&lt;tag&gt; &quot;q&quot; &#39;s&apos; &amp;amp;",
            "bare & ampersand &amp; then",
            "&copy; 2024 &eacute;t&eacute; &#x1F600; &amp;",
            "ends with &",
            "&amp",
            "",
        ] {
            assert_eq!(
                unescape(s),
                html_escape::decode_html_entities(s),
                "decoding {s:?}"
            );
            assert_eq!(unescape_cow(Cow::Borrowed(s)), unescape(s));
            assert_eq!(unescape_cow(Cow::Owned(s.to_string())), unescape(s));
        }
    }

    #[test]
    fn ids_are_strings_numbers_or_null() {
        #[derive(Deserialize)]
        struct Id {
            #[serde(default, deserialize_with = "str_or_num")]
            id: Option<String>,
        }
        for (json, want) in [
            (r#"{"id": "77"}"#, Some("77")),
            (
                r#"{"id": 1924465506158878979}"#,
                Some("1924465506158878979"),
            ),
            (r#"{"id": -5}"#, Some("-5")),
            (r#"{"id": null}"#, None),
            (r#"{}"#, None),
        ] {
            let got = serde_json::from_str::<Id>(json).unwrap().id;
            assert_eq!(got.as_deref(), want, "{json}");
        }
        let err = serde_json::from_str::<Id>(r#"{"id": [1]}"#).err().unwrap();
        assert!(err.to_string().contains("a string or a number"), "{err}");
    }

    /// Every JSON object anywhere in the fixture archives and webhook logs.
    fn fixture_objects() -> Vec<serde_json::Value> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path
                    .extension()
                    .is_some_and(|e| e == "js" || e == "json" || e == "jsonl")
                {
                    out.push(path);
                }
            }
        }
        fn collect(v: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
            match v {
                serde_json::Value::Object(m) => {
                    out.push(v.clone());
                    m.values().for_each(|x| collect(x, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
                _ => {}
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files = Vec::new();
        walk(&root.join("archives"), &mut files);
        walk(&root.join("webhooks"), &mut files);
        let mut objects = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let text = text.trim_start_matches('\u{feff}');
            let body = match text.find('=') {
                Some(i) if !text.trim_start().starts_with(['{', '[']) => &text[i + 1..],
                _ => text,
            };
            let values: Vec<serde_json::Value> = match serde_json::from_str(body) {
                Ok(v) => vec![v],
                // JSON lines
                Err(_) => body
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect(),
            };
            values.iter().for_each(|v| collect(v, &mut objects));
        }
        objects
    }

    fn read_fast_debug(raw: &[u8]) -> Option<String> {
        ApiTweet::read_fast(raw).map(|t| format!("{t:?}"))
    }

    fn fast_agrees_with_serde(raw: &[u8]) -> bool {
        agrees_with_serde::<ApiTweet>(raw, read_fast_debug)
    }

    /// A post with every field the reader keeps, escapes of each kind, numeric ids, nesting, and
    /// fields it skips.
    const RICH: &str = r#"{"tweet": {"id": 1924465506158878979, "id_str": "1924465506158878979",
        "created_at": "Thu Nov 14 03:37:58 +0000 2019", "timestamp_ms": 1573702678000,
        "full_text": "caf\u00e9 \ud83d\ude00 \"q\" a\/b\n\ttab &amp; RT", "text": null,
        "source": "<a href=\"https://x.com\" rel=\"nofollow\">Bot \u2014 v2</a>", "lang": "fr",
        "in_reply_to_status_id": 17, "in_reply_to_user_id_str": "-42", "in_reply_to_screen_name": "a",
        "possibly_sensitive": "false", "quoted_status_id_str": "99", "community_id_str": "7",
        "coordinates": {"type": "Point", "coordinates": [-122.41, 37.7749]}, "favorite_count": 0,
        "truncated": false, "display_text_range": ["0", "120"], "deleted_at": "2020-01-01T00:00:00Z",
        "user": {"id": 6253282, "screen_name": "u", "name": "N\u00e4me", "created_at": "x", "description": "",
                 "entities": {"url": {"urls": []}}},
        "extended_tweet": {"full_text": "long", "entities": {"hashtags": [{"text": "h", "indices": [0, 2]}],
                           "user_mentions": [{"screen_name": "m", "id": 5, "id_str": "5", "indices": [3, 5]}],
                           "urls": [{"url": "https://t.co/x", "expanded_url": "https://x.com/a/status/1", "display_url": "x.com/a"}],
                           "media": [{"url": "https://t.co/m"}], "symbols": []}},
        "retweeted_status": {"id_str": "8", "user": {"id_str": "9"}, "retweeted_status": null},
        "edit_info": {"edit": {"initialTweetId": "1924465506158878979", "editTweetIds": ["1"]}},
        "extended_entities": {"media": [{"sizes": {"thumb": {"w": 150, "h": 150, "resize": "crop"}}}]},
        "scopes": {"followers": false}, "geo": null, "place": {"bounding_box": [[[1.5, -2.25e0]]]}}}"#;

    #[test]
    fn fast_reader_reads_every_fixture_object_as_serde_json_does() {
        let objects = fixture_objects();
        assert!(objects.len() > 100, "only {} objects found", objects.len());
        let mut read = 0;
        for o in &objects {
            for text in [o.to_string(), serde_json::to_string_pretty(o).unwrap()] {
                let readable = serde_json::from_str::<ApiTweet>(&text).is_ok();
                let accepted = fast_agrees_with_serde(text.as_bytes());
                // Fixtures have no exponents or fractional ids: everything serde reads, so does it.
                assert_eq!(accepted, readable, "{text}");
                read += usize::from(accepted);
            }
        }
        assert!(read > 100, "the fast reader read only {read} objects");
    }

    /// A value for every field each record struct of this file declares (its `tweet` wrapper
    /// around one full post; `retweeted_status` repeats the post's own type).
    const COMPLETE: &str = r#"{"tweet": {"id_str": "1924465506158878979", "id": 1924465506158878979,
        "created_at": "Thu Nov 14 03:37:58 +0000 2019", "timestamp_ms": "1573702678000",
        "deleted_at": "2020-01-01T00:00:00Z", "full_text": "full", "text": "short",
        "extended_tweet": {"full_text": "long", "entities": {"hashtags": [{"text": "x"}],
            "user_mentions": [], "urls": [], "media": []}},
        "source": "<a href=\"https://x.com\" rel=\"nofollow\">Bot</a>", "lang": "en",
        "entities": {"hashtags": [{"text": "h"}],
            "user_mentions": [{"screen_name": "m", "id_str": "5", "id": 5}],
            "urls": [{"url": "https://t.co/x", "expanded_url": "https://x.com/a", "display_url": "x.com/a"}],
            "media": [{"url": "https://t.co/m", "expanded_url": "https://x.com/m", "display_url": "pic.x.com/m"}]},
        "in_reply_to_status_id_str": "17", "in_reply_to_status_id": 17,
        "in_reply_to_user_id_str": "42", "in_reply_to_user_id": 42, "in_reply_to_screen_name": "a",
        "possibly_sensitive": true,
        "user": {"id_str": "6253282", "id": 6253282, "screen_name": "u", "name": "N",
            "created_at": "Mon Jan 01 00:00:00 +0000 2007", "description": "d"},
        "retweeted_status": {"id_str": "8"}, "quoted_status_id_str": "99",
        "edit_info": {"edit": {"initialTweetId": "1"}}, "community_id_str": "7"}}"#;

    /// The fast reader and serde's derive read one struct each; a field added to a struct but not
    /// to its fast reader, or read under another key, reads differently here.
    #[test]
    fn every_declared_field_reads_the_same_both_ways() {
        use crate::readers::json_cursor::testing::{deserialize_structs, holds_every_field};
        let v: serde_json::Value = serde_json::from_str(COMPLETE).unwrap();
        holds_every_field::<ApiTweet>(&v, "/tweet", &["tweet"]);
        assert!(v.get("tweet").is_some());
        holds_every_field::<ExtendedTweet>(&v, "/tweet/extended_tweet", &[]);
        holds_every_field::<Entities>(&v, "/tweet/entities", &[]);
        holds_every_field::<Hashtag>(&v, "/tweet/entities/hashtags/0", &[]);
        holds_every_field::<UserMention>(&v, "/tweet/entities/user_mentions/0", &[]);
        holds_every_field::<UrlEnt>(&v, "/tweet/entities/urls/0", &[]);
        holds_every_field::<ApiUser>(&v, "/tweet/user", &[]);
        holds_every_field::<EditInfo>(&v, "/tweet/edit_info", &[]);
        holds_every_field::<EditOf>(&v, "/tweet/edit_info/edit", &[]);
        let covered = [
            "ApiUser",
            "Hashtag",
            "UserMention",
            "UrlEnt",
            "Entities",
            "ExtendedTweet",
            "EditInfo",
            "EditOf",
            "ApiTweet",
        ];
        for name in deserialize_structs(include_str!("api_tweet.rs")) {
            assert!(
                covered.contains(&name.as_str()),
                "{name} is read by serde: give COMPLETE a value for each of its fields and list it here"
            );
        }
        assert!(fast_agrees_with_serde(COMPLETE.as_bytes()));
    }

    #[test]
    fn fast_reader_reads_a_rich_post_as_serde_json_does() {
        // Exponents are left to serde_json; without the one in `place`, the fast reader takes it.
        assert!(!fast_agrees_with_serde(RICH.as_bytes()));
        let rich = RICH.replace("-2.25e0", "-2.25");
        assert!(fast_agrees_with_serde(rich.as_bytes()));
        let mut record = ApiTweet::read_fast(rich.as_bytes()).unwrap();
        let t = record.inner_mut();
        assert_eq!(
            t.full_text.as_deref(),
            Some("café 😀 \"q\" a/b\n\ttab &amp; RT")
        );
        assert_eq!(t.in_reply_to_status_id.as_deref(), Some("17"));
        assert_eq!(t.in_reply_to_user_id_str.as_deref(), Some("-42"));
        assert_eq!(t.timestamp_ms.as_deref(), Some("1573702678000"));
        assert_eq!(t.user.as_ref().unwrap().id.as_deref(), Some("6253282"));
    }

    #[test]
    fn fast_reader_never_accepts_a_damaged_record_that_serde_json_rejects() {
        let rich = RICH.replace("-2.25e0", "-2.25");
        let compact =
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&rich).unwrap())
                .unwrap();
        let (mut tried, mut accepted) = (0, 0);
        for record in [compact.as_bytes(), rich.as_bytes()] {
            let (t, a) = damage_agrees_with_serde::<ApiTweet>(record, read_fast_debug);
            tried += t;
            accepted += a;
        }
        // Damage inside skipped fields and strings leaves records valid, so many are accepted.
        assert!(accepted > tried / 10, "accepted {accepted} of {tried}");
    }

    #[test]
    fn fast_reader_takes_ids_as_serde_json_does_or_declines() {
        // (id, whether the fast reader takes it rather than leaving it to serde_json)
        for (id, fast) in [
            ("0", true),
            ("-0", false),
            ("5", true),
            ("-5", true),
            ("007", false),
            ("1924465506158878979", true),
            ("9999999999999999999", true),
            ("18446744073709551615", false),
            ("18446744073709551616", false),
            ("-9223372036854775808", false),
            ("-999999999999999999", true),
            ("1.5", false),
            ("1e3", false),
            ("-", false),
            ("1.", false),
            ("\"12\"", true),
            ("\"\\u0031\"", true),
            ("null", true),
            ("true", false),
            ("[]", false),
        ] {
            let raw = format!(r#"{{"id": {id}, "user": {{"id": {id}}}}}"#);
            assert_eq!(fast_agrees_with_serde(raw.as_bytes()), fast, "{id}");
        }
    }

    #[test]
    fn fast_reader_declines_repeated_fields_nulls_for_lists_and_lone_surrogates() {
        for raw in [
            r#"{"id_str": null, "id_str": "5"}"#,
            r#"{"entities": {"hashtags": null}}"#,
            r#"{"full_text": "\ud83d"}"#,
            r#"{"full_text": "a"} x"#,
            r#"{"full_text": "a",}"#,
            "{\"full_text\": \"tab\there\"}",
        ] {
            assert!(!fast_agrees_with_serde(raw.as_bytes()), "{raw}");
        }
    }

    #[test]
    fn wrong_types_are_errors() {
        assert!(serde_json::from_str::<ApiTweet>(r#"{"full_text": 5}"#).is_err());
        assert!(serde_json::from_str::<ApiTweet>(r#"{"entities": "none"}"#).is_err());
        assert!(serde_json::from_str::<ApiTweet>(r#"{"created_at": ["Mon"]}"#).is_err());
    }
}
