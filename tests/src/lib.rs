//! Test harness: the real tokenbatch server on 127.0.0.1:0 against a fresh database of its own (the test
//! kit's [`TestDatabase`]), with two users and their tokens, plus clients for HTTP and gRPC and an independent
//! view of the database.

pub mod child_server;
pub mod proxy;

use serde_json::Value;
use tokenbatch::serve::ServeOptions;
use tokenbatch::RunningServer;
use tokenbatch_proto::token_v1::token_service_client::TokenServiceClient;
use tokenbatch_rules::apply::TokenState;
use tokenbatch_store::{Location, Store};
pub use tokenbatch_testkit::random::{random_secret, Random};
use tokenbatch_testkit::seed;
pub use tokenbatch_testkit::seed::{initial_state, User};
pub use tokenbatch_testkit::{Engine, RawDb, TestDatabase, MYSQL_ADMIN_URL, POSTGRES_ADMIN_URL};
use tonic::transport::Channel;

/// The documented example body, byte for byte (JSON with comments, CRLF).
pub const EXAMPLE_BODY: &str = include_str!("../fixtures/example-request.jsonc");

pub struct TestServer {
    pub server: RunningServer,
    pub base_url: String,
    pub http: reqwest::Client,
    /// Owns tokens 869, 873 and 1..=20 (the example's ids and a range for bulk tests).
    pub alice: User,
    /// Owns tokens 900..=904.
    pub bob: User,
    pub db: TestDatabase,
}

/// Ids owned by alice.
pub fn alice_ids() -> Vec<i64> {
    let mut ids: Vec<i64> = (1..=20).collect();
    ids.extend([869, 873]);
    ids
}

pub const BOB_IDS: [i64; 5] = [900, 901, 902, 903, 904];

impl TestServer {
    /// On a fresh SQLite file.
    pub async fn start() -> TestServer {
        TestServer::start_on(Engine::Sqlite).await
    }

    /// On a fresh database of `engine`, with alice's and bob's tokens.
    pub async fn start_on(engine: Engine) -> TestServer {
        let db = TestDatabase::create(engine).await;
        let location = db.location.clone();
        TestServer::start_with(db, &location, ServeOptions::default()).await
    }

    /// Seeds `db`, then serves it through `serve_location` (the same database, perhaps reached another way,
    /// e.g. through a proxy) with `options`.
    pub async fn start_with(
        db: TestDatabase,
        serve_location: &Location,
        options: ServeOptions,
    ) -> TestServer {
        // The server's logs go to the test's captured output, shown when a test fails.
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        let store = Store::open(&db.location).await.expect("open store");
        let alice = seed::add_user_with_tokens(&store, "alice", "default", alice_ids(), "token")
            .await
            .expect("alice and her tokens");
        let bob = seed::add_user_with_tokens(&store, "bob", "vip", BOB_IDS, "token")
            .await
            .expect("bob and his tokens");
        store.close().await;

        let server =
            tokenbatch::serve::start_with("127.0.0.1:0".parse().unwrap(), serve_location, options)
                .await
                .expect("server starts");
        let base_url = format!("http://{}", server.addr);
        TestServer {
            server,
            base_url,
            http: reqwest::Client::new(),
            alice,
            bob,
            db,
        }
    }

    /// `PUT /api/token/batch` as `user`, with the bearer scheme; returns status, parsed body and raw body.
    pub async fn put_batch(&self, user: &User, body: &str) -> (u16, Value, String) {
        self.put_batch_with(user, body, "").await
    }

    pub async fn put_batch_with(
        &self,
        user: &User,
        body: &str,
        query: &str,
    ) -> (u16, Value, String) {
        let request = self
            .http
            .put(format!("{}/api/token/batch{query}", self.base_url))
            .header("Authorization", format!("Bearer {}", user.access_token))
            .header("New-Api-User", user.id.to_string())
            .header("Content-Type", "application/json")
            .body(body.to_owned());
        send(request).await
    }

    pub async fn get(&self, user: &User, path_and_query: &str) -> (u16, Value, String) {
        let request = self
            .http
            .get(format!("{}{path_and_query}", self.base_url))
            .header("Authorization", user.access_token.clone())
            .header("New-Api-User", user.id.to_string());
        send(request).await
    }

    pub async fn grpc(&self) -> TokenServiceClient<Channel> {
        TokenServiceClient::connect(self.base_url.clone())
            .await
            .expect("grpc connects")
    }

    /// A request carrying `user`'s identity as gRPC metadata.
    pub fn grpc_request<T>(&self, user: &User, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        let metadata = request.metadata_mut();
        metadata.insert(
            "authorization",
            format!("Bearer {}", user.access_token).parse().unwrap(),
        );
        metadata.insert("new-api-user", user.id.to_string().parse().unwrap());
        request
    }

    /// The stored row, read with plain SQL on a connection of its own (not through tokenbatch's store).
    pub async fn row(&self, id: i64) -> TokenState {
        self.db.row(id).await
    }

    /// Runs plain SQL against the database (to set up states such as expired or disabled tokens).
    pub async fn execute(&self, sql: &str) {
        self.db.execute(sql).await
    }

    /// Every token row of the database, for "nothing changed" checks.
    pub async fn snapshot(&self) -> Vec<(i64, TokenState)> {
        let mut ids = alice_ids();
        ids.extend(BOB_IDS);
        let mut rows = Vec::new();
        for id in ids {
            rows.push((id, self.row(id).await));
        }
        rows
    }

    pub async fn stop(self) {
        self.server.stop().await.expect("server stops");
        // Dropping `self.db` drops the test's schema or database.
    }
}

/// A server on a fresh database of `engine` (PostgreSQL or MySQL), seeded directly but served through a
/// [`proxy::Proxy`] that the test can cut or break.
pub async fn server_behind_proxy(
    engine: Engine,
    options: ServeOptions,
) -> (TestServer, proxy::Proxy) {
    let db = TestDatabase::create(engine).await;
    let (real, url) = match &db.location {
        Location::Postgres(url) => ("127.0.0.1:5432", url.clone()),
        Location::MySql(url) => ("127.0.0.1:3306", url.clone()),
        Location::SqliteFile(_) => unreachable!("a file cannot go away like a server"),
    };
    let proxy = proxy::Proxy::start(real.parse().unwrap()).await;
    let proxied_url = url.replace(real, &proxy.addr.to_string());
    let proxied = match engine {
        Engine::Postgres => Location::Postgres(proxied_url),
        _ => Location::MySql(proxied_url),
    };
    let server = TestServer::start_with(db, &proxied, options).await;
    (server, proxy)
}

pub async fn send(request: reqwest::RequestBuilder) -> (u16, Value, String) {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body read");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, json, text)
}

/// A JSON body for `ids` writing `fields` (a JSON object text without braces, e.g. `"group":"vip"`).
pub fn body(ids: &[i64], fields: &str, update_fields: &[&str]) -> String {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    let names: Vec<String> = update_fields
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect();
    let separator = if fields.is_empty() { "" } else { "," };
    format!(
        "{{\"ids\":[{}]{separator}{fields},\"update_fields\":[{}]}}",
        ids.join(","),
        names.join(",")
    )
}

/// Instantiates each `async fn name(engine: Engine)` as one `#[tokio::test]` per engine, in modules `sqlite`,
/// `postgres` and `mysql`.
#[macro_export]
macro_rules! on_every_engine {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test] async fn $test() { super::$test($crate::Engine::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test] async fn $test() { super::$test($crate::Engine::Postgres).await } )*
        }
        mod mysql {
            $( #[tokio::test] async fn $test() { super::$test($crate::Engine::MySql).await } )*
        }
    };
}

/// [`on_every_engine!`] for tests that are plain functions of the engine, running their own runtime (the
/// property tests: proptest drives a synchronous closure, each case blocking on its own requests).
#[macro_export]
macro_rules! on_every_engine_sync {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $test() { super::$test($crate::Engine::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $test() { super::$test($crate::Engine::Postgres) } )*
        }
        mod mysql {
            $( #[test] fn $test() { super::$test($crate::Engine::MySql) } )*
        }
    };
}
