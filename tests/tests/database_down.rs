//! The database goes away and comes back: requests answer 503 / UNAVAILABLE with a clear message, nothing is
//! half-written, and the service recovers by itself (the pool reconnects) once the database is reachable.

use std::time::{Duration, Instant};

use serde_json::json;
use tokenbatch::serve::ServeOptions;
use tokenbatch_e2e::{body, initial_state, server_behind_proxy, Engine, TestServer};

async fn goes_away_and_comes_back(engine: Engine) {
    let (server, proxy) = server_behind_proxy(engine, ServeOptions::default()).await;
    let (_, response, raw) = server
        .put_batch(
            &server.alice,
            &body(&[1], r#""remain_quota":11"#, &["remain_quota"]),
        )
        .await;
    assert_eq!(
        response["data"],
        json!(1),
        "works while the database is up: {raw}"
    );

    proxy.cut();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let (status, response, raw) = server
        .put_batch(
            &server.alice,
            &body(&[2, 3], r#""remain_quota":22"#, &["remain_quota"]),
        )
        .await;
    assert_eq!(status, 503, "{raw}");
    assert_eq!(response["success"], json!(false));
    assert_eq!(response["code"], json!("database.unavailable"), "{raw}");
    assert!(!response["message"].as_str().unwrap().is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "answers promptly: {:?}",
        started.elapsed()
    );

    let mut client = server.grpc().await;
    let status = client
        .list_tokens(crate::limits::first_page(&server))
        .await
        .expect_err("no database");
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");

    assert_eq!(
        server.row(2).await,
        initial_state(),
        "nothing half-written (read past the proxy)"
    );

    proxy.restore().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, response, raw) = server
            .put_batch(
                &server.alice,
                &body(&[2, 3], r#""remain_quota":22"#, &["remain_quota"]),
            )
            .await;
        if status == 200 && response["success"] == json!(true) {
            assert_eq!(response["data"], json!(2), "{raw}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "did not recover by itself: {status} {raw}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(server.row(3).await.remain_quota, 22);
    server.stop().await;
}

#[tokio::test]
async fn postgres_goes_away_and_comes_back() {
    goes_away_and_comes_back(Engine::Postgres).await;
}

#[tokio::test]
async fn mysql_goes_away_and_comes_back() {
    goes_away_and_comes_back(Engine::MySql).await;
}

/// `/readyz`'s status, waiting up to 5 s for it to become `wanted` (the health monitor pings every second).
async fn readiness_becomes(server: &TestServer, wanted: u16) -> u16 {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let status = server
            .http
            .get(format!("{}/readyz", server.base_url))
            .send()
            .await
            .expect("readyz answers")
            .status()
            .as_u16();
        if status == wanted || Instant::now() > until {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The database (PostgreSQL schema, MySQL database) is dropped under the running service, then re-created
/// empty: requests answer 503 `database.unavailable` / gRPC UNAVAILABLE, never 500, and readiness agrees with
/// what requests get in both cases (an empty database answers pings, but the service cannot work on it).
async fn dropped_then_recreated_empty(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let batch = body(&[1], r#""remain_quota":5"#, &["remain_quota"]);
    let (status, _, raw) = server.put_batch(&server.alice, &batch).await;
    assert_eq!(status, 200, "{raw}");

    for (moment, recreate) in [("dropped", false), ("re-created empty", true)] {
        if recreate {
            server.db.create_namespace().await;
        } else {
            server.db.drop_namespace().await;
        }
        let (status, response, raw) = server.put_batch(&server.alice, &batch).await;
        assert_eq!(status, 503, "{moment}: {raw}");
        assert_eq!(
            response["code"],
            json!("database.unavailable"),
            "{moment}: {raw}"
        );
        let (status, _, raw) = server.get(&server.alice, "/api/token/?p=1").await;
        assert_eq!(status, 503, "{moment}: list: {raw}");
        let status = server
            .grpc()
            .await
            .list_tokens(crate::limits::first_page(&server))
            .await
            .expect_err("no tables");
        assert_eq!(
            status.code(),
            tonic::Code::Unavailable,
            "{moment}: {status:?}"
        );
        assert_eq!(
            readiness_becomes(&server, 503).await,
            503,
            "{moment}: /readyz"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn postgres_dropped_then_recreated_empty() {
    dropped_then_recreated_empty(Engine::Postgres).await;
}

#[tokio::test]
async fn mysql_dropped_then_recreated_empty() {
    dropped_then_recreated_empty(Engine::MySql).await;
}
