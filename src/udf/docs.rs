//! Each function's documentation as DataFusion's own functions carry it ([`Documentation`]), made
//! from the doc comment at the top of the function's file (gathered by `build.rs`), so there is one
//! text to keep right.

use std::collections::HashMap;
use std::sync::LazyLock;

use datafusion::logical_expr::{DocSection, Documentation};

include!(concat!(env!("OUT_DIR"), "/udf_docs.rs"));

const SECTION: DocSection = DocSection {
    include: true,
    label: "xaudit functions",
    description: Some("Functions xaudit adds to DataFusion for its rules and for ad-hoc SQL."),
};

static DOCS: LazyLock<HashMap<&'static str, Documentation>> = LazyLock::new(|| {
    UDF_DOCS
        .iter()
        .map(|(name, syntax, description)| {
            (
                *name,
                Documentation::builder(SECTION, *description, *syntax).build(),
            )
        })
        .collect()
});

/// The documentation of xaudit's function `name`.
pub fn of(name: &str) -> Option<&'static Documentation> {
    DOCS.get(name)
}

/// The first sentence of a description: what a one-line listing shows.
pub fn summary(doc: &Documentation) -> &str {
    let d = doc.description.as_str();
    let first = d.split("\n\n").next().unwrap_or(d);
    match first.find(". ") {
        Some(i) => &first[..=i],
        None => first,
    }
}

/// A function's documentation as the shell and `xaudit explain` print it: syntax, then the
/// description wrapped at 100 columns.
pub fn text(name: &str) -> Option<String> {
    let doc = of(name)?;
    let mut out = format!("{}\n\n", doc.syntax_example);
    for paragraph in doc.description.split("\n\n") {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > 98 {
                out.push_str(&format!("  {line}\n"));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&format!("  {line}\n\n"));
    }
    out.pop();
    Some(out)
}
