//! Test harness: the real tokenbatch server on 127.0.0.1:0 against a fresh SQLite file, with two users
//! and their tokens, plus clients for HTTP and gRPC and an independent view of the database.

pub mod child_server;
pub mod proxy;

use serde_json::Value;
use sqlx::mysql::MySqlPool;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::Row;
use tokenbatch::seed;
use tokenbatch::serve::ServeOptions;
use tokenbatch::RunningServer;
use tokenbatch_proto::token_v1::token_service_client::TokenServiceClient;
use tokenbatch_rules::apply::{TokenState, STATUS_ENABLED};
use tokenbatch_store::{Location, NewToken, Store};
use tonic::transport::Channel;

/// The documented example body, byte for byte (JSON with comments, CRLF).
pub const EXAMPLE_BODY: &str = include_str!("../fixtures/example-request.jsonc");

/// A user the harness created.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub access_token: String,
}

/// The engines every storage-touching test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
    MySql,
}

/// The local PostgreSQL and MariaDB of the development and CI machines (trust auth / root without password).
pub const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const MYSQL_ADMIN_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// A fresh, empty database of its own for one test, so tests run in parallel: a file for SQLite, a schema for
/// PostgreSQL, a database for MySQL. Unreachable servers fail the test: there is no silent skip.
pub struct TestDatabase {
    pub engine: Engine,
    pub location: Location,
    pub raw: RawDb,
    /// PostgreSQL schema or MySQL database to drop afterwards.
    namespace: Option<String>,
    _dir: tempfile::TempDir,
}

/// A plain sqlx connection to the test's database, independent of tokenbatch's store.
pub enum RawDb {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

fn unique_name() -> String {
    format!("tb_{}", seed::random_alphanumeric(12).to_lowercase())
}

fn unreachable(engine: &str, url: &str, error: impl std::fmt::Display) -> ! {
    panic!(
        "{engine} at {url} is unreachable ({error}). These tests need it: start it (see .ci/run) rather than \
         skipping them."
    )
}

impl TestDatabase {
    pub async fn create(engine: Engine) -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        match engine {
            Engine::Sqlite => {
                let path = dir.path().join("tokenbatch.db");
                let location = Location::SqliteFile(path.clone());
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let pool = SqlitePool::connect(&url).await.expect("open sqlite");
                TestDatabase {
                    engine,
                    location,
                    raw: RawDb::Sqlite(pool),
                    namespace: None,
                    _dir: dir,
                }
            }
            Engine::Postgres => {
                let admin = PgPool::connect(POSTGRES_ADMIN_URL)
                    .await
                    .unwrap_or_else(|e| unreachable("PostgreSQL", POSTGRES_ADMIN_URL, e));
                let schema = unique_name();
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&admin)
                    .await
                    .expect("create schema");
                admin.close().await;
                let url = format!("{POSTGRES_ADMIN_URL}?options=-c%20search_path%3D{schema}");
                let pool = PgPool::connect(&url).await.expect("connect to schema");
                TestDatabase {
                    engine,
                    location: Location::Postgres(url),
                    raw: RawDb::Postgres(pool),
                    namespace: Some(schema),
                    _dir: dir,
                }
            }
            Engine::MySql => {
                let admin = MySqlPool::connect(MYSQL_ADMIN_URL)
                    .await
                    .unwrap_or_else(|e| unreachable("MariaDB/MySQL", MYSQL_ADMIN_URL, e));
                let database = unique_name();
                sqlx::query(&format!("CREATE DATABASE {database} CHARACTER SET utf8mb4"))
                    .execute(&admin)
                    .await
                    .expect("create database");
                admin.close().await;
                let url = format!("mysql://root@127.0.0.1:3306/{database}");
                let pool = MySqlPool::connect(&url).await.expect("connect to database");
                TestDatabase {
                    engine,
                    location: Location::MySql(url),
                    raw: RawDb::MySql(pool),
                    namespace: Some(database),
                    _dir: dir,
                }
            }
        }
    }

    /// Runs portable SQL (no reserved-word columns) on the test's database.
    pub async fn execute(&self, sql: &str) {
        match &self.raw {
            RawDb::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
            RawDb::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
            RawDb::MySql(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The stored state of token `id`, read with plain SQL.
    pub async fn row(&self, id: i64) -> TokenState {
        let (quote, int, boolean): (&str, &str, fn(&str) -> String) = match self.engine {
            Engine::Sqlite => ("\"", "INTEGER", |c| format!("CAST({c} AS INTEGER)")),
            Engine::Postgres => ("\"", "BIGINT", |c| {
                format!("CAST(CASE WHEN {c} THEN 1 ELSE 0 END AS BIGINT)")
            }),
            Engine::MySql => ("`", "SIGNED", |c| format!("CAST({c} AS SIGNED)")),
        };
        let sql = format!(
            "SELECT CAST(status AS {int}), {quote}group{quote}, CAST(expired_time AS {int}), \
             CAST(remain_quota AS {int}), {}, model_limits, {}, allow_ips, mj_image_mode, mj_custom_proxy \
             FROM tokens WHERE id = {id}",
            boolean("unlimited_quota"),
            boolean("model_limits_enabled"),
        );
        macro_rules! read {
            ($pool:expr) => {{
                let row = sqlx::query(&sql)
                    .fetch_one($pool)
                    .await
                    .expect("row exists");
                TokenState {
                    status: row.get(0),
                    group: row.get(1),
                    expired_time: row.get(2),
                    remain_quota: row.get(3),
                    unlimited_quota: row.get::<i64, _>(4) != 0,
                    model_limits: row.get(5),
                    model_limits_enabled: row.get::<i64, _>(6) != 0,
                    allow_ips: row.get(7),
                    mj_image_mode: row.get(8),
                    mj_custom_proxy: row.get(9),
                }
            }};
        }
        match &self.raw {
            RawDb::Sqlite(pool) => read!(pool),
            RawDb::Postgres(pool) => read!(pool),
            RawDb::MySql(pool) => read!(pool),
        }
    }

    /// A token's full key (tests only: the service never shows it).
    pub async fn token_key(&self, id: i64) -> String {
        let quote = if self.engine == Engine::MySql {
            '`'
        } else {
            '"'
        };
        let sql = format!("SELECT {quote}key{quote} FROM tokens WHERE id = {id}");
        match &self.raw {
            RawDb::Sqlite(pool) => sqlx::query(&sql)
                .fetch_one(pool)
                .await
                .map(|row| row.get(0)),
            RawDb::Postgres(pool) => sqlx::query(&sql)
                .fetch_one(pool)
                .await
                .map(|row| row.get(0)),
            RawDb::MySql(pool) => sqlx::query(&sql)
                .fetch_one(pool)
                .await
                .map(|row| row.get(0)),
        }
        .expect("token exists")
    }

    /// Creates the test's PostgreSQL schema or MySQL database again, empty (after [`Self::drop_namespace`]).
    pub async fn create_namespace(&self) {
        let Some(namespace) = &self.namespace else {
            return;
        };
        match self.engine {
            Engine::Postgres => {
                let admin = PgPool::connect(POSTGRES_ADMIN_URL).await.unwrap();
                sqlx::query(&format!("CREATE SCHEMA {namespace}"))
                    .execute(&admin)
                    .await
                    .expect("create schema");
                admin.close().await;
            }
            Engine::MySql => {
                let admin = MySqlPool::connect(MYSQL_ADMIN_URL).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {namespace}"))
                    .execute(&admin)
                    .await
                    .expect("create database");
                admin.close().await;
            }
            Engine::Sqlite => {}
        }
    }

    pub async fn drop_namespace(&self) {
        let Some(namespace) = &self.namespace else {
            return;
        };
        match self.engine {
            Engine::Postgres => {
                if let Ok(admin) = PgPool::connect(POSTGRES_ADMIN_URL).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA {namespace} CASCADE"))
                        .execute(&admin)
                        .await;
                    admin.close().await;
                }
            }
            Engine::MySql => {
                if let Ok(admin) = MySqlPool::connect(MYSQL_ADMIN_URL).await {
                    let _ = sqlx::query(&format!("DROP DATABASE {namespace}"))
                        .execute(&admin)
                        .await;
                    admin.close().await;
                }
            }
            Engine::Sqlite => {}
        }
    }
}

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

/// The state every seeded token starts in.
pub fn initial_state() -> TokenState {
    TokenState {
        status: STATUS_ENABLED,
        group: "default".into(),
        expired_time: -1,
        remain_quota: 1_000_000,
        unlimited_quota: false,
        model_limits: String::new(),
        model_limits_enabled: false,
        allow_ips: String::new(),
        mj_image_mode: String::new(),
        mj_custom_proxy: String::new(),
    }
}

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
        let alice = seed::add_user(&store, "alice", "default", 1)
            .await
            .expect("alice");
        let bob = seed::add_user(&store, "bob", "vip", 1).await.expect("bob");
        let tokens = |user_id: i64, ids: &[i64]| -> Vec<NewToken> {
            ids.iter()
                .map(|id| NewToken {
                    id: Some(*id),
                    user_id,
                    key: seed::random_alphanumeric(48),
                    name: format!("token-{id}"),
                    created_time: 1_700_000_000 + id,
                    used_quota: 0,
                    state: initial_state(),
                })
                .collect()
        };
        store
            .insert_tokens(&tokens(alice.id, &alice_ids()))
            .await
            .expect("alice tokens");
        store
            .insert_tokens(&tokens(bob.id, &BOB_IDS))
            .await
            .expect("bob tokens");
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
            alice: User {
                id: alice.id,
                access_token: alice.access_token,
            },
            bob: User {
                id: bob.id,
                access_token: bob.access_token,
            },
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
        self.db.drop_namespace().await;
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

/// A random secret for one test, so tests sharing a Redis never touch each other's keys.
pub fn random_secret() -> String {
    seed::random_alphanumeric(24)
}
