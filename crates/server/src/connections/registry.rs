//! Which connections are open and which of them are idle: the registry the accept loop consults at the cap,
//! and the wrapper that counts each connection's requests in flight.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
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
use tokio::sync::Notify;
use tokio::time::Instant;
use tower::ServiceExt;

use crate::limits::Limits;

/// The open connections, for the cap and for choosing whom to close.
#[derive(Default)]
pub(super) struct Registry {
    open: Mutex<HashMap<u64, Arc<ConnState>>>,
    next_id: AtomicU64,
    /// Connections closed or refused at the cap since the last warning.
    shed: Mutex<Shed>,
}

#[derive(Default)]
struct Shed {
    evicted: u64,
    refused: u64,
    last_warning: Option<Instant>,
}

/// At most one warning a minute about the cap, however hard it is hit: an operator learns of the flood, the
/// log does not become one.
const SHED_WARNING_EVERY: Duration = Duration::from_secs(60);

pub(super) enum Admission {
    Admitted(Arc<ConnState>),
    /// Admitted after closing the longest-idle connection.
    MadeRoom(Arc<ConnState>),
    Refused,
}

impl Registry {
    pub(super) fn len(&self) -> usize {
        self.open.lock().expect("registry lock").len()
    }

    /// Registers a new connection, first closing the longest-idle one if `max` are open; refuses it when
    /// the cap is reached and every open connection has a request in flight.
    pub(super) fn admit(&self, max: usize) -> Admission {
        let mut open = self.open.lock().expect("registry lock");
        let made_room = open.len() >= max;
        if made_room && !evict_longest_idle(&mut open) {
            return Admission::Refused;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(ConnState::new(id));
        open.insert(id, conn.clone());
        if made_room {
            Admission::MadeRoom(conn)
        } else {
            Admission::Admitted(conn)
        }
    }

    pub(super) fn evict_longest_idle(&self) -> bool {
        evict_longest_idle(&mut self.open.lock().expect("registry lock"))
    }

    /// Counts a connection closed (`evicted`) or refused at the cap, and warns now and then. Called outside
    /// the registry's lock, so that a slow log never holds up the connections.
    pub(super) fn note_shed(&self, evicted: bool, max: usize) {
        let mut shed = self.shed.lock().expect("shed lock");
        *(if evicted {
            &mut shed.evicted
        } else {
            &mut shed.refused
        }) += 1;
        let now = Instant::now();
        if shed
            .last_warning
            .is_some_and(|at| now.duration_since(at) < SHED_WARNING_EVERY)
        {
            return;
        }
        tracing::warn!(
            max_connections = max,
            closed_idle = shed.evicted,
            refused = shed.refused,
            "connection cap reached: closing the longest-idle connections to admit new ones (counts since the \
             last such warning, at most one a minute)"
        );
        *shed = Shed {
            last_warning: Some(now),
            ..Shed::default()
        };
    }

    pub(super) fn remove(&self, id: u64) {
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
pub(super) struct ConnState {
    pub(super) id: u64,
    /// Requests begun and not yet answered to the last byte.
    in_flight: AtomicUsize,
    /// When `in_flight` last fell to zero (at first: when the connection was accepted).
    idle_since: Mutex<Instant>,
    /// Whether a first request has begun: before it, the shorter header-read timeout applies.
    started: AtomicBool,
    /// Woken when the connection turns idle, so its timer re-arms.
    pub(super) turned_idle: Notify,
    /// Woken when the connection is chosen to make room for a new one.
    pub(super) evict: Notify,
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
    pub(super) fn idle_deadline(&self, limits: &Limits) -> Option<Instant> {
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
/// The router, counting each request in flight on its connection until its answer's last byte is sent
/// (or the request is abandoned).
#[derive(Clone)]
pub(super) struct Tracked<S> {
    pub(super) inner: S,
    pub(super) conn: Arc<ConnState>,
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
