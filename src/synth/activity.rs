//! What each synthetic account does: ordinary activity for everyone, plus the planted violation.
//! Thresholds come from RULES.md, with margins so that a plant fires clearly and ordinary activity
//! stays clearly below every threshold.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::GenOptions;
use super::plants::Plant;

pub(super) const MIN: i64 = 60_000_000;
pub(super) const HOUR: i64 = 60 * MIN;
pub(super) const DAY: i64 = 24 * HOUR;

pub const HUMAN_CLIENTS: [&str; 3] = [
    "Twitter for iPhone",
    "Twitter Web App",
    "Twitter for Android",
];
pub const BOT_CLIENT: (&str, &str) = ("28120021", "PostPilot Scheduler");
pub const FEED_CLIENT: &str = "IFTTT";

#[derive(Debug, Clone)]
pub enum PostKind {
    Post,
    Reply {
        to_post: String,
        to_user: String,
        to_handle: String,
    },
    Repost {
        orig_post: String,
        orig_user: String,
        orig_handle: String,
    },
}

#[derive(Debug, Clone)]
pub struct Post {
    pub id: String,
    pub ts: i64,
    pub text: String,
    pub client: String,
    pub kind: PostKind,
    pub hashtags: Vec<String>,
    /// (user id, handle)
    pub mentions: Vec<(String, String)>,
    /// (t.co, expanded, display)
    pub urls: Vec<(String, String, String)>,
    /// Also delivered through the webhook log (the same post in two inputs is one event).
    pub in_webhook: bool,
}

#[derive(Debug, Clone)]
pub struct Dm {
    pub id: String,
    pub ts: i64,
    pub sender: String,
    pub recipient: String,
    pub text: String,
    /// Sent through the bot's app (webhook `source_app_id`).
    pub via_app: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimedKind {
    Follow,
    Unfollow,
    FollowedBy,
    Like,
}

#[derive(Debug, Clone)]
pub struct Timed {
    pub ts: i64,
    pub kind: TimedKind,
    /// The other user (follow target, new follower, liked post's author).
    pub user: String,
    /// The liked post.
    pub post: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Inbound {
    pub id: String,
    pub ts: i64,
    pub from: String,
    pub from_handle: String,
    pub text: String,
    /// The account's post this replies to, or None for a plain mention.
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ListAdd {
    pub ts: i64,
    pub list: String,
    pub user: String,
}

#[derive(Debug, Clone)]
pub struct Activity {
    pub account_id: String,
    pub handle: String,
    pub created_at: i64,
    pub generated_at: i64,
    pub bot: bool,
    pub posts: Vec<Post>,
    pub dms: Vec<Dm>,
    pub timed: Vec<Timed>,
    pub inbound: Vec<Inbound>,
    pub list_adds: Vec<ListAdd>,
    pub followers: Vec<String>,
}

impl Activity {
    pub fn event_count(&self) -> u64 {
        (self.posts.len()
            + self.dms.len()
            + self.timed.len()
            + self.inbound.len()
            + self.list_adds.len()) as u64
    }
}

/// Trend snapshots: every hour, ten trending hashtags drawn from a pool no ordinary post uses.
pub fn trend_schedule(opts: &GenOptions) -> Vec<(i64, Vec<String>)> {
    (0..opts.days as i64 * 24)
        .map(|h| {
            let names = (0..10)
                .map(|k| format!("#Trend{}", (h / 6 + k) % 40))
                .collect();
            (opts.start + h * HOUR, names)
        })
        .collect()
}

const WORDS: [&str; 92] = [
    "morning", "coffee", "river", "garden", "update", "release", "meeting", "music", "weather",
    "train", "city", "market", "design", "report", "season", "harbor", "bridge", "library",
    "notes", "project", "window", "autumn", "spring", "cycling", "museum", "kitchen", "recipe",
    "bread", "tomato", "planet", "signal", "theory", "concert", "ticket", "holiday", "island",
    "mountain", "valley", "forest", "ocean", "sunset", "workshop", "lecture", "podcast", "episode",
    "chapter", "novel", "poem", "camera", "photo", "sketch", "paint", "canvas", "studio", "office",
    "desk", "laptop", "battery", "charger", "cable", "router", "server", "database", "query",
    "index", "lake", "delta", "stream", "parquet", "arrow", "rust", "compiler", "borrow",
    "lifetime", "trait", "crate", "module", "function", "closure", "iterator", "vector", "string",
    "slice", "thread", "channel", "mutex", "future", "runtime", "socket", "packet", "header",
    "payload",
];

pub(super) fn sentence(rng: &mut ChaCha8Rng) -> String {
    let n = rng.random_range(9..16);
    let mut words: Vec<String> = (0..n)
        .map(|_| (*WORDS.choose(rng).expect("non-empty")).to_string())
        .collect();
    words.push(rng.random_range(10..10_000).to_string());
    words.join(" ")
}

/// A snowflake id for time `ts` (µs), so ids and times agree as on X.
pub(super) fn snowflake(ts: i64, rng: &mut ChaCha8Rng) -> String {
    let ms = ts / 1000 - 1_288_834_974_657;
    (((ms as u64) << 22) | rng.random_range(0..(1u64 << 22))).to_string()
}

pub(super) fn user(rng: &mut ChaCha8Rng) -> (String, String) {
    let id = rng.random_range(10_000_000u64..9_000_000_000);
    (id.to_string(), format!("user{id}"))
}

/// A waking-hours time on day `d` (people sleep; ordinary activity stays between 07:00 and 23:00).
pub(super) fn waking(rng: &mut ChaCha8Rng, start: i64, d: i64) -> i64 {
    start + d * DAY + 7 * HOUR + rng.random_range(0..16 * HOUR)
}

/// How an account's ordinary activity differs from the rest.
#[derive(Debug, Clone, Copy, Default)]
pub struct Profile {
    /// Draw the ordinary posts' texts from this shared stream (accounts that duplicate each other).
    pub shared_texts: Option<u64>,
    /// A very active person: see [`very_active_person`].
    pub very_active: bool,
}

pub fn account_activity(
    rng: &mut ChaCha8Rng,
    opts: &GenOptions,
    account_id: &str,
    handle: &str,
    violations: &[&'static Plant],
    trends: &[(i64, Vec<String>)],
    profile: Profile,
) -> Activity {
    let Profile {
        shared_texts,
        very_active,
    } = profile;
    // Accounts that duplicate each other draw their ordinary posts' texts from one shared stream.
    let mut text_rng = shared_texts.map(ChaCha8Rng::seed_from_u64);
    let bot = !violations.is_empty();
    let days = opts.days as i64;
    let start = opts.start;
    let mut a = Activity {
        account_id: account_id.to_string(),
        handle: handle.to_string(),
        created_at: start - 400 * DAY,
        generated_at: start + days * DAY + HOUR,
        bot,
        posts: Vec::new(),
        dms: Vec::new(),
        timed: Vec::new(),
        inbound: Vec::new(),
        list_adds: Vec::new(),
        followers: (0..rng.random_range(20..60)).map(|_| user(rng).0).collect(),
    };
    let own_client = |rng: &mut ChaCha8Rng| -> String {
        if bot {
            BOT_CLIENT.1.to_string()
        } else {
            (*HUMAN_CLIENTS.choose(rng).expect("non-empty")).to_string()
        }
    };
    for d in 0..days {
        for _ in 0..rng.random_range(0..=opts.posts_per_day * 2) {
            let ts = waking(rng, start, d);
            let client = own_client(rng);
            let text = match text_rng.as_mut() {
                Some(shared) => sentence(shared),
                None => sentence(rng),
            };
            a.posts.push(Post {
                id: snowflake(ts, rng),
                ts,
                text,
                client,
                kind: PostKind::Post,
                hashtags: vec![],
                mentions: vec![],
                urls: vec![],
                in_webhook: rng.random_ratio(1, 5),
            });
        }
        for _ in 0..rng.random_range(0..=opts.likes_per_day * 2) {
            let ts = waking(rng, start, d);
            let (u, _) = user(rng);
            let post = snowflake(ts - rng.random_range(HOUR..30 * DAY), rng);
            a.timed.push(Timed {
                ts,
                kind: TimedKind::Like,
                user: u,
                post: Some(post),
            });
        }
        for _ in 0..rng.random_range(0..3) {
            let ts = waking(rng, start, d);
            a.timed.push(Timed {
                ts,
                kind: TimedKind::Follow,
                user: user(rng).0,
                post: None,
            });
        }
        // Someone mentions the account; it answers once, a few minutes later (engaged first: allowed).
        if rng.random_ratio(1, 2) {
            let ts = waking(rng, start, d);
            let (u, uh) = user(rng);
            let id = snowflake(ts, rng);
            a.inbound.push(Inbound {
                id: id.clone(),
                ts,
                from: u.clone(),
                from_handle: uh.clone(),
                text: format!("@{handle} {}", sentence(rng)),
                reply_to: None,
            });
            let rts = ts + rng.random_range(2 * MIN..30 * MIN);
            let client = own_client(rng);
            a.posts.push(Post {
                id: snowflake(rts, rng),
                ts: rts,
                text: format!("@{uh} {}", sentence(rng)),
                client,
                kind: PostKind::Reply {
                    to_post: id,
                    to_user: u.clone(),
                    to_handle: uh.clone(),
                },
                hashtags: vec![],
                mentions: vec![(u, uh)],
                urls: vec![],
                in_webhook: false,
            });
        }
        // Someone writes a DM first; the account answers within minutes.
        if rng.random_ratio(1, 3) {
            let ts = waking(rng, start, d);
            let (u, _) = user(rng);
            a.dms.push(Dm {
                id: snowflake(ts, rng),
                ts,
                sender: u.clone(),
                recipient: account_id.into(),
                text: sentence(rng),
                via_app: false,
            });
            let rts = ts + rng.random_range(MIN..20 * MIN);
            a.dms.push(Dm {
                id: snowflake(rts, rng),
                ts: rts,
                sender: account_id.into(),
                recipient: u,
                text: sentence(rng),
                via_app: bot,
            });
        }
    }
    if very_active {
        very_active_person(rng, &mut a, start, days);
    }
    // Plants happen on a day away from the edges of the period.
    let plant_day = |rng: &mut ChaCha8Rng| rng.random_range(1..(days - 1).max(2)).min(days - 1);
    for v in violations {
        let d = plant_day(rng);
        let t0 = start + d * DAY + 9 * HOUR + rng.random_range(0..4 * HOUR);
        (v.plant)(rng, &mut a, t0, trends);
    }
    for p in &mut a.posts {
        p.text = p.text.replace("  ", " ");
    }
    a.posts.sort_by_key(|p| p.ts);
    a.dms.sort_by_key(|m| m.ts);
    a.timed.sort_by_key(|t| t.ts);
    a
}

/// A very active person (the near miss of the section I rules): 120 to 200 posts and replies a
/// day from a phone, in bursts of quick replies (3 to 10, seconds apart) and single posts minutes
/// apart, from 07:00 to 23:00 with a night's sleep. Busy, irregular, and never at a machine's pace
/// or volume.
fn very_active_person(rng: &mut ChaCha8Rng, a: &mut Activity, start: i64, days: i64) {
    for d in 0..days {
        let target = rng.random_range(120..200);
        let (mut t, end, mut n) = (start + d * DAY + 7 * HOUR, start + d * DAY + 23 * HOUR, 0);
        while n < target && t < end {
            let burst = if rng.random_ratio(1, 6) {
                rng.random_range(3..=10)
            } else {
                1
            };
            for _ in 0..burst {
                let (u, uh) = user(rng);
                let reply = burst > 1;
                let text = sentence(rng);
                a.posts.push(Post {
                    id: snowflake(t, rng),
                    ts: t,
                    text: if reply { format!("@{uh} {text}") } else { text },
                    client: "Twitter for iPhone".to_string(),
                    kind: if reply {
                        PostKind::Reply {
                            to_post: snowflake(t - rng.random_range(MIN..HOUR), rng),
                            to_user: u.clone(),
                            to_handle: uh.clone(),
                        }
                    } else {
                        PostKind::Post
                    },
                    hashtags: vec![],
                    mentions: if reply { vec![(u, uh)] } else { vec![] },
                    urls: vec![],
                    in_webhook: false,
                });
                n += 1;
                t += rng.random_range(8_000_000..55_000_000);
            }
            t += rng.random_range(MIN..8 * MIN);
        }
    }
}

/// A direct message at `ts` (its id a snowflake of that time).
pub(super) fn dm(
    rng: &mut ChaCha8Rng,
    ts: i64,
    sender: String,
    recipient: String,
    text: impl Into<String>,
    via_app: bool,
) -> Dm {
    Dm {
        id: snowflake(ts, rng),
        ts,
        sender,
        recipient,
        text: text.into(),
        via_app,
    }
}

/// An automated reply at `ts` to a post of a user who never engaged with the account.
pub(super) fn reply_to_stranger(rng: &mut ChaCha8Rng, ts: i64, lead: &str) -> Post {
    let (u, uh) = user(rng);
    let text = format!("@{uh} {lead}{}", sentence(rng));
    let mut p = bot_post(rng, ts, text);
    p.kind = PostKind::Reply {
        to_post: snowflake(ts - 10 * MIN, rng),
        to_user: u.clone(),
        to_handle: uh.clone(),
    };
    p.mentions = vec![(u, uh)];
    p
}

pub(super) fn bot_post(rng: &mut ChaCha8Rng, ts: i64, text: String) -> Post {
    Post {
        id: snowflake(ts, rng),
        ts,
        text,
        client: BOT_CLIENT.1.to_string(),
        kind: PostKind::Post,
        hashtags: vec![],
        mentions: vec![],
        urls: vec![],
        in_webhook: true,
    }
}
