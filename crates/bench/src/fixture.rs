//! A fresh database (a SQLite file in a temporary directory, or a schema of its own on PostgreSQL), seeded
//! with one user owning tokens `1..=tokens` and another user owning as many again (so the table is not just
//! the batch), served by the real server on 127.0.0.1:0 in a runtime of its own.

use std::net::SocketAddr;

use sqlx::postgres::PgPool;
use tokenbatch::seed;
use tokenbatch::serve::ServeOptions;
use tokenbatch::RunningServer;
use tokenbatch_rules::apply::{TokenState, STATUS_ENABLED};
use tokenbatch_store::{Location, NewToken, Store};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// The caller every benchmark request is sent as.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub access_token: String,
}

pub struct Fixture {
    pub engine: Engine,
    pub location: Location,
    pub addr: SocketAddr,
    pub user: User,
    server: Option<RunningServer>,
    server_runtime: tokio::runtime::Runtime,
    /// PostgreSQL: the admin URL and the schema to drop afterwards.
    postgres_schema: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

/// The state every seeded token starts in.
pub fn initial_state() -> TokenState {
    TokenState {
        status: STATUS_ENABLED,
        group: "default".into(),
        expired_time: -1,
        remain_quota: 1_000_000,
        // The other fields at new-api's defaults (empty, false).
        ..TokenState::default()
    }
}

/// Tokens `first..first + count` of `user_id`, in the initial state, with random 48-character keys.
pub fn tokens(user_id: i64, first: i64, count: i64) -> Vec<NewToken> {
    (first..first + count)
        .map(|id| NewToken {
            id: Some(id),
            user_id,
            key: seed::random_alphanumeric(48),
            name: format!("bench-{id}"),
            created_time: 1_700_000_000 + id,
            used_quota: 0,
            state: initial_state(),
        })
        .collect()
}

/// Seeds `location`: the benchmark user with tokens `1..=count`, a second user with as many more.
pub async fn seed(location: &Location, count: i64) -> Result<User, BoxError> {
    let store = Store::open(location).await?;
    let user = seed::add_user(&store, "bench", "default", 1).await?;
    let other = seed::add_user(&store, "bench-other", "default", 1).await?;
    for chunk_start in (1..=count).step_by(10_000) {
        let n = (count - chunk_start + 1).min(10_000);
        store
            .insert_tokens(&tokens(user.id, chunk_start, n))
            .await?;
        store
            .insert_tokens(&tokens(other.id, count + chunk_start, n))
            .await?;
    }
    store.close().await;
    Ok(User {
        id: user.id,
        access_token: user.access_token,
    })
}

impl Fixture {
    /// A fresh database of `engine` with `count` tokens for the benchmark user, and the server on it. The
    /// server runs on a runtime of two workers (the binary's `#[tokio::main]` on this 2-core machine); the
    /// caller's runtime is the load generator's.
    pub async fn start(
        engine: Engine,
        count: i64,
        postgres_url: Option<&str>,
    ) -> Result<Fixture, BoxError> {
        let dir = tempfile::tempdir()?;
        let (location, postgres_schema) = match engine {
            Engine::Sqlite => (Location::SqliteFile(dir.path().join("bench.db")), None),
            Engine::Postgres => {
                let admin_url = postgres_url.ok_or("PostgreSQL needs --postgres URL")?;
                let schema = format!("tb_bench_{}", seed::random_alphanumeric(10).to_lowercase());
                let admin = PgPool::connect(admin_url).await?;
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                let separator = if admin_url.contains('?') { '&' } else { '?' };
                let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}");
                (
                    Location::Postgres(url),
                    Some((admin_url.to_owned(), schema)),
                )
            }
        };
        let user = seed(&location, count).await?;
        let server_runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("server")
            .build()?;
        let serve_location = location.clone();
        let server = server_runtime
            .spawn(async move {
                tokenbatch::serve::start_with(
                    SocketAddr::from(([127, 0, 0, 1], 0)),
                    &serve_location,
                    ServeOptions::default(),
                )
                .await
            })
            .await??;
        Ok(Fixture {
            engine,
            location,
            addr: server.addr,
            user,
            server: Some(server),
            server_runtime,
            postgres_schema,
            _dir: dir,
        })
    }

    /// Stops the server and drops the PostgreSQL schema.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            let _ = self.server_runtime.spawn(server.stop()).await;
        }
        if let Some((admin_url, schema)) = self.postgres_schema.take() {
            if let Ok(admin) = PgPool::connect(&admin_url).await {
                let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&admin)
                    .await;
                admin.close().await;
            }
        }
        self.server_runtime.shutdown_background();
    }
}
