//! Connections that never make a request (half-sent heads, idle keep-alive, silence) are closed in time and
//! cannot lock out a server limited to 1 024 descriptors.

use std::time::{Duration, Instant};

use tokenbatch::limits::Limits;
use tokenbatch_e2e::child_server::ChildServer;
use tokenbatch_e2e::User;
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_proto::token_v1::token_service_client::TokenServiceClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::limits::{first_page, read_all, server_with};
// The shipped `main` runs as a child process so that its descriptor limit is its own.
use crate::SERVER_BINARY;

/// The server's descriptor limit: the common default, which 1 100 slow clients used to exhaust.
const SERVER_OPEN_FILES: u64 = 1_024;
const SLOW_CONNECTIONS: usize = 1_100;

/// Lets this process hold its own side of the slow connections whatever soft limit it inherited.
fn raise_own_open_files_limit(to: u64) {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let wanted = limit.maximum.map_or(to, |hard| hard.min(to));
    if limit.current.is_some_and(|soft| soft < wanted) {
        let raised = Rlimit {
            current: Some(wanted),
            maximum: limit.maximum,
        };
        setrlimit(Resource::Nofile, raised).expect("raise the soft RLIMIT_NOFILE");
    }
}

/// Whether the server closed `stream` (end of stream or reset) rather than leaving it silent for `wait`.
/// Whatever it says before closing (a 408, a GOAWAY) is read past.
async fn closed_by_server(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buffer = [0u8; 4096];
    loop {
        match timeout(wait, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// One authenticated list request on a fresh connection; whether it was answered 200 within 10 s.
async fn served(addr: std::net::SocketAddr, user: &User) -> bool {
    let request = format!(
        "GET /api/token/?p=1 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {}\r\nNew-Api-User: {}\r\n\
         Connection: close\r\n\r\n",
        user.access_token, user.id
    );
    let Ok(Ok(mut stream)) = timeout(Duration::from_secs(10), TcpStream::connect(addr)).await
    else {
        return false;
    };
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    read_all(&mut stream, Duration::from_secs(10))
        .await
        .starts_with("HTTP/1.1 200")
}

/// 1 100 connections that never finish a request (a third each: half a request head, idle after one
/// keep-alive request, silent) against a server with 1 024 descriptors and timeouts too long to help: the
/// connection cap closes the longest-idle ones, so HTTP and gRPC requests are still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_connections_do_not_lock_out_a_server_with_1024_descriptors() {
    raise_own_open_files_limit(4_096);
    let long = [
        "--header-read-timeout-secs",
        "600",
        "--idle-timeout-secs",
        "600",
    ];
    let server = ChildServer::start(SERVER_BINARY, SERVER_OPEN_FILES, &long).await;
    assert_eq!(server.open_files_limit(), SERVER_OPEN_FILES);
    let addr = server.addr;
    let half_head = format!("GET /api/token/?p=1 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: ");
    let keep_alive = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let started = Instant::now();
    let mut slow = Vec::new();
    for n in 0..SLOW_CONNECTIONS {
        // Bounded: a server that no longer accepts leaves connects hanging once its backlog is full.
        let Ok(Ok(mut stream)) = timeout(Duration::from_secs(1), TcpStream::connect(addr)).await
        else {
            continue;
        };
        match n % 3 {
            0 => drop(stream.write_all(half_head.as_bytes()).await),
            1 => {
                let _ = stream.write_all(keep_alive.as_bytes()).await;
                let _ = timeout(Duration::from_secs(1), stream.read(&mut [0u8; 1024])).await;
            }
            _ => {}
        }
        slow.push(stream);
    }
    let opened_in = started.elapsed();
    let server_files = server.open_files();

    let mut normal = 0;
    for _ in 0..8 {
        normal += usize::from(served(addr, &server.alice).await);
    }
    let grpc = timeout(Duration::from_secs(10), async {
        let mut client = TokenServiceClient::connect(format!("http://{addr}")).await?;
        let mut request = tonic::Request::new(pb::ListTokensRequest {
            page: 1,
            page_size: 5,
            filter: None,
            ..Default::default()
        });
        let metadata = request.metadata_mut();
        let user = &server.alice;
        metadata.insert("authorization", user.access_token.parse()?);
        metadata.insert("new-api-user", user.id.to_string().parse()?);
        client.list_tokens(request).await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })
    .await;

    let mut closed = 0;
    for stream in &mut slow {
        closed += usize::from(closed_by_server(stream, Duration::from_millis(5)).await);
    }
    let oldest_closed = closed_by_server(&mut slow[0], Duration::from_secs(2)).await;
    let newest = slow.last_mut().unwrap();
    let newest_open = !closed_by_server(newest, Duration::from_millis(500)).await;
    eprintln!(
        "{} of {SLOW_CONNECTIONS} slow connections opened in {opened_in:?}, {closed} of them closed by the \
         server to make room; server held {server_files} descriptors (limit {SERVER_OPEN_FILES}); \
         {normal} of 8 HTTP requests served, gRPC: {grpc:?}",
        slow.len()
    );
    assert_eq!(normal, 8, "every normal HTTP request is served");
    assert!(matches!(grpc, Ok(Ok(()))), "gRPC is served: {grpc:?}");
    assert!(
        server_files < SERVER_OPEN_FILES as usize,
        "{server_files} descriptors"
    );
    assert!(
        oldest_closed,
        "the longest-idle connection was closed first"
    );
    assert!(newest_open, "the newest slow connection is still open");
    server.stop().await;
}

/// A half-sent head, a silent connection, an HTTP/2 connection that sends no request and an HTTP/1
/// connection idle after its request are all closed after the header-read timeout (2 s here); an HTTP/2
/// client idle past the idle timeout is closed too, and its next call goes through on a new connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed_after_their_timeouts() {
    let server = server_with(Limits {
        header_read_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(3),
        ..Limits::default()
    })
    .await;
    let addr = server.server.addr;
    let open = |bytes: &'static [u8]| async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        stream
    };
    let started = Instant::now();
    let mut half_head = open(b"GET /api/token/?p=1 HTTP/1.1\r\nHost: x\r\n").await;
    let mut silent = open(b"").await;
    // The HTTP/2 connection preface and an empty SETTINGS frame, then nothing.
    let mut h2 =
        open(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00").await;
    let mut keep_alive = open(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let _ = timeout(Duration::from_secs(2), keep_alive.read(&mut [0u8; 1024])).await;
    async fn closed_after(stream: &mut TcpStream, started: Instant) -> Option<Duration> {
        let closed = closed_by_server(stream, Duration::from_secs(15)).await;
        closed.then(|| started.elapsed())
    }
    let (half_head, silent, h2, keep_alive) = tokio::join!(
        closed_after(&mut half_head, started),
        closed_after(&mut silent, started),
        closed_after(&mut h2, started),
        closed_after(&mut keep_alive, started),
    );
    eprintln!(
        "closed after: half-sent head {half_head:?}, silent {silent:?}, HTTP/2 without a request {h2:?}, \
         idle HTTP/1 keep-alive {keep_alive:?}"
    );
    for (what, closed) in [
        ("half-sent head", half_head),
        ("silent", silent),
        ("HTTP/2 without a request", h2),
        ("idle HTTP/1 keep-alive", keep_alive),
    ] {
        let closed = closed.unwrap_or_else(|| panic!("{what}: still open after 15 s"));
        assert!(
            closed >= Duration::from_millis(1_500) && closed < Duration::from_secs(6),
            "{what}: closed after {closed:?}"
        );
    }

    let mut client = server.grpc().await;
    let list = || first_page(&server);
    client.list_tokens(list()).await.expect("first call");
    tokio::time::sleep(Duration::from_secs(5)).await;
    client
        .list_tokens(list())
        .await
        .expect("a call after the idle connection was closed");
    let (status, _, _) = server.get(&server.alice, "/api/token/?p=1").await;
    assert_eq!(status, 200, "still serving");
    server.stop().await;
}
