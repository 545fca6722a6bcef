//! The real binary on a full disk: SQLite's file and the server's own log on a small tmpfs that fills up, and
//! a server whose log goes to /dev/full. Batches are refused with HTTP 507 `database.full` (never 500, never
//! a silent drop), the service answers every request although it cannot write a log line, and it works again
//! as soon as there is space (docs/RELIABILITY.md, "A full disk").
//!
//! Mounting a tmpfs needs root, which the development machines and CI have; elsewhere the test fails with the
//! reason rather than skipping.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::SERVER_BINARY as BINARY;

/// A tmpfs of `size` mounted on a fresh directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().expect("temp dir");
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a tmpfs needs root (the development machines and CI run as root): {status}"
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the file system holding `dir` up to the last byte; returns the filler to delete to make space.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).expect("create filler");
    let block = vec![0u8; 64 * 1024];
    loop {
        match file.write(&block) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    // Byte by byte for what is left of the last block.
    while file.write(&[0]).is_ok_and(|written| written == 1) {}
    filler
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Seeds the demo user on `db` and returns its id and access token.
async fn demo_user(db: &Path) -> (String, String) {
    let output = Command::new(BINARY)
        .args(["demo", "--sqlite"])
        .arg(db)
        .output()
        .await
        .expect("demo runs");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let value = |label: &str| {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(label))
            .map(|rest| rest.trim().to_owned())
            .unwrap_or_else(|| panic!("no `{label}` in:\n{text}"))
    };
    (value("user id:"), value("access token:"))
}

/// `serve` on `db` with its log going to `log` (stdout and stderr), ready once `/readyz` answers 200.
async fn serve(db: &Path, log: impl Fn() -> Stdio) -> (Child, String) {
    let address = format!("127.0.0.1:{}", free_port());
    let child = Command::new(BINARY)
        .args(["serve", "--listen", &address, "--sqlite"])
        .arg(db)
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(log())
        .stderr(log())
        .kill_on_drop(true)
        .spawn()
        .expect("serve starts");
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = reqwest::get(format!("http://{address}/readyz")).await;
        if ready.is_ok_and(|response| response.status() == 200) {
            return (child, address);
        }
        assert!(Instant::now() < until, "not ready within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A batch writing a fresh 1 000-character model list to all 50 demo tokens (ids 840..=889): pages SQLite
/// must write anew each time.
async fn batch(address: &str, user: &(String, String), round: usize) -> (u16, Value) {
    let models: Vec<String> = (0..90).map(|i| format!("m{round:03}-{i:04}")).collect();
    let ids: Vec<i64> = (840..890).collect();
    let body = json!({
        "ids": ids,
        "model_limits": models.join(","),
        "update_fields": ["model_limits"],
    });
    let response = reqwest::Client::new()
        .put(format!("http://{address}/api/token/batch"))
        .header("Authorization", &user.1)
        .header("New-Api-User", &user.0)
        .header("Accept-Language", "en")
        .json(&body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap_or_else(|error| panic!("round {round}: no answer: {error}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn sqlite_and_its_log_on_a_full_disk_refuse_batches_with_507_and_recover() {
    let disk = Tmpfs::mount("8m");
    let db = disk.path().join("tokenbatch.db");
    let user = demo_user(&db).await;
    let log = disk.path().join("server.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let (mut child, address) = serve(&db, || Stdio::from(log_file.try_clone().unwrap())).await;
    let (status, response) = batch(&address, &user, 0).await;
    assert_eq!(status, 200, "{response}");

    let filler = fill(disk.path());
    // Every batch is refused cleanly, again and again: the connection that failed is not reused in a broken
    // state, and the log that cannot be written takes no request down.
    for round in 1..=40 {
        let (status, response) = batch(&address, &user, round).await;
        assert_eq!(status, 507, "round {round}: {response}");
        assert_eq!(response["success"], json!(false), "round {round}");
        assert_eq!(response["code"], json!("database.full"), "round {round}");
        assert!(
            response["message"]
                .as_str()
                .unwrap()
                .contains("disk is full"),
            "{response}"
        );
    }
    assert!(child.try_wait().unwrap().is_none(), "the server exited");

    std::fs::remove_file(filler).unwrap();
    let (status, response) = batch(&address, &user, 41).await;
    assert_eq!(status, 200, "space again: {response}");
    assert_eq!(response["data"], json!(50), "{response}");
}

#[tokio::test]
async fn a_log_that_cannot_be_written_never_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tokenbatch.db");
    let user = demo_user(&db).await;
    let dev_full = || Stdio::from(std::fs::File::create("/dev/full").expect("/dev/full"));
    let (mut child, address) = serve(&db, dev_full).await;
    for round in 0..30 {
        // Refused requests log a line each (debug); applied batches too.
        let refused = reqwest::Client::new()
            .put(format!("http://{address}/api/token/batch"))
            .header("Authorization", "wrong")
            .header("New-Api-User", &user.0)
            .body("{}")
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap_or_else(|error| panic!("round {round}: no answer: {error}"));
        assert_eq!(refused.status(), 401);
        let (status, response) = batch(&address, &user, round).await;
        assert_eq!(status, 200, "{response}");
    }
    assert!(child.try_wait().unwrap().is_none(), "the server exited");
}
