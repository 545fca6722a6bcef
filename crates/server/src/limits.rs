//! Bounded work: at most `max_in_flight` requests are served at once; the rest are refused at once and
//! cheaply (HTTP 503 with new-api's envelope and `Retry-After`, gRPC `RESOURCE_EXHAUSTED`) instead of queueing
//! until memory or the database pool runs out. Also the bounds on connections themselves (how many, how long
//! they may sit without a request), which `connections.rs` enforces before a request even exists.

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
    /// Connections open at once. At the cap the connection idle the longest is closed to admit a new one;
    /// the new one is refused only when every open connection has a request in flight.
    pub max_connections: usize,
    /// How long a new connection may take to start its first request, and an HTTP/1 connection to send a
    /// complete request head. hyper starts that clock whenever it waits for a head, so on HTTP/1 it also
    /// bounds the idle time between two keep-alive requests.
    pub header_read_timeout: Duration,
    /// How long a connection may stay open with no request in flight after its first one (HTTP/2 gets a
    /// GOAWAY; HTTP/1 is usually closed sooner by `header_read_timeout`).
    pub idle_timeout: Duration,
    /// How often an HTTP/2 connection is pinged, so a peer that vanished while a stream was open (a health
    /// `Watch`, a slow call) is noticed; and how long its answer may take before the connection is closed.
    pub http2_keep_alive_interval: Duration,
    pub http2_keep_alive_timeout: Duration,
}

pub const DEFAULT_MAX_IN_FLIGHT: usize = 512;
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_HTTP2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(20);
pub const DEFAULT_HTTP2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// File descriptors kept out of the connection budget: the database pool, Redis, the SQLite file and its
/// journal, the listener, the runtime's own (epoll, eventfd), stdio, and room for a few accepts in flight.
const RESERVED_FDS: u64 = 256;
/// The default cap never goes beyond this, whatever the descriptor limit: each connection costs memory too.
const MAX_DEFAULT_CONNECTIONS: u64 = 10_000;

/// The default `max_connections`: the process's soft RLIMIT_NOFILE minus [`RESERVED_FDS`] (768 under the
/// common 1 024), at least 16 and at most [`MAX_DEFAULT_CONNECTIONS`], so a flood of connections is shed
/// by tokenbatch before `accept` runs out of descriptors (which would lock everyone out).
pub fn default_max_connections() -> usize {
    let budget = open_files_limit()
        .unwrap_or(1_024)
        .saturating_sub(RESERVED_FDS);
    budget.clamp(16, MAX_DEFAULT_CONNECTIONS) as usize
}

/// The soft limit on open file descriptors, if the platform has one.
pub fn open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: default_max_connections(),
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            http2_keep_alive_interval: DEFAULT_HTTP2_KEEP_ALIVE_INTERVAL,
            http2_keep_alive_timeout: DEFAULT_HTTP2_KEEP_ALIVE_TIMEOUT,
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
