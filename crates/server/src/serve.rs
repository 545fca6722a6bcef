//! Binding, routing gRPC and HTTP on one port, and shutting down.

use std::net::SocketAddr;

use tokenbatch_proto::token_v1::token_service_server::TokenServiceServer;
use tokenbatch_store::{Location, Store, StoreError};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::server::NamedService;

use crate::app::App;
use crate::grpc::GrpcService;
use crate::http;
use crate::token_cache::TokenCache;

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
}

/// A server running in the background of the current tokio runtime.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub store: Store,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Stops accepting connections, lets in-flight requests finish, and closes the database.
    pub async fn stop(self) -> Result<(), ServeError> {
        let _ = self.shutdown.send(());
        let result = self.task.await.unwrap_or(Ok(()));
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

/// The whole service as one axum router: gRPC by its path prefix, everything else to the HTTP shim.
pub fn router(app: App) -> axum::Router {
    let grpc = TokenServiceServer::new(GrpcService::new(app.clone()));
    let grpc_path = format!("/{}/{{*rpc}}", TokenServiceServer::<GrpcService>::NAME);
    http::router(app).route_service(&grpc_path, grpc)
}

/// What the service uses besides its database.
#[derive(Default)]
pub struct ServeOptions {
    pub token_cache: Option<TokenCache>,
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
    let store = Store::open(location).await?;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    let (shutdown, shutdown_requested) = oneshot::channel::<()>();
    let mut app = App::new(store.clone());
    if let Some(cache) = options.token_cache {
        if !cache.has_secret() {
            tracing::warn!(
                "REDIS_CONN_STRING is set but neither CRYPTO_SECRET nor SESSION_SECRET: new-api's token cache \
                 cannot be invalidated after batches"
            );
        }
        app = app.with_token_cache(cache);
    }
    let service = router(app);
    let task = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async {
                let _ = shutdown_requested.await;
            })
            .await
    });
    tracing::info!(
        engine = store.engine(),
        "tokenbatch ready on http://{addr} (gRPC and HTTP)"
    );
    Ok(RunningServer {
        addr,
        store,
        shutdown,
        task,
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
