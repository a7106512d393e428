use std::fmt;
use std::str::FromStr;

/// The activity vocabulary of DESIGN.md. Report `counts` use the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Post,
    Reply,
    Quote,
    Repost,
    Delete,
    Like,
    Unlike,
    Follow,
    Unfollow,
    FollowedBy,
    UnfollowedBy,
    Block,
    Unblock,
    Mute,
    Unmute,
    ListAdd,
    ListRemove,
    DmSent,
    DmReceived,
    MentionReceived,
    ReplyReceived,
    AppConnected,
    AppRevoked,
}

impl Kind {
    pub const ALL: [Kind; 23] = [
        Kind::Post,
        Kind::Reply,
        Kind::Quote,
        Kind::Repost,
        Kind::Delete,
        Kind::Like,
        Kind::Unlike,
        Kind::Follow,
        Kind::Unfollow,
        Kind::FollowedBy,
        Kind::UnfollowedBy,
        Kind::Block,
        Kind::Unblock,
        Kind::Mute,
        Kind::Unmute,
        Kind::ListAdd,
        Kind::ListRemove,
        Kind::DmSent,
        Kind::DmReceived,
        Kind::MentionReceived,
        Kind::ReplyReceived,
        Kind::AppConnected,
        Kind::AppRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Post => "post",
            Kind::Reply => "reply",
            Kind::Quote => "quote",
            Kind::Repost => "repost",
            Kind::Delete => "delete",
            Kind::Like => "like",
            Kind::Unlike => "unlike",
            Kind::Follow => "follow",
            Kind::Unfollow => "unfollow",
            Kind::FollowedBy => "followed_by",
            Kind::UnfollowedBy => "unfollowed_by",
            Kind::Block => "block",
            Kind::Unblock => "unblock",
            Kind::Mute => "mute",
            Kind::Unmute => "unmute",
            Kind::ListAdd => "list_add",
            Kind::ListRemove => "list_remove",
            Kind::DmSent => "dm_sent",
            Kind::DmReceived => "dm_received",
            Kind::MentionReceived => "mention_received",
            Kind::ReplyReceived => "reply_received",
            Kind::AppConnected => "app_connected",
            Kind::AppRevoked => "app_revoked",
        }
    }

    /// The account's own public posts (what X calls tweets), identified by the post id alone.
    pub fn is_own_post(self) -> bool {
        matches!(self, Kind::Post | Kind::Reply | Kind::Quote | Kind::Repost)
    }

    pub fn is_dm(self) -> bool {
        matches!(self, Kind::DmSent | Kind::DmReceived)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                format!(
                    "unknown event kind {s:?}; expected one of: {}",
                    Kind::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), k);
        }
    }

    #[test]
    fn unknown_kind_names_the_vocabulary() {
        let err = "retweet".parse::<Kind>().unwrap_err();
        assert!(err.contains("repost"), "{err}");
    }
}
