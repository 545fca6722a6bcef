//! Accepting and serving connections, bounded in number and in time, before any request exists.
//!
//! `--max-in-flight` only bounds requests; a client that opens a connection and sends half a request head
//! (or nothing) costs a file descriptor without ever making one. Here:
//! - a new connection has `header_read_timeout` to start its first request (this also covers hyper's
//!   protocol detection, which waits for the first bytes without a timer of its own), and every HTTP/1
//!   request head must be complete within it (hyper's own timer);
//! - a connection with no request in flight is closed after `idle_timeout` (HTTP/2 with a GOAWAY);
//! - HTTP/2 connections are pinged, so a peer that vanished under an open stream is noticed;
//! - at most `max_connections` are open: at the cap the connection idle the longest (no request in flight,
//!   a half-sent head included) is closed to admit the new one, which is refused only when none is idle.
//!   Requests in flight are bounded by `--max-in-flight`, so below it an honest client always gets in.

mod registry;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::limits::Limits;
use registry::{Admission, ConnState, Registry, Tracked};

/// How long an idle connection being closed may take to say goodbye (an HTTP/2 GOAWAY) before it is cut.
const IDLE_CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Serves `service` on every connection `listener` accepts, within `limits`, until `shutdown` resolves;
/// then stops accepting, asks every connection to finish (HTTP/2 GOAWAY, HTTP/1 close after the current
/// response) and returns once all have. The caller bounds that wait; dropping this future cuts them all.
pub async fn serve<S>(
    listener: TcpListener,
    service: S,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let registry = Arc::new(Registry::default());
    let builder = Arc::new(builder(&limits));
    let (stop, stopping) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    accept_failed(error, &registry).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
            // Reaps finished connections so the set does not grow with every one ever served.
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
        };
        let conn = match registry.admit(limits.max_connections.max(1)) {
            Admission::Admitted(conn) => conn,
            Admission::MadeRoom(conn) => {
                registry.note_shed(true, limits.max_connections);
                conn
            }
            Admission::Refused => {
                registry.note_shed(false, limits.max_connections);
                tracing::debug!(
                    open = registry.len(),
                    "connection refused: every open connection has a request in flight"
                );
                continue;
            }
        };
        // gRPC answers in several HTTP/2 frames (headers, data, trailers): with Nagle's algorithm on, the
        // last ones wait for the client's delayed ACK, about 40 ms a call.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let connection = Connection {
            conn,
            registry: registry.clone(),
            limits,
        };
        tasks.spawn(connection.serve(stream, builder.clone(), service.clone(), stopping.clone()));
    }
    drop(listener);
    let _ = stop.send(true);
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// HTTP/1 and HTTP/2 (h2c, gRPC) on the same port, as `axum::serve` does, plus the timers.
fn builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.http2_keep_alive_interval)
        .keep_alive_timeout(limits.http2_keep_alive_timeout);
    builder
}

/// `accept` fails when the process is out of descriptors despite the cap (other files, a cap set above the
/// limit): free one by closing the longest-idle connection, and pause briefly rather than spin.
async fn accept_failed(error: io::Error, registry: &Registry) {
    let out_of_descriptors = error.raw_os_error().is_some_and(is_out_of_descriptors);
    if out_of_descriptors && registry.evict_longest_idle() {
        tracing::warn!(%error, "accept failed: closed the longest-idle connection");
        return;
    }
    match error.kind() {
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset => {}
        _ => {
            tracing::warn!(%error, "accept failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// EMFILE (this process) or ENFILE (the whole system).
#[cfg(unix)]
fn is_out_of_descriptors(code: i32) -> bool {
    use rustix::io::Errno;
    code == Errno::MFILE.raw_os_error() || code == Errno::NFILE.raw_os_error()
}

#[cfg(not(unix))]
fn is_out_of_descriptors(_code: i32) -> bool {
    false
}

struct Connection {
    conn: Arc<ConnState>,
    registry: Arc<Registry>,
    limits: Limits,
}

enum Close {
    /// Chosen to make room: its descriptor is needed now.
    Evicted,
    Idle,
    ShuttingDown,
}

impl Connection {
    async fn serve<S>(
        self,
        stream: TcpStream,
        builder: Arc<auto::Builder<TokioExecutor>>,
        service: S,
        mut stopping: watch::Receiver<bool>,
    ) where
        S: tower::Service<Request, Response = Response, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let conn = self.conn.clone();
        let tracked = Tracked {
            inner: service,
            conn: conn.clone(),
        };
        let connection = builder.serve_connection(TokioIo::new(stream), tracked);
        tokio::pin!(connection);
        let close = loop {
            let deadline = conn.idle_deadline(&self.limits);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                    return;
                }
                () = conn.evict.notified() => break Close::Evicted,
                () = sleep_until(deadline) => {
                    // The deadline may have moved (a request came and went) while we slept.
                    if conn.idle_deadline(&self.limits).is_some_and(|at| at <= Instant::now()) {
                        break Close::Idle;
                    }
                }
                () = conn.turned_idle.notified() => {}
                _ = stopping.wait_for(|stop| *stop) => break Close::ShuttingDown,
            }
        };
        match close {
            Close::Evicted => {
                tracing::debug!("closed the longest-idle connection to admit a new one");
            }
            Close::Idle => {
                connection.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(IDLE_CLOSE_GRACE, connection).await;
            }
            Close::ShuttingDown => {
                // Requests in flight finish; `RunningServer::stop` bounds the wait.
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.registry.remove(self.conn.id);
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
