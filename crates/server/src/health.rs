//! The database's health, as gRPC health checks (`grpc.health.v1`) and `/readyz` report it.

use std::time::Duration;

use tokenbatch_proto::token_v1::token_service_server::TokenServiceServer;
use tokenbatch_store::Store;
use tokio::task::JoinHandle;
use tonic::server::NamedService;
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;

use crate::grpc::GrpcService;
use crate::metrics;

/// How often the background monitor pings the database.
pub const PING_INTERVAL: Duration = Duration::from_secs(2);
/// A ping slower than this counts as a database that does not answer.
pub const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// The gRPC service names whose status follows the database: the token service, and "" (the whole server,
/// which is what most load balancers and `grpc_health_probe` ask for by default).
pub const MONITORED_SERVICES: [&str; 2] = [TOKEN_SERVICE, ""];
const TOKEN_SERVICE: &str = <TokenServiceServer<GrpcService> as NamedService>::NAME;

/// Whether the database answers a round trip in time.
pub async fn database_answers(store: &Store) -> bool {
    matches!(
        tokio::time::timeout(PING_TIMEOUT, store.ping()).await,
        Ok(Ok(()))
    )
}

/// A reporter whose monitored services start SERVING: the database was just opened.
pub async fn reporter() -> HealthReporter {
    let reporter = HealthReporter::new();
    for service in MONITORED_SERVICES {
        reporter
            .set_service_status(service, ServingStatus::Serving)
            .await;
    }
    reporter
}

/// Tells health clients the server is going away, before it stops taking calls.
pub async fn report_shutting_down(reporter: &HealthReporter) {
    for service in MONITORED_SERVICES {
        reporter
            .set_service_status(service, ServingStatus::NotServing)
            .await;
    }
}

/// Pings the database every [`PING_INTERVAL`] and reports SERVING / NOT_SERVING accordingly, until aborted.
pub fn spawn_monitor(store: Store, reporter: HealthReporter) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut was_up = true;
        loop {
            let up = database_answers(&store).await;
            metrics::global().set_database_up(up);
            if up != was_up {
                if up {
                    tracing::info!("database answers again: health SERVING");
                } else {
                    tracing::warn!("database does not answer: health NOT_SERVING");
                }
                let status = if up {
                    ServingStatus::Serving
                } else {
                    ServingStatus::NotServing
                };
                for service in MONITORED_SERVICES {
                    reporter.set_service_status(service, status).await;
                }
                was_up = up;
            }
            tokio::time::sleep(PING_INTERVAL).await;
        }
    })
}
