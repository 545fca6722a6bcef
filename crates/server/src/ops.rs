//! Routes for operators and tools rather than for token editing: liveness and readiness for load
//! balancers, Prometheus metrics, and the OpenAPI document of the HTTP routes.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokenbatch_store::Store;

use crate::{health, metrics, openapi};

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/healthz", get(liveness))
        .route("/readyz", get(readiness))
        .route("/metrics", get(prometheus_metrics))
        .route("/openapi.json", get(openapi_document))
        .with_state(store)
}

/// `GET /healthz`: the process answers HTTP. Says nothing about the database, so that a load balancer does
/// not restart a healthy process because its database is away.
async fn liveness() -> Response {
    Json(json!({ "success": true, "message": "", "data": { "status": "alive" } })).into_response()
}

/// `GET /readyz`: 200 while the database answers a round trip, 503 while it does not.
async fn readiness(State(store): State<Store>) -> Response {
    let engine = store.engine();
    if health::database_answers(&store).await {
        let data = json!({ "status": "ready", "database": "up", "engine": engine });
        Json(json!({ "success": true, "message": "", "data": data })).into_response()
    } else {
        let data = json!({ "status": "not_ready", "database": "down", "engine": engine });
        let body = json!({
            "success": false,
            "message": "the database does not answer",
            "data": data,
            "code": "database.unavailable",
        });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}

/// `GET /metrics`: Prometheus / OpenMetrics text.
async fn prometheus_metrics(State(store): State<Store>) -> Response {
    let text = metrics::global().render(&store);
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response()
}

/// `GET /openapi.json`.
async fn openapi_document() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi::DOCUMENT,
    )
        .into_response()
}
