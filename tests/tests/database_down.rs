//! The database goes away and comes back: requests answer 503 / UNAVAILABLE with a clear message, nothing is
//! half-written, and the service recovers by itself (the pool reconnects) once the database is reachable.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;
use tokenbatch::serve::ServeOptions;
use tokenbatch_e2e::proxy::Proxy;
use tokenbatch_e2e::{body, initial_state, Engine, TestDatabase, TestServer};
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_store::Location;

/// The test's database, reached through a proxy that the test can cut.
async fn server_behind_proxy(engine: Engine) -> (TestServer, Proxy) {
    let db = TestDatabase::create(engine).await;
    let (real, url) = match &db.location {
        Location::Postgres(url) => ("127.0.0.1:5432", url.clone()),
        Location::MySql(url) => ("127.0.0.1:3306", url.clone()),
        Location::SqliteFile(_) => unreachable!("a file cannot go away like a server"),
    };
    let proxy = Proxy::start(real.parse::<SocketAddr>().unwrap()).await;
    let proxied_url = url.replace(real, &proxy.addr.to_string());
    let proxied = match engine {
        Engine::Postgres => Location::Postgres(proxied_url),
        _ => Location::MySql(proxied_url),
    };
    let server = TestServer::start_with(db, &proxied, ServeOptions::default()).await;
    (server, proxy)
}

async fn goes_away_and_comes_back(engine: Engine) {
    let (server, proxy) = server_behind_proxy(engine).await;
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
        .list_tokens(server.grpc_request(
            &server.alice,
            pb::ListTokensRequest {
                page: 1,
                page_size: 5,
            },
        ))
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
