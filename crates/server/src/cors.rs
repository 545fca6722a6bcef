//! Cross-origin access for browsers: a page served from another origin calling gRPC-Web or the JSON routes.
//! Off unless origins are configured, so a deployment never opens itself to other sites by accident.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use clap::Args;
use tower_http::cors::{AllowOrigin, CorsLayer};

#[derive(Clone, Debug, Default, Args)]
pub struct CorsArgs {
    /// Origins (scheme://host[:port]) whose pages may call this server from a browser (gRPC-Web and the JSON
    /// routes), comma-separated; `*` allows any origin. Unset: no cross-origin access.
    #[arg(
        long = "cors-allow-origin",
        env = "CORS_ALLOW_ORIGINS",
        value_delimiter = ','
    )]
    pub allow_origins: Vec<String>,
}

/// Which origins may call, checked once at start-up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CorsPolicy {
    #[default]
    Off,
    AnyOrigin,
    Origins(Vec<HeaderValue>),
}

#[derive(Debug, thiserror::Error)]
#[error("--cors-allow-origin / CORS_ALLOW_ORIGINS: `{0}` is not an origin such as https://admin.example.com or http://127.0.0.1:8080 (scheme, host and optional port, nothing after)")]
pub struct InvalidOrigin(String);

impl CorsArgs {
    pub fn policy(&self) -> Result<CorsPolicy, InvalidOrigin> {
        let origins: Vec<&str> = self
            .allow_origins
            .iter()
            .map(|origin| origin.trim())
            .filter(|origin| !origin.is_empty())
            .collect();
        if origins.is_empty() {
            return Ok(CorsPolicy::Off);
        }
        if origins.contains(&"*") {
            return Ok(CorsPolicy::AnyOrigin);
        }
        origins
            .into_iter()
            .map(parse_origin)
            .collect::<Result<Vec<_>, _>>()
            .map(CorsPolicy::Origins)
    }
}

/// Browsers send the origin without a trailing slash or path; anything else would never match.
fn parse_origin(text: &str) -> Result<HeaderValue, InvalidOrigin> {
    let invalid = || InvalidOrigin(text.to_owned());
    let rest = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"))
        .ok_or_else(invalid)?;
    let host_is_plain = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_is_plain {
        return Err(invalid());
    }
    HeaderValue::from_str(text).map_err(|_| invalid())
}

/// What a browser may send and read: new-api's identity headers, gRPC-Web's and Connect's own headers, and
/// the gRPC status trailers that gRPC-Web delivers as response headers for errors.
const ALLOWED_REQUEST_HEADERS: [&str; 12] = [
    "content-type",
    "authorization",
    "new-api-user",
    "accept-language",
    "lang",
    "x-grpc-web",
    "x-user-agent",
    "grpc-timeout",
    "connect-protocol-version",
    "connect-timeout-ms",
    "x-request-id",
    "idempotency-key",
];
const EXPOSED_RESPONSE_HEADERS: [&str; 4] = [
    "grpc-status",
    "grpc-message",
    "grpc-status-details-bin",
    "idempotent-replayed",
];

impl CorsPolicy {
    pub fn layer(&self) -> Option<CorsLayer> {
        let origins = match self {
            CorsPolicy::Off => return None,
            CorsPolicy::AnyOrigin => AllowOrigin::any(),
            CorsPolicy::Origins(origins) => AllowOrigin::list(origins.iter().cloned()),
        };
        let headers = |names: &[&'static str]| -> Vec<HeaderName> {
            names
                .iter()
                .map(|name| HeaderName::from_static(name))
                .collect()
        };
        Some(
            CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::PUT, Method::POST, Method::OPTIONS])
                .allow_headers(headers(&ALLOWED_REQUEST_HEADERS))
                .expose_headers(headers(&EXPOSED_RESPONSE_HEADERS))
                .max_age(Duration::from_secs(3600)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(origins: &[&str]) -> Result<CorsPolicy, InvalidOrigin> {
        CorsArgs {
            allow_origins: origins.iter().map(|o| o.to_string()).collect(),
        }
        .policy()
    }

    #[test]
    fn off_unless_configured() {
        assert_eq!(policy(&[]).unwrap(), CorsPolicy::Off);
        assert_eq!(policy(&[" "]).unwrap(), CorsPolicy::Off);
        assert!(CorsPolicy::Off.layer().is_none());
    }

    #[test]
    fn origins_are_checked_at_start() {
        assert_eq!(
            policy(&["http://127.0.0.1:8080", "https://admin.example.com"]).unwrap(),
            CorsPolicy::Origins(vec![
                HeaderValue::from_static("http://127.0.0.1:8080"),
                HeaderValue::from_static("https://admin.example.com"),
            ])
        );
        assert_eq!(policy(&["*"]).unwrap(), CorsPolicy::AnyOrigin);
        for wrong in [
            "admin.example.com",
            "https://admin.example.com/",
            "https://a.example/path",
            "ftp://x",
            "https://",
        ] {
            assert!(policy(&[wrong]).is_err(), "{wrong} accepted");
        }
    }
}
