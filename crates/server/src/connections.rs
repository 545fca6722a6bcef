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

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt;

use crate::limits::Limits;

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
        let Some(conn) = registry.admit(limits.max_connections.max(1)) else {
            tracing::debug!(
                open = registry.len(),
                "connection refused: every open connection has a request in flight"
            );
            continue;
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

/// The open connections, for the cap and for choosing whom to close.
#[derive(Default)]
struct Registry {
    open: Mutex<HashMap<u64, Arc<ConnState>>>,
    next_id: AtomicU64,
}

impl Registry {
    fn len(&self) -> usize {
        self.open.lock().expect("registry lock").len()
    }

    /// Registers a new connection, first closing the longest-idle one if `max` are open; `None` when the
    /// cap is reached and every open connection has a request in flight.
    fn admit(&self, max: usize) -> Option<Arc<ConnState>> {
        let mut open = self.open.lock().expect("registry lock");
        if open.len() >= max && !evict_longest_idle(&mut open) {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(ConnState::new(id));
        open.insert(id, conn.clone());
        Some(conn)
    }

    fn evict_longest_idle(&self) -> bool {
        evict_longest_idle(&mut self.open.lock().expect("registry lock"))
    }

    fn remove(&self, id: u64) {
        self.open.lock().expect("registry lock").remove(&id);
    }
}

/// Tells the connection idle the longest to close at once and forgets it; false if none is idle.
fn evict_longest_idle(open: &mut HashMap<u64, Arc<ConnState>>) -> bool {
    let victim = open
        .values()
        .filter_map(|conn| conn.idle_since().map(|since| (since, conn.id)))
        .min();
    let Some((_, id)) = victim else {
        return false;
    };
    if let Some(conn) = open.remove(&id) {
        conn.evict.notify_one();
    }
    true
}

/// What the accept loop and the connection's requests share about one connection.
struct ConnState {
    id: u64,
    /// Requests begun and not yet answered to the last byte.
    in_flight: AtomicUsize,
    /// When `in_flight` last fell to zero (at first: when the connection was accepted).
    idle_since: Mutex<Instant>,
    /// Whether a first request has begun: before it, the shorter header-read timeout applies.
    started: AtomicBool,
    /// Woken when the connection turns idle, so its timer re-arms.
    turned_idle: Notify,
    /// Woken when the connection is chosen to make room for a new one.
    evict: Notify,
}

impl ConnState {
    fn new(id: u64) -> ConnState {
        ConnState {
            id,
            in_flight: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            started: AtomicBool::new(false),
            turned_idle: Notify::new(),
            evict: Notify::new(),
        }
    }

    /// Since when the connection has had no request in flight; `None` while it has one.
    fn idle_since(&self) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        Some(*self.idle_since.lock().expect("idle lock"))
    }

    /// When the connection is to be closed for idleness, if it is idle.
    fn idle_deadline(&self, limits: &Limits) -> Option<Instant> {
        let timeout = if self.started.load(Ordering::Acquire) {
            limits.idle_timeout
        } else {
            limits.header_read_timeout
        };
        self.idle_since().map(|since| since + timeout)
    }
}

/// One request of a connection, from its head to the last byte of its answer.
struct InFlight(Arc<ConnState>);

impl InFlight {
    fn begin(conn: Arc<ConnState>) -> InFlight {
        conn.started.store(true, Ordering::Release);
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(conn)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            *self.0.idle_since.lock().expect("idle lock") = Instant::now();
            self.0.turned_idle.notify_one();
        }
    }
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

/// The router, counting each request in flight on its connection until its answer's last byte is sent
/// (or the request is abandoned).
#[derive(Clone)]
struct Tracked<S> {
    inner: S,
    conn: Arc<ConnState>,
}

impl<S> hyper::service::Service<hyper::Request<Incoming>> for Tracked<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let in_flight = InFlight::begin(self.conn.clone());
        let call = self.inner.clone().oneshot(request.map(Body::new));
        Box::pin(async move {
            let response = call.await?;
            Ok(response.map(|body| {
                Body::new(TrackedBody {
                    body,
                    _in_flight: in_flight,
                })
            }))
        })
    }
}

/// An answer's body that keeps its request counted until it is sent or dropped.
struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
