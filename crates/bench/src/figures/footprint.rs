//! Figure 5: the real binary's start and idle memory, and the browser module's size.

use std::path::Path;
use std::time::{Duration, Instant};

use tokenbatch_store::Location;
use tokenbatch_testkit::process;

use crate::fixture::{self, BoxError};

/// Figure 5: the real binary's footprint and start, and the browser module's size.
pub struct Footprint {
    pub tokens: i64,
    pub ready: Vec<Duration>,
    pub idle_rss_kib: Vec<u64>,
    pub wasm_raw: u64,
    pub wasm_gzip: u64,
}

/// Starts `tokenbatch serve` `starts` times on one SQLite file holding `tokens` tokens (created and
/// closed beforehand, so each start opens an existing database), timing process start to the ready line,
/// then reads the idle process's resident memory.
pub async fn footprint(binary: &Path, tokens: i64, starts: usize) -> Result<Footprint, BoxError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("existing.db");
    fixture::seed(&Location::SqliteFile(path.clone()), tokens / 2).await?;
    let mut ready = Vec::new();
    let mut idle_rss_kib = Vec::new();
    for _ in 0..starts {
        let started = Instant::now();
        let mut child = tokio::process::Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--sqlite"])
            .arg(&path)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .env_remove("SQL_DSN")
            .env_remove("REDIS_CONN_STRING")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let deadline = Duration::from_secs(20);
        let found = tokio::time::timeout(deadline, process::ready(&mut child)).await;
        let elapsed = started.elapsed();
        let Ok(Ok(line)) = found else {
            let _ = child.kill().await;
            return Err(format!("{} never logged its ready line", binary.display()).into());
        };
        ready.push(elapsed);
        // Keep reading the logs so the child never blocks on a full pipe, and let it settle.
        line.drain();
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let pid = child.id().ok_or("the server exited")?;
        idle_rss_kib.push(vm_rss_kib(pid)?);
        child.kill().await?;
    }
    let wasm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/pkg/tokenbatch_wasm_bg.wasm");
    let wasm_raw = std::fs::metadata(&wasm)?.len();
    let gzip = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .arg(&wasm)
        .output()?;
    if !gzip.status.success() {
        return Err("gzip failed".into());
    }
    Ok(Footprint {
        tokens,
        ready,
        idle_rss_kib,
        wasm_raw,
        wasm_gzip: gzip.stdout.len() as u64,
    })
}

fn vm_rss_kib(pid: u32) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .ok_or("no VmRSS line")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("malformed VmRSS line")?
        .parse()?)
}
