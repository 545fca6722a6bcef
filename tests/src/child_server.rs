//! The shipped binary's `main` (built in this package as `tokenbatch-e2e-server`) serving a fresh SQLite
//! file as a child process under a descriptor limit of its own, the way production runs it (commonly
//! 1 024), so that a test can exhaust the server's descriptors without exhausting its own.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokenbatch_store::{Location, Store};
use tokenbatch_testkit::{process, seed};
use tokio::process::{Child, Command};

use crate::{Engine, TestDatabase, User};

pub struct ChildServer {
    pub addr: SocketAddr,
    pub alice: User,
    child: Child,
    _db: TestDatabase,
}

impl ChildServer {
    /// Seeds a user `alice` into a fresh SQLite file, then runs `binary serve` on 127.0.0.1 port 0 with
    /// `args`, its soft and hard RLIMIT_NOFILE set to `open_files` (by `sh`'s `ulimit -n`, which sets both,
    /// so the server cannot raise it back). `binary` is `env!("CARGO_BIN_EXE_tokenbatch-e2e-server")`,
    /// which cargo gives integration tests only.
    pub async fn start(binary: &str, open_files: u64, args: &[&str]) -> ChildServer {
        let db = TestDatabase::create(Engine::Sqlite).await;
        let Location::SqliteFile(path) = db.location.clone() else {
            unreachable!("a SQLite database")
        };
        let store = Store::open(&db.location).await.expect("open store");
        let alice = seed::add_user(&store, "alice", "default")
            .await
            .expect("alice");
        store.close().await;

        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {open_files} && exec \"$0\" \"$@\""))
            .arg(binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--sqlite"])
            .arg(&path)
            .args(args)
            // The caller's environment must not pick another database, cache or port.
            .env_remove("SQL_DSN")
            .env_remove("REDIS_CONN_STRING")
            .env_remove("PORT")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the server starts");
        let (address, _) = process::ready_within(&mut child, Duration::from_secs(30)).await;
        ChildServer {
            addr: address.parse().expect("an address"),
            alice,
            child,
            _db: db,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id().expect("the server is running")
    }

    /// The server's soft RLIMIT_NOFILE, as the kernel reports it.
    pub fn open_files_limit(&self) -> u64 {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.pid())).unwrap();
        let line = limits
            .lines()
            .find(|line| line.starts_with("Max open files"))
            .expect("a Max open files line");
        line["Max open files".len()..]
            .split_whitespace()
            .next()
            .and_then(|soft| soft.parse().ok())
            .expect("a number")
    }

    /// The descriptors the server holds right now.
    pub fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|entries| entries.count())
            .unwrap_or(0)
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
