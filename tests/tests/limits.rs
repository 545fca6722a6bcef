//! Slow, vanishing and numerous clients: bodies that dribble are cut off, a client that disconnects
//! mid-batch leaves it committed or rolled back (never pending), 1 000 connections at once are served or
//! refused cleanly, oversized headers or URIs are refused without a server error, and a full server refuses
//! at once. Connections that never make a request: limits_slow_connections.rs.

use std::time::{Duration, Instant};

use serde_json::json;
use tokenbatch::limits::Limits;
use tokenbatch::serve::ServeOptions;
use tokenbatch_e2e::{alice_ids, body, Engine, TestDatabase, TestServer};
use tokenbatch_proto::token_v1 as pb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub(crate) async fn server_with(limits: Limits) -> TestServer {
    let db = TestDatabase::create(Engine::Sqlite).await;
    let location = db.location.clone();
    let options = ServeOptions {
        limits,
        ..Default::default()
    };
    TestServer::start_with(db, &location, options).await
}

fn request_head(server: &TestServer, method: &str, path: &str, content_length: usize) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nNew-Api-User: {}\r\n\
         Content-Length: {content_length}\r\nConnection: close\r\n\r\n",
        server.server.addr, server.alice.access_token, server.alice.id
    )
}

/// A gRPC call for alice's first five tokens: the cheapest call that needs the database.
pub(crate) fn first_page(server: &TestServer) -> tonic::Request<pb::ListTokensRequest> {
    server.grpc_request(
        &server.alice,
        pb::ListTokensRequest {
            page: 1,
            page_size: 5,
            filter: None,
            ..Default::default()
        },
    )
}

/// Reads until the peer closes (or `limit` passes) and returns what arrived.
pub(crate) async fn read_all(stream: &mut TcpStream, limit: Duration) -> String {
    let mut received = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut received)).await;
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn a_dribbled_body_is_cut_off() {
    let server = server_with(Limits {
        body_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let before = server.snapshot().await;
    let mut stream = TcpStream::connect(server.server.addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(request_head(&server, "PUT", "/api/token/batch", 100).as_bytes())
        .await
        .unwrap();
    stream.write_all(br#"{"ids":[1"#).await.unwrap();
    let response = read_all(&mut stream, Duration::from_secs(10)).await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains(r#""code":"body.timeout""#), "{response}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "cut off after {:?}",
        started.elapsed()
    );
    assert_eq!(server.snapshot().await, before);
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_vanishes_mid_batch_leaves_nothing_pending() {
    let server = server_with(Limits::default()).await;
    let ids = alice_ids();
    for round in 0..20i64 {
        let marker = 70_000 + round;
        let text = body(
            &ids,
            &format!(r#""remain_quota":{marker}"#),
            &["remain_quota"],
        );
        let mut stream = TcpStream::connect(server.server.addr).await.unwrap();
        stream
            .write_all(request_head(&server, "PUT", "/api/token/batch", text.len()).as_bytes())
            .await
            .unwrap();
        stream.write_all(text.as_bytes()).await.unwrap();
        // Leave at a different moment each round: before, during or after the batch.
        tokio::time::sleep(Duration::from_micros(round as u64 * 150)).await;
        drop(stream);

        // Whatever happened, the next batch goes through at once: no transaction is left holding locks.
        let (_, response, raw) = server
            .put_batch(
                &server.alice,
                &body(&[1], r#""model_limits":"probe""#, &["model_limits"]),
            )
            .await;
        assert_eq!(response["success"], json!(true), "round {round}: {raw}");
        // One statement, so one snapshot: the batch may still commit while we look.
        let tokenbatch_e2e::RawDb::Sqlite(pool) = &server.db.raw else {
            unreachable!("this test runs on SQLite")
        };
        let sql = format!("SELECT COUNT(*) FROM tokens WHERE remain_quota = {marker}");
        let with_marker: i64 = sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap();
        let with_marker = with_marker as usize;
        assert!(
            with_marker == 0 || with_marker == ids.len(),
            "round {round}: {with_marker} of {} rows",
            ids.len()
        );
    }
    server.stop().await;
}

fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_connections_are_served_or_refused_cleanly() {
    let server = server_with(Limits {
        max_in_flight: 16,
        ..Limits::default()
    })
    .await;
    let head = request_head(&server, "GET", "/api/token/?p=1&size=100", 0);
    let before = resident_kib();
    let mut clients = Vec::new();
    for _ in 0..1_000 {
        let head = head.clone();
        let addr = server.server.addr;
        clients.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            stream.write_all(head.as_bytes()).await.expect("send");
            read_all(&mut stream, Duration::from_secs(60)).await
        }));
    }
    let (mut served, mut refused) = (0, 0);
    for client in clients {
        let response = client.await.unwrap();
        if response.starts_with("HTTP/1.1 200") {
            served += 1;
        } else if response.starts_with("HTTP/1.1 503") {
            assert!(response.contains(r#""code":"server.busy""#), "{response}");
            assert!(
                response.to_ascii_lowercase().contains("retry-after: 1"),
                "{response}"
            );
            refused += 1;
        } else {
            panic!("neither served nor refused cleanly: {response:?}");
        }
    }
    let grown_mib = resident_kib().saturating_sub(before) / 1024;
    eprintln!("1000 connections: {served} served, {refused} refused, RSS grew {grown_mib} MiB");
    assert!(served > 0, "some requests are served");
    assert!(grown_mib < 256, "memory grew by {grown_mib} MiB");
    let (status, _, _) = server.get(&server.alice, "/api/token/?p=1").await;
    assert_eq!(status, 200, "serves normally afterwards");
    server.stop().await;
}

/// A 4xx answer, or the connection closed without one (never a 5xx, never served).
fn refused_by_client_error(response: &str) -> bool {
    let status: u16 = response
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (400..500).contains(&status) || response.is_empty()
}

#[tokio::test]
async fn oversized_headers_and_uris_are_refused_without_a_server_error() {
    let server = server_with(Limits::default()).await;
    let long_path = format!("/api/token/search?keyword={}", "a".repeat(128 * 1024));
    let mut stream = TcpStream::connect(server.server.addr).await.unwrap();
    stream
        .write_all(request_head(&server, "GET", &long_path, 0).as_bytes())
        .await
        .unwrap();
    let response = read_all(&mut stream, Duration::from_secs(10)).await;
    assert!(
        refused_by_client_error(&response),
        "long URI: {response:.200}"
    );

    let many_headers: String = (0..500)
        .map(|n| format!("X-Filler-{n}: {}\r\n", "b".repeat(100)))
        .collect();
    let head = request_head(&server, "GET", "/api/token/?p=1", 0).replacen(
        "\r\n\r\n",
        &format!("\r\n{many_headers}\r\n"),
        1,
    );
    let mut stream = TcpStream::connect(server.server.addr).await.unwrap();
    let _ = stream.write_all(head.as_bytes()).await;
    let response = read_all(&mut stream, Duration::from_secs(10)).await;
    assert!(
        refused_by_client_error(&response),
        "many headers: {response:.200}"
    );

    let (status, _, _) = server.get(&server.alice, "/api/token/?p=1").await;
    assert_eq!(status, 200, "still serving");
    server.stop().await;
}

/// Beyond `--max-in-flight`, gRPC callers are refused with `RESOURCE_EXHAUSTED` and HTTP callers with 503, at
/// once; liveness still answers; once the slot is free both are served again.
#[tokio::test]
async fn a_full_server_refuses_grpc_with_resource_exhausted() {
    let server = server_with(Limits {
        max_in_flight: 1,
        body_timeout: Duration::from_secs(30),
        ..Limits::default()
    })
    .await;
    // A body that never finishes holds the only slot.
    let mut holder = TcpStream::connect(server.server.addr).await.unwrap();
    holder
        .write_all(request_head(&server, "PUT", "/api/token/batch", 100).as_bytes())
        .await
        .unwrap();
    holder.write_all(br#"{"ids":[1"#).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut client = server.grpc().await;
    let list = || first_page(&server);
    let started = Instant::now();
    let refused = client.list_tokens(list()).await.expect_err("refused");
    assert_eq!(
        refused.code(),
        tonic::Code::ResourceExhausted,
        "{refused:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "refused at once"
    );
    let (status, answer, raw) = server.get(&server.alice, "/api/token/?p=1").await;
    assert_eq!(status, 503, "{raw}");
    assert_eq!(answer["code"], json!("server.busy"));
    let alive = server
        .http
        .get(format!("{}/healthz", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(alive.status().as_u16(), 200, "liveness is never shed");

    drop(holder);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let served = client.list_tokens(list()).await.expect("served again");
    assert_eq!(served.into_inner().items.len(), 5);
    server.stop().await;
}
