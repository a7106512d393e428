//! Which data file is which, under every name X has used (FORMATS.md §5.1).

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileType {
    Tweets,
    DeletedTweets,
    CommunityTweets,
    NoteTweets,
    GrailbirdTweets,
    Dms,
    GroupDms,
    DmHeaders,
    GroupDmHeaders,
    MessageEvents,
    Likes,
    Followers,
    Following,
    Blocks,
    Mutes,
    ListsCreated,
    ListsMember,
    ListsSubscribed,
    ConnectedApps,
    Profile,
}

impl FileType {
    /// Files whose records only become events (no snapshot, list or app rows), so a large one
    /// can be parsed on several threads at once.
    pub fn events_only(self) -> bool {
        matches!(
            self,
            FileType::Tweets
                | FileType::DeletedTweets
                | FileType::CommunityTweets
                | FileType::GrailbirdTweets
                | FileType::Dms
                | FileType::GroupDms
                | FileType::DmHeaders
                | FileType::GroupDmHeaders
                | FileType::MessageEvents
        )
    }
}

/// Files read elsewhere (account, manifest) or not needed by any rule: no notice for them.
pub const KNOWN_IGNORED: [&str; 8] = [
    "manifest.js",
    "account.js",
    "js/user_details.js",
    "js/tweet_index.js",
    "js/payload_details.js",
    "tweet-headers.js",
    "deleted-tweet-headers.js",
    "README",
];

/// `tweets.js`, `tweets-part3.js` → `tweets`; anything else → None.
fn stem(rel: &str) -> Option<&str> {
    let name = rel.strip_suffix(".js")?;
    if name.contains('/') {
        return None;
    }
    match name.rfind("-part") {
        Some(i) if name[i + 5..].chars().all(|c| c.is_ascii_digit()) && i + 5 < name.len() => {
            Some(&name[..i])
        }
        _ => Some(name),
    }
}

pub fn classify(rel: &str) -> Option<FileType> {
    if let Some(month) = rel.strip_prefix("js/tweets/") {
        return month.ends_with(".js").then_some(FileType::GrailbirdTweets);
    }
    Some(match stem(rel)? {
        "tweets" | "tweet" => FileType::Tweets,
        "deleted-tweets" | "deleted-tweet" => FileType::DeletedTweets,
        "community-tweet" | "community-tweets" => FileType::CommunityTweets,
        "note-tweet" | "note-tweets" => FileType::NoteTweets,
        "direct-messages" | "direct-message" => FileType::Dms,
        "direct-messages-group" | "direct-message-group" => FileType::GroupDms,
        "direct-message-headers" | "direct-messages-headers" => FileType::DmHeaders,
        "direct-message-group-headers" | "direct-messages-group-headers" => {
            FileType::GroupDmHeaders
        }
        "message-event" | "message-events" => FileType::MessageEvents,
        "like" | "likes" => FileType::Likes,
        "follower" | "followers" => FileType::Followers,
        "following" => FileType::Following,
        "block" | "blocks" => FileType::Blocks,
        "mute" | "mutes" => FileType::Mutes,
        "lists-created" => FileType::ListsCreated,
        "lists-member" => FileType::ListsMember,
        "lists-subscribed" => FileType::ListsSubscribed,
        "connected-application" | "connected-applications" => FileType::ConnectedApps,
        "profile" => FileType::Profile,
        _ => return None,
    })
}

/// DM header files repeat the DM files without text. Read them only when the full file is absent
/// (then DMs are still counted and timed); otherwise the same message would arrive twice, once
/// without its text.
pub fn drop_headers_when_full_files_exist(plan: &mut Vec<(String, FileType)>) {
    let has = |t: FileType, plan: &Vec<(String, FileType)>| plan.iter().any(|(_, x)| *x == t);
    let drop_dm = has(FileType::Dms, plan);
    let drop_group = has(FileType::GroupDms, plan);
    plan.retain(|(_, t)| {
        !(*t == FileType::DmHeaders && drop_dm || *t == FileType::GroupDmHeaders && drop_group)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_historical_tweet_file_name_is_tweets() {
        for n in [
            "tweets.js",
            "tweet.js",
            "tweets-part1.js",
            "tweets-part12.js",
            "tweet-part2.js",
        ] {
            assert_eq!(classify(n), Some(FileType::Tweets), "{n}");
        }
        assert_eq!(
            classify("js/tweets/2015_01.js"),
            Some(FileType::GrailbirdTweets)
        );
        assert_eq!(classify("tweet-headers.js"), None);
        assert_eq!(classify("tweets_media/1-a.jpg"), None);
    }

    #[test]
    fn old_and_new_dm_names_are_dms() {
        for n in [
            "direct-messages.js",
            "direct-message.js",
            "direct-messages-part1.js",
        ] {
            assert_eq!(classify(n), Some(FileType::Dms), "{n}");
        }
        assert_eq!(
            classify("direct-message-group.js"),
            Some(FileType::GroupDms)
        );
        assert_eq!(
            classify("direct-messages-group.js"),
            Some(FileType::GroupDms)
        );
    }
}
