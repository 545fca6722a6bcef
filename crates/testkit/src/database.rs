//! A fresh, empty database of its own for one test (or one benchmark), so that tests run in parallel: a file
//! for SQLite, a schema for PostgreSQL, a database for MySQL/MariaDB. It is dropped again when the value is
//! dropped, whether the test passed or panicked. Unreachable servers fail the test: there is no silent skip.

use std::time::Duration;

use sqlx::mysql::MySqlPool;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::Row;
use tokenbatch_rules::apply::TokenState;
use tokenbatch_store::Location;

use crate::random::unique_name;

/// The engines every storage-touching test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
    MySql,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
            Engine::MySql => "MariaDB/MySQL",
        }
    }
}

/// The local PostgreSQL and MariaDB of the development and CI machines (trust auth / root without password).
pub const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const MYSQL_ADMIN_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// How long dropping a schema or database may take when the value is dropped: a server still holding a lock
/// on it must not hang the test run.
const CLEANUP_LIMIT: Duration = Duration::from_secs(10);

pub struct TestDatabase {
    pub engine: Engine,
    pub location: Location,
    pub raw: RawDb,
    /// The server's admin URL and the PostgreSQL schema or MySQL database to drop afterwards.
    namespace: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

/// A plain sqlx connection to the test's database, independent of tokenbatch's store.
pub enum RawDb {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

fn unreachable(engine: Engine, url: &str, error: impl std::fmt::Display) -> ! {
    panic!(
        "{} at {url} is unreachable ({error}). These tests need it: start it (see .ci/run) rather than \
         skipping them.",
        engine.name()
    )
}

impl TestDatabase {
    /// On the local server of `engine` (a file for SQLite); panics, naming the server, when it is unreachable.
    pub async fn create(engine: Engine) -> TestDatabase {
        let admin_url = match engine {
            Engine::Sqlite => "",
            Engine::Postgres => POSTGRES_ADMIN_URL,
            Engine::MySql => MYSQL_ADMIN_URL,
        };
        TestDatabase::try_create_at(engine, admin_url)
            .await
            .unwrap_or_else(|e| unreachable(engine, admin_url, e))
    }

    /// On the server at `admin_url` (ignored for SQLite), which may carry query parameters.
    pub async fn try_create_at(
        engine: Engine,
        admin_url: &str,
    ) -> Result<TestDatabase, sqlx::Error> {
        let dir = tempfile::tempdir()?;
        let (location, raw, namespace) = match engine {
            Engine::Sqlite => {
                let path = dir.path().join("tokenbatch.db");
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let pool = SqlitePool::connect(&url).await?;
                (Location::SqliteFile(path), RawDb::Sqlite(pool), None)
            }
            Engine::Postgres => {
                let schema = unique_name("tb_");
                let admin = PgPool::connect(admin_url).await?;
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                let separator = if admin_url.contains('?') { '&' } else { '?' };
                let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}");
                let pool = PgPool::connect(&url).await?;
                let namespace = Some((admin_url.to_owned(), schema));
                (Location::Postgres(url), RawDb::Postgres(pool), namespace)
            }
            Engine::MySql => {
                let database = unique_name("tb_");
                let admin = MySqlPool::connect(admin_url).await?;
                sqlx::query(&format!("CREATE DATABASE {database} CHARACTER SET utf8mb4"))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                // The admin URL names its own database last: the test's takes its place.
                let (server, _) = admin_url.rsplit_once('/').unwrap_or((admin_url, ""));
                let url = format!("{server}/{database}");
                let pool = MySqlPool::connect(&url).await?;
                let namespace = Some((admin_url.to_owned(), database));
                (Location::MySql(url), RawDb::MySql(pool), namespace)
            }
        };
        Ok(TestDatabase {
            engine,
            location,
            raw,
            namespace,
            _dir: dir,
        })
    }

    /// The PostgreSQL schema or MySQL database of this test (none for SQLite).
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_ref().map(|(_, name)| name.as_str())
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

    /// The one integer a query returns (a `COUNT(*)`, say), read with plain SQL on the test's database.
    pub async fn integer(&self, sql: &str) -> i64 {
        match &self.raw {
            RawDb::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            RawDb::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            RawDb::MySql(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
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
        let Some((admin_url, namespace)) = &self.namespace else {
            return;
        };
        let sql = match self.engine {
            Engine::Postgres => format!("CREATE SCHEMA {namespace}"),
            _ => format!("CREATE DATABASE {namespace}"),
        };
        on_admin(self.engine, admin_url, &sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Drops the test's PostgreSQL schema or MySQL database (the test goes on; dropping the value does it too).
    pub async fn drop_namespace(&self) {
        if let Some((admin_url, namespace)) = &self.namespace {
            let _ = on_admin(self.engine, admin_url, &drop_sql(self.engine, namespace)).await;
        }
    }
}

fn drop_sql(engine: Engine, namespace: &str) -> String {
    match engine {
        Engine::Postgres => format!("DROP SCHEMA IF EXISTS {namespace} CASCADE"),
        _ => format!("DROP DATABASE IF EXISTS {namespace}"),
    }
}

/// Runs `sql` on a connection of its own to the server's admin database.
async fn on_admin(engine: Engine, admin_url: &str, sql: &str) -> Result<(), sqlx::Error> {
    match engine {
        Engine::Postgres => {
            let admin = PgPool::connect(admin_url).await?;
            let result = sqlx::query(sql).execute(&admin).await;
            admin.close().await;
            result.map(drop)
        }
        Engine::MySql => {
            let admin = MySqlPool::connect(admin_url).await?;
            let result = sqlx::query(sql).execute(&admin).await;
            admin.close().await;
            result.map(drop)
        }
        Engine::Sqlite => Ok(()),
    }
}

impl Drop for TestDatabase {
    /// Drops the schema or database, so that runs leave nothing behind on the shared servers. `Drop` cannot
    /// await, and may run inside the test's runtime, which must not be blocked on itself: the statement runs on
    /// a thread and runtime of its own, bounded by [`CLEANUP_LIMIT`].
    fn drop(&mut self) {
        let Some((admin_url, namespace)) = self.namespace.take() else {
            return;
        };
        let engine = self.engine;
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the cleanup");
            runtime.block_on(async {
                let sql = drop_sql(engine, &namespace);
                let _ =
                    tokio::time::timeout(CLEANUP_LIMIT, on_admin(engine, &admin_url, &sql)).await;
            });
        });
        let _ = cleanup.join();
    }
}
