//! `client_acts(client, kind)`: what an event of `kind` from the app `client` shows about who
//! acted, by the client taxonomy (`data/clients.toml`): true when the app acts without a person
//! (a bot platform, a feed publisher, a scheduler's posts), false when a person acts through it
//! (X's own apps, apps a person types in), NULL when the app says nothing either way (an unknown
//! app, a scheduler's replies), for activity the account received, or when either argument is
//! NULL. Machine cadence is evidence beyond the client: see the `activity` view.

use std::collections::HashMap;

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;

use super::client_class::{Actor, class_of};
use super::scalar::Scalar;
use super::{arc, utf8_arg};

/// Whether an event of `kind` from `client` was a machine's act (see the module doc).
pub fn client_acts(client: &str, kind: &str) -> Option<bool> {
    match class_of(client)?.actor(kind)? {
        Actor::Machine => Some(true),
        Actor::Person => Some(false),
        Actor::Unknown => None,
    }
}

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let (clients, kinds) = (utf8_arg(&args[0])?, utf8_arg(&args[1])?);
    // A store has a few dozen clients and kinds among millions of events.
    let mut known: HashMap<(&str, &str), Option<bool>> = HashMap::new();
    let out: BooleanArray = (0..clients.len())
        .map(|i| {
            if clients.is_null(i) || kinds.is_null(i) {
                return None;
            }
            let key = (clients.value(i), kinds.value(i));
            *known
                .entry(key)
                .or_insert_with(|| client_acts(key.0, key.1))
        })
        .collect();
    Ok(arc(out))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("client_acts", 2, DataType::Boolean, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::StringArray;

    #[test]
    fn machine_person_unknown_and_null() {
        let clients = StringArray::from(vec![
            Some("IFTTT"),
            Some("Echofon"),
            Some("HelpBot Replies"),
            None,
            Some("Buffer"),
            Some("Buffer"),
        ]);
        let kinds = StringArray::from(vec![
            Some("post"),
            Some("reply"),
            Some("reply"),
            Some("post"),
            Some("post"),
            Some("dm_received"),
        ]);
        let out = body(&[arc(clients), arc(kinds)]).unwrap();
        let out = out.as_any().downcast_ref::<BooleanArray>().unwrap();
        let got: Vec<Option<bool>> = out.iter().collect();
        assert_eq!(got, [Some(true), Some(false), None, None, Some(true), None]);
    }
}
