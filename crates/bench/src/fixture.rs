//! A fresh database (the test kit's: a SQLite file in a temporary directory, or a schema of its own on
//! PostgreSQL), seeded with one user owning tokens `1..=tokens` and another user owning as many again (so the
//! table is not just the batch), served by the real server on 127.0.0.1:0 in a runtime of its own.

use std::net::SocketAddr;

use tokenbatch::serve::ServeOptions;
use tokenbatch::RunningServer;
use tokenbatch_store::{Location, Store};
pub use tokenbatch_testkit::seed::User;
pub use tokenbatch_testkit::Engine;
use tokenbatch_testkit::{seed as kit, TestDatabase};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub struct Fixture {
    pub engine: Engine,
    pub location: Location,
    pub addr: SocketAddr,
    pub user: User,
    server: Option<RunningServer>,
    server_runtime: tokio::runtime::Runtime,
    /// Dropped (with its PostgreSQL schema) after the server has stopped.
    db: Option<TestDatabase>,
}

/// Seeds `location`: the benchmark user with tokens `1..=count`, a second user with as many more.
pub async fn seed(location: &Location, count: i64) -> Result<User, BoxError> {
    let store = Store::open(location).await?;
    let user = kit::add_user_with_tokens(&store, "bench", "default", 1..=count, "bench").await?;
    kit::add_user_with_tokens(
        &store,
        "bench-other",
        "default",
        count + 1..=2 * count,
        "bench",
    )
    .await?;
    store.close().await;
    Ok(user)
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
        let db = Fixture::database(engine, postgres_url).await?;
        let user = seed(&db.location, count).await?;
        Fixture::serve(db, user).await
    }

    /// A fresh, empty database of `engine` (tokenbatch's tables created on first `Store::open`).
    pub async fn database(
        engine: Engine,
        postgres_url: Option<&str>,
    ) -> Result<TestDatabase, BoxError> {
        let admin_url = match engine {
            Engine::Postgres => postgres_url.ok_or("PostgreSQL needs --postgres URL")?,
            _ => "",
        };
        Ok(TestDatabase::try_create_at(engine, admin_url).await?)
    }

    /// The server on a database seeded by the caller, acting as `user`.
    pub async fn serve(db: TestDatabase, user: User) -> Result<Fixture, BoxError> {
        let location = db.location.clone();
        Fixture::serve_through(db, location, user).await
    }

    /// The server on `db`, reached through `location` (the same database, with other connection settings).
    pub async fn serve_through(
        db: TestDatabase,
        location: Location,
        user: User,
    ) -> Result<Fixture, BoxError> {
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
                    // As the binary runs by default (`--options-cache-ms`).
                    ServeOptions {
                        options_ttl: Some(tokenbatch::group_options::DEFAULT_OPTIONS_TTL),
                        ..ServeOptions::default()
                    },
                )
                .await
            })
            .await??;
        Ok(Fixture {
            engine: db.engine,
            location,
            addr: server.addr,
            user,
            server: Some(server),
            server_runtime,
            db: Some(db),
        })
    }

    /// Stops the server and drops the PostgreSQL schema.
    pub async fn stop(self) {
        drop(self.stop_server().await);
    }

    /// Stops the server (closing its connections) and hands the database back.
    pub async fn stop_server(mut self) -> Option<TestDatabase> {
        if let Some(server) = self.server.take() {
            let _ = self.server_runtime.spawn(server.stop()).await;
        }
        let db = self.db.take();
        self.server_runtime.shutdown_background();
        db
    }
}
