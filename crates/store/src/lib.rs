//! Storage of new-api's `users`, `tokens` and `options` tables with sqlx, on SQLite, PostgreSQL or
//! MySQL/MariaDB.
//!
//! Statements are written once with `?` placeholders; everything engine-specific lives in [`dialect`], and
//! [`on_pool!`] instantiates the typed sqlx calls once per engine.

mod batch;
mod charset;
mod dialect;
mod error;
mod location;
mod packed;
mod records;
mod requests;
mod schema;
mod session;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::Row;

pub use batch::{AppliedBatch, BatchChange, BatchPlan};
pub use error::StoreError;
pub use location::{redact, DsnError, Location};
pub use records::{NewToken, NewUser, TokenRecord, UserRecord};
pub use requests::{RequestKey, MAX_REQUEST_ID_LEN, REQUEST_ID_RETENTION_SECS};
pub use session::DatabaseLimits;

use dialect::Dialect;
use session::with_connection;

/// Runs `$body` with `$pool` bound to the concrete pool of whichever engine the store uses.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite($pool) => $body,
            $crate::Pool::Postgres($pool) => $body,
            $crate::Pool::MySql($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// A connection pool to one database holding new-api's tables.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// SQLite has one writer at a time: batches queue for the store's own writer (group commit, see
    /// [`batch::SqliteWriter`]) rather than in SQLite's busy handler, whose sleep-and-retry backoff would
    /// otherwise dominate under concurrent batches.
    sqlite_writer: Option<batch::SqliteWriter>,
    /// Character limits of writable columns narrower than the rules' own, read once at open.
    column_limits: std::sync::Arc<Vec<(tokenbatch_rules::Field, usize)>>,
    /// Writable columns whose character set is narrower than Unicode (MySQL latin1, utf8mb3), read at open.
    column_charsets: std::sync::Arc<Vec<(tokenbatch_rules::Field, String)>>,
    /// Deadlines of operations and the sessions' own timeouts (see [`session`]).
    limits: DatabaseLimits,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// How long a request waits for a connection before the database counts as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
const SERVER_POOL_SIZE: u32 = 16;

impl Store {
    /// Opens the database (creating a SQLite file if missing), then makes sure the tables and columns
    /// tokenbatch needs exist. Uses [`DatabaseLimits::default`].
    pub async fn open(location: &Location) -> Result<Store, StoreError> {
        Store::open_with(location, DatabaseLimits::default()).await
    }

    /// [`Store::open`] with explicit deadlines and session timeouts.
    pub async fn open_with(
        location: &Location,
        limits: DatabaseLimits,
    ) -> Result<Store, StoreError> {
        let pool = match location {
            Location::SqliteFile(path) => Pool::Sqlite(open_sqlite(path).await?),
            Location::Postgres(url) => Pool::Postgres(open_postgres(url, &limits).await?),
            Location::MySql(url) => Pool::MySql(open_mysql(url, &limits).await?),
        };
        let sqlite_writer = match &pool {
            Pool::Sqlite(pool) => Some(batch::SqliteWriter::start(pool.clone())),
            _ => None,
        };
        let mut store = Store {
            pool,
            sqlite_writer,
            column_limits: Default::default(),
            column_charsets: Default::default(),
            limits,
        };
        schema::ensure(&store).await?;
        store.column_limits = std::sync::Arc::new(schema::column_limits(&store).await?);
        store.column_charsets = std::sync::Arc::new(schema::column_charsets(&store).await?);
        Ok(store)
    }

    /// The deadlines and session timeouts the store was opened with.
    pub fn limits(&self) -> &DatabaseLimits {
        &self.limits
    }

    fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
            Pool::MySql(_) => Dialect::MySql,
        }
    }

    /// The engine's name, for logs and metrics.
    pub fn engine(&self) -> &'static str {
        match self.dialect() {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::MySql => "mysql",
        }
    }

    /// Character limits of the writable token columns on this database (see the rules' `Context`).
    pub fn column_limits(&self) -> &[(tokenbatch_rules::Field, usize)] {
        &self.column_limits
    }

    /// Writable token columns whose character set cannot hold every character (MySQL latin1, utf8mb3), with
    /// that character set; a batch writing a character outside it fails with [`StoreError::NotInCharset`].
    pub fn column_charsets(&self) -> &[(tokenbatch_rules::Field, String)] {
        &self.column_charsets
    }

    /// Readiness: the database answers and new-api's tables are there (a dropped or re-created empty
    /// database answers, but the service cannot work on it).
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_connection!(self, |conn| {
            sqlx::query(
                "SELECT (SELECT COUNT(*) FROM users WHERE 1 = 0) + (SELECT COUNT(*) FROM tokens WHERE 1 = 0) \
                 + (SELECT COUNT(*) FROM options WHERE 1 = 0)",
            )
            .execute(&mut *conn)
            .await?;
            Ok(())
        })
    }

    /// Connections open and idle, for metrics.
    pub fn pool_state(&self) -> (u32, usize) {
        on_pool!(self, |pool| (pool.size(), pool.num_idle()))
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }

    /// The user with this id, unless soft-deleted.
    pub async fn find_user(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        let sql = self.user_select("id = ?");
        with_connection!(self, |conn| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(conn).await?;
            row.map(|row| UserRecord::from_row(&row)).transpose()
        })
    }

    /// The user with this username, unless soft-deleted.
    pub async fn find_user_by_username(
        &self,
        username: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let sql = self.user_select("username = ?");
        with_connection!(self, |conn| {
            let row = sqlx::query(&sql)
                .bind(username)
                .fetch_optional(conn)
                .await?;
            row.map(|row| UserRecord::from_row(&row)).transpose()
        })
    }

    fn user_select(&self, condition: &str) -> String {
        let d = self.dialect();
        d.sql(&format!(
            "SELECT {id}, {username}, {status}, {role}, {group}, access_token FROM users \
             WHERE {condition} AND deleted_at IS NULL",
            id = d.integer("id", 0),
            username = d.text("username"),
            status = d.integer("status", 1),
            role = d.integer("role", 1),
            group = d.text(&d.quote("group")),
        ))
    }

    /// Inserts a user and returns its id.
    pub async fn insert_user(&self, user: &NewUser) -> Result<i64, StoreError> {
        let d = self.dialect();
        let returning = if d == Dialect::Postgres {
            " RETURNING id"
        } else {
            ""
        };
        let sql = d.sql(&format!(
            "INSERT INTO users (username, password, display_name, role, status, access_token, {group}, \
             aff_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?){returning}",
            group = d.quote("group"),
        ));
        macro_rules! insert {
            () => {
                sqlx::query(&sql)
                    .bind(&user.username)
                    .bind(&user.password_hash)
                    .bind(&user.username)
                    .bind(user.role)
                    .bind(user.status)
                    .bind(&user.access_token)
                    .bind(&user.group)
                    .bind(&user.aff_code)
            };
        }
        Ok(match &self.pool {
            Pool::Sqlite(pool) => insert!().execute(pool).await?.last_insert_rowid(),
            Pool::Postgres(pool) => insert!().fetch_one(pool).await?.try_get::<i64, _>(0)?,
            Pool::MySql(pool) => insert!().execute(pool).await?.last_insert_id() as i64,
        })
    }

    /// Inserts tokens (the demo seed and tests), keeping explicit ids.
    pub async fn insert_tokens(&self, tokens: &[NewToken]) -> Result<(), StoreError> {
        let d = self.dialect();
        let sql = d.sql(&format!(
            "INSERT INTO tokens (id, user_id, {key}, status, name, created_time, accessed_time, expired_time, \
             remain_quota, unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, {group}, \
             cross_group_retry, billing_type, mj_image_mode, mj_custom_proxy) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            key = d.quote("key"),
            group = d.quote("group"),
        ));
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for token in tokens {
                let s = &token.state;
                sqlx::query(&sql)
                    .bind(token.id)
                    .bind(token.user_id)
                    .bind(&token.key)
                    .bind(s.status)
                    .bind(&token.name)
                    .bind(token.created_time)
                    .bind(token.created_time)
                    .bind(s.expired_time)
                    .bind(s.remain_quota)
                    .bind(s.unlimited_quota)
                    .bind(s.model_limits_enabled)
                    .bind(&s.model_limits)
                    .bind(&s.allow_ips)
                    .bind(token.used_quota)
                    .bind(&s.group)
                    .bind(false)
                    .bind(&s.mj_image_mode)
                    .bind(&s.mj_custom_proxy)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        if self.dialect() == Dialect::Postgres {
            // Explicit ids leave the bigserial sequence behind; new rows must not collide with them.
            on_pool!(self, |pool| {
                sqlx::query(
                    "SELECT setval(pg_get_serial_sequence('tokens', 'id'), \
                     GREATEST((SELECT COALESCE(MAX(id), 0) FROM tokens), 1))",
                )
                .execute(pool)
                .await?;
            });
        }
        Ok(())
    }

    /// A page of the user's live tokens, newest first, and how many there are in all.
    pub async fn list_tokens(
        &self,
        user_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<TokenRecord>, i64), StoreError> {
        self.find_tokens(user_id, None, None, offset, limit).await
    }

    /// new-api's token search: `name_pattern` / `key_pattern` are LIKE patterns from [`tokenbatch_rules::like_pattern`].
    pub async fn search_tokens(
        &self,
        user_id: i64,
        name_pattern: Option<&str>,
        key_pattern: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<TokenRecord>, i64), StoreError> {
        self.find_tokens(user_id, name_pattern, key_pattern, offset, limit)
            .await
    }

    async fn find_tokens(
        &self,
        user_id: i64,
        name_pattern: Option<&str>,
        key_pattern: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<TokenRecord>, i64), StoreError> {
        let d = self.dialect();
        let mut filter = String::from("user_id = ? AND deleted_at IS NULL");
        if name_pattern.is_some() {
            filter.push_str(" AND name LIKE ? ESCAPE '!'");
        }
        if key_pattern.is_some() {
            filter.push_str(&format!(" AND {} LIKE ? ESCAPE '!'", d.quote("key")));
        }
        let count_sql = d.sql(&format!(
            "SELECT {} FROM tokens WHERE {filter}",
            d.integer("COUNT(*)", 0)
        ));
        let page_sql = d.sql(&format!(
            "SELECT {columns} FROM tokens WHERE {filter} ORDER BY id DESC LIMIT ? OFFSET ?",
            columns = records::token_columns(d),
        ));
        with_connection!(self, |conn| {
            let mut count = sqlx::query(&count_sql).bind(user_id);
            let mut page = sqlx::query(&page_sql).bind(user_id);
            for pattern in [name_pattern, key_pattern].into_iter().flatten() {
                count = count.bind(pattern);
                page = page.bind(pattern);
            }
            let total: i64 = count.fetch_one(&mut *conn).await?.try_get(0)?;
            let rows = page.bind(limit).bind(offset).fetch_all(&mut *conn).await?;
            let tokens = rows
                .iter()
                .map(TokenRecord::from_row)
                .collect::<Result<_, _>>()?;
            Ok((tokens, total))
        })
    }

    /// One of the user's live tokens.
    pub async fn get_token(
        &self,
        user_id: i64,
        id: i64,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let d = self.dialect();
        let sql = d.sql(&format!(
            "SELECT {columns} FROM tokens WHERE id = ? AND user_id = ? AND deleted_at IS NULL",
            columns = records::token_columns(d),
        ));
        with_connection!(self, |conn| {
            let row = sqlx::query(&sql)
                .bind(id)
                .bind(user_id)
                .fetch_optional(conn)
                .await?;
            row.as_ref().map(TokenRecord::from_row).transpose()
        })
    }

    /// A value of new-api's `options` table.
    pub async fn option(&self, key: &str) -> Result<Option<String>, StoreError> {
        let d = self.dialect();
        let sql = d.sql(&format!(
            "SELECT value FROM options WHERE {} = ?",
            d.quote("key")
        ));
        with_connection!(self, |conn| {
            let row = sqlx::query(&sql).bind(key).fetch_optional(conn).await?;
            Ok(match row {
                Some(row) => row.try_get::<Option<String>, _>(0)?,
                None => None,
            })
        })
    }

    /// Several values of new-api's `options` table in one round trip, in the order of `keys`.
    pub async fn options(&self, keys: &[&str]) -> Result<Vec<Option<String>>, StoreError> {
        let d = self.dialect();
        let placeholders = vec!["?"; keys.len()].join(", ");
        let sql = d.sql(&format!(
            "SELECT {key}, value FROM options WHERE {key} IN ({placeholders})",
            key = d.quote("key")
        ));
        let mut values = vec![None; keys.len()];
        if keys.is_empty() {
            return Ok(values);
        }
        with_connection!(self, |conn| {
            let mut query = sqlx::query(&sql);
            for key in keys {
                query = query.bind(*key);
            }
            for row in query.fetch_all(conn).await? {
                let key: String = row.try_get(0)?;
                if let Some(index) = keys.iter().position(|wanted| *wanted == key) {
                    values[index] = row.try_get::<Option<String>, _>(1)?;
                }
            }
            Ok(values)
        })
    }

    /// Sets a value of new-api's `options` table (tests and operators' scripts).
    pub async fn set_option(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let d = self.dialect();
        let delete = d.sql(&format!("DELETE FROM options WHERE {} = ?", d.quote("key")));
        let insert = d.sql(&format!(
            "INSERT INTO options ({}, value) VALUES (?, ?)",
            d.quote("key")
        ));
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(&delete).bind(key).execute(&mut *tx).await?;
            sqlx::query(&insert)
                .bind(key)
                .bind(value)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }
}

async fn open_postgres(url: &str, limits: &DatabaseLimits) -> Result<PgPool, StoreError> {
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

async fn open_mysql(url: &str, limits: &DatabaseLimits) -> Result<MySqlPool, StoreError> {
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

async fn open_sqlite(path: &Path) -> Result<SqlitePool, StoreError> {
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
        .test_before_acquire(false);
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokenbatch_rules::apply::TokenState;
    use tokenbatch_rules::{Field, Patch};

    /// A fresh SQLite store holding one user; the store's directory lives as long as the returned guard.
    async fn sqlite_store_with_user() -> (tempfile::TempDir, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Location::SqliteFile(dir.path().join("store.db")))
            .await
            .unwrap();
        let user = NewUser {
            username: "u".into(),
            password_hash: "x".into(),
            role: 1,
            status: 1,
            access_token: "t".repeat(32),
            group: "default".into(),
            aff_code: "abcd".into(),
        };
        let user_id = store.insert_user(&user).await.unwrap();
        (dir, store, user_id)
    }

    fn new_token(user_id: i64, id: i64, state: TokenState) -> NewToken {
        NewToken {
            id: Some(id),
            user_id,
            key: format!("key-{id}"),
            name: format!("t{id}"),
            created_time: 1,
            used_quota: 0,
            state,
        }
    }

    /// Many batches at once on SQLite go through the writer, most of them grouped into shared transactions:
    /// each still succeeds or fails on its own, and one refused batch writes nothing and fails no other.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_sqlite_batches_keep_their_own_outcomes() {
        let (_dir, store, user_id) = sqlite_store_with_user().await;
        let tokens: Vec<NewToken> = (1..=200)
            .map(|id| {
                new_token(
                    user_id,
                    id,
                    TokenState {
                        status: 1,
                        group: "default".into(),
                        expired_time: -1,
                        remain_quota: 0,
                        ..TokenState::default()
                    },
                )
            })
            .collect();
        store.insert_tokens(&tokens).await.unwrap();

        let mut tasks = Vec::new();
        for batch in 0..40i64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                // Batch 7 also names an id that does not exist.
                let mut ids: Vec<i64> = (batch * 5 + 1..=batch * 5 + 5).collect();
                if batch == 7 {
                    ids.push(10_000);
                }
                let values = Patch {
                    remain_quota: Some(1_000 + batch),
                    ..Patch::default()
                };
                let plan = BatchPlan {
                    user_id,
                    ids: &ids,
                    fields: [Field::RemainQuota].into_iter().collect(),
                    values: &values,
                    now: 1_800_000_000,
                    dry_run: false,
                    keys: batch % 2 == 0,
                    full_states: batch.rem_euclid(3) == 0,
                    request: None,
                };
                (batch, store.apply_batch(&plan).await)
            }));
        }
        for task in tasks {
            let (batch, result) = task.await.unwrap();
            match batch {
                7 => assert!(
                    matches!(result, Err(StoreError::TokensNotFound { missing: 1 })),
                    "{result:?}"
                ),
                _ => {
                    let applied = result.unwrap();
                    assert_eq!((applied.changed, applied.unchanged), (5, 0));
                    // Counted without reading the tokens when nobody asked for their values.
                    let counted = batch % 2 == 1 && batch.rem_euclid(3) != 0;
                    assert_eq!(applied.changes.is_empty(), counted, "batch {batch}");
                    let changes = applied.changes;
                    assert!(changes.iter().all(|change| change.changed()
                        && change.after.remain_quota == 1_000 + batch
                        && change.after.status == 1
                        && (change.key.is_empty() == (batch % 2 == 1))));
                }
            }
        }
        for id in 1..=200i64 {
            let token = store.get_token(user_id, id).await.unwrap().unwrap();
            let batch = (id - 1) / 5;
            let expected = match batch {
                7 | 40.. => 0,
                _ => 1_000 + batch,
            };
            assert_eq!(token.state.remain_quota, expected, "token {id}");
        }
        store.close().await;
    }

    /// A request id makes a batch happen once: retries, even many at once through the writer's groups, get
    /// the first answer and write nothing; another request under the id is refused; after the retention the
    /// id is free again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_id_applies_its_batch_once() {
        let (_dir, store, user_id) = sqlite_store_with_user().await;
        let tokens: Vec<NewToken> = (1..=3)
            .map(|id| {
                new_token(
                    user_id,
                    id,
                    TokenState {
                        status: 1,
                        ..TokenState::default()
                    },
                )
            })
            .collect();
        store.insert_tokens(&tokens).await.unwrap();
        let ids = [1, 2, 3];
        let quota = |value| Patch {
            remain_quota: Some(value),
            ..Patch::default()
        };
        let (first_values, other_values) = (quota(500), quota(9));
        let plan = |values, fingerprint, request_id: Option<&'static str>, now| BatchPlan {
            user_id,
            ids: &ids,
            fields: [Field::RemainQuota].into_iter().collect(),
            values,
            now,
            dry_run: false,
            keys: true,
            full_states: false,
            request: request_id.map(|request_id| RequestKey {
                request_id,
                fingerprint,
            }),
        };
        let now = 1_800_000_000;
        let first = store
            .apply_batch(&plan(&first_values, "f500", Some("r-1"), now))
            .await
            .unwrap();
        assert!(!first.replayed);
        assert!(first.changes.iter().all(BatchChange::changed));
        // Someone else changes the tokens; a late retry must not overwrite that.
        store
            .apply_batch(&plan(&other_values, "", None, now))
            .await
            .unwrap();
        let mut retries = Vec::new();
        for _ in 0..20 {
            let store = store.clone();
            let (ids, values) = (ids, first_values.clone());
            retries.push(tokio::spawn(async move {
                let plan = BatchPlan {
                    user_id,
                    ids: &ids,
                    fields: [Field::RemainQuota].into_iter().collect(),
                    values: &values,
                    now: now + 60,
                    dry_run: false,
                    keys: true,
                    full_states: false,
                    request: Some(RequestKey {
                        request_id: "r-1",
                        fingerprint: "f500",
                    }),
                };
                store.apply_batch(&plan).await
            }));
        }
        for retry in retries {
            let retry = retry.await.unwrap().unwrap();
            assert!(retry.replayed);
            let expected: Vec<BatchChange> = first
                .changes
                .iter()
                .map(|change| BatchChange {
                    key: String::new(),
                    ..change.clone()
                })
                .collect();
            assert_eq!(retry.changes, expected);
        }
        let reused = store
            .apply_batch(&plan(&other_values, "f9", Some("r-1"), now))
            .await;
        assert!(
            matches!(reused, Err(StoreError::RequestIdReused)),
            "{reused:?}"
        );
        // Another id is another batch.
        let fresh = store
            .apply_batch(&plan(&first_values, "f500", Some("r-2"), now))
            .await
            .unwrap();
        assert!(!fresh.replayed);
        for id in ids {
            let token = store.get_token(user_id, id).await.unwrap().unwrap();
            assert_eq!(token.state.remain_quota, 500, "token {id}");
        }
        let later = now + REQUEST_ID_RETENTION_SECS + 1;
        let expired = store
            .apply_batch(&plan(&other_values, "f9", Some("r-1"), later))
            .await
            .unwrap();
        assert!(!expired.replayed, "an id past its retention is free again");
        store.close().await;
    }

    /// SQLite's packed rows (crate::packed) read back every character a column may hold.
    #[tokio::test]
    async fn sqlite_rows_read_back_every_character() {
        let (_dir, store, user_id) = sqlite_store_with_user().await;
        let state = TokenState {
            status: 4,
            group: "vip,默认 \"quoted\" back\\slash".into(),
            expired_time: i64::MAX,
            remain_quota: i64::MIN,
            unlimited_quota: true,
            model_limits: "\u{0}\u{1}\u{1f}\u{7f} tab\t cr\r".into(),
            model_limits_enabled: true,
            allow_ips: "10.0.0.0/8\n::1\n".into(),
            mj_image_mode: "🚀\u{10ffff}".into(),
            mj_custom_proxy: "https://例え.example/a?b=\"c\"&d=/e".into(),
        };
        let token = NewToken {
            id: Some(7),
            user_id,
            key: "k\"e\\y".into(),
            name: "t".into(),
            created_time: 1,
            used_quota: 0,
            state: state.clone(),
        };
        store.insert_tokens(&[token]).await.unwrap();
        let values = Patch {
            remain_quota: Some(5),
            ..Patch::default()
        };
        let plan = BatchPlan {
            user_id,
            ids: &[7],
            fields: [Field::RemainQuota].into_iter().collect(),
            values: &values,
            now: 1_800_000_000,
            dry_run: true,
            keys: true,
            full_states: true,
            request: None,
        };
        let applied = store.apply_batch(&plan).await.unwrap();
        assert_eq!(applied.changes[0].before, state);
        assert_eq!(applied.changes[0].key, "k\"e\\y");
        store.close().await;
    }

    /// SQLite's counted batch (no token read; status computed in SQL) ends every token in the same state,
    /// and counts the same changes, as the batch that reads the tokens and applies `TokenState::apply`: every
    /// status (and NULLs) × expiry (never, past, future) × quota (0, some) × unlimited, under every
    /// combination of the fields the status depends on, with every kind of value.
    #[tokio::test]
    async fn sqlite_counted_batches_agree_with_the_rules() {
        const NOW: i64 = 1_800_000_000;
        let (_dir, store, user_id) = sqlite_store_with_user().await;
        let mut tokens = Vec::new();
        for status in [1, 2, 3, 4, 7] {
            for expired_time in [-1, NOW - 10, NOW, NOW + 10] {
                for remain_quota in [0, -3, 5] {
                    for unlimited_quota in [false, true] {
                        tokens.push(TokenState {
                            status,
                            group: "default".into(),
                            expired_time,
                            remain_quota,
                            unlimited_quota,
                            model_limits: "gpt-4o".into(),
                            ..TokenState::default()
                        });
                    }
                }
            }
        }
        let ids: Vec<i64> = (1..=tokens.len() as i64).collect();
        let Pool::Sqlite(pool) = &store.pool else {
            unreachable!()
        };
        let reset = || async {
            sqlx::query("DELETE FROM tokens")
                .execute(pool)
                .await
                .unwrap();
            let rows: Vec<NewToken> = tokens
                .iter()
                .zip(&ids)
                .map(|(state, id)| new_token(user_id, *id, state.clone()))
                .collect();
            store.insert_tokens(&rows).await.unwrap();
            // Columns new-api may leave NULL read as their defaults on both paths.
            sqlx::query("UPDATE tokens SET status = NULL, \"group\" = NULL WHERE id = 1")
                .execute(pool)
                .await
                .unwrap();
        };
        let rows = || async {
            let mut states = Vec::new();
            for id in &ids {
                let row: (Option<i64>, Option<String>, i64, i64, bool, String) = sqlx::query_as(
                    "SELECT status, \"group\", expired_time, remain_quota, unlimited_quota, \
                     model_limits FROM tokens WHERE id = ?",
                )
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap();
                states.push(row);
            }
            states
        };
        let mut batches = 0;
        for expiry in [None, Some(-1), Some(NOW - 1), Some(NOW), Some(NOW + 1)] {
            for quota in [None, Some(0), Some(9)] {
                for unlimited in [None, Some(false), Some(true)] {
                    for group in [None, Some("default"), Some("vip")] {
                        let values = Patch {
                            expired_time: expiry,
                            remain_quota: quota,
                            unlimited_quota: unlimited,
                            group: group.map(str::to_owned),
                            ..Patch::default()
                        };
                        let fields = values.present();
                        if fields.is_empty() {
                            continue;
                        }
                        batches += 1;
                        let mut outcomes = Vec::new();
                        for full_states in [true, false] {
                            reset().await;
                            let plan = BatchPlan {
                                user_id,
                                ids: &ids,
                                fields,
                                values: &values,
                                now: NOW,
                                dry_run: false,
                                keys: false,
                                full_states,
                                request: None,
                            };
                            let applied = store.apply_batch(&plan).await.unwrap();
                            assert_eq!(applied.changes.is_empty(), !full_states);
                            outcomes.push((applied.changed, applied.unchanged, rows().await));
                        }
                        assert_eq!(outcomes[0], outcomes[1], "{values:?}");
                    }
                }
            }
        }
        assert_eq!(batches, 5 * 3 * 3 * 3 - 1);
        store.close().await;
    }

    #[tokio::test]
    async fn options_reads_several_keys_in_the_order_asked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Location::SqliteFile(dir.path().join("options.db")))
            .await
            .unwrap();
        store.set_option("b", "two").await.unwrap();
        store.set_option("a", "one").await.unwrap();
        assert_eq!(
            store.options(&["a", "missing", "b"]).await.unwrap(),
            [Some("one".to_owned()), None, Some("two".to_owned())]
        );
        assert_eq!(
            store.options(&[]).await.unwrap(),
            Vec::<Option<String>>::new()
        );
        assert_eq!(store.option("b").await.unwrap().as_deref(), Some("two"));
        store.close().await;
    }
}
