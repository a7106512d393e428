//! `client_class(client)`: the class of a posting app in the client taxonomy
//! (`data/clients.toml`): `official` (X's own apps), `manual` (apps a person types in),
//! `scheduler`, `feed` (republishers of external content), `crosspost` (other networks posting
//! for a person), `automation` (bot platforms) or `unknown` (any app not listed). NULL when the
//! event has no client. See `client_acts` for what each class shows about who acted.

use std::sync::LazyLock;

use serde::Deserialize;

use super::string_map::StringMap;

/// What an app's event shows about who acted, for one family of actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    /// The app acts without a person at that moment.
    Machine,
    /// A person acts through the app.
    Person,
    /// The app says nothing either way.
    Unknown,
}

#[derive(Debug, Deserialize)]
pub struct Class {
    #[serde(skip)]
    pub key: String,
    /// What the class means (the data file's documentation of it; required there).
    pub meaning: String,
    pub posting: Actor,
    pub interaction: Actor,
    pub graph: Actor,
    names: Vec<String>,
}

impl Class {
    /// `client` is lowercase, as the names are once loaded.
    fn names_exactly(&self, client: &str) -> bool {
        self.names.iter().any(|n| n == client)
    }

    /// The longest of this class's `prefix*` patterns that `client` (lowercase) starts with.
    fn longest_prefix(&self, client: &str) -> Option<usize> {
        self.names
            .iter()
            .filter_map(|n| n.strip_suffix('*'))
            .filter(|prefix| client.starts_with(prefix))
            .map(str::len)
            .max()
    }

    /// What an event of `kind` from an app of this class shows; None for activity the account
    /// received (not its own act).
    pub fn actor(&self, kind: &str) -> Option<Actor> {
        match family(kind)? {
            Family::Posting => Some(self.posting),
            Family::Interaction => Some(self.interaction),
            Family::Graph => Some(self.graph),
        }
    }
}

enum Family {
    Posting,
    Interaction,
    Graph,
}

fn family(kind: &str) -> Option<Family> {
    match kind {
        "post" | "quote" | "repost" | "delete" => Some(Family::Posting),
        "reply" | "dm_sent" => Some(Family::Interaction),
        "like" | "unlike" | "follow" | "unfollow" | "block" | "unblock" | "mute" | "unmute"
        | "list_add" | "list_remove" => Some(Family::Graph),
        _ => None,
    }
}

/// The classes of `data/clients.toml`.
pub static CLASSES: LazyLock<Vec<Class>> = LazyLock::new(|| {
    let table: toml::Table = toml::from_str(include_str!("../../data/clients.toml"))
        .expect("data/clients.toml is valid TOML");
    table
        .into_iter()
        .map(|(key, value)| {
            let mut class: Class = value
                .try_into()
                .unwrap_or_else(|e| panic!("data/clients.toml, class {key}: {e}"));
            class.key = key;
            // Compared case-insensitively: lowered once here, not at every lookup.
            for name in &mut class.names {
                *name = name.to_lowercase();
            }
            class
        })
        .collect()
});

/// A client no class names.
pub const UNKNOWN: &str = "unknown";

/// The class of a client name, None for an app no class names. An exact name wins over a
/// `prefix*` pattern, and a longer prefix over a shorter one, so the order of the file does not
/// matter.
pub fn class_of(client: &str) -> Option<&'static Class> {
    let client = client.trim().to_lowercase();
    CLASSES
        .iter()
        .find(|c| c.names_exactly(&client))
        .or_else(|| {
            CLASSES
                .iter()
                .filter_map(|c| Some((c.longest_prefix(&client)?, c)))
                .max_by_key(|(len, _)| *len)
                .map(|(_, c)| c)
        })
}

/// The class key of a client name (see the module doc).
pub fn classify(client: &str) -> &'static str {
    class_of(client).map_or(UNKNOWN, |c| c.key.as_str())
}

/// The SQL function.
pub fn udf() -> StringMap {
    StringMap::new("client_class", |c| Some(classify(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_app_has_its_class() {
        assert_eq!(classify("Twitter for iPhone"), "official");
        assert_eq!(classify("twitter web app"), "official");
        assert_eq!(classify("Echofon"), "manual");
        assert_eq!(classify("Silver Bird"), "manual");
        assert_eq!(classify("Tweetbot for iΟS"), "manual");
        assert_eq!(classify("Buffer"), "scheduler");
        assert_eq!(classify("Hootsuite Inc."), "scheduler");
        assert_eq!(classify("IFTTT"), "feed");
        assert_eq!(classify("Publicize for WordPress"), "feed");
        assert_eq!(classify("Instagram"), "crosspost");
        assert_eq!(classify("Cheap Bots, Done Quick!"), "automation");
        assert_eq!(classify("HelpBot Replies"), "unknown");
    }

    /// A person typing in Echofon is a person; a scheduler's reply inbox is typed in too, while
    /// its posts go out at a machine's time; IFTTT never has a person at the keyboard.
    #[test]
    fn what_an_event_shows_depends_on_the_class_and_the_family_of_action() {
        let actor = |client: &str, kind: &str| class_of(client).and_then(|c| c.actor(kind));
        assert_eq!(actor("Echofon", "reply"), Some(Actor::Person));
        assert_eq!(actor("Echofon", "dm_sent"), Some(Actor::Person));
        assert_eq!(actor("Buffer", "post"), Some(Actor::Machine));
        assert_eq!(actor("Buffer", "reply"), Some(Actor::Unknown));
        assert_eq!(actor("IFTTT", "reply"), Some(Actor::Machine));
        assert_eq!(actor("Instagram", "post"), Some(Actor::Machine));
        assert_eq!(actor("Instagram", "follow"), Some(Actor::Unknown));
        assert_eq!(actor("Twitter for iPhone", "follow"), Some(Actor::Person));
        assert_eq!(actor("IFTTT", "dm_received"), None);
    }

    /// A name two classes list would be classed by chance: the data must say one thing.
    #[test]
    fn no_client_name_is_listed_in_two_classes() {
        let mut seen = std::collections::BTreeMap::new();
        for class in CLASSES.iter() {
            for name in &class.names {
                if let Some(other) = seen.insert(name.clone(), class.key.clone()) {
                    panic!("{name} is listed in {other} and {}", class.key);
                }
            }
        }
        assert!(CLASSES.iter().any(|c| c.key == "official"));
    }
}
