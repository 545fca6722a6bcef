//! The surface for operators and tools, against the real server: gRPC health following the database,
//! `/healthz` and `/readyz`, reflection v1 and v1alpha, gRPC-Web over HTTP/1.1, CORS (off unless configured),
//! Prometheus metrics, the OpenAPI document matching what the router answers, and `INVALID_ARGUMENT`
//! details on every invalid request.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use prost::Message;
use serde_json::Value;
use tokenbatch::cors::CorsPolicy;
use tokenbatch::serve::ServeOptions;
use tokenbatch_e2e::proxy::Proxy;
use tokenbatch_e2e::{body, Engine, TestDatabase, TestServer};
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_store::Location;
use tonic::transport::Channel;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;
use tonic_types::StatusExt;

const TOKEN_SERVICE: &str = "newapi.token.v1.TokenService";

async fn channel(server: &TestServer) -> Channel {
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

#[tokio::test]
async fn reflection_v1_and_v1alpha_list_the_services_and_describe_them() {
    use tonic_reflection::pb::{v1, v1alpha};
    let server = TestServer::start().await;

    let mut client =
        v1::server_reflection_client::ServerReflectionClient::new(channel(&server).await);
    let requests = [
        v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
                String::new(),
            )),
        },
        v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                v1::server_reflection_request::MessageRequest::FileContainingSymbol(
                    TOKEN_SERVICE.to_owned(),
                ),
            ),
        },
    ];
    let mut answers = client
        .server_reflection_info(tokio_stream_of(requests.to_vec()))
        .await
        .unwrap()
        .into_inner();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("not a service list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        TOKEN_SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(files)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("not a file descriptor answer")
    };
    let files: Vec<prost_types::FileDescriptorProto> = files
        .file_descriptor_proto
        .iter()
        .map(|bytes| prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap())
        .collect();
    let service_file = files
        .iter()
        .find(|f| f.name() == "newapi/token/v1/token.proto")
        .expect("the service's own file");
    assert!(
        service_file
            .dependency
            .contains(&"google/api/annotations.proto".to_owned()),
        "{:?}",
        service_file.dependency
    );
    // A client fetches the imports by name, as grpcurl does.
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1::server_reflection_request::MessageRequest::FileByFilename(
                "google/api/annotations.proto".to_owned(),
            ),
        ),
    };
    let mut answers = client
        .server_reflection_info(tokio_stream_of(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(files)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("annotations.proto is not served")
    };
    assert!(!files.file_descriptor_proto.is_empty());

    let mut alpha =
        v1alpha::server_reflection_client::ServerReflectionClient::new(channel(&server).await);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut answers = alpha
        .server_reflection_info(tokio_stream_of(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("not a service list")
    };
    assert!(list.service.iter().any(|s| s.name == TOKEN_SERVICE));
    server.stop().await;
}

/// A finite request stream without pulling in tokio-stream: every item at once, then the end.
fn tokio_stream_of<T: Send + 'static>(
    items: Vec<T>,
) -> impl tonic::codegen::tokio_stream::Stream<Item = T> + Send + 'static {
    tonic::codegen::tokio_stream::iter(items)
}

/// One gRPC-Web message frame (flag 0 = data) around an encoded protobuf message.
fn grpc_web_frame(message: &impl Message) -> Vec<u8> {
    let payload = message.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend((payload.len() as u32).to_be_bytes());
    frame.extend(payload);
    frame
}

/// Splits a gRPC-Web response body into its data messages and its trailer frame's text.
fn grpc_web_frames(body: &[u8]) -> (Vec<Vec<u8>>, String) {
    let mut messages = Vec::new();
    let mut trailers = String::new();
    let mut rest = body;
    while rest.len() >= 5 {
        let flag = rest[0];
        let length = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
        let payload = &rest[5..5 + length];
        if flag & 0x80 != 0 {
            trailers.push_str(&String::from_utf8_lossy(payload));
        } else {
            messages.push(payload.to_vec());
        }
        rest = &rest[5 + length..];
    }
    assert!(rest.is_empty(), "trailing bytes in a gRPC-Web body");
    (messages, trailers)
}

#[tokio::test]
async fn grpc_web_over_http1_lists_tokens_and_reports_errors() {
    let server = TestServer::start().await;
    let call = |method: &str, frame: Vec<u8>| {
        server
            .http
            .post(format!("{}/{TOKEN_SERVICE}/{method}", server.base_url))
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .header(
                "authorization",
                format!("Bearer {}", server.alice.access_token),
            )
            .header("new-api-user", server.alice.id.to_string())
            .body(frame)
            .send()
    };
    let response = call(
        "ListTokens",
        grpc_web_frame(&pb::ListTokensRequest {
            page: 1,
            page_size: 3,
            filter: None,
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/grpc-web"));
    let (messages, trailers) = grpc_web_frames(&response.bytes().await.unwrap());
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
    let page = pb::TokenPage::decode(messages[0].as_slice()).unwrap();
    assert_eq!(page.items.len(), 3);
    assert_eq!(page.total, 22);

    let response = call("GetToken", grpc_web_frame(&pb::GetTokenRequest { id: 900 }))
        .await
        .unwrap();
    let status = response.headers()["grpc-status"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(status, (Code::NotFound as i32).to_string(), "bob's token");
    server.stop().await;
}

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

#[tokio::test]
async fn every_invalid_argument_names_its_fields_with_bad_request_and_error_info() {
    let server = TestServer::start().await;
    let mut client = server.grpc().await;
    for (keyword, token, field) in [("%%ab", "", "keyword"), ("", "%a%b%c", "token")] {
        let mut request = server.grpc_request(
            &server.alice,
            pb::SearchTokensRequest {
                keyword: keyword.into(),
                token: token.into(),
                page: 1,
                page_size: 10,
                filter: None,
                ..Default::default()
            },
        );
        request
            .metadata_mut()
            .insert("accept-language", "en".parse().unwrap());
        let status = client.search_tokens(request).await.expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let violations = &details.bad_request().expect("BadRequest").field_violations;
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, field);
        assert!(violations[0].reason.starts_with("search."));
        assert_eq!(
            violations[0].localized_message.as_ref().unwrap().locale,
            "en"
        );
        let info = details.error_info().expect("ErrorInfo");
        assert_eq!(info.domain, "tokenbatch");
        assert_eq!(info.reason, violations[0].reason);
    }

    let message = pb::BatchUpdateTokensRequest {
        ids: vec![],
        patch: Some(pb::TokenPatch {
            mj_image_mode: Some("sideways".into()),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["mj_image_mode".into()],
        }),
        ..Default::default()
    };
    let status = client
        .batch_update_tokens(server.grpc_request(&server.alice, message))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    let details = status.get_error_details();
    let violations = &details.bad_request().unwrap().field_violations;
    let reasons: Vec<&str> = violations.iter().map(|v| v.reason.as_str()).collect();
    assert!(reasons.contains(&"ids.empty"), "{reasons:?}");
    assert!(
        violations.iter().any(|v| v.field == "mj_image_mode"),
        "{violations:?}"
    );
    assert_eq!(
        violations[0].localized_message.as_ref().unwrap().locale,
        "zh-CN",
        "Chinese by default"
    );
    assert_eq!(details.error_info().unwrap().reason, reasons[0]);
    server.stop().await;
}
