//! `client_class(client)`: `official` for X's own apps, `feed` for apps that republish external
//! content, `app` for any other app, NULL when the client is unknown. The lists are data files
//! (`data/official_clients.txt`, `data/feed_clients.txt`).

use std::sync::LazyLock;

use datafusion::arrow::array::{Array, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::{arc, to_array, utf8_arg};

fn list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
}

static OFFICIAL: LazyLock<Vec<String>> =
    LazyLock::new(|| list(include_str!("../../data/official_clients.txt")));
static FEED: LazyLock<Vec<String>> =
    LazyLock::new(|| list(include_str!("../../data/feed_clients.txt")));

/// The class of a client name (see the module doc).
pub fn classify(client: &str) -> &'static str {
    let c = client.trim().to_lowercase();
    let matches = |pat: &String| match pat.strip_suffix('*') {
        Some(prefix) => c.starts_with(prefix),
        None => *pat == c,
    };
    if OFFICIAL.iter().any(matches) {
        "official"
    } else if FEED.iter().any(matches) {
        "feed"
    } else {
        "app"
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ClientClass {
    signature: Signature,
}

impl ClientClass {
    pub fn new() -> Self {
        ClientClass {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl Default for ClientClass {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for ClientClass {
    fn name(&self) -> &str {
        "client_class"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let input = utf8_arg(&to_array(&args.args[0], args.number_rows)?)?;
        let mut out = StringBuilder::with_capacity(input.len(), input.len() * 6);
        for i in 0..input.len() {
            if input.is_null(i) {
                out.append_null();
            } else {
                out.append_value(classify(input.value(i)));
            }
        }
        Ok(ColumnarValue::Array(arc(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn official_feed_and_other_apps() {
        assert_eq!(classify("Twitter for iPhone"), "official");
        assert_eq!(classify("twitter web app"), "official");
        assert_eq!(classify("IFTTT"), "feed");
        assert_eq!(classify("Publicize for WordPress"), "feed");
        assert_eq!(classify("HelpBot Replies"), "app");
    }
}
