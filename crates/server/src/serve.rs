//! Binding, routing gRPC (also as gRPC-Web), its reflection and health services, the HTTP shim and the
//! operational routes on one port, and shutting down.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use tokenbatch_proto::token_v1::token_service_server::TokenServiceServer;
use tokenbatch_store::{Location, Store, StoreError};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::server::NamedService;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};
use tonic_web::GrpcWebLayer;
use tower::Layer;

use crate::app::App;
use crate::connections;
use crate::cors::CorsPolicy;
use crate::grpc::GrpcService;
use crate::grpc_errors::MalformedRequests;
use crate::limits::{shed_load, InFlight, Limits};
use crate::token_cache::TokenCache;
use crate::{failure_log, health, http, metrics, ops};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot open the database: {0}")]
    Database(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot build the reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// A server running in the background of the current tokio runtime.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub store: Store,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    health_monitor: JoinHandle<()>,
    purger: Option<JoinHandle<()>>,
    health: HealthReporter,
}

/// How long a stop waits for open calls to end. Streams such as health `Watch` or a reflection session never
/// end by themselves, so past this they are cut rather than holding the shutdown forever.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl RunningServer {
    /// Stops accepting connections, lets in-flight requests finish, and closes the database.
    /// Health turns NOT_SERVING first, so that load balancers and watching clients move away.
    pub async fn stop(mut self) -> Result<(), ServeError> {
        self.health_monitor.abort();
        if let Some(purger) = &self.purger {
            purger.abort();
        }
        health::report_shutting_down(&self.health).await;
        let _ = self.shutdown.send(());
        let result = match tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task).await {
            Ok(joined) => joined.unwrap_or(Ok(())),
            Err(_) => {
                tracing::info!(
                    "calls still open {} s after shutdown began (streams such as health Watch): closing them",
                    SHUTDOWN_GRACE.as_secs()
                );
                self.task.abort();
                Ok(())
            }
        };
        self.store.close().await;
        Ok(result?)
    }

    /// Runs until ctrl-c / SIGTERM, then stops gracefully.
    pub async fn run_until_signal(self) -> Result<(), ServeError> {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.stop().await
    }
}

/// The whole service as one axum router: each gRPC service by its path prefix (gRPC and gRPC-Web alike),
/// the operational routes, everything else to the HTTP shim; every request counted in the metrics.
pub fn router(
    app: App,
    health: HealthReporter,
    cors: &CorsPolicy,
) -> Result<axum::Router, ServeError> {
    // Both reflection versions describe every service on the port, each other included, so a client of
    // either version sees the whole server.
    let descriptors = [
        tokenbatch_proto::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ];
    let reflection = || {
        descriptors.iter().fold(
            tonic_reflection::server::Builder::configure().include_reflection_service(false),
            |builder, set| builder.register_encoded_file_descriptor_set(set),
        )
    };
    let router = http::router(app.clone()).merge(ops::router(app.store().clone()));
    let router = grpc_route(
        router,
        TokenServiceServer::new(GrpcService::new(app.clone())),
    );
    let router = grpc_route(
        router,
        HealthServer::new(HealthService::from_health_reporter(health)),
    );
    let router = grpc_route(router, reflection().build_v1()?);
    let router = grpc_route(router, reflection().build_v1alpha()?);
    let router = router
        .layer(axum::middleware::from_fn(failure_log::log_internal_errors))
        .layer(axum::middleware::from_fn(metrics::track));
    Ok(match cors.layer() {
        Some(cors) => router.layer(cors),
        None => router,
    })
}

/// Routes `/{service}/*` to a gRPC service, which also answers gRPC-Web (HTTP/1.1 or 2) through tonic-web;
/// requests tonic cannot decode are answered as the caller's fault (grpc_errors.rs).
fn grpc_route<S>(router: axum::Router, service: S) -> axum::Router
where
    S: NamedService
        + tower::Service<
            axum::http::Request<tonic::body::Body>,
            Response = axum::http::Response<tonic::body::Body>,
            Error = Infallible,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let path = format!("/{}/{{*rpc}}", S::NAME);
    let service = MalformedRequests::new(service);
    router.route_service(&path, GrpcWebLayer::new().layer(service))
}

/// What the service uses besides its database.
#[derive(Default)]
pub struct ServeOptions {
    pub token_cache: Option<TokenCache>,
    /// Which other origins' pages may call from a browser; off by default.
    pub cors: CorsPolicy,
    /// Concurrency and slow-client bounds.
    pub limits: Limits,
    /// Deadlines on database work and the database sessions' own timeouts.
    pub database: tokenbatch_store::DatabaseLimits,
    /// How long a dry run's plan may be applied; [`crate::app::DEFAULT_PLAN_TTL`] when None.
    pub plan_ttl: Option<Duration>,
    /// How long the usable-group options are kept (crate::group_options); None (the tests' default) reads
    /// them for every batch. The binary keeps them for `--options-cache-ms`.
    pub options_ttl: Option<Duration>,
    /// Days the history is kept (`--history-days`; 0 forever); when None, no purge runs (tests, the bench).
    pub history_days: Option<u32>,
}

/// Opens the database, binds `listen` and serves in the background; the returned address is the bound one.
pub async fn start(listen: SocketAddr, location: &Location) -> Result<RunningServer, ServeError> {
    start_with(listen, location, ServeOptions::default()).await
}

/// [`start`] with [`ServeOptions`].
pub async fn start_with(
    listen: SocketAddr,
    location: &Location,
    options: ServeOptions,
) -> Result<RunningServer, ServeError> {
    let store = Store::open_with(location, options.database).await?;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    let (shutdown, shutdown_requested) = oneshot::channel::<()>();
    let mut app = App::new(store.clone())
        .with_body_timeout(options.limits.body_timeout)
        .with_plan_ttl(options.plan_ttl.unwrap_or(crate::app::DEFAULT_PLAN_TTL))
        .with_options_ttl(options.options_ttl.unwrap_or(Duration::ZERO));
    if let Some(cache) = options.token_cache {
        if !cache.has_secret() {
            tracing::warn!(
                "REDIS_CONN_STRING is set but neither CRYPTO_SECRET nor SESSION_SECRET: new-api's token cache \
                 cannot be invalidated after batches"
            );
        }
        app = app.with_token_cache(cache);
    }
    let health = health::reporter().await;
    let in_flight = InFlight::new(&options.limits);
    let service = router(app, health.clone(), &options.cors)?
        .layer(axum::middleware::from_fn_with_state(in_flight, shed_load));
    let health_monitor = health::spawn_monitor(store.clone(), health.clone());
    let purger = options
        .history_days
        .and_then(|days| crate::retention::spawn_purger(store.clone(), days));
    if options.limits.max_connections <= options.limits.max_in_flight {
        tracing::warn!(
            max_connections = options.limits.max_connections,
            max_in_flight = options.limits.max_in_flight,
            "--max-connections is not above --max-in-flight: when every connection has a request in flight, \
             new clients are refused until one ends"
        );
    }
    // TCP_NODELAY, timeouts and the connection cap: connections.rs.
    let limits = options.limits;
    let task = tokio::spawn(connections::serve(listener, service, limits, async {
        let _ = shutdown_requested.await;
    }));
    tracing::info!(
        engine = store.engine(),
        "tokenbatch ready on http://{addr} (gRPC and HTTP); the batch-edit page: open {}",
        crate::seed::page_url(addr)
    );
    Ok(RunningServer {
        addr,
        store,
        shutdown,
        task,
        health_monitor,
        purger,
        health,
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
