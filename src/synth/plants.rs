//! The violations the generator plants, keyed by the rule each must trip. A rule gets a plant by
//! adding one entry to [`PLANTS`] and its function here; the order of the list is the order the
//! bots of a population carry them (changing it changes every generated population).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::activity::*;

/// Adds a violation's activity to an account, starting at `t0` (µs), given the trend schedule.
pub type PlantFn = fn(&mut ChaCha8Rng, &mut Activity, i64, &[(i64, Vec<String>)]);

/// One plantable violation.
#[derive(Debug)]
pub struct Plant {
    /// The rule the plant is for.
    pub rule: &'static str,
    /// Other rules the same behaviour also breaks (a welcome DM to a new follower is also a DM to
    /// someone who never wrote first).
    pub also: &'static [&'static str],
    /// Takes two accounts: the next bot account joins the one that carries it.
    pub paired: bool,
    /// The two accounts draw their ordinary posts' texts from one shared stream.
    pub shares_texts: bool,
    /// Adds the violating activity.
    pub plant: PlantFn,
}

impl Plant {
    /// Every rule the plant must trip: its own, then the others.
    pub fn rules(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.rule).chain(self.also.iter().copied())
    }
}

const fn plant(rule: &'static str, plant: PlantFn) -> Plant {
    Plant {
        rule,
        also: &[],
        paired: false,
        shares_texts: false,
        plant,
    }
}

pub const PLANTS: &[Plant] = &[
    plant("mass_follow", mass_follow),
    plant("follow_churn", follow_churn),
    plant("auto_follow_back", auto_follow_back),
    plant("automated_likes", automated_likes),
    plant("bulk_reposts", bulk_reposts),
    plant("duplicate_posts", duplicate_posts),
    plant("unsolicited_reply", unsolicited_reply),
    plant("unsolicited_mention", unsolicited_mention),
    plant("unsolicited_dm", unsolicited_dm),
    plant("opt_out_ignored", opt_out_ignored),
    plant("dm_follow_up", dm_follow_up),
    plant("bulk_list_add", bulk_list_add),
    plant("trend_automation", trend_automation),
    Plant {
        also: &["unsolicited_dm"],
        ..plant("auto_dm_new_followers", auto_dm_new_followers)
    },
    plant(
        "multiple_replies_per_interaction",
        multiple_replies_per_interaction,
    ),
    Plant {
        also: &["unsolicited_dm"],
        ..plant("bulk_dm", bulk_dm)
    },
    plant("private_information", private_information),
    plant("misleading_links", misleading_links),
    plant("external_source_posts", external_source_posts),
    Plant {
        paired: true,
        ..plant("cross_account_duplicates", cross_account_duplicates)
    },
    Plant {
        also: &["cross_account_duplicates"],
        paired: true,
        shares_texts: true,
        ..plant("duplicate_accounts", duplicate_accounts)
    },
    Plant {
        also: &["unsolicited_reply"],
        ..plant(
            "sensitive_content_unsolicited",
            sensitive_content_unsolicited,
        )
    },
    plant("public_personal_data_request", public_personal_data_request),
    plant("dm_sensitive_data_request", dm_sensitive_data_request),
    plant("dm_content_shared_publicly", dm_content_shared_publicly),
    plant("non_api_automation", non_api_automation),
    plant("rate_limits_exceeded", rate_limits_exceeded),
];

/// X's web app, driven by a script: a post every two minutes on the minute, for three hours.
fn non_api_automation(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
    let start = t0 - t0 % MIN;
    for k in 0..90 {
        let text = sentence(rng);
        let mut p = bot_post(rng, start + k * 2 * MIN, text);
        p.client = "Twitter Web App".to_string();
        a.posts.push(p);
    }
}

/// 2,500 posts within 24 hours (X's limit is 2,400), from the bot's app and a second one.
fn rate_limits_exceeded(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
    for k in 0..2_500 {
        let ts = t0 + k * 34_000_000 + rng.random_range(0..3_000_000);
        let text = sentence(rng);
        let mut p = bot_post(rng, ts, text);
        if k % 2 == 1 {
            p.client = "Buffer".to_string();
        }
        p.in_webhook = false;
        a.posts.push(p);
    }
}

fn mass_follow(rng: &mut ChaCha8Rng, a: &mut Activity, t0: i64, _trends: &[(i64, Vec<String>)]) {
    for k in 0..150 {
        a.timed.push(Timed {
            ts: t0 + k * 20_000_000 + rng.random_range(0..5_000_000),
            kind: TimedKind::Follow,
            user: user(rng).0,
            post: None,
        });
    }
}

fn follow_churn(rng: &mut ChaCha8Rng, a: &mut Activity, t0: i64, _trends: &[(i64, Vec<String>)]) {
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

fn auto_follow_back(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
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

fn automated_likes(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
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

fn bulk_reposts(rng: &mut ChaCha8Rng, a: &mut Activity, t0: i64, _trends: &[(i64, Vec<String>)]) {
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

fn duplicate_posts(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
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

fn unsolicited_reply(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
    for k in 0..5 {
        a.posts.push(reply_to_stranger(rng, t0 + k * HOUR, ""));
    }
}

fn unsolicited_mention(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
    for k in 0..12 {
        let (u, uh) = user(rng);
        let text = format!("Hey @{uh} check this out: {}", sentence(rng));
        let mut p = bot_post(rng, t0 + k * 90 * MIN, text);
        p.mentions = vec![(u, uh)];
        a.posts.push(p);
    }
}

fn unsolicited_dm(rng: &mut ChaCha8Rng, a: &mut Activity, t0: i64, _trends: &[(i64, Vec<String>)]) {
    let me = a.account_id.clone();
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

fn opt_out_ignored(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
    let me = a.account_id.clone();
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

fn dm_follow_up(rng: &mut ChaCha8Rng, a: &mut Activity, t0: i64, _trends: &[(i64, Vec<String>)]) {
    let me = a.account_id.clone();
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

fn bulk_list_add(rng: &mut ChaCha8Rng, a: &mut Activity, t0: i64, _trends: &[(i64, Vec<String>)]) {
    for k in 0..60 {
        a.list_adds.push(ListAdd {
            ts: t0 + k * 45_000_000,
            list: "1750000000000000001".into(),
            user: user(rng).0,
        });
    }
}

fn trend_automation(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    trends: &[(i64, Vec<String>)],
) {
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

fn auto_dm_new_followers(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
    let me = a.account_id.clone();
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

fn multiple_replies_per_interaction(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
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

fn bulk_dm(rng: &mut ChaCha8Rng, a: &mut Activity, t0: i64, _trends: &[(i64, Vec<String>)]) {
    let me = a.account_id.clone();
    for k in 0..25 {
        let ts = t0 + k * 20 * MIN;
        a.dms.push(Dm {
            id: snowflake(ts, rng),
            ts,
            sender: me.clone(),
            recipient: user(rng).0,
            text: "Exclusive deal for you: 30% off all plans this week only, reply YES".into(),
            via_app: true,
        });
    }
}

fn private_information(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
    a.posts.push(bot_post(
        rng,
        t0,
        format!(
            "Order confirmed for card 4539 1488 0343 6467, thanks for shopping with {} today",
            a.handle
        ),
    ));
}

fn misleading_links(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
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

fn cross_account_duplicates(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
    let text = "Limited offer: book your summer trip now and save 40 percent on every hotel";
    a.posts.push(bot_post(rng, t0, text.into()));
}

/// The shared text stream of `account_activity` is the plant.
fn duplicate_accounts(
    _rng: &mut ChaCha8Rng,
    _a: &mut Activity,
    _t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
}

fn sensitive_content_unsolicited(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
    for k in 0..3 {
        let p = reply_to_stranger(rng, t0 + k * HOUR, "this deal is fucking amazing: ");
        a.posts.push(p);
    }
}

fn public_personal_data_request(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
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

fn dm_sensitive_data_request(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
    let me = a.account_id.clone();
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

fn dm_content_shared_publicly(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
    let me = a.account_id.clone();
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

fn external_source_posts(
    rng: &mut ChaCha8Rng,
    a: &mut Activity,
    t0: i64,
    _trends: &[(i64, Vec<String>)],
) {
    for k in 0..20 {
        let text = format!("New on the blog: {}", sentence(rng));
        let mut p = bot_post(rng, t0 + k * 3 * HOUR, text);
        p.client = FEED_CLIENT.to_string();
        a.posts.push(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each plant names a rule of the pack, once; a rule without a plant is one the generator's
    /// inputs cannot show (media flags, connected-app approvals), listed here on purpose.
    #[test]
    fn plants_are_keyed_by_rules_of_the_pack() {
        let rules = crate::rules::registry().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        let mut seen = std::collections::BTreeSet::new();
        for p in PLANTS {
            for r in p.rules() {
                assert!(ids.contains(&r), "plant {} names unknown rule {r}", p.rule);
            }
            assert!(seen.insert(p.rule), "two plants for {}", p.rule);
        }
        let unplanted: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !seen.contains(id))
            .collect();
        assert_eq!(
            unplanted,
            ["connected_apps_write_access", "sensitive_media_unmarked"]
        );
    }
}
