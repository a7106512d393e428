use std::process::ExitCode;

use xaudit::output::{TableFormat, write_batches};
use xaudit::store::{SessionOptions, Store};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: super::StoreArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: TableFormat,
}

const PER_ACCOUNT: &str = "
WITH handles AS (
  SELECT account_id, last_value(handle ORDER BY observed_at) AS handle FROM accounts GROUP BY account_id
)
SELECT e.account_id, h.handle, count(*) AS events, min(e.ts) AS first_event, max(e.ts) AS last_event,
       count(DISTINCT e.kind) AS kinds
FROM events e LEFT JOIN handles h ON e.account_id = h.account_id
GROUP BY e.account_id, h.handle
ORDER BY e.account_id";

const PER_KIND: &str = "
SELECT account_id, kind, count(*) AS events, min(ts) AS first_event, max(ts) AS last_event,
       sum(CASE WHEN ts_lower < ts THEN 1 ELSE 0 END) AS interval_timed
FROM events GROUP BY account_id, kind ORDER BY account_id, kind";

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let store = Store::existing(&a.store.store)?;
    let ctx = store.session(&SessionOptions::default()).await?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let version = store
        .version()
        .await?
        .map(|v| v.to_string())
        .unwrap_or("-".into());
    if a.format == TableFormat::Table {
        use std::io::Write;
        writeln!(
            out,
            "store {} at version {version}\n\nper account:",
            store.root().display()
        )?;
    }
    let accounts = ctx
        .sql(PER_ACCOUNT)
        .await
        .map_err(xaudit::Error::Query)?
        .collect()
        .await
        .map_err(xaudit::Error::Query)?;
    write_batches(&accounts, a.format, &mut out)?;
    if a.format == TableFormat::Table {
        use std::io::Write;
        writeln!(
            out,
            "\nper account and kind (interval_timed: events known only to lie between two snapshots):"
        )?;
    }
    let kinds = ctx
        .sql(PER_KIND)
        .await
        .map_err(xaudit::Error::Query)?
        .collect()
        .await
        .map_err(xaudit::Error::Query)?;
    write_batches(&kinds, a.format, &mut out)?;
    std::io::Write::flush(&mut out)?;
    Ok(ExitCode::SUCCESS)
}
