//! The real `tokenbatch` binary, as a newcomer runs it: `demo`, `serve` on port 0, the documented example.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BINARY: &str = env!("CARGO_BIN_EXE_tokenbatch");
const EXAMPLE: &str = include_str!("../../../tests/fixtures/example-request.jsonc");

fn value_after(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix(label))
        .map(|rest| rest.trim().to_owned())
        .unwrap_or_else(|| panic!("no `{label}` in:\n{text}"))
}

async fn run(args: &[&str]) -> String {
    let output = Command::new(BINARY)
        .args(args)
        .output()
        .await
        .expect("binary runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Starts `serve` and waits for its one "ready" line, returning the child and the address it names.
async fn serve(db: &str) -> (Child, String) {
    let mut child = Command::new(BINARY)
        .args(["serve", "--sqlite", db, "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if let Some(at) = line.find("ready on http://") {
                let rest = &line[at + "ready on http://".len()..];
                return rest.split_whitespace().next().unwrap().to_owned();
            }
        }
        panic!("serve exited without a ready line");
    })
    .await
    .expect("ready within 30 s");
    (child, address)
}

async fn put_example(address: &str, user_id: &str, token: &str) -> Value {
    let response = reqwest::Client::new()
        .put(format!("http://{address}/api/token/batch"))
        .header("Authorization", format!("Bearer {token}"))
        .header("New-Api-User", user_id)
        .body(EXAMPLE)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("json")
}

#[tokio::test]
async fn demo_then_serve_then_the_documented_example() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let db = db.to_str().unwrap();
    let seeded = run(&["demo", "--sqlite", db]).await;
    let user_id = value_after(&seeded, "user id:");
    let token = value_after(&seeded, "access token:");
    assert_eq!(token.len(), 32);
    let again = run(&["demo", "--sqlite", db]).await;
    assert_eq!(
        value_after(&again, "access token:"),
        token,
        "demo is idempotent"
    );

    let (mut child, address) = serve(db).await;
    let first = put_example(&address, &user_id, &token).await;
    assert_eq!(first["success"], Value::Bool(true), "{first}");
    assert_eq!(first["data"], 2, "{first}");
    assert!(
        first["message"].as_str().unwrap().contains("1776410923"),
        "{first}"
    );
    let second = put_example(&address, &user_id, &token).await;
    assert_eq!(second["data"], 0, "{second}");

    let added = run(&[
        "user",
        "add",
        "--sqlite",
        db,
        "--username",
        "carol",
        "--role",
        "admin",
    ])
    .await;
    let carol_id = value_after(&added, "user id:");
    let carol_token = value_after(&added, "access token:");
    let listed: Value = reqwest::Client::new()
        .get(format!("http://{address}/api/token/?p=1"))
        .header("Authorization", carol_token)
        .header("New-Api-User", carol_id)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"]["total"], 0, "carol owns no tokens: {listed}");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn a_malformed_dsn_is_refused_with_a_clear_message() {
    let output = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("SQL_DSN", "user:secret-password@nowhere")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SQL_DSN"), "{stderr}");
    assert!(
        !stderr.contains("secret-password"),
        "the password must not be echoed: {stderr}"
    );
}
