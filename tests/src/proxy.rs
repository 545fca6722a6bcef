//! A TCP proxy the tests can cut and restore, to make a database "go away" and "come back" on the address
//! tokenbatch knows, without touching the real database server that other tests share; and that can break
//! one connection in the middle of a conversation, the way networks fail (see [`Fault`]).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How a connection breaks when an armed [`Trigger`] fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Both ends get a TCP reset at once (a crashed middlebox, a restarted NAT).
    Reset,
    /// Nothing arrives any more in either direction and nobody is told: bytes are swallowed, no FIN, no RST
    /// (a silently dropped route, a firewall state that expired).
    Blackhole,
    /// The database sees the connection end (FIN), the client sees nothing: its requests are swallowed and
    /// it never hears an answer or a close.
    HalfClose,
}

/// Breaks the next connection whose client sends `pattern`.
#[derive(Clone, Debug)]
pub struct Trigger {
    pub pattern: Vec<u8>,
    /// Forward the bytes that hold the pattern before breaking (the server gets the statement, the client
    /// never hears back), or break before they reach the server.
    pub after_forwarding: bool,
    pub fault: Fault,
}

#[derive(Default)]
struct Shared {
    tasks: Mutex<Vec<JoinHandle<()>>>,
    trigger: Mutex<Option<Trigger>>,
    fired: Notify,
}

pub struct Proxy {
    pub addr: SocketAddr,
    target: SocketAddr,
    shared: Arc<Shared>,
}

impl Proxy {
    /// Listens on 127.0.0.1 (a free port) and forwards every connection to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let proxy = Proxy {
            addr,
            target,
            shared: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let target = self.target;
        let shared = self.shared.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let per_connection = shared.clone();
                let connection = tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(target).await {
                        forward(client, server, per_connection).await;
                    }
                });
                shared.tasks.lock().unwrap().push(connection);
            }
        });
        self.shared.tasks.lock().unwrap().push(accept);
    }

    /// Closes the listening socket and every open connection: the address now refuses connections.
    pub fn cut(&self) {
        for task in self.shared.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Listens again on the same address.
    pub async fn restore(&self) {
        let listener = TcpListener::bind(self.addr).await.expect("rebind proxy");
        self.serve(listener);
    }

    /// Arms `trigger`: the first connection (open or new) whose client then sends its pattern breaks; the
    /// others, and later ones, are forwarded as before.
    pub fn arm(&self, trigger: Trigger) {
        *self.shared.trigger.lock().unwrap() = Some(trigger);
    }

    /// Whether the armed trigger has fired (it is then disarmed).
    pub fn fired(&self) -> bool {
        self.shared.trigger.lock().unwrap().is_none()
    }

    /// Waits until the armed trigger fires, at most `limit`.
    pub async fn wait_fired(&self, limit: Duration) -> bool {
        let _ = tokio::time::timeout(limit, async {
            while !self.fired() {
                let notified = self.shared.fired.notified();
                if self.fired() {
                    break;
                }
                notified.await;
            }
        })
        .await;
        self.fired()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

/// What a connection's two pumps do with the bytes they read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Forward,
    Swallow,
}

struct Connection {
    flow: Mutex<Flow>,
    reset: Notify,
}

async fn forward(client: TcpStream, server: TcpStream, shared: Arc<Shared>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let connection = Arc::new(Connection {
        flow: Mutex::new(Flow::Forward),
        reset: Notify::new(),
    });
    // One task for both directions, so that cutting the proxy (aborting it) drops both.
    tokio::join!(
        server_to_client(server_read, client_write, connection.clone()),
        client_to_server(client_read, server_write, connection, shared),
    );
}

/// Forwards the client's bytes, watching them for the armed trigger's pattern.
async fn client_to_server(
    mut client: OwnedReadHalf,
    mut server: OwnedWriteHalf,
    connection: Arc<Connection>,
    shared: Arc<Shared>,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    // The tail of what came before, so a pattern split between two reads is still seen.
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let read = match client.read(&mut buffer).await {
            Ok(0) | Err(_) if *connection.flow.lock().unwrap() == Flow::Forward => {
                let _ = server.shutdown().await;
                return;
            }
            // Broken: the server must not learn that the client went away. Hold its half open.
            Ok(0) | Err(_) => return std::future::pending().await,
            Ok(read) => read,
        };
        let chunk = &buffer[..read];
        if *connection.flow.lock().unwrap() == Flow::Swallow {
            continue;
        }
        let fired = {
            let mut armed = shared.trigger.lock().unwrap();
            let mut window = std::mem::take(&mut carry);
            window.extend_from_slice(chunk);
            let hit = armed.as_ref().is_some_and(|trigger| {
                window
                    .windows(trigger.pattern.len())
                    .any(|candidate| candidate == trigger.pattern.as_slice())
            });
            let keep = armed.as_ref().map_or(0, |trigger| trigger.pattern.len());
            carry = window[window.len().saturating_sub(keep)..].to_vec();
            if hit {
                armed.take()
            } else {
                None
            }
        };
        let Some(trigger) = fired else {
            if server.write_all(chunk).await.is_err() {
                return;
            }
            continue;
        };
        if trigger.after_forwarding && server.write_all(chunk).await.is_err() {
            return;
        }
        shared.fired.notify_waiters();
        match trigger.fault {
            Fault::Reset => {
                // Linger 0: closing sends RST instead of FIN, to both ends.
                let _ = client.as_ref().set_zero_linger();
                let _ = server.as_ref().set_zero_linger();
                *connection.flow.lock().unwrap() = Flow::Swallow;
                connection.reset.notify_one();
                return;
            }
            Fault::Blackhole => *connection.flow.lock().unwrap() = Flow::Swallow,
            Fault::HalfClose => {
                *connection.flow.lock().unwrap() = Flow::Swallow;
                let _ = server.shutdown().await;
            }
        }
    }
}

/// Forwards the server's bytes, or swallows them once the connection is broken.
async fn server_to_client(
    mut server: OwnedReadHalf,
    mut client: OwnedWriteHalf,
    connection: Arc<Connection>,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = tokio::select! {
            read = server.read(&mut buffer) => read,
            () = connection.reset.notified() => return,
        };
        let read = match read {
            Ok(0) | Err(_) => {
                if *connection.flow.lock().unwrap() == Flow::Forward {
                    let _ = client.shutdown().await;
                    return;
                }
                // Broken: the client must not learn that the server went away. Hold its half open.
                connection.reset.notified().await;
                return;
            }
            Ok(read) => read,
        };
        if *connection.flow.lock().unwrap() == Flow::Swallow {
            continue;
        }
        if client.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
