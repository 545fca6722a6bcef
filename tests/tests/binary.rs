//! The real `tokenbatch` binary, as a newcomer runs it: `demo`, `serve` on port 0, the documented example.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokenbatch_e2e::EXAMPLE_BODY as EXAMPLE;
use tokenbatch_testkit::process;
use tokio::process::{Child, Command};

use crate::SERVER_BINARY as BINARY;

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

/// Starts `serve` and waits for its one "ready" line, returning the child, the address it names and the line.
async fn serve(db: &str, listen: &str) -> (Child, String, String) {
    let mut child = Command::new(BINARY)
        .args(["serve", "--sqlite", db, "--listen", listen])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("serve starts");
    let (address, line) = process::ready_within(&mut child, Duration::from_secs(30)).await;
    (child, address, line)
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

    let (mut child, address, _) = serve(db, "127.0.0.1:0").await;
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

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// The file the demo's `curl … --data-binary @FILE` line names, resolved from the directory the demo ran in.
fn curl_body_file(output: &str, ran_in: &Path) -> PathBuf {
    let named = output
        .lines()
        .find_map(|line| line.trim().strip_prefix("--data-binary @"))
        .unwrap_or_else(|| panic!("no `--data-binary @FILE` in:\n{output}"));
    ran_in
        .join(named)
        .canonicalize()
        .unwrap_or_else(|error| panic!("the demo's body file {named} ({error}):\n{output}"))
}

/// A newcomer with only the repository pastes the demo's curl line (from the repository's root, as the
/// README runs it, or from anywhere else) and opens the page the demo names.
#[tokio::test]
async fn the_demo_names_the_example_inside_the_repository_and_the_page() {
    let repository = repository_root();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    for ran_in in [repository.as_path(), dir.path()] {
        let output = Command::new(BINARY)
            .args(["demo", "--listen", "8123", "--sqlite"])
            .arg(&db)
            .current_dir(ran_in)
            .output()
            .await
            .expect("binary runs");
        assert!(output.status.success(), "{output:?}");
        let output = String::from_utf8(output.stdout).unwrap();
        let body = curl_body_file(&output, ran_in);
        assert!(
            body.starts_with(&repository),
            "{} is outside the repository {}:\n{output}",
            body.display(),
            repository.display()
        );
        assert_eq!(std::fs::read_to_string(&body).unwrap(), EXAMPLE);
        assert!(
            output.contains("curl -X PUT http://127.0.0.1:8123/api/token/batch "),
            "{output}"
        );
        assert!(
            output.contains("open http://127.0.0.1:8123/ "),
            "the demo names the page:\n{output}"
        );
    }
}

/// The ready line names the page as a browser on the same machine opens it, with the port really bound,
/// also when listening on all interfaces; and the page is there.
#[tokio::test]
async fn the_ready_line_names_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ready.db");
    for (listen, host) in [("127.0.0.1:0", "127.0.0.1"), ("0", "127.0.0.1")] {
        let (mut child, address, line) = serve(db.to_str().unwrap(), listen).await;
        let port = address.rsplit(':').next().unwrap();
        assert_ne!(port, "0", "{line}");
        let page = format!("http://{host}:{port}/");
        let named = line
            .split_whitespace()
            .skip_while(|word| *word != "open")
            .nth(1);
        assert_eq!(
            named,
            Some(page.as_str()),
            "the ready line names the page: {line}"
        );
        let response = reqwest::get(&page).await.expect("the page answers");
        assert_eq!(response.status().as_u16(), 200, "{page}");
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"id="access-token""#), "{html}");
        child.kill().await.unwrap();
    }
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
