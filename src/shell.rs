//! The engine of `xaudit shell`: statements end at a `;` outside quotes and comments (so they may
//! span lines), and backslash commands (`\d`, `\d TABLE`, `\df`, `\format`, `\timing`, `\q`) take
//! one line, as in psql and datafusion-cli. The terminal loop (line editing, history) is in the
//! binary; this part reads text and writes results, so scripts on stdin and tests use it as is.

use std::io::Write;
use std::time::Instant;

use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, Tokenizer};

use crate::error::{Error, Result};
use crate::output::{MaxRows, TableFormat, cut_note, write_stream};

/// One statement or command of a script, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub line: usize,
    pub text: String,
}

/// Split `text` into complete statements and commands; the second value is an unfinished
/// statement at the end (empty when everything is complete, or only comments are left).
/// Statements are cut at the `;` tokens of sqlparser's tokenizer (the one DataFusion parses
/// with), so strings, quoted names, dollar-quoted strings and nested comments hide their `;`
/// exactly as they do from the parser. A backslash command takes the rest of its line, when it
/// starts a statement.
pub fn split(text: &str) -> (Vec<Statement>, String) {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let rest = &text[pos..];
        let start = pos + (rest.len() - rest.trim_start().len());
        let line = text[..start].matches('\n').count() + 1;
        let here = &text[start..];
        if here.is_empty() {
            return (out, String::new());
        }
        if here.starts_with('\\') {
            let end = here.find('\n').map_or(text.len(), |n| start + n);
            out.push(Statement {
                line,
                text: text[start..end].trim().to_string(),
            });
            pos = end;
            continue;
        }
        let Some(semi) = first_semicolon(here) else {
            let left = if only_comments(here) { "" } else { here.trim() };
            return (out, left.to_string());
        };
        let statement = here[..semi].trim();
        if !only_comments(statement) {
            out.push(Statement {
                line,
                text: statement.to_string(),
            });
        }
        pos = start + semi + 1;
    }
}

/// The byte offset of the first `;` token in `sql`. A string or comment left open after it does
/// not matter: the tokens before the error are kept.
fn first_semicolon(sql: &str) -> Option<usize> {
    let mut tokens = Vec::new();
    // An error (a quote or comment left open) stops the tokenizer where it was.
    let _ = Tokenizer::new(&GenericDialect {}, sql).tokenize_with_location_into_buf(&mut tokens);
    let at = tokens
        .iter()
        .find(|t| t.token == Token::SemiColon)?
        .span
        .start;
    Some(byte_offset(sql, at))
}

/// The byte offset of a tokenizer location (1-based line and character column).
fn byte_offset(sql: &str, at: Location) -> usize {
    let line_start: usize = sql
        .split_inclusive('\n')
        .take(at.line.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let column = at.column.saturating_sub(1) as usize;
    line_start
        + sql[line_start..]
            .char_indices()
            .nth(column)
            .map_or(sql.len() - line_start, |(i, _)| i)
}

/// Whether `sql` holds nothing but whitespace and complete comments.
fn only_comments(sql: &str) -> bool {
    Tokenizer::new(&GenericDialect {}, sql)
        .tokenize()
        .is_ok_and(|tokens| tokens.iter().all(|t| matches!(t, Token::Whitespace(_))))
}

/// Whether the text typed so far can run (for the line editor's "press enter to continue").
pub fn is_complete(text: &str) -> bool {
    split(text).1.is_empty()
}

pub const HELP: &str = "\
Statements end with ';' and may span lines. Commands:
  \\d            list tables and views
  \\d NAME       describe a table or view (columns and types)
  \\df           list xaudit's functions (UDFs and aggregates), one line each
  \\df NAME      what a function does, with its syntax
  \\format F     output format: table, csv, json, jsonl (also \\pset format F)
  \\pset maxrows N  at most N rows of a result (0: all; 40 on a terminal)
  \\timing       switch timing on or off
  \\quiet        switch quiet mode on or off: results and errors only
  \\i FILE       run the statements of a file
  \\?            this help
  \\q            quit (also Ctrl-D)";

/// What a command asks of the terminal loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Continue,
    Quit,
    /// `\\i FILE`: run the statements of a file, then go on.
    Include(std::path::PathBuf),
}

/// How deep `\\i` may nest, so a file that includes itself ends.
const MAX_INCLUDE_DEPTH: usize = 16;

pub struct Shell {
    ctx: SessionContext,
    pub format: TableFormat,
    /// Print row counts and times (to the error stream, so results stay clean for pipes).
    pub timing: bool,
    /// `\\quiet`: no timing lines or acknowledgements, only results and errors.
    pub quiet: bool,
    /// How many rows of a result are shown (`--maxrows`, `\\pset maxrows N`).
    pub maxrows: MaxRows,
    include_depth: usize,
}

impl Shell {
    pub fn new(ctx: SessionContext, format: TableFormat, timing: bool) -> Self {
        Shell {
            ctx,
            format,
            timing,
            quiet: false,
            maxrows: MaxRows::All,
            include_depth: 0,
        }
    }

    async fn query(&self, sql: &str, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
        let started = Instant::now();
        let written =
            write_stream(self.ctx.sql(sql).await?, self.format, self.maxrows, out).await?;
        if let Some(note) = cut_note(written) {
            let _ = writeln!(err, "{note}");
        }
        if self.timing && !self.quiet {
            let rows = written.rows;
            let _ = writeln!(
                err,
                "{rows} row{} in {:.3} s",
                if rows == 1 { "" } else { "s" },
                started.elapsed().as_secs_f64()
            );
        }
        Ok(())
    }

    /// Run one statement or command.
    pub async fn run(
        &mut self,
        stmt: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Next> {
        let Some(cmd) = stmt.strip_prefix('\\') else {
            self.query(stmt, out, err).await?;
            return Ok(Next::Continue);
        };
        let mut words = cmd.split_whitespace();
        let mut name = words.next().unwrap_or("");
        let mut arg = words.next();
        // psql's spelling of \format: `\pset format csv`.
        if name == "pset" && arg == Some("format") {
            (name, arg) = ("format", words.next());
        }
        match (name, arg) {
            ("q" | "quit", _) => return Ok(Next::Quit),
            ("?" | "h" | "help", _) => {
                writeln!(out, "{HELP}").map_err(|e| Error::io("<stdout>", e))?
            }
            ("d", None) => {
                self.query(
                    "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_type, table_name",
                    out,
                    err,
                )
                .await?
            }
            ("d", Some(t)) => {
                if !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(Error::Usage(format!("\\d {t}: not a table name")));
                }
                self.query(&format!("DESCRIBE {t}"), out, err).await?
            }
            ("df", None) => {
                for (name, doc) in crate::udf::functions() {
                    let summary = doc.as_ref().map_or("", crate::udf::docs::summary);
                    writeln!(out, "{name:<22} {summary}").map_err(|e| Error::io("<stdout>", e))?;
                }
            }
            ("df", Some(name)) => {
                let Some(text) = crate::udf::docs::text(name) else {
                    return Err(Error::Usage(format!(
                        "\\df {name}: no xaudit function of that name; \\df lists them"
                    )));
                };
                write!(out, "{text}").map_err(|e| Error::io("<stdout>", e))?;
            }
            ("i" | "include", Some(file)) => return Ok(Next::Include(file.into())),
            ("i" | "include", None) => {
                return Err(Error::Usage("\\i needs a file: \\i queries.sql".into()));
            }
            ("quiet", arg) => {
                self.quiet = match arg {
                    Some("on" | "true") => true,
                    Some("off" | "false") => false,
                    _ => !self.quiet,
                };
            }
            ("format", Some(f)) => {
                self.format = match f {
                    "table" => TableFormat::Table,
                    "csv" => TableFormat::Csv,
                    "json" => TableFormat::Json,
                    "jsonl" => TableFormat::Jsonl,
                    other => {
                        return Err(Error::Usage(format!(
                            "\\format {other}: expected table, csv, json or jsonl"
                        )));
                    }
                };
            }
            ("pset", Some("maxrows")) => {
                self.maxrows = match words.next().map(str::parse::<usize>) {
                    Some(Ok(n)) => MaxRows::new(Some(n), false),
                    _ => {
                        return Err(Error::Usage(
                            "\\pset maxrows N: expected a number of rows (0: all)".into(),
                        ));
                    }
                };
            }
            ("timing", arg) => {
                self.timing = match arg {
                    Some("on") => true,
                    Some("off") => false,
                    _ => !self.timing,
                };
                if !self.quiet {
                    let _ = writeln!(err, "timing {}", if self.timing { "on" } else { "off" });
                }
            }
            _ => {
                return Err(Error::Usage(format!(
                    "unknown command \\{cmd}; \\? lists the commands"
                )));
            }
        }
        Ok(Next::Continue)
    }

    /// Run a whole script (stdin that is not a terminal). Stops at the first failing statement,
    /// naming its line.
    pub async fn script(
        &mut self,
        text: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Next> {
        let (mut stmts, rest) = split(text);
        if !rest.is_empty() {
            // The last statement may omit its ';'.
            let line = text.lines().count() - rest.lines().count() + 1;
            stmts.push(Statement { line, text: rest });
        }
        for s in &stmts {
            let at_line = |e: Error| Error::Usage(format!("statement at line {}: {e}", s.line));
            match self.run(&s.text, out, err).await.map_err(at_line)? {
                Next::Quit => return Ok(Next::Quit),
                Next::Continue => {}
                Next::Include(file) => {
                    if self.include(&file, out, err).await.map_err(at_line)? == Next::Quit {
                        return Ok(Next::Quit);
                    }
                }
            }
        }
        Ok(Next::Continue)
    }

    /// Run the statements of `file` (`\\i FILE`); errors name the file and its line.
    pub async fn include(
        &mut self,
        file: &std::path::Path,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Next> {
        if self.include_depth >= MAX_INCLUDE_DEPTH {
            return Err(Error::Usage(format!(
                "\\i {}: files include each other more than {MAX_INCLUDE_DEPTH} deep",
                file.display()
            )));
        }
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        self.include_depth += 1;
        let done = Box::pin(self.script(&text, out, err)).await;
        self.include_depth -= 1;
        done.map_err(|e| Error::Usage(format!("{}: {e}", file.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        split(s).0.into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn statements_end_at_semicolons_outside_quotes_and_comments() {
        assert_eq!(
            texts("SELECT ';' AS a;\nSELECT \"x;y\" FROM t; -- c;\nSELECT 1 /* ; */;"),
            [
                "SELECT ';' AS a",
                "SELECT \"x;y\" FROM t",
                "-- c;\nSELECT 1 /* ; */"
            ]
        );
    }

    #[test]
    fn a_statement_may_span_lines_and_is_unfinished_without_its_semicolon() {
        let (done, rest) = split("SELECT\n  1;\nSELECT 2\nFROM t");
        assert_eq!(done[0].text, "SELECT\n  1");
        assert_eq!(done[0].line, 1);
        assert_eq!(rest, "SELECT 2\nFROM t");
        assert!(!is_complete("SELECT 'it''s"));
        assert!(is_complete("SELECT 'it''s';"));
        assert!(is_complete("-- only a comment"));
    }

    #[test]
    fn a_script_ending_in_a_block_comment_is_complete() {
        let (done, rest) = split("SELECT 1;\n/* the end */\n");
        assert_eq!(done.len(), 1);
        assert_eq!(rest, "");
        assert!(is_complete("SELECT 1; /* a\n comment */"));
        assert!(!is_complete("SELECT 1; /* still open"));
    }

    #[test]
    fn nested_block_comments_hide_their_semicolons() {
        assert_eq!(
            texts("SELECT 1 /* a /* b; */ c; */;SELECT 2;"),
            ["SELECT 1 /* a /* b; */ c; */", "SELECT 2"]
        );
    }

    #[test]
    fn dollar_quoted_strings_hide_their_semicolons() {
        assert_eq!(
            texts("SELECT $$a;b$$ AS x;SELECT $tag$c;d$tag$;"),
            ["SELECT $$a;b$$ AS x", "SELECT $tag$c;d$tag$"]
        );
    }

    #[test]
    fn a_comment_opened_by_a_slash_star_slash_runs_to_its_star_slash() {
        assert_eq!(
            texts("SELECT 1 /*/ ; */;SELECT 2;"),
            ["SELECT 1 /*/ ; */", "SELECT 2"]
        );
    }

    #[test]
    fn a_statement_before_an_open_quote_is_complete() {
        let (done, rest) = split("SELECT 1;\nSELECT 'it");
        assert_eq!(done[0].text, "SELECT 1");
        assert_eq!(rest, "SELECT 'it");
    }

    #[test]
    fn backslash_commands_take_one_line_at_the_start_of_a_statement() {
        let (done, rest) = split("\\d\n\\d events\nSELECT '\\d';\n");
        assert_eq!(
            done.iter()
                .map(|s| (s.line, s.text.as_str()))
                .collect::<Vec<_>>(),
            [(1, "\\d"), (2, "\\d events"), (3, "SELECT '\\d'")]
        );
        assert!(rest.is_empty());
    }
}
