//! Bounded work: at most `max_in_flight` requests are served at once; the rest are refused at once and
//! cheaply (HTTP 503 with new-api's envelope and `Retry-After`, gRPC `RESOURCE_EXHAUSTED`) instead of queueing
//! until memory or the database pool runs out.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tokio::sync::Semaphore;

use crate::app::DEFAULT_BODY_TIMEOUT;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Requests served at once (HTTP and gRPC together).
    pub max_in_flight: usize,
    /// How long a client may take to send a request body.
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_in_flight: 512,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }
}

/// The permits of [`shed_load`].
#[derive(Clone)]
pub struct InFlight(Arc<Semaphore>);

impl InFlight {
    pub fn new(limits: &Limits) -> InFlight {
        InFlight(Arc::new(Semaphore::new(limits.max_in_flight.max(1))))
    }
}

/// Serves the request if a permit is free, refuses it otherwise. Liveness is always answered, so a busy
/// server is not mistaken for a dead one.
pub async fn shed_load(
    State(in_flight): State<InFlight>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path() == "/healthz" {
        return next.run(request).await;
    }
    match in_flight.0.clone().try_acquire_owned() {
        Ok(permit) => {
            let response = next.run(request).await;
            drop(permit);
            response
        }
        Err(_) => refuse(&request),
    }
}

fn refuse(request: &Request) -> Response {
    let grpc = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc"));
    if grpc {
        // A trailers-only gRPC response: status 8 = RESOURCE_EXHAUSTED.
        let mut response = StatusCode::OK.into_response();
        let headers = response.headers_mut();
        let content_type = request.headers().get(header::CONTENT_TYPE).cloned();
        headers.insert(
            header::CONTENT_TYPE,
            content_type.unwrap_or(HeaderValue::from_static("application/grpc")),
        );
        headers.insert("grpc-status", HeaderValue::from_static("8"));
        headers.insert(
            "grpc-message",
            HeaderValue::from_static("server%20busy%3A%20too%20many%20requests%20in%20flight"),
        );
        return response;
    }
    let body = json!({
        "success": false,
        "message": "服务器繁忙，请稍后重试 (server busy: too many requests in flight, retry shortly)",
        "data": null,
        "code": "server.busy",
    });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}
