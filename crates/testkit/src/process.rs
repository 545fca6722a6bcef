//! `tokenbatch serve` as a child process: its one "ready" line says where it listens, and its output must keep
//! being read afterwards, or a full pipe blocks the server.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};
use tokio::task::JoinHandle;

/// What the server prints once it accepts requests: `tokenbatch ready on http://ADDRESS (gRPC and HTTP); …`.
pub const READY_MARKER: &str = "ready on http://";

/// A child that printed its ready line.
pub struct Ready {
    /// The address the line names, `host:port` as printed.
    pub address: String,
    /// The ready line itself.
    pub line: String,
    /// Everything the child printed on stdout up to and including the ready line.
    pub printed: String,
    rest: Lines<BufReader<ChildStdout>>,
}

impl Ready {
    /// Keeps reading (and discarding) the rest of the child's stdout.
    pub fn drain(self) {
        let mut rest = self.rest;
        tokio::spawn(async move { while let Ok(Some(_)) = rest.next_line().await {} });
    }

    /// Reads the rest of the child's stdout until it closes; the task returns it.
    pub fn collect(self) -> JoinHandle<String> {
        let mut rest = self.rest;
        tokio::spawn(async move {
            let mut text = String::new();
            while let Ok(Some(line)) = rest.next_line().await {
                text.push_str(&line);
                text.push('\n');
            }
            text
        })
    }
}

/// Reads `child`'s stdout (which must be piped) until its ready line. When the child exits first: its exit
/// status and, when its stderr is piped, what it printed there.
pub async fn ready(child: &mut Child) -> Result<Ready, String> {
    let stdout = child.stdout.take().expect("the child's stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = String::new();
    while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
        printed.push_str(&line);
        printed.push('\n');
        if let Some(at) = line.find(READY_MARKER) {
            let address = line[at + READY_MARKER.len()..]
                .split(|c: char| c.is_whitespace() || c == ';')
                .next()
                .unwrap_or_default()
                .to_owned();
            return Ok(Ready {
                address,
                line,
                printed,
                rest: lines,
            });
        }
    }
    let mut error = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut error).await;
    }
    let status = child.wait().await.map_err(|e| e.to_string())?;
    Err(format!(
        "exited without a ready line ({status}): {}\n{printed}",
        error.trim()
    ))
}

/// [`ready`] within `limit`, keeping the rest of stdout drained; panics otherwise. Returns the address and
/// the ready line.
pub async fn ready_within(child: &mut Child, limit: Duration) -> (String, String) {
    let ready = tokio::time::timeout(limit, ready(child))
        .await
        .unwrap_or_else(|_| panic!("no ready line within {limit:?}"))
        .unwrap_or_else(|error| panic!("the server {error}"));
    let found = (ready.address.clone(), ready.line.clone());
    ready.drain();
    found
}
