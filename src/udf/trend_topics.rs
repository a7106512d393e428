//! `trend_topics(normalized_text)`: the trend topics a normalized text carries, as `list<utf8>` of
//! normalized topics (`#MondayMotivation` is `mondaymotivation`, "Ajax Feyenoord" is
//! `ajax feyenoord`): hashtags and phrases, matched as whole words, case-insensitive and
//! Turkish-safe because both sides are normalized. The vocabulary is every trend name in the
//! store, loaded when the audit session starts ([`TrendTopics::from_store`]); whether a topic was
//! trending shortly before a post is up to the query (join on `trends.as_of`). NULL gives NULL.

use ahash::AHashSet as HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;

use super::{arc, utf8_arg};
use crate::text::normalize;

/// Longest trend phrase matched, in words.
const MAX_WORDS: usize = 6;

#[derive(Debug)]
pub struct TrendTopics {
    topics: Arc<HashSet<String>>,
    max_words: usize,
    signature: Signature,
}

impl TrendTopics {
    /// A function matching these trend names.
    pub fn new<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Self {
        let topics: HashSet<String> = names
            .into_iter()
            .map(|n| normalize(n.as_ref()))
            .filter(|n| !n.is_empty())
            .collect();
        let max_words = topics
            .iter()
            .map(|t| crate::text::word_count(t))
            .max()
            .unwrap_or(0)
            .min(MAX_WORDS);
        TrendTopics {
            topics: Arc::new(topics),
            max_words,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }

    /// The function over the trend names of the session's `trends` table.
    pub async fn from_store(ctx: &SessionContext) -> crate::error::Result<Self> {
        #[derive(serde::Deserialize)]
        struct Name {
            name: Option<String>,
        }
        let names: Vec<String> = crate::store::query_rows::<Name>(
            ctx,
            "trend_topics: trend names",
            "SELECT DISTINCT CAST(name AS VARCHAR) AS name FROM trends",
        )
        .await?
        .into_iter()
        .filter_map(|n| n.name)
        .collect();
        Ok(TrendTopics::new(names))
    }

    /// The vocabulary as bytes, for a plan that travels to other processes (a cluster's executors):
    /// the normalized topics, sorted, as a JSON array. Trend names are a small state: the plan
    /// carries them.
    pub fn encode(&self) -> Vec<u8> {
        let mut topics: Vec<&String> = self.topics.iter().collect();
        topics.sort();
        serde_json::to_vec(&topics).expect("strings serialize")
    }

    /// The function [`TrendTopics::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> std::result::Result<Self, serde_json::Error> {
        // Normalizing a normalized topic leaves it as it is.
        Ok(TrendTopics::new(serde_json::from_slice::<Vec<String>>(
            bytes,
        )?))
    }

    /// The topics in a normalized text, in order of first appearance, each once.
    pub fn topics_in(&self, norm: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if self.max_words == 0 || norm.is_empty() {
            return out;
        }
        // word boundaries: normalized text has single spaces, so an n-gram is a substring
        let mut starts = vec![0];
        let mut ends = Vec::new();
        for (i, b) in norm.bytes().enumerate() {
            if b == b' ' {
                ends.push(i);
                starts.push(i + 1);
            }
        }
        ends.push(norm.len());
        for i in 0..starts.len() {
            for j in i..(i + self.max_words).min(ends.len()) {
                let gram = &norm[starts[i]..ends[j]];
                if self.topics.contains(gram) && !out.iter().any(|t| t == gram) {
                    out.push(gram.to_string());
                }
            }
        }
        out
    }
}

impl PartialEq for TrendTopics {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.topics, &other.topics)
    }
}

impl Eq for TrendTopics {}

impl std::hash::Hash for TrendTopics {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        "trend_topics".hash(state);
        self.topics.len().hash(state);
    }
}

fn list_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

impl ScalarUDFImpl for TrendTopics {
    fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
        super::docs::of(self.name())
    }
    fn name(&self) -> &str {
        "trend_topics"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(list_type())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let input = utf8_arg(&args.args[0].to_array(args.number_rows)?)?;
        let mut out = ListBuilder::new(StringBuilder::new());
        for i in 0..input.len() {
            if input.is_null(i) {
                out.append(false);
                continue;
            }
            for t in self.topics_in(input.value(i)) {
                out.values().append_value(t);
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(arc(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags_and_phrases_match_whole_words_case_insensitively() {
        let f = TrendTopics::new(["#MondayMotivation", "Ajax Feyenoord", "#İstanbul"]);
        let t = |s: &str| f.topics_in(&normalize(s));
        assert_eq!(
            t("Start the week right #mondaymotivation"),
            vec!["mondaymotivation"]
        );
        assert_eq!(t("AJAX - Feyenoord tonight!"), vec!["ajax feyenoord"]);
        assert_eq!(t("Gezi rehberi: ISTANBUL"), vec!["istanbul"]);
        assert!(t("Ajax alone, and mondaymotivations").is_empty());
        assert!(
            TrendTopics::new(Vec::<String>::new())
                .topics_in("anything")
                .is_empty()
        );
    }

    /// A cluster's executors match the vocabulary the client loaded.
    #[test]
    fn the_vocabulary_survives_encoding() {
        let f = TrendTopics::new(["#MondayMotivation", "Ajax Feyenoord", "#İstanbul"]);
        let g = TrendTopics::decode(&f.encode()).unwrap();
        assert_eq!(*g.topics, *f.topics);
        assert_eq!(g.max_words, f.max_words);
        assert_eq!(g.encode(), f.encode());
    }
}
