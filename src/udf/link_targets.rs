//! `link_targets(urls)`: where a post's links lead, as one string: the distinct targets of its
//! `urls` (each `expanded` address, else the address as written), as host, path and query
//! (`example.com/p/1?a=b`), sorted and separated by spaces. NULL when the post has no link or
//! `urls` is NULL. X wraps every link in its own t.co address, different in every post; two posts
//! that link to the same page have the same targets. Near-duplicate detection compares them: the
//! same words linking to another page are another post (a photo each, an item each).

use std::collections::BTreeSet;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::{DataFusionError, Result};

use super::scalar::Scalar;
use super::{Strings, arc, utf8_arg};

fn body(args: &[ArrayRef]) -> Result<ArrayRef> {
    let lists = args[0]
        .as_list_opt::<i32>()
        .ok_or_else(|| DataFusionError::Plan("link_targets takes the urls column".into()))?;
    let links = lists
        .values()
        .as_struct_opt()
        .ok_or_else(|| DataFusionError::Plan("link_targets: urls holds structs".into()))?;
    // Read as strings once for the whole batch: cast row by row (a slice of one post's links at a
    // time), the two columns took a tenth of the audit's first 11 seconds at 10M events.
    let field = |name: &str| links.column_by_name(name).map(utf8_arg).transpose();
    let (written, expanded) = (field("url")?, field("expanded")?);
    fn pick(col: &Option<Strings>, j: usize) -> Option<&str> {
        col.as_ref().filter(|c| c.is_valid(j)).map(|c| c.value(j))
    }
    let offsets = lists.value_offsets();
    let mut out = StringBuilder::with_capacity(lists.len(), lists.len() * 24);
    for i in 0..lists.len() {
        if lists.is_null(i) {
            out.append_null();
            continue;
        }
        let mut targets = BTreeSet::new();
        for j in offsets[i] as usize..offsets[i + 1] as usize {
            if let Some(t) = pick(&expanded, j)
                .or_else(|| pick(&written, j))
                .and_then(crate::text::links::target)
            {
                targets.insert(t);
            }
        }
        if targets.is_empty() {
            out.append_null();
        } else {
            out.append_value(targets.into_iter().collect::<Vec<_>>().join(" "));
        }
    }
    Ok(arc(out.finish()))
}

/// The SQL function.
pub fn udf() -> Scalar {
    Scalar::new("link_targets", 1, DataType::Utf8, body)
}
