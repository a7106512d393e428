use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use xaudit::cluster::roles::{ExecutorOptions, run_executor, run_scheduler};
use xaudit::cluster::{ClusterUrl, DEFAULT_PORT};

pub const AFTER_HELP: &str = "\
A cluster runs an audit's queries on several machines: one scheduler, any number of executors.
Every executor must read the store at the path the client gives (a shared file system), and
the executors must reach each other (they exchange intermediate results).

Examples (one machine, three terminals, then the audit):
  xaudit cluster scheduler --bind 127.0.0.1:50050
  xaudit cluster executor --scheduler 127.0.0.1:50050 --bind 127.0.0.1:50051
  xaudit cluster executor --scheduler 127.0.0.1:50050 --bind 127.0.0.1:50061
  xaudit audit --store /shared/store --cluster df://127.0.0.1:50050

Stop a role with Ctrl-C or SIGTERM. Each role logs warnings and errors to stderr; RUST_LOG
chooses more (RUST_LOG=info shows every job and stage; RUST_LOG=ballista_scheduler=debug every
task).";

#[derive(clap::Subcommand)]
pub enum Command {
    /// Plan queries into stages and hand their tasks to executors.
    #[command(after_help = AFTER_HELP)]
    Scheduler {
        /// Listen here for clients and executors.
        #[arg(long, value_name = "HOST:PORT", default_value_t = SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)))]
        bind: SocketAddr,
    },
    /// Run the tasks a scheduler hands out.
    #[command(after_help = AFTER_HELP)]
    Executor {
        /// The scheduler's address.
        #[arg(long, value_name = "HOST:PORT")]
        scheduler: String,
        /// Serve intermediate results here; the executor's control service takes the next port.
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:50051")]
        bind: SocketAddr,
        /// Keep intermediate results of running queries here (default: a temporary folder).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
        /// Tasks run at once (default: one per core).
        #[arg(long, value_name = "N", default_value_t = 0)]
        concurrency: usize,
    },
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    init_logging();
    match command {
        Command::Scheduler { bind } => {
            run_scheduler(bind, |address| {
                eprintln!("xaudit scheduler listening on df://{address}");
            })
            .await?;
        }
        Command::Executor {
            scheduler,
            bind,
            work_dir,
            concurrency,
        } => {
            let url = if scheduler.starts_with("df://") {
                ClusterUrl::parse(&scheduler)?
            } else {
                ClusterUrl::parse(&format!("df://{scheduler}"))?
            };
            if let Some(dir) = &work_dir {
                std::fs::create_dir_all(dir).map_err(|e| xaudit::Error::io(dir, e))?;
            }
            eprintln!("xaudit executor on {bind}, scheduler {url}");
            run_executor(ExecutorOptions {
                scheduler: url.socket_addr()?,
                bind,
                work_dir,
                concurrency,
            })
            .await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A role runs for hours without a terminal to print to, so what its jobs did, and why a task
/// failed, goes to its log; RUST_LOG (default `warn`) chooses how much.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // A second subscriber (in tests that start roles in-process) is not an error worth a stop.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
