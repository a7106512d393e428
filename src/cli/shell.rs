use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use xaudit::text::inert::visible_lines;

use anyhow::Context;
use rustyline::error::ReadlineError;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Editor, Helper};
use xaudit::output::TableFormat;
use xaudit::shell::{Next, Shell, is_complete, split};
use xaudit::store::Store;

pub const AFTER_HELP: &str = "\
Every table of the store, the audit's views and xaudit's functions are there, as for the rules.
On a terminal: line editing, history (~/.xaudit_history), statements over several lines (they end
with ';'), \\d to list tables, \\d NAME to describe one, \\df for xaudit's functions, \\format,
\\timing, \\quiet, \\i FILE, \\q. With a script on stdin (or -c SQL, -f FILE) it runs the statements in order and stops at the first error
(exit 2, naming the line).

Examples:
  xaudit shell --store ./store
  xaudit shell --store ./store --format csv < queries.sql > out.csv
  xaudit shell --store ./store -c \"\\\\pset format csv\" -f queries.sql
  echo \"SELECT normalize_text('Héllo @bot WORLD!');\" | xaudit shell --store ./store";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: super::StoreArg,
    /// Output format (change it inside with \format).
    #[arg(long, value_enum, default_value = "table")]
    format: TableFormat,
    /// Show at most N rows of a result (0: all; `\pset maxrows N` inside). Default: 40 on a
    /// terminal, all into a pipe or file.
    #[arg(long, value_name = "N")]
    maxrows: Option<usize>,
    #[command(flatten)]
    as_of: super::AsOfArgs,
    /// Run these statements and commands (as a script) and exit; repeatable, run in order.
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    commands: Vec<String>,
    /// Run the statements of this file and exit; repeatable, run after any -c.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<std::path::PathBuf>,
}

/// Run `-c` texts, then `-f` files, stopping at the first error (which names the file and line)
/// or at `\q`.
pub async fn run_given(
    shell: &mut Shell,
    commands: &[String],
    files: &[std::path::PathBuf],
) -> anyhow::Result<()> {
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    for c in commands {
        if shell.script(c, &mut out, &mut err).await? == Next::Quit {
            return Ok(());
        }
    }
    for f in files {
        if shell.include(f, &mut out, &mut err).await? == Next::Quit {
            return Ok(());
        }
    }
    Ok(())
}

/// Enter runs the statement once it is complete; until then it continues it on the next line.
struct StatementEnd;

impl Helper for StatementEnd {}
impl rustyline::highlight::Highlighter for StatementEnd {}
impl rustyline::hint::Hinter for StatementEnd {
    type Hint = String;
}
impl rustyline::completion::Completer for StatementEnd {
    type Candidate = String;
}

impl Validator for StatementEnd {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        Ok(
            if input.trim_start().starts_with('\\') || is_complete(input) {
                ValidationResult::Valid(None)
            } else {
                ValidationResult::Incomplete
            },
        )
    }
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let store = Store::existing(&a.store.store)?;
    let ctx = xaudit::audit::session(&store, a.as_of.get()?).await?;
    let interactive = std::io::stdin().is_terminal();
    let mut shell = Shell::new(ctx, a.format, interactive);
    shell.maxrows = xaudit::output::MaxRows::new(a.maxrows, std::io::stdout().is_terminal());
    if !a.commands.is_empty() || !a.files.is_empty() {
        shell.timing = false;
        run_given(&mut shell, &a.commands, &a.files).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    if !interactive {
        let mut script = String::new();
        std::io::stdin()
            .read_to_string(&mut script)
            .context("cannot read the script from stdin")?;
        shell.script(&script, &mut out, &mut err).await?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut editor: Editor<StatementEnd, rustyline::history::DefaultHistory> =
        Editor::new().context("cannot start the line editor")?;
    editor.set_helper(Some(StatementEnd));
    let history =
        std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".xaudit_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    eprintln!(
        "xaudit shell on {} — statements end with ';', \\? for help, \\q to quit",
        a.store.store.display()
    );
    loop {
        match editor.readline("xaudit> ") {
            Ok(line) => {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(line);
                let (stmts, rest) = split(line);
                let mut quit = false;
                for stmt in stmts
                    .iter()
                    .map(|s| s.text.as_str())
                    .chain(Some(rest.as_str()).filter(|r| !r.is_empty()))
                {
                    let ran = match shell.run(stmt, &mut out, &mut err).await {
                        Ok(Next::Include(file)) => shell.include(&file, &mut out, &mut err).await,
                        other => other,
                    };
                    match ran {
                        Ok(Next::Quit) => quit = true,
                        Ok(_) => {}
                        Err(e) => eprintln!("error: {}", visible_lines(&e.to_string())),
                    }
                }
                if quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("line editor"),
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(ExitCode::SUCCESS)
}
