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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request};
use serde_json::Value;
use sqlx::sqlite::SqlitePool;
use sqlx::Row;
use tokenbatch::app::App;
use tokenbatch::cors::CorsPolicy;
use tokenbatch_store::{Location, NewToken, Store};
use tokenbatch_testkit::seed;
use tower::ServiceExt;

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

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    /// A connection of its own, to read and restore the rows independently of the service.
    raw: SqlitePool,
    /// A store of its own, to put the tokens back.
    store: Store,
    users: Vec<seed::User>,
    /// The tokens as seeded (the same keys each time, so every input starts from the same rows).
    tokens: Vec<NewToken>,
    initial: Snapshot,
}

/// Every column of every token and user, as SQLite quotes them.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Snapshot {
    tokens: BTreeMap<i64, Vec<String>>,
    users: Vec<String>,
}

/// The columns of `tokens` in schema order; a batch may write [`WRITABLE`] and `status`, nothing else.
const TOKEN_COLUMNS: [&str; 20] = [
    "id",
    "user_id",
    "key",
    "status",
    "name",
    "created_time",
    "accessed_time",
    "expired_time",
    "remain_quota",
    "unlimited_quota",
    "model_limits_enabled",
    "model_limits",
    "allow_ips",
    "used_quota",
    "group",
    "cross_group_retry",
    "billing_type",
    "deleted_at",
    "mj_image_mode",
    "mj_custom_proxy",
];
const WRITABLE: [&str; 10] = [
    "status",
    "group",
    "expired_time",
    "remain_quota",
    "unlimited_quota",
    "model_limits",
    "model_limits_enabled",
    "allow_ips",
    "mj_image_mode",
    "mj_custom_proxy",
];

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(Harness::new)
}

impl Harness {
    fn new() -> Harness {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let path = database_path();
        let (router, raw, store, users) = runtime.block_on(async {
            let store = Store::open(&Location::SqliteFile(path.clone()))
                .await
                .expect("open the store");
            let mut users = Vec::new();
            for (name, group) in [("alice", "default"), ("bob", "vip"), ("carol", "default")] {
                users.push(
                    seed::add_user(&store, name, group)
                        .await
                        .expect("seed a user"),
                );
            }
            let url = format!("sqlite://{}", path.display());
            let raw = SqlitePool::connect(&url).await.expect("raw connection");
            sqlx::query(&format!(
                "UPDATE users SET status = 2 WHERE id = {}",
                users[2].id
            ))
            .execute(&raw)
            .await
            .expect("disable carol");
            let health = tonic_health::server::HealthReporter::new();
            let router =
                tokenbatch::serve::router(App::new(store.clone()), health, &CorsPolicy::Off)
                    .expect("router");
            (router, raw, store, users)
        });
        let tokens = seeded_tokens(&users);
        let mut harness = Harness {
            runtime,
            router,
            raw,
            store,
            users,
            tokens,
            initial: Snapshot {
                tokens: BTreeMap::new(),
                users: Vec::new(),
            },
        };
        harness.runtime.block_on(harness.seed_tokens());
        harness.initial = harness.runtime.block_on(harness.snapshot());
        harness
    }

    /// Puts the tokens back as seeded (soft-deleting token 20, which a store never does).
    async fn seed_tokens(&self) {
        sqlx::query("DELETE FROM tokens")
            .execute(&self.raw)
            .await
            .expect("clear tokens");
        self.store
            .insert_tokens(&self.tokens)
            .await
            .expect("seed the tokens");
        sqlx::query("UPDATE tokens SET deleted_at = '2026-01-01 00:00:00' WHERE id = 20")
            .execute(&self.raw)
            .await
            .expect("soft-delete token 20");
    }

    async fn snapshot(&self) -> Snapshot {
        let columns: Vec<String> = TOKEN_COLUMNS
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect();
        let sql = format!("SELECT {} FROM tokens ORDER BY id", columns.join(", "));
        let rows = sqlx::query(&sql)
            .fetch_all(&self.raw)
            .await
            .expect("read tokens");
        let tokens = rows
            .iter()
            .map(|row| {
                let values: Vec<String> = (0..TOKEN_COLUMNS.len()).map(|i| row.get(i)).collect();
                (values[0].parse().expect("integer id"), values)
            })
            .collect();
        let users = sqlx::query(
            "SELECT quote(id) || '|' || quote(status) || '|' || quote(access_token) || '|' || \
             quote(\"group\") || '|' || quote(deleted_at) FROM users ORDER BY id",
        )
        .fetch_all(&self.raw)
        .await
        .expect("read users")
        .iter()
        .map(|row| row.get(0))
        .collect();
        Snapshot { tokens, users }
    }
}

/// alice: 1..=20 and 869, 873 (1-5 enabled, 6 expired, 7 exhausted, 8 disabled, 20 soft-deleted);
/// bob: 900..=904; carol: 950.
fn seeded_tokens(users: &[seed::User]) -> Vec<NewToken> {
    let mut ids: Vec<(i64, i64)> = (1..=20).map(|id| (id, users[0].id)).collect();
    ids.extend([(869, users[0].id), (873, users[0].id)]);
    ids.extend((900..=904).map(|id| (id, users[1].id)));
    ids.push((950, users[2].id));
    ids.into_iter()
        .map(|(id, user_id)| {
            let mut token = seed::token(user_id, id, "token");
            token.key = format!("fuzzkey{id:0>41}");
            let state = &mut token.state;
            match id {
                6 => {
                    (state.status, state.expired_time, state.remain_quota) = (3, 1_600_000_000, 100)
                }
                7 => (state.status, state.remain_quota) = (4, 0),
                8 => (state.status, state.remain_quota) = (2, 100),
                _ => {}
            }
            token
        })
        .collect()
}

/// A SQLite file in shared memory where there is one (no disk writes while fuzzing), in a folder named after
/// this process; folders of processes that have ended are removed first.
fn database_path() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name.strip_prefix("tokenbatch-fuzz-") else {
                continue;
            };
            if !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = base.join(format!("tokenbatch-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("database folder");
    let path = dir.join("tokenbatch.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

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

/// Only writable columns and status change, only on live tokens of users whose access token was sent, and
/// users never change. Returns how many tokens changed.
fn check_changes(before: &Snapshot, after: &Snapshot, carried: &[i64]) -> usize {
    assert_eq!(
        before.users, after.users,
        "a request changed the users table"
    );
    assert_eq!(
        before.tokens.keys().collect::<Vec<_>>(),
        after.tokens.keys().collect::<Vec<_>>(),
        "a request added or removed tokens"
    );
    let mut changed = 0;
    for (id, old) in &before.tokens {
        let new = &after.tokens[id];
        if old == new {
            continue;
        }
        changed += 1;
        let column = |row: &[String], name: &str| {
            let index = TOKEN_COLUMNS.iter().position(|c| *c == name).unwrap();
            row[index].clone()
        };
        assert_eq!(
            column(old, "deleted_at"),
            "NULL",
            "soft-deleted token {id} changed"
        );
        let owner: i64 = column(old, "user_id").parse().expect("user_id");
        assert!(
            carried.contains(&owner),
            "token {id} of user {owner} changed by a request carrying the tokens of {carried:?}"
        );
        for (index, name) in TOKEN_COLUMNS.iter().enumerate() {
            if !WRITABLE.contains(name) {
                assert_eq!(old[index], new[index], "token {id}: column {name} changed");
            }
        }
    }
    changed
}
