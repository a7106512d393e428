use std::process::ExitCode;

use std::io::IsTerminal;

use xaudit::output::{MaxRows, TableFormat, cut_note, write_stream};
use xaudit::store::Store;

pub const AFTER_HELP: &str = "\
Tables: events, accounts, connected_apps, trends, snapshots, lists, rejects, inputs, audit_runs,
findings, suppressions, store_versions
(`xaudit schema` describes every column). The rules' views and functions are there too:
views activity (events with client_class, automated, automation: who acted in each event and
the evidence), write_apps, machine_runs; functions client_class, client_acts, consent_phrase,
snowflake_time, sliding_bursts, regular_runs (`\\df` in the shell lists them all).
A rule's SQL (queries/*.sql, with its parameters filled in) runs here as is.

Examples:
  xaudit sql --store ./store \"SELECT account_id, kind, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY 1, 2\"
  xaudit sql --store ./store --format csv \"SELECT client, count(*) FROM events WHERE kind = 'post' GROUP BY client\"
  xaudit sql --store ./store --as-of-version 3 \"SELECT count(*) FROM events\"
  xaudit sql --store ./store -f report-queries.sql --format csv
  xaudit sql --store ./store --maxrows 200 \"SELECT * FROM events ORDER BY ts\"   # on a terminal: 200 rows, not 40
  xaudit sql --store ./store --as-of 2026-11-01T00:00:00Z \"SELECT count(*) FROM trends\"
  xaudit sql --store ./store \"SELECT * FROM store_versions ORDER BY version\"
  xaudit sql --store /shared/store --cluster df://127.0.0.1:50050 \"SELECT kind, count(*) FROM events GROUP BY kind\"
  xaudit sql --store ./store \"SELECT client, client_class(client), count(*) FROM events GROUP BY 1, 2 ORDER BY 3 DESC\"
  xaudit sql --store ./store \"SELECT account_id, unnest(sliding_bursts(ts, event_id, 3600, 100)) FROM activity WHERE kind = 'follow' GROUP BY account_id\"";

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: super::StoreArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: TableFormat,
    /// Show at most N rows of a result (0: all). Default: 40 on a terminal, all into a pipe or
    /// file. The query still runs to the end and the rows left out are counted.
    #[arg(long, value_name = "N")]
    maxrows: Option<usize>,
    #[command(flatten)]
    as_of: super::AsOfArgs,
    #[command(flatten)]
    cluster: super::ClusterArgs,
    /// The query.
    #[arg(required_unless_present_any = ["commands", "files"])]
    query: Option<String>,
    /// Run these statements (several per text, as a script) instead of one query; repeatable.
    #[arg(
        short = 'c',
        long = "command",
        value_name = "SQL",
        conflicts_with = "query"
    )]
    commands: Vec<String>,
    /// Run the statements of this file; repeatable, after any -c.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        conflicts_with = "query"
    )]
    files: Vec<std::path::PathBuf>,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let store = Store::existing(&a.store.store)?;
    let ctx = xaudit::audit::session_on(&store, a.as_of.get()?, &a.cluster.engine(None)?).await?;
    let maxrows = MaxRows::new(a.maxrows, std::io::stdout().is_terminal());
    let Some(query) = &a.query else {
        let mut shell = xaudit::shell::Shell::new(ctx, a.format, false);
        shell.maxrows = maxrows;
        super::shell::run_given(&mut shell, &a.commands, &a.files).await?;
        return Ok(ExitCode::SUCCESS);
    };
    let df = ctx.sql(query).await.map_err(xaudit::Error::Query)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = write_stream(df, a.format, maxrows, &mut out).await?;
    std::io::Write::flush(&mut out)?;
    if let Some(note) = cut_note(written) {
        eprintln!("{note}");
    }
    Ok(ExitCode::SUCCESS)
}
