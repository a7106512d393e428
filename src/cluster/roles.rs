//! The two roles of a cluster, in the xaudit binary: a scheduler, which plans each query into
//! stages, and executors, which run the stages' tasks. Both know every xaudit function, and
//! decode the stateful ones with [`super::codec`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion::execution::SessionState;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

use super::codec::{LogicalCodec, PhysicalCodec};
use super::{ClusterError, ballista_error, session_config};

/// The scheduler's session state: Ballista's, with xaudit's functions added (its states start
/// from a function list of their own), planning as a cluster must ([`super::shippable`]).
fn with_functions(state: SessionState) -> SessionState {
    let ctx = SessionContext::new_with_state(super::shippable(state));
    crate::udf::register_all(&ctx);
    ctx.state()
}

/// Run a scheduler on `bind` until SIGINT or SIGTERM; `ready` hears the address it listens on
/// (the port the system chose for port 0).
pub async fn run_scheduler(
    bind: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ClusterError> {
    let cannot_bind = |e: std::io::Error| ClusterError::Bind {
        role: "scheduler",
        address: bind.to_string(),
        cause: e.to_string(),
    };
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(cannot_bind)?;
    let address = listener.local_addr().map_err(cannot_bind)?;
    let mut config = SchedulerConfig::default()
        .with_hostname(address.ip().to_string())
        .with_port(address.port())
        .with_override_session_builder(Arc::new(|config: SessionConfig| {
            default_session_builder(config).map(with_functions)
        }))
        .with_override_config_producer(Arc::new(session_config))
        // Without it, a job submitted while the executors' slots were still taken by the last
        // one's tasks waited for nothing.
        .with_job_resubmit_interval_ms(100);
    config.bind_host = address.ip().to_string();
    config.override_logical_codec = Some(Arc::new(LogicalCodec::default()));
    config.override_physical_codec = Some(Arc::new(PhysicalCodec::default()));
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(ballista_error("scheduler"))?;
    let scheduler =
        create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, Arc::new(config))
            .await
            .map_err(ballista_error("scheduler"))?;
    ready(address);
    tokio::select! {
        served = start_grpc_service_with_listener(listener, scheduler) => {
            served.map_err(ballista_error("scheduler"))
        }
        _ = crate::interrupt::stop_signal() => Ok(()),
    }
}

/// Where an executor finds its scheduler and what it offers.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    pub scheduler: SocketAddr,
    /// Its Arrow Flight service (shuffle data); its gRPC service listens on the next port.
    pub bind: SocketAddr,
    /// Where it keeps the shuffle files of running jobs (None: a temporary folder).
    pub work_dir: Option<PathBuf>,
    /// Tasks it runs at once (0: one per core).
    pub concurrency: usize,
}

/// Run an executor until SIGINT or SIGTERM (Ballista handles both: it tells the scheduler it is
/// leaving and ends).
pub async fn run_executor(options: ExecutorOptions) -> Result<(), ClusterError> {
    let grpc_port = options
        .bind
        .port()
        .checked_add(1)
        .ok_or_else(|| ClusterError::Bind {
            role: "executor",
            address: options.bind.to_string(),
            cause: "its gRPC service needs the port after this one".into(),
        })?;
    let functions = {
        let ctx = SessionContext::new();
        crate::udf::register_all(&ctx);
        BallistaFunctionRegistry::from(&ctx.state())
    };
    let config = ExecutorProcessConfig {
        bind_host: options.bind.ip().to_string(),
        external_host: Some(options.bind.ip().to_string()),
        port: options.bind.port(),
        grpc_port,
        scheduler_host: options.scheduler.ip().to_string(),
        scheduler_port: options.scheduler.port(),
        vcores: options.concurrency,
        work_dir: options
            .work_dir
            .as_ref()
            .map(|d| d.to_string_lossy().into_owned()),
        override_function_registry: Some(Arc::new(functions)),
        override_config_producer: Some(Arc::new(session_config)),
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PhysicalCodec::default())),
        ..Default::default()
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| match e {
            ballista_core::error::BallistaError::GrpcConnectionError(cause) => {
                ClusterError::Unreachable {
                    url: format!("df://{}", options.scheduler),
                    cause,
                }
            }
            other => ballista_error("executor")(other),
        })
}
