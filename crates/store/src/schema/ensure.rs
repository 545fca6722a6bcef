//! The schema step at open, one process at a time (see [`ensure_within`]).

use std::time::Instant;

use sqlx::Row;

use super::{addable_columns, tables};
use crate::dialect::Dialect;
use crate::{on_pool, Pool, Store, StoreError};

/// How long a starting process waits for another one's schema step (and, inside its own, for the locks its
/// DDL needs) before giving up with [`lock_timeout`]. Adding a column is instant on every supported engine
/// version; the wait only has to outlast a neighbour's few statements.
pub(crate) const SCHEMA_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// The table's column names, read on one connection; empty when the table does not exist.
macro_rules! columns_of {
    ($conn:expr, $d:expr, $table:expr) => {{
        let sql = match $d {
            Dialect::Sqlite => "SELECT name FROM pragma_table_info(?)",
            Dialect::Postgres => {
                "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1"
            }
            Dialect::MySql => {
                "SELECT CAST(column_name AS CHAR) FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = ?"
            }
        };
        let rows = sqlx::query(sql).bind($table).fetch_all(&mut *$conn).await?;
        rows.iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<Result<Vec<String>, sqlx::Error>>()?
    }};
}

/// The schema step on one connection. Without `apply` it only tells whether anything is missing; with it,
/// it creates the missing tables and adds the missing columns, reading what exists first: under the lock,
/// that reading sees what a neighbour that held the lock before has added.
macro_rules! schema_step {
    ($conn:expr, $d:expr, $apply:expr) => {
        async {
            let d: Dialect = $d;
            let mut missing = false;
            for table in tables(d) {
                if columns_of!($conn, d, &table.name).is_empty() {
                    missing = true;
                    if !$apply {
                        return Ok::<bool, StoreError>(true);
                    }
                    tracing::info!(table = %table.name, "creating missing table");
                    // The CREATE TABLE, then its indexes.
                    for statement in table.statements {
                        sqlx::query(&statement).execute(&mut *$conn).await?;
                    }
                }
            }
            for column in addable_columns(d) {
                let present = columns_of!($conn, d, &column.table);
                if present
                    .iter()
                    .any(|name| name.eq_ignore_ascii_case(&column.name))
                {
                    continue;
                }
                missing = true;
                if !$apply {
                    return Ok(true);
                }
                tracing::info!(
                    table = %column.table,
                    column = %column.name,
                    "adding missing column"
                );
                sqlx::query(&column.statement).execute(&mut *$conn).await?;
            }
            Ok(missing)
        }
        .await
    };
}

pub(crate) async fn ensure(store: &Store) -> Result<(), StoreError> {
    ensure_within(store, SCHEMA_LOCK_WAIT).await
}

/// Creates what is missing, one process at a time: replicas started together on a database without
/// tokenbatch's additions would otherwise all see a column missing and all add it, and every one but the
/// first fails (PostgreSQL `pg_type_typname_nsp_index` or `column … already exists`, MySQL 1060). Each
/// engine's lock is held by the connection that runs the DDL and ends with it, so a process that dies
/// mid-step releases it; waiting for it is bounded by `wait`.
pub(crate) async fn ensure_within(
    store: &Store,
    wait: std::time::Duration,
) -> Result<(), StoreError> {
    let d = store.dialect();
    // Every start of an already migrated database: nothing to do, no lock taken.
    let missing = on_pool!(store, |pool| {
        let mut conn = pool.acquire().await?;
        schema_step!(conn, d, false)?
    });
    if !missing {
        return Ok(());
    }
    let seconds = wait.as_secs().max(1);
    let waited = format!("{seconds} s");
    let waited = waited.as_str();
    match &store.pool {
        // SQLite's DDL is transactional and BEGIN IMMEDIATE takes the database's one write lock, so the
        // re-check and the DDL run alone; the wait is the connection's busy timeout.
        Pool::Sqlite(pool) => {
            let mut tx = pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(|error| lock_timeout_or(error, "SQLite's busy timeout"))?;
            schema_step!(tx, d, true)?;
            tx.commit().await?;
        }
        // PostgreSQL's DDL is transactional too: a transaction-scoped advisory lock, keyed by the schema the
        // tables go into, is released by the commit that makes the DDL visible. It is tried rather than
        // waited for, so that no statement outlasts the session's statement_timeout (see crate::session);
        // the session's lock_timeout bounds the table locks the DDL takes.
        Pool::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            let started = Instant::now();
            loop {
                let locked: bool = sqlx::query(
                    "SELECT pg_try_advisory_xact_lock($1, hashtext(COALESCE(current_schema(), '')))",
                )
                .bind(SCHEMA_LOCK_KEY)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                if locked {
                    break;
                }
                if started.elapsed() >= wait {
                    let detail = "pg_try_advisory_xact_lock".to_owned();
                    return Err(lock_timeout(waited, detail));
                }
                tokio::time::sleep(POLL).await;
            }
            schema_step!(tx, d, true).map_err(|error| step_error(error, waited))?;
            tx.commit().await?;
        }
        // MySQL commits each DDL statement on its own: a named lock (per database) held by the session. The
        // connection is closed afterwards rather than returned to the pool, which ends the lock even if
        // RELEASE_LOCK never ran and drops the session's lowered lock_wait_timeout with it.
        Pool::MySql(pool) => {
            let mut conn = pool.acquire().await?;
            conn.close_on_drop();
            // Metadata locks (ALTER TABLE waiting for open transactions on tokens) otherwise wait a year.
            sqlx::query(&format!("SET SESSION lock_wait_timeout = {seconds}"))
                .execute(&mut *conn)
                .await?;
            // One second per GET_LOCK, so that no statement outlasts the session's statement limit (MariaDB
            // max_statement_time, MySQL max_execution_time on SELECT; see crate::session).
            let started = Instant::now();
            loop {
                let acquired: Option<i64> = sqlx::query(
                    "SELECT CAST(GET_LOCK(CONCAT('tokenbatch_schema_', MD5(COALESCE(DATABASE(), ''))), 1) AS SIGNED)",
                )
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
                match acquired {
                    Some(1) => break,
                    Some(0) if started.elapsed() < wait => continue,
                    _ => {
                        let detail = format!("GET_LOCK answered {acquired:?}");
                        return Err(lock_timeout(waited, detail));
                    }
                }
            }
            let done = schema_step!(conn, d, true).map_err(|error| step_error(error, waited));
            sqlx::query(
                "SELECT RELEASE_LOCK(CONCAT('tokenbatch_schema_', MD5(COALESCE(DATABASE(), ''))))",
            )
            .execute(&mut *conn)
            .await?;
            done?;
        }
    }
    Ok(())
}

/// How often PostgreSQL's advisory lock is tried while another process holds it.
const POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// The first key of the PostgreSQL advisory lock ("tkbs"); the second is the schema's hash.
const SCHEMA_LOCK_KEY: i32 = 0x746b_6273;

/// A lock wait that ran out (PostgreSQL 55P03, SQLite BUSY, MySQL's lock wait timeout) as an error saying
/// what was waited for; any other error as it is.
fn lock_timeout_or(error: sqlx::Error, waited: &str) -> StoreError {
    let timed_out = match &error {
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("55P03" | "5" | "517" | "1205"))
                || db.message().contains("Lock wait timeout exceeded")
        }
        _ => false,
    };
    match timed_out {
        true => lock_timeout(waited, error.to_string()),
        false => StoreError::from(error),
    }
}

/// An error of the DDL itself, where a lock wait that ran out says so.
fn step_error(error: StoreError, waited: &str) -> StoreError {
    match error {
        StoreError::Database(error) | StoreError::Conflict(error) => lock_timeout_or(error, waited),
        other => other,
    }
}

/// A database that is there but busy: retrying later may succeed.
fn lock_timeout(waited: &str, detail: String) -> StoreError {
    StoreError::Unavailable(sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!(
            "the schema step waited {waited} for a lock and gave up: another \
             process is adding tokenbatch's tables or columns, or a long transaction holds the tokens table \
             ({detail})"
        ),
    )))
}

#[cfg(test)]
mod tests {
    //! The lock is taken and the wait for it is bounded: a process that finds the lock held longer than it
    //! may wait fails with an error that says so, and succeeds once the lock is free.
    use std::time::{Duration, Instant};

    use sqlx::{Connection, Executor};

    use crate::{Location, Store};

    const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
    const MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

    fn unique_name() -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        format!("tb_schema_lock_{}_{nanos:x}", std::process::id())
    }

    /// `ensure_within` with a one-second wait, while another session holds the lock.
    async fn gives_up_after_a_second(store: &Store) {
        let started = Instant::now();
        let error = super::ensure_within(store, Duration::from_secs(1))
            .await
            .expect_err("the lock is held by another session");
        let waited = started.elapsed();
        assert!(
            error.to_string().contains("the schema step waited 1 s"),
            "{error}"
        );
        assert!(
            waited >= Duration::from_millis(900) && waited < Duration::from_secs(10),
            "waited {waited:?}"
        );
    }

    #[tokio::test]
    async fn postgres_waits_for_the_advisory_lock_a_bounded_time() {
        let schema = unique_name();
        let mut admin = sqlx::PgConnection::connect(POSTGRES_URL).await.unwrap();
        admin
            .execute(&*format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap();
        let url = format!("{POSTGRES_URL}?options=-c%20search_path%3D{schema}");
        let store = Store::open(&Location::Postgres(url.clone())).await.unwrap();
        let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
        holder
            .execute("ALTER TABLE tokens DROP COLUMN mj_custom_proxy")
            .await
            .unwrap();
        holder
            .execute(&*format!(
                "SELECT pg_advisory_lock({}, hashtext('{schema}'))",
                super::SCHEMA_LOCK_KEY
            ))
            .await
            .unwrap();
        gives_up_after_a_second(&store).await;
        holder
            .execute("SELECT pg_advisory_unlock_all()")
            .await
            .unwrap();
        super::ensure(&store).await.expect("the lock is free again");
        store.close().await;
        admin
            .execute(&*format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn mysql_waits_for_the_named_lock_a_bounded_time() {
        let database = unique_name();
        let mut admin = sqlx::MySqlConnection::connect(MYSQL_URL).await.unwrap();
        admin
            .execute(&*format!("CREATE DATABASE {database}"))
            .await
            .unwrap();
        let url = format!("mysql://root@127.0.0.1:3306/{database}");
        let store = Store::open(&Location::MySql(url.clone())).await.unwrap();
        let mut holder = sqlx::MySqlConnection::connect(&url).await.unwrap();
        holder
            .execute("ALTER TABLE tokens DROP COLUMN mj_custom_proxy")
            .await
            .unwrap();
        holder
            .execute("SELECT GET_LOCK(CONCAT('tokenbatch_schema_', MD5(DATABASE())), 0)")
            .await
            .unwrap();
        gives_up_after_a_second(&store).await;
        holder.execute("SELECT RELEASE_ALL_LOCKS()").await.unwrap();
        super::ensure(&store).await.expect("the lock is free again");
        store.close().await;
        admin
            .execute(&*format!("DROP DATABASE {database}"))
            .await
            .unwrap();
    }
}
