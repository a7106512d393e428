//! DataFusion inlines a common table expression at every reference, so a rule whose CTE is read
//! twice (the mentions it checks, then the ones it keeps) scans and joins the store twice. The
//! runner instead computes such CTEs once: each CTE referenced more than once becomes a
//! [`CachedView`](super::cached_view::CachedView) registered for the rule's run, and the rule's
//! query reads it like a table. The rule's SQL stays plain SQL that runs anywhere as is (in
//! `xaudit sql`, or on a distributed engine); this only changes how often its parts are evaluated.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{Statement, visit_relations};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// A rule's query with its shared CTEs split out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// `(name, standalone query)` in definition order: register each before the next, since a
    /// later one may read an earlier one.
    pub shared: Vec<(String, String)>,
    /// The query without the shared CTEs, which it now reads as tables.
    pub main: String,
}

/// Split the CTEs of `sql` that are referenced more than once. None when there are none, when
/// the SQL is not a single query (or recursive), or when a CTE's name is `taken` by a table.
pub fn split(sql: &str, taken: impl Fn(&str) -> bool) -> Option<Split> {
    let mut statements = Parser::parse_sql(&GenericDialect {}, sql).ok()?;
    if statements.len() != 1 {
        return None;
    }
    let mut statement = statements.pop()?;
    let mut references: BTreeMap<String, usize> = BTreeMap::new();
    let _ = visit_relations(&statement, |name| {
        *references.entry(name.to_string()).or_default() += 1;
        ControlFlow::<()>::Continue(())
    });
    let Statement::Query(query) = &mut statement else {
        return None;
    };
    let with = query.with.as_mut()?;
    if with.recursive {
        return None;
    }
    let names: Vec<String> = with
        .cte_tables
        .iter()
        .map(|c| c.alias.name.value.clone())
        .collect();
    if names.iter().any(|n| taken(n)) {
        return None;
    }
    let is_shared = |name: &str| references.get(name).copied().unwrap_or(0) >= 2;
    if !names.iter().any(|n| is_shared(n)) {
        return None;
    }
    let mut shared = Vec::new();
    for (i, cte) in with.cte_tables.iter().enumerate() {
        if !is_shared(&names[i]) {
            continue;
        }
        // The earlier CTEs it may read that are not tables of their own.
        let earlier: Vec<String> = with.cte_tables[..i]
            .iter()
            .zip(&names)
            .filter(|(_, n)| !is_shared(n))
            .map(|(c, _)| c.to_string())
            .collect();
        let standalone = if earlier.is_empty() {
            cte.query.to_string()
        } else {
            format!("WITH {} {}", earlier.join(", "), cte.query)
        };
        shared.push((names[i].clone(), standalone));
    }
    with.cte_tables.retain(|c| !is_shared(&c.alias.name.value));
    if with.cte_tables.is_empty() {
        query.with = None;
    }
    Some(Split {
        shared,
        main: statement.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cte_read_twice_is_split_out_with_the_ctes_it_reads() {
        let sql = "WITH a AS (SELECT x FROM events), b AS (SELECT x FROM a WHERE x > 1), c AS (SELECT x FROM b) \
                   SELECT * FROM b JOIN c ON b.x = c.x";
        let s = split(sql, |_| false).unwrap();
        assert_eq!(
            s.shared,
            [(
                "b".to_string(),
                "WITH a AS (SELECT x FROM events) SELECT x FROM a WHERE x > 1".to_string()
            )]
        );
        assert_eq!(
            s.main,
            "WITH a AS (SELECT x FROM events), c AS (SELECT x FROM b) SELECT * FROM b JOIN c ON b.x = c.x"
        );
    }

    #[test]
    fn nothing_to_do_without_a_shared_cte_or_when_a_name_is_a_table() {
        assert_eq!(
            split("WITH a AS (SELECT 1) SELECT * FROM a", |_| false),
            None
        );
        assert_eq!(split("SELECT 1", |_| false), None);
        let twice = "WITH activity AS (SELECT 1 AS x) SELECT * FROM activity a JOIN activity b ON a.x = b.x";
        assert!(split(twice, |_| false).is_some());
        assert_eq!(split(twice, |n| n == "activity"), None);
    }
}
