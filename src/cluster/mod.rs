//! The rule pack on a cluster: Apache DataFusion Ballista runs the same SQL and functions as a
//! local audit, spread over executors on other machines.
//!
//! - [`roles`]: `xaudit cluster scheduler` and `xaudit cluster executor`, with every xaudit
//!   function registered;
//! - [`codec`]: how the functions that carry state travel in a plan;
//! - [`constant_leaves`]: the rewrite that keeps Ballista's tasks of one stage alike;
//! - [`session`]: the client side, a session whose queries run on the cluster. Its tables are
//!   the Parquet files of the pinned store version ([`crate::store::TableAccess::Files`]), which
//!   every executor must be able to read at the same path.

pub mod codec;
pub mod constant_leaves;
pub mod roles;

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ballista_core::config::BallistaConfig;
use ballista_core::extension::{SessionConfigExt, SessionStateExt};
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};

pub use crate::error::ClusterError;
use crate::store::{Pin, Store, TableAccess};

/// Stack size for every thread of a process that takes part in a cluster (the binary sets it as
/// `RUST_MIN_STACK`, which tokio's and Ballista's threads follow). Protobuf decodes a plan by
/// recursion, a level per node and expression, and a rule's plan with its views inlined nests
/// hundreds of levels deep: a scheduler overflowed the 2 MiB default. Only the pages a thread
/// touches take memory.
pub const THREAD_STACK: usize = 64 << 20;

/// Optimizer rules a plan sent to a cluster is made without. `extract_leaf_expressions` and
/// `push_down_leaf_projections` (moving struct field access to the scan) leave aliases that do
/// not survive the plan's protobuf encoding: the scheduler refused bulk_reposts's plan with "No
/// field named min(__datafusion_extracted_24)". The scheduler plans without them too.
const UNSHIPPABLE_RULES: [&str; 2] = ["extract_leaf_expressions", "push_down_leaf_projections"];

/// Ballista's scheduler port when the address names none.
pub const DEFAULT_PORT: u16 = 50050;

/// The error of a Ballista call, as the role that made it.
fn ballista_error(
    role: &'static str,
) -> impl Fn(ballista_core::error::BallistaError) -> ClusterError {
    move |e| ClusterError::Ballista {
        role,
        cause: e.to_string(),
    }
}

/// A scheduler's address, `df://HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterUrl {
    host: String,
    port: u16,
}

impl ClusterUrl {
    pub fn parse(given: &str) -> Result<ClusterUrl, ClusterError> {
        let bad = || ClusterError::BadUrl {
            given: given.to_string(),
        };
        let rest = given.strip_prefix("df://").ok_or_else(bad)?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        // `[::1]:7000` names an IPv6 host; the brackets are not part of it.
        let (host, port) = match rest.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed.split_once(']').ok_or_else(bad)?;
                (host, after.strip_prefix(':'))
            }
            None => match rest.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            },
        };
        let port = match port {
            Some(p) => p.parse::<u16>().map_err(|_| bad())?,
            None => DEFAULT_PORT,
        };
        if host.is_empty() || host.contains(['/', '?', '#', '@', '[', ']']) || port == 0 {
            return Err(bad());
        }
        Ok(ClusterUrl {
            host: host.to_string(),
            port,
        })
    }

    /// `HOST:PORT`, an IPv6 host in brackets.
    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The scheduler's gRPC endpoint, as Ballista's client takes it.
    fn endpoint(&self) -> String {
        format!("http://{}", self.authority())
    }

    /// The first address the name resolves to.
    pub fn socket_addr(&self) -> Result<SocketAddr, ClusterError> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| ClusterError::Unreachable {
                url: self.to_string(),
                cause: "the host name does not resolve".into(),
            })
    }

    /// Fails with a clear error when nothing listens at the address: Ballista's own error comes
    /// only with the first query, and names no scheduler.
    async fn check_reachable(&self) -> Result<(), ClusterError> {
        let unreachable = |cause: String| ClusterError::Unreachable {
            url: self.to_string(),
            cause,
        };
        let address = self.socket_addr()?;
        match tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tokio::net::TcpStream::connect(address),
        )
        .await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(unreachable(e.to_string())),
            Err(_) => Err(unreachable("no answer in 10 s".into())),
        }
    }
}

impl std::fmt::Display for ClusterUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "df://{}", self.authority())
    }
}

/// The session settings every role of a cluster shares: xaudit's codecs; Ballista's adaptive
/// planner off (it dropped an ORDER BY after a join; Ballista #2065); and no dynamic filters,
/// which are shared state between operators of one process: decoding a TopK's on an executor
/// failed DataFusion's check that some operator emits it (non_api_automation's plan).
pub fn session_config() -> SessionConfig {
    let mut config = SessionConfig::new_with_ballista()
        .with_ballista_logical_extension_codec(Arc::new(codec::LogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(codec::PhysicalCodec::default()))
        .with_ballista_adaptive_query_planner(false);
    let optimizer = &mut config.options_mut().optimizer;
    optimizer.enable_dynamic_filter_pushdown = false;
    optimizer.enable_topk_dynamic_filter_pushdown = false;
    optimizer.enable_join_dynamic_filter_pushdown = false;
    optimizer.enable_aggregate_dynamic_filter_pushdown = false;
    config
}

/// `state` made fit to plan what a cluster runs: without [`UNSHIPPABLE_RULES`], and with
/// [`constant_leaves::ConstantLeavesAsMemory`] last among the physical rules (it matters where
/// physical plans are made, on the scheduler; the client only sends logical plans).
pub fn shippable(state: SessionState) -> SessionState {
    let rules = state
        .optimizers()
        .iter()
        .filter(|r| !UNSHIPPABLE_RULES.contains(&r.name()))
        .cloned()
        .collect();
    let mut physical_rules = state.physical_optimizers().to_vec();
    physical_rules.push(Arc::new(constant_leaves::ConstantLeavesAsMemory));
    SessionStateBuilder::new_from_existing(state)
        .with_optimizer_rules(rules)
        .with_physical_optimizer_rules(physical_rules)
        .build()
}

/// Whether the session's queries run on a cluster.
pub fn is_remote(ctx: &SessionContext) -> bool {
    ctx.state()
        .config()
        .options()
        .extensions
        .get::<BallistaConfig>()
        .is_some()
}

/// Where a cluster session writes the views it computes once (`--cluster-views`): a folder of
/// its own inside the one the user named, which the client and every executor reach at the same
/// path. Removed with the session.
#[derive(Debug)]
pub struct ViewFolder {
    path: PathBuf,
    written: AtomicUsize,
}

impl ViewFolder {
    /// A new, empty folder for this session inside `parent` (which must exist).
    pub fn create(parent: &Path) -> crate::error::Result<Self> {
        let parent = std::path::absolute(parent).map_err(|e| crate::Error::io(parent, e))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = parent.join(format!(".xaudit-views-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&path).map_err(|e| crate::Error::io(&path, e))?;
        Ok(ViewFolder {
            path,
            written: AtomicUsize::new(0),
        })
    }

    /// A folder not used before in this session for the files of the view `name` (a shared CTE's
    /// name comes back with every rule that has it).
    pub fn next(&self, name: &str) -> PathBuf {
        let n = self.written.fetch_add(1, Ordering::Relaxed);
        self.path.join(format!("{n:03}-{name}"))
    }
}

impl Drop for ViewFolder {
    fn drop(&mut self) {
        // Left behind only if the process is killed; the name says whose it was.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The folder the session's computed-once views are written to, if it has one.
pub fn view_folder(ctx: &SessionContext) -> Option<Arc<ViewFolder>> {
    ctx.state().config().get_extension::<ViewFolder>()
}

/// A session whose queries run on the cluster at `url`, over the store's tables at `pin`, with
/// `partitions` partitions per stage. Nothing is sent before the first query. With `views`, the
/// views an audit shares between rules are computed once into a new folder inside it; without,
/// they are plain views, computed where they are read.
pub async fn session(
    store: &Store,
    pin: &Pin,
    url: &ClusterUrl,
    partitions: usize,
    views: Option<&Path>,
) -> crate::error::Result<SessionContext> {
    url.check_reachable().await?;
    let mut config = session_config()
        .with_information_schema(true)
        .with_target_partitions(partitions.max(1));
    if let Some(parent) = views {
        config = config.with_extension(Arc::new(ViewFolder::create(parent)?));
    }
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .build()
        .upgrade_for_ballista(url.endpoint())?;
    let state = shippable(state);
    let ctx = SessionContext::new_with_state(state);
    crate::store::register_tables(&ctx, store, Some(pin), TableAccess::Files).await?;
    Ok(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_addresses_name_a_scheduler() {
        let url = ClusterUrl::parse("df://10.0.0.5:50050").unwrap();
        assert_eq!(url.endpoint(), "http://10.0.0.5:50050");
        assert_eq!(url.to_string(), "df://10.0.0.5:50050");
        let url = ClusterUrl::parse("df://scheduler.internal").unwrap();
        assert_eq!(url.endpoint(), "http://scheduler.internal:50050");
        let url = ClusterUrl::parse("df://[::1]:7000/").unwrap();
        assert_eq!(url.endpoint(), "http://[::1]:7000");
        for bad in [
            "10.0.0.5:50050",
            "http://10.0.0.5:50050",
            "df://",
            "df://host:port",
            "df://host:0",
            "df://host/path",
        ] {
            let err = ClusterUrl::parse(bad).unwrap_err().to_string();
            assert!(err.contains("df://HOST:PORT"), "{bad}: {err}");
        }
    }
}
