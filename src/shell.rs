//! The engine of `xaudit shell`: statements end at a `;` outside quotes and comments (so they may
//! span lines), and backslash commands (`\d`, `\d TABLE`, `\df`, `\format`, `\timing`, `\q`) take
//! one line, as in psql and datafusion-cli. The terminal loop (line editing, history) is in the
//! binary; this part reads text and writes results, so scripts on stdin and tests use it as is.

use std::io::Write;
use std::time::Instant;

use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};
use crate::output::{TableFormat, write_batches};

/// One statement or command of a script, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub line: usize,
    pub text: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    Code,
    Single,
    Double,
    LineComment,
    BlockComment,
}

/// Split `text` into complete statements and commands; the second value is an unfinished
/// statement at the end (empty when everything is complete).
pub fn split(text: &str) -> (Vec<Statement>, String) {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start_line = 1;
    let mut line = 1;
    let mut state = Scan::Code;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if cur.trim().is_empty() && state == Scan::Code && c == '\\' {
            // A backslash command: the rest of the line.
            let mut cmd = String::from('\\');
            while let Some(&n) = chars.peek() {
                if n == '\n' {
                    break;
                }
                cmd.push(n);
                chars.next();
            }
            out.push(Statement {
                line,
                text: cmd.trim().to_string(),
            });
            cur.clear();
            continue;
        }
        if cur.trim().is_empty() && !c.is_whitespace() {
            start_line = line;
        }
        if c == '\n' {
            line += 1;
        }
        match state {
            Scan::Code => match c {
                ';' => {
                    let s = cur.trim();
                    if !s.is_empty() {
                        out.push(Statement {
                            line: start_line,
                            text: s.to_string(),
                        });
                    }
                    cur.clear();
                    continue;
                }
                '\'' => state = Scan::Single,
                '"' => state = Scan::Double,
                '-' if chars.peek() == Some(&'-') => state = Scan::LineComment,
                '/' if chars.peek() == Some(&'*') => state = Scan::BlockComment,
                _ => {}
            },
            Scan::Single if c == '\'' => state = Scan::Code,
            Scan::Double if c == '"' => state = Scan::Code,
            Scan::LineComment if c == '\n' => state = Scan::Code,
            Scan::BlockComment if c == '*' && chars.peek() == Some(&'/') => {
                cur.push(c);
                cur.push(chars.next().expect("peeked"));
                state = Scan::Code;
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    // A trailing comment alone is not an unfinished statement.
    let rest = if only_comments(&cur) {
        String::new()
    } else {
        cur.trim().to_string()
    };
    (out, rest)
}

fn only_comments(s: &str) -> bool {
    s.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("--")
    })
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
  \\format F     output format: table, csv, json, jsonl
  \\timing       switch timing on or off
  \\?            this help
  \\q            quit (also Ctrl-D)";

/// What a command asks of the terminal loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Continue,
    Quit,
}

pub struct Shell {
    ctx: SessionContext,
    pub format: TableFormat,
    /// Print row counts and times (to the error stream, so results stay clean for pipes).
    pub timing: bool,
}

impl Shell {
    pub fn new(ctx: SessionContext, format: TableFormat, timing: bool) -> Self {
        Shell {
            ctx,
            format,
            timing,
        }
    }

    async fn query(&self, sql: &str, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
        let started = Instant::now();
        let batches = self.ctx.sql(sql).await?.collect().await?;
        write_batches(&batches, self.format, out)?;
        if self.timing {
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
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
        let name = words.next().unwrap_or("");
        let arg = words.next();
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
            ("format" | "pset", Some(f)) => {
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
            ("timing", arg) => {
                self.timing = match arg {
                    Some("on") => true,
                    Some("off") => false,
                    _ => !self.timing,
                };
                let _ = writeln!(err, "timing {}", if self.timing { "on" } else { "off" });
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
    ) -> Result<()> {
        let (stmts, rest) = split(text);
        for s in &stmts {
            match self.run(&s.text, out, err).await {
                Ok(Next::Quit) => return Ok(()),
                Ok(Next::Continue) => {}
                Err(e) => {
                    return Err(Error::Usage(format!("statement at line {}: {e}", s.line)));
                }
            }
        }
        if !rest.is_empty() {
            // The last statement may omit its ';'.
            let line = text.lines().count() - rest.lines().count() + 1;
            self.run(&rest, out, err)
                .await
                .map_err(|e| Error::Usage(format!("statement at line {line}: {e}")))?;
        }
        Ok(())
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
