/// `println!` that hands back the write error instead of panicking, so that a closed pipe
/// (`xaudit ingest … | head -1`) ends the command quietly like the other commands' output.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)
    }};
}

mod audit;
mod cluster;
mod generate;
mod ingest;
mod nightly;
mod rules;
mod shell;
mod sql;
mod stats;
mod store;
mod suppress;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use xaudit::text::inert::visible_lines;

use clap::{CommandFactory, Parser, Subcommand};

const AFTER_HELP: &str = "\
Examples:
  xaudit audit export.zip hooks.jsonl
  xaudit audit --store ./store --format json --out report.json
  xaudit rules
  xaudit explain mass_follow --lang nl
  xaudit ingest --store ./store twitter-2026-03-06-abc.zip hooks.jsonl trends.jsonl
  xaudit stats --store ./store
  xaudit sql --store ./store \"SELECT kind, count(*) FROM events GROUP BY kind\"
  xaudit gen --accounts 20 --days 30 --seed 7 --out ./synthetic
  xaudit schema
  xaudit nightly --store ./store --inbox ./inbox --reports ./reports
  xaudit suppress FINGERPRINT --store ./store --reason \"opt-in list, ticket OPS-12\"
  xaudit shell --store ./store
  xaudit audit --store /shared/store --cluster df://scheduler:50050
  xaudit completions bash > ~/.local/share/bash-completion/completions/xaudit
  xaudit man | man -l -

Exit codes: 0 success (audit: no finding at or above --fail-on), 1 audit findings at or above
--fail-on, 2 error (bad input, bad arguments, I/O). A closed pipe is not an error.";

/// `xaudit --version`: the release and the commit it was built from.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("XAUDIT_COMMIT"), ")");

/// Audit archived X (Twitter) account activity against the X Automation Rules.
#[derive(Parser)]
#[command(name = "xaudit", version = VERSION, about, after_help = AFTER_HELP)]
struct Cli {
    /// When to colour output and draw progress: `auto` on terminals unless NO_COLOR is set;
    /// `never` (or NO_COLOR) prints no escape sequence at all; `always` even into a pipe.
    #[arg(long, value_enum, default_value = "auto", global = true)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

static COLOR: std::sync::OnceLock<ColorChoice> = std::sync::OnceLock::new();

/// Whether output to a stream (a terminal or not) may carry escape sequences: colours, and the
/// redrawing of progress bars. NO_COLOR (https://no-color.org), when set and not empty, turns
/// them off unless `--color always` asks for them.
fn decorate(is_terminal: bool) -> bool {
    match COLOR.get().copied().unwrap_or(ColorChoice::Auto) {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Audit inputs (or a store) against the X Automation Rules and print the report.
    #[command(after_help = audit::AFTER_HELP)]
    Audit(audit::Args),
    /// Read inputs into a store (created if absent). Atomic: all or nothing, unless --lenient.
    #[command(after_help = ingest::AFTER_HELP)]
    Ingest(ingest::Args),
    /// Interactive SQL over the store, with every view and function; also runs a script on stdin.
    #[command(after_help = shell::AFTER_HELP)]
    Shell(shell::Args),
    /// Run SQL against a store's tables.
    #[command(after_help = sql::AFTER_HELP)]
    Sql(sql::Args),
    /// Events per account and kind, and each account's time range.
    Stats(stats::Args),
    /// Print the store's tables and columns (Markdown).
    Schema,
    /// List the rules (`--functions`: the SQL functions they are built from).
    Rules(rules::ListArgs),
    /// Explain a rule: what it finds, why it matters, an example, how to fix it; or what one of
    /// xaudit's SQL functions does.
    Explain(rules::ExplainArgs),
    /// Precision and recall of the rule pack on `xaudit gen` output, against its labels.
    Eval {
        /// The folder `xaudit gen --out` wrote.
        dir: PathBuf,
        /// Rule levels and parameters (TOML).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print the audit config.
    Config {
        /// Print every rule's documented defaults.
        #[arg(long, required = true)]
        default: bool,
    },
    /// Write synthetic activity in the real formats, with planted violations and a labels file.
    #[command(after_help = generate::AFTER_HELP)]
    Gen(generate::Args),
    /// Ingest what is new in an inbox, audit, compare with the last run and write dated reports.
    #[command(after_help = nightly::AFTER_HELP)]
    Nightly(nightly::Args),
    /// Accept a finding: it stays in reports with the reason but no longer fails the run.
    #[command(after_help = suppress::SUPPRESS_HELP)]
    Suppress(suppress::SuppressArgs),
    /// End a suppression (recorded in the trail; nothing is deleted).
    Unsuppress(suppress::UnsuppressArgs),
    /// List the suppressions in force (or the whole trail with --all).
    Suppressions(suppress::ListArgs),
    /// Look after a long-lived store: compact its files, check every version is readable.
    #[command(subcommand, after_help = store::AFTER_HELP)]
    Store(store::Command),
    /// Run a scheduler or an executor of a cluster that audits run on (`--cluster`).
    #[command(subcommand, after_help = cluster::AFTER_HELP)]
    Cluster(cluster::Command),
    /// Print a completion script for a shell.
    #[command(after_help = "\
Examples:
  xaudit completions bash > ~/.local/share/bash-completion/completions/xaudit
  xaudit completions zsh > ~/.zfunc/_xaudit
  xaudit completions fish > ~/.config/fish/completions/xaudit.fish")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print xaudit's manual page (roff), generated from the same definitions as --help.
    #[command(
        after_help = "Examples:\n  xaudit man | man -l -\n  xaudit man > /usr/local/share/man/man1/xaudit.1"
    )]
    Man,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = COLOR.set(cli.color);
    let result = match cli.command {
        Command::Audit(a) => runtime().and_then(|rt| rt.block_on(stoppable(audit::run(a)))),
        Command::Rules(a) => rules::list(a),
        Command::Explain(a) => rules::explain(a),
        Command::Config { .. } => rules::config_default(),
        Command::Eval { dir, config } => {
            runtime().and_then(|rt| rt.block_on(rules::eval(dir, config)))
        }
        Command::Ingest(a) => runtime().and_then(|rt| rt.block_on(stoppable(ingest::run(a)))),
        Command::Shell(a) => runtime().and_then(|rt| rt.block_on(shell::run(a))),
        Command::Sql(a) => runtime().and_then(|rt| rt.block_on(sql::run(a))),
        Command::Stats(a) => runtime().and_then(|rt| rt.block_on(stats::run(a))),
        Command::Schema => print(&xaudit::model::schema::markdown()),
        Command::Gen(a) => generate::run(a),
        Command::Nightly(a) => runtime().and_then(|rt| rt.block_on(stoppable(nightly::run(a)))),
        Command::Suppress(a) => runtime().and_then(|rt| rt.block_on(suppress::suppress(a))),
        Command::Unsuppress(a) => runtime().and_then(|rt| rt.block_on(suppress::unsuppress(a))),
        Command::Suppressions(a) => runtime().and_then(|rt| rt.block_on(suppress::list(a))),
        Command::Store(c) => runtime().and_then(|rt| rt.block_on(stoppable(store::run(c)))),
        // Not `stoppable`: each role ends cleanly on a signal itself.
        Command::Cluster(c) => runtime().and_then(|rt| rt.block_on(cluster::run(c))),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "xaudit", &mut script);
            print_bytes(&script)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(anyhow::Error::from)
                .and_then(|_| print_bytes(&page))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Messages quote file names and values from the data.
            eprintln!("error: {}", visible_lines(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

/// A run that SIGINT and SIGTERM stop cleanly (see `xaudit::interrupt`).
async fn stoppable<T>(run: impl std::future::Future<Output = T>) -> T {
    xaudit::interrupt::install();
    run.await
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn print(s: &str) -> anyhow::Result<ExitCode> {
    print_bytes(s.as_bytes())
}

fn print_bytes(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    std::io::stdout().write_all(bytes)?;
    Ok(ExitCode::SUCCESS)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.to_string().contains("Broken pipe")
    })
}

/// A progress bar on stderr when it is a terminal that may be decorated; hidden otherwise (cron,
/// CI, pipes, NO_COLOR).
fn progress(what: &str) -> indicatif::ProgressBar {
    if !(std::io::stderr().is_terminal() && decorate(true)) {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} {human_pos} events [{elapsed}] {per_sec}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    pb.set_message(what.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// Rules done out of rules enabled, with the one running, on stderr when it is a terminal.
fn rule_progress() -> indicatif::ProgressBar {
    if !(std::io::stderr().is_terminal() && decorate(true)) {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(0);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} auditing {bar:30} {pos}/{len} rules [{elapsed}] {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

#[derive(clap::Args, Clone)]
struct StoreArg {
    /// The store folder.
    #[arg(long, value_name = "DIR", env = "XAUDIT_STORE")]
    store: PathBuf,
}

/// The config file an audit runs with: `--config` (or XAUDIT_CONFIG), else `./xaudit.toml`, else
/// `<store>/xaudit.toml`; with where it was found, for --verbose. None: the rules' defaults.
fn find_config(
    given: Option<&std::path::Path>,
    store: Option<&std::path::Path>,
) -> Option<(PathBuf, &'static str)> {
    if let Some(p) = given {
        return Some((p.to_path_buf(), "given by --config or XAUDIT_CONFIG"));
    }
    let here = PathBuf::from("xaudit.toml");
    if here.is_file() {
        return Some((here, "found in the working folder"));
    }
    store
        .map(|s| s.join("xaudit.toml"))
        .filter(|p| p.is_file())
        .map(|p| (p, "found in the store"))
}

/// Time travel: read the store as it was at a version or a moment.
#[derive(clap::Args, Clone, Default)]
struct AsOfArgs {
    /// Read the store as it was at this version (`SELECT * FROM store_versions` lists them).
    #[arg(long, value_name = "N", conflicts_with = "as_of")]
    as_of_version: Option<u64>,
    /// Read the store as it was at this moment (RFC 3339, e.g. 2026-11-01T03:00:00Z).
    #[arg(long, value_name = "TIMESTAMP")]
    as_of: Option<String>,
}

impl AsOfArgs {
    fn get(&self) -> anyhow::Result<Option<xaudit::store::AsOf>> {
        use xaudit::store::AsOf;
        if let Some(v) = self.as_of_version {
            return Ok(Some(AsOf::Version(v)));
        }
        match &self.as_of {
            None => Ok(None),
            Some(t) => match xaudit::model::time::parse_ts(t) {
                Some(us) => Ok(Some(AsOf::Time(us))),
                None => anyhow::bail!(
                    "--as-of {t:?}: not a timestamp; expected RFC 3339 such as 2026-11-01T03:00:00Z"
                ),
            },
        }
    }
}

/// Where the queries run: here, or on a cluster (`xaudit cluster`).
#[derive(clap::Args, Clone, Default)]
struct ClusterArgs {
    /// Run the queries on this cluster (`xaudit cluster --help`) instead of in this process; the
    /// report is built here all the same. Its executors must read the store at the same path.
    #[arg(long, value_name = "df://HOST:PORT")]
    cluster: Option<String>,
    /// Partitions of each stage on the cluster: tasks its executors share.
    #[arg(long, value_name = "N", default_value_t = 16, requires = "cluster")]
    cluster_partitions: usize,
    /// A folder where the views several rules read (the near-duplicate stages, machine cadence
    /// runs) are computed once, in a new folder inside it removed afterwards; the cluster's
    /// scheduler and executors and this process must reach it at this same path. `audit`'s
    /// default is the store's own folder; `sql` without it recomputes those views in every query
    /// that reads them.
    #[arg(long, value_name = "DIR", requires = "cluster")]
    cluster_views: Option<std::path::PathBuf>,
}

impl ClusterArgs {
    /// The engine; on a cluster, `default_views` is the views folder `--cluster-views` did not
    /// name (None: plain views).
    fn engine(&self, default_views: Option<&Path>) -> anyhow::Result<xaudit::audit::Engine> {
        use xaudit::audit::Engine;
        Ok(match &self.cluster {
            None => Engine::Local,
            Some(url) => Engine::Cluster {
                url: xaudit::cluster::ClusterUrl::parse(url)?,
                partitions: self.cluster_partitions,
                views: self
                    .cluster_views
                    .clone()
                    .or_else(|| default_views.map(Path::to_path_buf)),
            },
        })
    }
}
