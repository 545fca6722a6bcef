//! CORS (off unless configured) and Prometheus metrics, against the real server.

use tokenbatch::cors::CorsPolicy;
use tokenbatch::serve::ServeOptions;
use tokenbatch_e2e::{body, Engine, TestDatabase, TestServer};
use tokenbatch_proto::token_v1 as pb;

use crate::ops::TOKEN_SERVICE;

async fn preflight(server: &TestServer, origin: &str) -> reqwest::Response {
    server
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/{TOKEN_SERVICE}/ListTokens", server.base_url),
        )
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-grpc-web,authorization,new-api-user",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_is_off_by_default() {
    let server = TestServer::start().await;
    let response = preflight(&server, "http://127.0.0.1:9").await;
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    server.stop().await;
}

#[tokio::test]
async fn cors_allows_the_configured_origins_only() {
    let db = TestDatabase::create(Engine::Sqlite).await;
    let location = db.location.clone();
    let allowed = "http://127.0.0.1:8080";
    let options = ServeOptions {
        cors: CorsPolicy::Origins(vec![allowed.parse().unwrap()]),
        ..ServeOptions::default()
    };
    let server = TestServer::start_with(db, &location, options).await;

    let response = preflight(&server, allowed).await;
    assert_eq!(response.headers()["access-control-allow-origin"], allowed);
    let allowed_headers = response.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    for header in [
        "x-grpc-web",
        "authorization",
        "new-api-user",
        "idempotency-key",
    ] {
        assert!(allowed_headers.contains(header), "{allowed_headers}");
    }
    let other = preflight(&server, "http://evil.example").await;
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let response = server
        .http
        .get(format!("{}/api/token/?p=1", server.base_url))
        .header("origin", allowed)
        .header("authorization", server.alice.access_token.clone())
        .header("new-api-user", server.alice.id.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], allowed);
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(exposed.contains("grpc-status-details-bin"), "{exposed}");
    assert!(exposed.contains("idempotent-replayed"), "{exposed}");
    server.stop().await;
}

/// The value of the first series whose text starts with `series` (name and labels), if any.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(series))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_batches_rows_and_the_pool() {
    let server = TestServer::start().await;
    let (_, response, raw) = server
        .put_batch(
            &server.alice,
            &body(&[1, 2, 3], r#""remain_quota":7"#, &["remain_quota"]),
        )
        .await;
    assert_eq!(response["data"], 3, "{raw}");
    let mut client = server.grpc().await;
    client
        .list_tokens(server.grpc_request(&server.alice, pb::ListTokensRequest::default()))
        .await
        .unwrap();
    client
        .get_token(server.grpc_request(&server.alice, pb::GetTokenRequest { id: 900 }))
        .await
        .expect_err("bob's token");

    let response = server
        .http
        .get(format!("{}/metrics", server.base_url))
        .send()
        .await
        .unwrap();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    let at_least = |series: &str, minimum: f64| {
        let value = metric(&text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
        assert!(value >= minimum, "{series} = {value} < {minimum}");
    };
    at_least(
        r#"tokenbatch_requests_total{route="/api/token/batch",method="PUT",status="200",grpc_status=""}"#,
        1.0,
    );
    at_least(
        r#"tokenbatch_requests_total{route="/newapi.token.v1.TokenService/ListTokens",method="POST",status="200",grpc_status="0"}"#,
        1.0,
    );
    at_least(
        r#"tokenbatch_requests_total{route="/newapi.token.v1.TokenService/GetToken",method="POST",status="200",grpc_status="5"}"#,
        1.0,
    );
    at_least(
        r#"tokenbatch_request_duration_seconds_count{route="/api/token/batch",method="PUT"}"#,
        1.0,
    );
    at_least(
        r#"tokenbatch_batch_size_ids_bucket{le="4.0",validate_only="false"}"#,
        1.0,
    );
    at_least(r#"tokenbatch_batches_total{validate_only="false"}"#, 1.0);
    at_least("tokenbatch_token_rows_changed_total", 3.0);
    at_least(r#"tokenbatch_db_connections{state="idle"}"#, 0.0);
    at_least(r#"tokenbatch_db_connections{state="in_use"}"#, 0.0);
    assert!(text.contains("tokenbatch_db_up "), "{text}");
    assert!(text.trim_end().ends_with("# EOF"));
    server.stop().await;
}

#[tokio::test]
async fn unknown_grpc_methods_share_one_metrics_label() {
    let server = TestServer::start().await;
    let response = server
        .http
        .post(format!("{}/{TOKEN_SERVICE}/NoSuchMethod", server.base_url))
        .header("content-type", "application/grpc-web+proto")
        .body(vec![0u8, 0, 0, 0, 0])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["grpc-status"], "12");
    let (_, text) = (
        (),
        server
            .http
            .get(format!("{}/metrics", server.base_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(!text.contains("NoSuchMethod"), "{text}");
    assert!(text.contains(&format!(
        r#"route="/{TOKEN_SERVICE}/{{*rpc}}",method="POST",status="200",grpc_status="12""#
    )));
    server.stop().await;
}
