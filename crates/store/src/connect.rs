//! Opening a connection pool on each engine, with the session settings the store relies on.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::{location, session, DatabaseLimits, StoreError};

/// How long a request waits for a connection before the database counts as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
const SERVER_POOL_SIZE: u32 = 16;

pub(crate) async fn open_postgres(
    url: &str,
    limits: &DatabaseLimits,
) -> Result<PgPool, StoreError> {
    let (url, runtime) = location::postgres_runtime_parameters(url)?;
    let options = PgConnectOptions::from_str(&url)?
        .options(limits.postgres_settings())
        // After the limits, so that a setting named in the DSN itself wins.
        .options(
            runtime
                .iter()
                .map(|(name, value)| (name, location::escape_pg_option(value))),
        );
    Ok(PgPoolOptions::new()
        .max_connections(SERVER_POOL_SIZE)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(|connection, _| {
            Box::pin(async move {
                let version = connection.server_version_num().unwrap_or(0);
                if version >= session::POSTGRES_CONNECTION_CHECK_SINCE {
                    sqlx::Executor::execute(&mut *connection, session::POSTGRES_CONNECTION_CHECK)
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?)
}

pub(crate) async fn open_mysql(
    url: &str,
    limits: &DatabaseLimits,
) -> Result<MySqlPool, StoreError> {
    // MariaDB's variables first; MySQL answers 1193 (unknown system variable) and gets its own; a server that
    // knows neither set (MariaDB before 10.3, MySQL before 5.7.8) gets what every version has.
    let settings = std::sync::Arc::new([
        limits.mysql_settings(true),
        limits.mysql_settings(false),
        limits.mysql_settings_everywhere(),
    ]);
    Ok(MySqlPoolOptions::new()
        .max_connections(SERVER_POOL_SIZE)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // MySQL's `wait_timeout` (the only bound it has on a silent session, see `session`) would end idle pool
        // connections under the pool's feet: the pool closes them first.
        .idle_timeout(limits.idle_in_transaction_timeout / 2)
        .after_connect(move |connection, _| {
            let settings = settings.clone();
            Box::pin(async move {
                // Under REPEATABLE READ an UPDATE that the optimizer runs as a table scan locks every row it
                // reads, including rows other batches hold, and overlapping batches deadlock. READ COMMITTED
                // only locks matching rows; batches lock theirs explicitly (FOR UPDATE, id order).
                sqlx::Executor::execute(
                    &mut *connection,
                    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
                )
                .await?;
                let unknown_variable = |error: &sqlx::Error| match error {
                    sqlx::Error::Database(error) => error
                        .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                        .is_some_and(|error| error.number() == 1193),
                    _ => false,
                };
                let mut outcome = Ok(());
                for statement in settings.iter() {
                    outcome = sqlx::Executor::execute(&mut *connection, statement.as_str())
                        .await
                        .map(drop);
                    if !outcome.as_ref().is_err_and(unknown_variable) {
                        break;
                    }
                }
                outcome
            })
        })
        .connect_with(MySqlConnectOptions::from_str(url)?)
        .await?)
}

/// How long opening a SQLite file waits for other processes opening it at the same moment.
const SQLITE_OPEN_PATIENCE: Duration = Duration::from_secs(10);

pub(crate) async fn open_sqlite(path: &Path) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(SQLITE_OPEN_PATIENCE);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        .acquire_timeout(SQLITE_OPEN_PATIENCE)
        // A file has no connection to lose: pinging it before each use is a round trip to the connection's
        // worker thread per query for nothing.
        .test_before_acquire(false)
        // The counted batch's connection-private counts (crate::batch::counted_one_call).
        .after_connect(|connection, _| {
            Box::pin(async move {
                sqlx::Executor::execute(
                    &mut *connection,
                    crate::batch::counted_one_call::SQLITE_COUNTS_TABLE,
                )
                .await
                .map(drop)
            })
        });
    // Switching a file to WAL needs a moment alone with it, and SQLite refuses that at once ("database is
    // locked") rather than through the busy timeout while another process opens the same file: replicas
    // started together retry until it is theirs.
    let until = tokio::time::Instant::now() + SQLITE_OPEN_PATIENCE;
    loop {
        match pool.clone().connect_with(options.clone()).await {
            Err(sqlx::Error::Database(error))
                if matches!(error.code().as_deref(), Some("5" | "6" | "261" | "517"))
                    && tokio::time::Instant::now() < until =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            result => return Ok(result?),
        }
    }
}
