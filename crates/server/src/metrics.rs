//! Prometheus metrics, served at `/metrics` in the OpenMetrics text format.
//!
//! One registry per process: the batch figures are recorded where batches run (the application layer),
//! which knows nothing of the server around it, and a process serves one port anyway.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tokenbatch_store::Store;

pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    /// The HTTP status code.
    status: String,
    /// The gRPC status code for gRPC and gRPC-Web calls, empty for plain HTTP.
    grpc_status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BatchLabels {
    validate_only: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectionLabels {
    state: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<RouteLabels>,
    batches: Family<BatchLabels, Counter>,
    batch_ids: HistogramFamily<BatchLabels>,
    rows_changed: Counter,
    db_connections: Family<ConnectionLabels, Gauge>,
    db_up: Gauge,
}

/// 0.5 ms … ~8 s: a small batch answers in about a millisecond, a 10 000-id batch in well under a second.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

/// 1, 4, 16 … 16 384 ids: spans one id up to the 10 000-id limit.
fn batch_size_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 4.0, 8))
}

impl Metrics {
    fn new() -> Metrics {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily<RouteLabels> = Family::new_with_constructor(latency_histogram);
        let batches = Family::<BatchLabels, Counter>::default();
        let batch_ids: HistogramFamily<BatchLabels> =
            Family::new_with_constructor(batch_size_histogram);
        let rows_changed = Counter::default();
        let db_connections = Family::<ConnectionLabels, Gauge>::default();
        let db_up = Gauge::default();

        let mut registry = Registry::with_prefix("tokenbatch");
        registry.register(
            "requests",
            "Requests answered, by route template (or gRPC method), HTTP method, HTTP status and gRPC status",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time from request to response headers, by route template (or gRPC method) and HTTP method",
            latency.clone(),
        );
        registry.register(
            "batches",
            "Batch updates that passed every check (HTTP and gRPC), real runs and dry runs",
            batches.clone(),
        );
        registry.register(
            "batch_size_ids",
            "Distinct token ids per checked batch update",
            batch_ids.clone(),
        );
        registry.register(
            "token_rows_changed",
            "Token rows whose stored values a committed batch changed",
            rows_changed.clone(),
        );
        registry.register(
            "db_connections",
            "Database pool connections, idle or in use, at scrape time",
            db_connections.clone(),
        );
        registry.register(
            "db_up",
            "1 while the database answered the last health ping, 0 while it does not",
            db_up.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            batches,
            batch_ids,
            rows_changed,
            db_connections,
            db_up,
        }
    }

    /// A batch that passed every check: its size, and the rows it changed unless it was a dry run.
    pub fn record_batch(&self, ids: usize, changed: usize, validate_only: bool) {
        let labels = BatchLabels {
            validate_only: validate_only.to_string(),
        };
        self.batches.get_or_create(&labels).inc();
        self.batch_ids.get_or_create(&labels).observe(ids as f64);
        if !validate_only {
            self.rows_changed.inc_by(changed as u64);
        }
    }

    pub fn set_database_up(&self, up: bool) {
        self.db_up.set(i64::from(up));
    }

    /// The registry as OpenMetrics text, with the pool of `store` read now.
    pub fn render(&self, store: &Store) -> String {
        let (open, idle) = store.pool_state();
        let idle = idle as i64;
        let in_use = (i64::from(open) - idle).max(0);
        self.db_connections
            .get_or_create(&ConnectionLabels { state: "idle" })
            .set(idle);
        self.db_connections
            .get_or_create(&ConnectionLabels { state: "in_use" })
            .set(in_use);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Middleware counting and timing every request by the route that answered it.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned());
    let response = next.run(request).await;
    let grpc_status = grpc_status(response.headers());
    let route = route_label(template.as_deref(), &path, grpc_status.as_deref());
    let metrics = global();
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
            method: method.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16().to_string(),
            grpc_status: grpc_status.unwrap_or_default(),
        })
        .inc();
    response
}

/// gRPC's `UNIMPLEMENTED`: the method name is not one the service has.
const GRPC_UNIMPLEMENTED: &str = "12";

/// The route template, except that a gRPC service's catch-all is replaced by the method called, as long as
/// the service has that method (so arbitrary paths cannot blow up the label set).
fn route_label(template: Option<&str>, path: &str, grpc_status: Option<&str>) -> String {
    match template {
        None => "unmatched".to_owned(),
        Some(template)
            if template.ends_with("/{*rpc}") && grpc_status != Some(GRPC_UNIMPLEMENTED) =>
        {
            path.to_owned()
        }
        Some(template) => template.to_owned(),
    }
}

/// A gRPC call's status: in the headers when the call failed before any message (tonic answers every
/// failed unary call that way), otherwise OK, which travels in the trailers after the message.
fn grpc_status(headers: &HeaderMap) -> Option<String> {
    if let Some(status) = headers.get("grpc-status").and_then(|v| v.to_str().ok()) {
        return Some(status.to_owned());
    }
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    content_type
        .starts_with("application/grpc")
        .then(|| "0".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_routes_are_labelled_by_method_but_not_by_unknown_names() {
        let template = Some("/newapi.token.v1.TokenService/{*rpc}");
        let path = "/newapi.token.v1.TokenService/ListTokens";
        assert_eq!(route_label(template, path, Some("0")), path);
        assert_eq!(
            route_label(template, "/newapi.token.v1.TokenService/Nope", Some("12")),
            "/newapi.token.v1.TokenService/{*rpc}"
        );
        assert_eq!(
            route_label(Some("/api/token/{id}"), "/api/token/7", None),
            "/api/token/{id}"
        );
        assert_eq!(route_label(None, "/nowhere", None), "unmatched");
    }
}
