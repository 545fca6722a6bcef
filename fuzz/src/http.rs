//! Target `http_handler`: the whole service router (HTTP shim, operational routes, gRPC and gRPC-Web) on a
//! SQLite file seeded with three users and their tokens, called in-process with `tower::ServiceExt::oneshot`.
//!
//! Input layout (so that a plain request body, prefixed with four bytes, is a seed):
//!
//! | byte | meaning |
//! |---|---|
//! | 0 | method: GET, PUT, POST, DELETE, PATCH, OPTIONS, HEAD (modulo 7) |
//! | 1 | path: one of [`PATHS`], or (the last choice) the first line of the rest |
//! | 2 | identity: one of [`Identity`]; the last choice reads `Name: value` header lines from the rest |
//! | 3 | flags: 1 `validate_only`, 2 `details`, 4 `lang=en`, 8 `Accept-Language: en`, 16 JSON content type, 32 a query line from the rest, 64 a gRPC content type |
//! | 4.. | the lines asked for above, in that order, then the body |
//!
//! After each request: the status is below 500, and the database is exactly as before unless the answer
//! is a successful, non-dry-run batch (or a gRPC call), in which case only writable columns and `status`
//! changed, only on live tokens of a user whose access token the request carried, and a JSON answer's `data`
//! is the number of rows that changed. The database is then put back, so every input runs on the same rows.

mod harness;
mod snapshot;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request};
use serde_json::Value;
use tokenbatch_testkit::seed;
use tower::ServiceExt;

use harness::harness;
use snapshot::check_changes;

const METHODS: [Method; 7] = [
    Method::GET,
    Method::PUT,
    Method::POST,
    Method::DELETE,
    Method::PATCH,
    Method::OPTIONS,
    Method::HEAD,
];

/// The routes the service has (token 873 is alice's, 900 bob's), plus a few it has not.
pub const PATHS: [&str; 16] = [
    "/api/token/batch",
    "/api/token/",
    "/api/token",
    "/api/token/search",
    "/api/token/873",
    "/api/token/900",
    "/api/user/self/groups",
    "/api/status",
    "/",
    "/newapi.token.v1.TokenService/BatchUpdateTokens",
    "/newapi.token.v1.TokenService/ListTokens",
    "/grpc.health.v1.Health/Check",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
];

/// Who the request claims to be (byte 2).
#[derive(Clone, Copy, Debug)]
pub enum Identity {
    AliceBearer,
    AliceBare,
    BobBearer,
    /// alice's access token with bob's id.
    AliceTokenBobId,
    Nobody,
    WrongToken,
    /// alice's access token with a user id that is not a number.
    JunkUserId,
    /// carol is disabled.
    CarolBearer,
    /// `Name: value` lines from the input.
    RawHeaders,
}

const IDENTITIES: [Identity; 9] = [
    Identity::AliceBearer,
    Identity::AliceBare,
    Identity::BobBearer,
    Identity::AliceTokenBobId,
    Identity::Nobody,
    Identity::WrongToken,
    Identity::JunkUserId,
    Identity::CarolBearer,
    Identity::RawHeaders,
];

/// Seeds start with these four bytes: `PUT /api/token/batch` as alice with a JSON content type.
pub const BATCH_AS_ALICE: [u8; 4] = [1, 0, 0, 16];

/// Splits off the first line (without its `\n`).
fn take_line<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    match rest.iter().position(|&b| b == b'\n') {
        Some(end) => {
            let line = &rest[..end];
            *rest = &rest[end + 1..];
            line
        }
        None => std::mem::take(rest),
    }
}

pub fn request(data: &[u8]) {
    let [method, path, identity, flags, ref tail @ ..] = *data else {
        return;
    };
    let harness = harness();
    let alice = &harness.users[0];
    let bob = &harness.users[1];
    let carol = &harness.users[2];
    let mut rest = tail;

    let method = METHODS[usize::from(method) % METHODS.len()].clone();
    let path_choice = usize::from(path) % (PATHS.len() + 1);
    let mut uri = match PATHS.get(path_choice) {
        Some(path) => path.to_string(),
        None => String::from_utf8_lossy(take_line(&mut rest)).into_owned(),
    };
    let mut query = Vec::new();
    if flags & 1 != 0 {
        query.push("validate_only=true".to_owned());
    }
    if flags & 2 != 0 {
        query.push("details=true".to_owned());
    }
    if flags & 4 != 0 {
        query.push("lang=en".to_owned());
    }
    if flags & 32 != 0 {
        query.push(String::from_utf8_lossy(take_line(&mut rest)).into_owned());
    }
    if !query.is_empty() {
        uri.push(if uri.contains('?') { '&' } else { '?' });
        uri.push_str(&query.join("&"));
    }

    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    let mut bearer = |user: &seed::User, scheme: &str, id: String| {
        headers.push((
            "authorization".into(),
            format!("{scheme}{}", user.access_token).into_bytes(),
        ));
        headers.push(("new-api-user".into(), id.into_bytes()));
    };
    match IDENTITIES[usize::from(identity) % IDENTITIES.len()] {
        Identity::AliceBearer => bearer(alice, "Bearer ", alice.id.to_string()),
        Identity::AliceBare => bearer(alice, "", alice.id.to_string()),
        Identity::BobBearer => bearer(bob, "Bearer ", bob.id.to_string()),
        Identity::AliceTokenBobId => bearer(alice, "Bearer ", bob.id.to_string()),
        Identity::Nobody => {}
        Identity::WrongToken => {
            headers.push(("authorization".into(), b"Bearer wrong".to_vec()));
            headers.push(("new-api-user".into(), alice.id.to_string().into_bytes()));
        }
        Identity::JunkUserId => bearer(alice, "Bearer ", "alice".into()),
        Identity::CarolBearer => bearer(carol, "Bearer ", carol.id.to_string()),
        Identity::RawHeaders => {
            // Up to four lines; "$A" and "$B" stand for alice's and bob's access tokens, so the fuzzer can
            // reach authenticated code with headers of its own making.
            for _ in 0..4 {
                let line = take_line(&mut rest);
                let Some(colon) = line.iter().position(|&b| b == b':') else {
                    break;
                };
                let name = String::from_utf8_lossy(&line[..colon]).trim().to_owned();
                let value = String::from_utf8_lossy(&line[colon + 1..])
                    .trim()
                    .replace("$A", &alice.access_token)
                    .replace("$B", &bob.access_token);
                headers.push((name, value.into_bytes()));
            }
        }
    }
    if flags & 8 != 0 {
        headers.push(("accept-language".into(), b"en-US,en;q=0.9".to_vec()));
    }
    if flags & 16 != 0 {
        headers.push(("content-type".into(), b"application/json".to_vec()));
    }
    if flags & 64 != 0 {
        headers.push((
            "content-type".into(),
            b"application/grpc-web+proto".to_vec(),
        ));
    }

    let mut builder = Request::builder().method(method).uri(uri.as_str());
    for (name, value) in &headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) else {
            continue;
        };
        builder = builder.header(name, value);
    }
    let Ok(request) = builder.body(Body::from(rest.to_vec())) else {
        // Not a request hyper would hand over (an invalid URI, say).
        return;
    };
    let path_only = request.uri().path().to_owned();

    harness.runtime.block_on(async {
        let response = harness
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        assert!(
            status.as_u16() < 500,
            "{status} for {uri:?}: {}",
            String::from_utf8_lossy(&body[..body.len().min(500)])
        );

        // Recorded request ids (Idempotency-Key) and plans would make an input's outcome depend on earlier
        // inputs.
        for table in ["tokenbatch_requests", "tokenbatch_plan_items"] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&harness.raw)
                .await
                .expect("forget request ids and plans");
        }
        let after = harness.snapshot().await;
        if after == harness.initial {
            return;
        }
        let carried: Vec<i64> = harness
            .users
            .iter()
            .filter(|user| {
                headers.iter().any(|(_, value)| {
                    String::from_utf8_lossy(value).contains(user.access_token.as_str())
                })
            })
            .map(|user| user.id)
            .collect();
        let changed = check_changes(&harness.initial, &after, &carried);
        let grpc = path_only.starts_with("/newapi.token.v1.TokenService/");
        if !grpc {
            let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            assert!(
                status == 200
                    && json["success"] == Value::Bool(true)
                    && json["validate_only"] == Value::Bool(false),
                "{status} {json} for {uri:?}, but {changed} token(s) changed"
            );
            assert_eq!(
                json["data"].as_u64(),
                Some(changed as u64),
                "data does not count the rows that changed: {json}"
            );
        }
        harness.seed_tokens().await;
    });
}
