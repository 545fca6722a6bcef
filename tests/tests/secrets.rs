//! Secrets never reach the logs: a whole session against the real binary at the most verbose log level —
//! good and bad requests, failed authentication, gRPC and HTTP, searches by key — and then not one access
//! token nor token key may appear in what the process printed, nor a whole key in any response.

use std::process::Stdio;
use std::time::Duration;

use sqlx::Row;
use tokenbatch_e2e::EXAMPLE_BODY;
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_proto::token_v1::token_service_client::TokenServiceClient;
use tokenbatch_testkit::process;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::SERVER_BINARY as BINARY;

fn value_after(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix(label))
        .map(|rest| rest.trim().to_owned())
        .unwrap_or_else(|| panic!("no `{label}` in:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_logs_or_a_response() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("secrets.db");
    let db = db.to_str().unwrap().to_owned();
    let seeded = Command::new(BINARY)
        .args(["demo", "--sqlite", &db])
        .output()
        .await
        .unwrap();
    let seeded = String::from_utf8(seeded.stdout).unwrap();
    let user_id = value_after(&seeded, "user id:");
    let access_token = value_after(&seeded, "access token:");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db}"))
        .await
        .unwrap();
    let keys: Vec<String> = sqlx::query("SELECT \"key\" FROM tokens")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    pool.close().await;
    assert_eq!(keys.len(), 50);

    let mut child = Command::new(BINARY)
        .args(["serve", "--sqlite", &db, "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "trace")
        .env("REDIS_CONN_STRING", "redis://127.0.0.1:1")
        .env("CRYPTO_SECRET", "crypto-secret-value-0123456789")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // The ready line, or the reason the server exited before it.
    let ready = process::ready(&mut child)
        .await
        .expect("serve becomes ready");
    let address = ready.address.clone();
    let mut log = ready.printed.clone();
    let collector = ready.collect();
    let mut stderr = child.stderr.take().unwrap();
    let stderr_collector = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });

    let base = format!("http://{address}");
    let http = reqwest::Client::new();
    let mut responses = Vec::new();
    let example = EXAMPLE_BODY;
    let requests = [
        (
            "PUT",
            "/api/token/batch".to_owned(),
            format!("Bearer {access_token}"),
            example.to_owned(),
        ),
        (
            "PUT",
            "/api/token/batch".to_owned(),
            access_token.clone(),
            r#"{"ids":[],"update_fields":"x"}"#.into(),
        ),
        (
            "PUT",
            "/api/token/batch".to_owned(),
            format!("Bearer {access_token}x"),
            example.to_owned(),
        ),
        (
            "PUT",
            "/api/token/batch?validate_only=true".to_owned(),
            access_token.clone(),
            example.to_owned(),
        ),
        (
            "GET",
            "/api/token/?p=1&size=100".to_owned(),
            access_token.clone(),
            String::new(),
        ),
        (
            "GET",
            format!("/api/token/search?token=sk-{}", keys[0]),
            access_token.clone(),
            String::new(),
        ),
        (
            "GET",
            format!("/api/token/search?token=%25{}%25", &keys[1][4..20]),
            access_token.clone(),
            String::new(),
        ),
        (
            "GET",
            "/api/token/873".to_owned(),
            access_token.clone(),
            String::new(),
        ),
        (
            "GET",
            "/api/token/873".to_owned(),
            format!("Bearer {}", keys[2]),
            String::new(),
        ),
    ];
    for (method, path, authorization, body) in requests {
        let request = match method {
            "PUT" => http.put(format!("{base}{path}")).body(body),
            _ => http.get(format!("{base}{path}")),
        };
        let response = request
            .header("Authorization", authorization)
            .header("New-Api-User", &user_id)
            .send()
            .await
            .unwrap();
        responses.push(response.text().await.unwrap());
    }
    let mut grpc = TokenServiceClient::connect(base.clone()).await.unwrap();
    for authorization in [format!("Bearer {access_token}"), "Bearer wrong".to_owned()] {
        let mut request = tonic::Request::new(pb::ListTokensRequest {
            page: 1,
            page_size: 100,
            filter: None,
            ..Default::default()
        });
        request
            .metadata_mut()
            .insert("authorization", authorization.parse().unwrap());
        request
            .metadata_mut()
            .insert("new-api-user", user_id.parse().unwrap());
        match grpc.list_tokens(request).await {
            Ok(page) => responses.push(format!("{:?}", page.into_inner())),
            Err(status) => responses.push(format!("{status:?}")),
        }
    }

    tokio::time::sleep(Duration::from_millis(200)).await;
    child.kill().await.unwrap();
    log.push_str(&collector.await.unwrap());
    log.push_str(&stderr_collector.await.unwrap());
    assert!(
        log.contains("batch update"),
        "the session was logged at all:\n{log}"
    );

    eprintln!(
        "checked {} lines ({} bytes) of output and {} responses for {} secrets",
        log.lines().count(),
        log.len(),
        responses.len(),
        keys.len() + 2
    );
    let secrets = std::iter::once(access_token.as_str())
        .chain(std::iter::once("crypto-secret-value-0123456789"))
        .chain(keys.iter().map(String::as_str));
    for secret in secrets {
        assert!(
            !log.contains(secret),
            "a secret ({}…) reached the logs",
            &secret[..6]
        );
        for response in &responses {
            if secret != access_token {
                assert!(
                    !response.contains(secret),
                    "a whole key ({}…) is in a response",
                    &secret[..6]
                );
            }
        }
    }
}
