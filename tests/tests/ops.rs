//! The surface for operators and tools, against the real server: gRPC health following the database,
//! `/healthz` and `/readyz`, and the OpenAPI document matching what the router answers. Reflection, gRPC-Web
//! and `INVALID_ARGUMENT` details: ops_grpc.rs; CORS and Prometheus metrics: ops_cors_metrics.rs.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokenbatch::serve::ServeOptions;
use tokenbatch_e2e::proxy::Proxy;
use tokenbatch_e2e::{body, Engine, TestDatabase, TestServer};
use tokenbatch_store::Location;
use tonic::transport::Channel;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

pub(crate) const TOKEN_SERVICE: &str = "newapi.token.v1.TokenService";

pub(crate) async fn channel(server: &TestServer) -> Channel {
    Channel::from_shared(server.base_url.clone())
        .unwrap()
        .connect()
        .await
        .expect("gRPC connects")
}

async fn health_status(server: &TestServer, service: &str) -> Result<i32, tonic::Status> {
    let mut client = HealthClient::new(channel(server).await);
    let request = HealthCheckRequest {
        service: service.to_owned(),
    };
    client
        .check(request)
        .await
        .map(|response| response.into_inner().status)
}

/// Polls until every monitored service reports `expected` (the monitor pings every 2 s).
async fn wait_for_health(server: &TestServer, expected: ServingStatus) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut statuses = Vec::new();
        for service in ["", TOKEN_SERVICE] {
            statuses.push(
                health_status(server, service)
                    .await
                    .expect("health answers"),
            );
        }
        if statuses.iter().all(|status| *status == expected as i32) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "health still {statuses:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn get_json(server: &TestServer, path: &str) -> (u16, Value) {
    let response = server
        .http
        .get(format!("{}{path}", server.base_url))
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}")),
    )
}

/// PostgreSQL reached through a proxy the test cuts and restores: the database really goes away.
async fn postgres_behind_proxy() -> (TestServer, Proxy) {
    let db = TestDatabase::create(Engine::Postgres).await;
    let Location::Postgres(url) = db.location.clone() else {
        unreachable!()
    };
    let real = "127.0.0.1:5432";
    let proxy = Proxy::start(real.parse::<SocketAddr>().unwrap()).await;
    let proxied = Location::Postgres(url.replace(real, &proxy.addr.to_string()));
    let server = TestServer::start_with(db, &proxied, ServeOptions::default()).await;
    (server, proxy)
}

#[tokio::test]
async fn health_and_readiness_follow_the_database() {
    let (server, proxy) = postgres_behind_proxy().await;
    wait_for_health(&server, ServingStatus::Serving).await;
    let (status, ready) = get_json(&server, "/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["data"]["database"], "up");
    assert_eq!(ready["data"]["engine"], "postgres");

    let mut watcher = HealthClient::new(channel(&server).await)
        .watch(HealthCheckRequest {
            service: TOKEN_SERVICE.to_owned(),
        })
        .await
        .expect("watch starts")
        .into_inner();
    let first = watcher.message().await.unwrap().unwrap();
    assert_eq!(first.status, ServingStatus::Serving as i32);

    proxy.cut();
    wait_for_health(&server, ServingStatus::NotServing).await;
    let (status, ready) = get_json(&server, "/readyz").await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["success"], false);
    assert_eq!(ready["code"], "database.unavailable");
    assert_eq!(ready["data"]["database"], "down");
    let (status, alive) = get_json(&server, "/healthz").await;
    assert_eq!(
        (status, &alive["data"]["status"]),
        (200, &Value::from("alive")),
        "liveness does not depend on the database"
    );
    let change = tokio::time::timeout(Duration::from_secs(5), watcher.message())
        .await
        .expect("watchers hear of the change")
        .unwrap()
        .unwrap();
    assert_eq!(change.status, ServingStatus::NotServing as i32);

    proxy.restore().await;
    wait_for_health(&server, ServingStatus::Serving).await;
    let (status, _) = get_json(&server, "/readyz").await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test]
async fn health_knows_only_the_services_it_monitors() {
    let server = TestServer::start().await;
    assert_eq!(
        health_status(&server, "").await.unwrap(),
        ServingStatus::Serving as i32
    );
    let unknown = health_status(&server, "no.such.Service")
        .await
        .expect_err("unknown service");
    assert_eq!(unknown.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn stopping_turns_health_not_serving_and_does_not_wait_for_open_watches_forever() {
    let server = TestServer::start().await;
    let mut watcher = HealthClient::new(channel(&server).await)
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("watch starts")
        .into_inner();
    let first = watcher.message().await.unwrap().unwrap();
    assert_eq!(first.status, ServingStatus::Serving as i32);
    let started = Instant::now();
    let stopping = tokio::spawn(server.stop());
    let last = watcher.message().await.unwrap().unwrap();
    assert_eq!(last.status, ServingStatus::NotServing as i32);
    stopping.await.unwrap();
    assert!(
        started.elapsed() < tokenbatch::serve::SHUTDOWN_GRACE + Duration::from_secs(5),
        "stop took {:?}",
        started.elapsed()
    );
}

fn openapi() -> Value {
    serde_json::from_str(tokenbatch::openapi::DOCUMENT).unwrap()
}

#[tokio::test]
async fn openapi_is_served_and_every_documented_operation_is_routed() {
    let server = TestServer::start().await;
    let (status, served) = get_json(&server, "/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(served, openapi());

    let document = openapi();
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let url = format!("{}{}", server.base_url, path.replace("{id}", "1"));
        for (method, operation) in item.as_object().unwrap() {
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let mut request = server
                .http
                .request(method.clone(), &url)
                .header("authorization", server.alice.access_token.clone())
                .header("new-api-user", server.alice.id.to_string());
            if method == reqwest::Method::PUT {
                request = request.body(body(&[1], r#""group":"default""#, &["group"]));
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16().to_string();
            let documented = &operation["responses"][&status];
            assert!(
                documented.is_object(),
                "{method} {path}: {status} is not a documented answer"
            );
            let content_type = response.headers()["content-type"].to_str().unwrap();
            let media_types: Vec<&String> =
                documented["content"].as_object().unwrap().keys().collect();
            assert!(
                media_types
                    .iter()
                    .any(|m| content_type.starts_with(m.as_str())),
                "{method} {path}: {content_type} not among {media_types:?}"
            );
            checked += 1;
        }
        let wrong_method = server.http.delete(&url).send().await.unwrap();
        assert_eq!(
            wrong_method.status(),
            405,
            "DELETE {path} is not an operation"
        );
    }
    assert_eq!(checked, 16);
    server.stop().await;
}
