//! What each synthetic account does: ordinary activity for everyone, plus the planted violation.
//! Thresholds come from RULES.md, with margins so that a plant fires clearly and ordinary activity
//! stays clearly below every threshold.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::GenOptions;

const MIN: i64 = 60_000_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

/// A violation the generator can plant, named after the rule(s) it must trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    MassFollow,
    FollowChurn,
    AutoFollowBack,
    AutomatedLikes,
    BulkReposts,
    DuplicatePosts,
    UnsolicitedReply,
    UnsolicitedMention,
    UnsolicitedDm,
    OptOutIgnored,
    DmFollowUp,
    BulkListAdd,
    TrendAutomation,
    AutoDmNewFollowers,
    MultipleReplies,
    BulkDm,
    PrivateInformation,
    MisleadingLinks,
    ExternalSourcePosts,
    CrossAccountDuplicates,
    DuplicateAccounts,
    SensitiveContentUnsolicited,
    PublicPersonalDataRequest,
    DmSensitiveDataRequest,
    DmContentSharedPublicly,
}

impl Violation {
    pub const ALL: [Violation; 25] = [
        Violation::MassFollow,
        Violation::FollowChurn,
        Violation::AutoFollowBack,
        Violation::AutomatedLikes,
        Violation::BulkReposts,
        Violation::DuplicatePosts,
        Violation::UnsolicitedReply,
        Violation::UnsolicitedMention,
        Violation::UnsolicitedDm,
        Violation::OptOutIgnored,
        Violation::DmFollowUp,
        Violation::BulkListAdd,
        Violation::TrendAutomation,
        Violation::AutoDmNewFollowers,
        Violation::MultipleReplies,
        Violation::BulkDm,
        Violation::PrivateInformation,
        Violation::MisleadingLinks,
        Violation::ExternalSourcePosts,
        Violation::CrossAccountDuplicates,
        Violation::DuplicateAccounts,
        Violation::SensitiveContentUnsolicited,
        Violation::PublicPersonalDataRequest,
        Violation::DmSensitiveDataRequest,
        Violation::DmContentSharedPublicly,
    ];

    /// Violations that take two accounts: the next bot account joins the one that carries it.
    pub fn paired(self) -> bool {
        matches!(
            self,
            Violation::CrossAccountDuplicates | Violation::DuplicateAccounts
        )
    }

    /// The rule the plant is for (ids in the order of `ALL`).
    pub fn rule(self) -> &'static str {
        RULE_IDS[self.index()]
    }

    /// Every rule the plant must trip: its own, plus those the same behaviour also breaks
    /// (a welcome DM to a new follower is also a DM to someone who never wrote first).
    pub fn rules(self) -> &'static [&'static str] {
        match self {
            Violation::AutoDmNewFollowers => &["auto_dm_new_followers", "unsolicited_dm"],
            Violation::BulkDm => &["bulk_dm", "unsolicited_dm"],
            Violation::DuplicateAccounts => &["duplicate_accounts", "cross_account_duplicates"],
            Violation::SensitiveContentUnsolicited => {
                &["sensitive_content_unsolicited", "unsolicited_reply"]
            }
            other => {
                let i = other.index();
                &RULE_IDS[i..=i]
            }
        }
    }

    fn index(self) -> usize {
        Violation::ALL
            .iter()
            .position(|v| *v == self)
            .expect("every violation is in ALL")
    }
}

const RULE_IDS: [&str; 25] = [
    "mass_follow",
    "follow_churn",
    "auto_follow_back",
    "automated_likes",
    "bulk_reposts",
    "duplicate_posts",
    "unsolicited_reply",
    "unsolicited_mention",
    "unsolicited_dm",
    "opt_out_ignored",
    "dm_follow_up",
    "bulk_list_add",
    "trend_automation",
    "auto_dm_new_followers",
    "multiple_replies_per_interaction",
    "bulk_dm",
    "private_information",
    "misleading_links",
    "external_source_posts",
    "cross_account_duplicates",
    "duplicate_accounts",
    "sensitive_content_unsolicited",
    "public_personal_data_request",
    "dm_sensitive_data_request",
    "dm_content_shared_publicly",
];

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

fn sentence(rng: &mut ChaCha8Rng) -> String {
    let n = rng.random_range(9..16);
    let mut words: Vec<String> = (0..n)
        .map(|_| (*WORDS.choose(rng).expect("non-empty")).to_string())
        .collect();
    words.push(rng.random_range(10..10_000).to_string());
    words.join(" ")
}

/// A snowflake id for time `ts` (µs), so ids and times agree as on X.
fn snowflake(ts: i64, rng: &mut ChaCha8Rng) -> String {
    let ms = ts / 1000 - 1_288_834_974_657;
    (((ms as u64) << 22) | rng.random_range(0..(1u64 << 22))).to_string()
}

fn user(rng: &mut ChaCha8Rng) -> (String, String) {
    let id = rng.random_range(10_000_000u64..9_000_000_000);
    (id.to_string(), format!("user{id}"))
}

/// A waking-hours time on day `d` (people sleep; ordinary activity stays between 07:00 and 23:00).
fn waking(rng: &mut ChaCha8Rng, start: i64, d: i64) -> i64 {
    start + d * DAY + 7 * HOUR + rng.random_range(0..16 * HOUR)
}

pub fn account_activity(
    rng: &mut ChaCha8Rng,
    opts: &GenOptions,
    account_id: &str,
    handle: &str,
    violations: &[Violation],
    trends: &[(i64, Vec<String>)],
    shared_texts: Option<u64>,
) -> Activity {
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
    // Plants happen on a day away from the edges of the period.
    let plant_day = |rng: &mut ChaCha8Rng| rng.random_range(1..(days - 1).max(2)).min(days - 1);
    for v in violations {
        let d = plant_day(rng);
        let t0 = start + d * DAY + 9 * HOUR + rng.random_range(0..4 * HOUR);
        plant(rng, &mut a, *v, t0, trends);
    }
    for p in &mut a.posts {
        p.text = p.text.replace("  ", " ");
    }
    a.posts.sort_by_key(|p| p.ts);
    a.dms.sort_by_key(|m| m.ts);
    a.timed.sort_by_key(|t| t.ts);
    a
}

/// A direct message at `ts` (its id a snowflake of that time).
fn dm(
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
fn reply_to_stranger(rng: &mut ChaCha8Rng, ts: i64, lead: &str) -> Post {
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

fn bot_post(rng: &mut ChaCha8Rng, ts: i64, text: String) -> Post {
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

fn plant(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    v: Violation,
    t0: i64,
    trends: &[(i64, Vec<String>)],
) {
    let me = a.account_id.clone();
    match v {
        Violation::MassFollow => {
            for k in 0..150 {
                a.timed.push(Timed {
                    ts: t0 + k * 20_000_000 + rng.random_range(0..5_000_000),
                    kind: TimedKind::Follow,
                    user: user(rng).0,
                    post: None,
                });
            }
        }
        Violation::FollowChurn => {
            for k in 0..60 {
                let u = user(rng).0;
                let ts = t0 + k * HOUR + rng.random_range(0..30 * MIN);
                a.timed.push(Timed {
                    ts,
                    kind: TimedKind::Follow,
                    user: u.clone(),
                    post: None,
                });
                a.timed.push(Timed {
                    ts: ts + rng.random_range(DAY..3 * DAY),
                    kind: TimedKind::Unfollow,
                    user: u,
                    post: None,
                });
            }
        }
        Violation::AutoFollowBack => {
            for k in 0..25 {
                let u = user(rng).0;
                let ts = t0 + k * 2 * HOUR + rng.random_range(0..HOUR);
                a.timed.push(Timed {
                    ts,
                    kind: TimedKind::FollowedBy,
                    user: u.clone(),
                    post: None,
                });
                a.timed.push(Timed {
                    ts: ts + rng.random_range(20_000_000..90_000_000),
                    kind: TimedKind::Follow,
                    user: u,
                    post: None,
                });
            }
        }
        Violation::AutomatedLikes => {
            for k in 0..80 {
                let ts = t0 + k * 45_000_000 + rng.random_range(0..2_000_000);
                let post = snowflake(ts - HOUR, rng);
                a.timed.push(Timed {
                    ts,
                    kind: TimedKind::Like,
                    user: user(rng).0,
                    post: Some(post),
                });
            }
        }
        Violation::BulkReposts => {
            for k in 0..60 {
                let ts = t0 + k * 50_000_000;
                let (u, uh) = user(rng);
                let orig = snowflake(ts - 2 * HOUR, rng);
                let text = format!("RT @{uh}: {}", sentence(rng));
                let mut p = bot_post(rng, ts, text);
                p.kind = PostKind::Repost {
                    orig_post: orig,
                    orig_user: u.clone(),
                    orig_handle: uh.clone(),
                };
                p.mentions = vec![(u, uh)];
                a.posts.push(p);
            }
        }
        Violation::DuplicatePosts => {
            // The shop's name keeps the plants of different accounts apart (else they would also be
            // cross-account duplicates).
            let text = format!(
                "Big sale today only: visit the {} shop for half price on every item in the store",
                a.handle
            );
            let text = text.as_str();
            for k in 0..4 {
                a.posts.push(bot_post(
                    rng,
                    t0 + k * DAY / 2,
                    if k == 3 {
                        format!("{text}!")
                    } else {
                        text.to_string()
                    },
                ));
            }
        }
        Violation::UnsolicitedReply => {
            for k in 0..5 {
                a.posts.push(reply_to_stranger(rng, t0 + k * HOUR, ""));
            }
        }
        Violation::UnsolicitedMention => {
            for k in 0..12 {
                let (u, uh) = user(rng);
                let text = format!("Hey @{uh} check this out: {}", sentence(rng));
                let mut p = bot_post(rng, t0 + k * 90 * MIN, text);
                p.mentions = vec![(u, uh)];
                a.posts.push(p);
            }
        }
        Violation::UnsolicitedDm => {
            for k in 0..5 {
                let ts = t0 + k * HOUR;
                a.dms.push(Dm {
                    id: snowflake(ts, rng),
                    ts,
                    sender: me.clone(),
                    recipient: user(rng).0,
                    text: sentence(rng),
                    via_app: true,
                });
            }
        }
        Violation::OptOutIgnored => {
            let u = user(rng).0;
            let msgs: [(i64, bool, String); 5] = [
                (0, false, "hi, can you tell me the opening hours".into()),
                (2 * MIN, true, sentence(rng)),
                (HOUR, false, "STOP".into()),
                (
                    HOUR + MIN,
                    true,
                    "You are unsubscribed and will get no more messages.".into(),
                ),
                (
                    3 * HOUR,
                    true,
                    "Reminder: our new offers are live, reply to see them".into(),
                ),
            ];
            for (dt, from_me, text) in msgs {
                let ts = t0 + dt;
                let (sender, recipient) = if from_me {
                    (me.clone(), u.clone())
                } else {
                    (u.clone(), me.clone())
                };
                a.dms.push(dm(rng, ts, sender, recipient, text, from_me));
            }
        }
        Violation::DmFollowUp => {
            let u = user(rng).0;
            a.dms.push(dm(
                rng,
                t0,
                u.clone(),
                me.clone(),
                "do you ship abroad",
                false,
            ));
            let r = t0 + 3 * MIN;
            a.dms.push(Dm {
                id: snowflake(r, rng),
                ts: r,
                sender: me.clone(),
                recipient: u.clone(),
                text: sentence(rng),
                via_app: true,
            });
            let f = t0 + 3 * DAY;
            a.dms.push(dm(
                rng,
                f,
                me.clone(),
                u,
                "Still interested? Our offer ends soon",
                true,
            ));
        }
        Violation::BulkListAdd => {
            for k in 0..60 {
                a.list_adds.push(ListAdd {
                    ts: t0 + k * 45_000_000,
                    list: "1750000000000000001".into(),
                    user: user(rng).0,
                });
            }
        }
        Violation::TrendAutomation => {
            for k in 0..6 {
                let ts = t0 + k * 2 * HOUR;
                let snap = trends
                    .iter()
                    .rev()
                    .find(|(t, _)| *t <= ts)
                    .or(trends.first());
                let tag = snap
                    .map(|(_, n)| n[0].clone())
                    .unwrap_or_else(|| "#Trend0".into());
                let text = format!("{} {tag}", sentence(rng));
                let mut p = bot_post(rng, ts + 10 * MIN, text);
                p.hashtags = vec![tag.trim_start_matches('#').to_string()];
                a.posts.push(p);
            }
        }
        Violation::AutoDmNewFollowers => {
            for k in 0..4 {
                let u = user(rng).0;
                let ts = t0 + k * 3 * HOUR;
                a.timed.push(Timed {
                    ts,
                    kind: TimedKind::FollowedBy,
                    user: u.clone(),
                    post: None,
                });
                let dts = ts + rng.random_range(2 * MIN..5 * MIN);
                a.dms.push(dm(
                    rng,
                    dts,
                    me.clone(),
                    u,
                    "Thanks for the follow! Get 10% off with code WELCOME",
                    true,
                ));
            }
        }
        Violation::MultipleReplies => {
            let (u, uh) = user(rng);
            let id = snowflake(t0, rng);
            a.inbound.push(Inbound {
                id: id.clone(),
                ts: t0,
                from: u.clone(),
                from_handle: uh.clone(),
                text: format!("@{} question about my order", a.handle),
                reply_to: None,
            });
            for k in 1..=3 {
                let text = format!("@{uh} {}", sentence(rng));
                let mut p = bot_post(rng, t0 + k * 5 * MIN, text);
                p.kind = PostKind::Reply {
                    to_post: id.clone(),
                    to_user: u.clone(),
                    to_handle: uh.clone(),
                };
                p.mentions = vec![(u.clone(), uh.clone())];
                a.posts.push(p);
            }
        }
        Violation::BulkDm => {
            for k in 0..25 {
                let ts = t0 + k * 20 * MIN;
                a.dms.push(Dm {
                    id: snowflake(ts, rng),
                    ts,
                    sender: me.clone(),
                    recipient: user(rng).0,
                    text: "Exclusive deal for you: 30% off all plans this week only, reply YES"
                        .into(),
                    via_app: true,
                });
            }
        }
        Violation::PrivateInformation => {
            a.posts.push(bot_post(
                rng,
                t0,
                format!(
                    "Order confirmed for card 4539 1488 0343 6467, thanks for shopping with {} today",
                    a.handle
                ),
            ));
        }
        Violation::MisleadingLinks => {
            let mut p = bot_post(
                rng,
                t0,
                format!(
                    "Read the full story from {} here today https://t.co/Ab12Cd34Ef",
                    a.handle
                ),
            );
            p.urls = vec![(
                "https://t.co/Ab12Cd34Ef".into(),
                "https://bit.ly/3kTxq9Z".into(),
                "bit.ly/3kTxq9Z".into(),
            )];
            a.posts.push(p);
        }
        Violation::CrossAccountDuplicates => {
            let text =
                "Limited offer: book your summer trip now and save 40 percent on every hotel";
            a.posts.push(bot_post(rng, t0, text.into()));
        }
        // The shared text stream of `account_activity` is the plant.
        Violation::DuplicateAccounts => {}
        Violation::SensitiveContentUnsolicited => {
            for k in 0..3 {
                let p = reply_to_stranger(rng, t0 + k * HOUR, "this deal is fucking amazing: ");
                a.posts.push(p);
            }
        }
        Violation::PublicPersonalDataRequest => {
            // An answer to someone who asked: solicited, but it asks for data in public.
            let (u, uh) = user(rng);
            let id = snowflake(t0, rng);
            a.inbound.push(Inbound {
                id: id.clone(),
                ts: t0,
                from: u.clone(),
                from_handle: uh.clone(),
                text: format!("@{} my parcel never arrived", a.handle),
                reply_to: None,
            });
            let text = format!(
                "@{uh} Sorry to hear that! Please reply with your order number and phone number, {}",
                sentence(rng)
            );
            let mut p = bot_post(rng, t0 + 5 * MIN, text);
            p.kind = PostKind::Reply {
                to_post: id,
                to_user: u.clone(),
                to_handle: uh.clone(),
            };
            p.mentions = vec![(u, uh)];
            a.posts.push(p);
        }
        Violation::DmSensitiveDataRequest => {
            let u = user(rng).0;
            a.dms.push(dm(
                rng,
                t0,
                u.clone(),
                me.clone(),
                "my payment failed twice",
                false,
            ));
            let ts = t0 + 3 * MIN;
            a.dms.push(dm(
                rng,
                ts,
                me.clone(),
                u,
                "To verify your account, send us your card number and CVV",
                true,
            ));
        }
        Violation::DmContentSharedPublicly => {
            let u = user(rng).0;
            let complaint = sentence(rng);
            a.dms
                .push(dm(rng, t0, u, me.clone(), complaint.clone(), false));
            a.posts.push(bot_post(
                rng,
                t0 + MIN,
                format!("Customer says: {complaint}"),
            ));
        }
        Violation::ExternalSourcePosts => {
            for k in 0..20 {
                let text = format!("New on the blog: {}", sentence(rng));
                let mut p = bot_post(rng, t0 + k * 3 * HOUR, text);
                p.client = FEED_CLIENT.to_string();
                a.posts.push(p);
            }
        }
    }
}
