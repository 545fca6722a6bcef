//! Storage of new-api's `users`, `tokens` and `options` tables with sqlx.
//!
//! Every engine-specific piece of SQL lives in [`dialect`]; the rest of the crate speaks in terms of the
//! [`Store`] methods, so adding an engine means adding a [`Pool`] arm and its dialect, nothing else.

mod batch;
mod dialect;
mod error;
mod records;
mod schema;
mod search;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::Row;

pub use batch::{BatchChange, BatchPlan};
pub use error::StoreError;
pub use records::{NewToken, NewUser, TokenRecord, UserRecord};
pub use search::{like_pattern, SearchPatternError};

use dialect::Dialect;

/// A connection pool to one database holding new-api's tables.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// SQLite has one writer at a time; queueing writers here instead of in SQLite's busy handler avoids its
    /// sleep-and-retry backoff, which would otherwise dominate under concurrent batches.
    write_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
}

/// Where the data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    SqliteFile(std::path::PathBuf),
}

impl Store {
    /// Opens (creating if missing) the database, then makes sure the tables and columns tokenbatch needs exist.
    pub async fn open(location: &Location) -> Result<Store, StoreError> {
        let store = match location {
            Location::SqliteFile(path) => Store::open_sqlite(path).await?,
        };
        schema::ensure(&store).await?;
        Ok(store)
    }

    async fn open_sqlite(path: &Path) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(StoreError::from)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(StoreError::from)?;
        Ok(Store {
            pool: Pool::Sqlite(pool),
            write_gate: Default::default(),
        })
    }

    fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Cheap round trip used by readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
        }
    }

    /// The user with this id, unless soft-deleted.
    pub async fn find_user(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        let sql = self.user_select("id = ?");
        let row = match &self.pool {
            Pool::Sqlite(pool) => sqlx::query(&sql).bind(id).fetch_optional(pool).await?,
        };
        row.map(|row| UserRecord::from_row(&row)).transpose()
    }

    /// The user with this username, unless soft-deleted.
    pub async fn find_user_by_username(
        &self,
        username: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let sql = self.user_select("username = ?");
        let row = match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query(&sql)
                    .bind(username)
                    .fetch_optional(pool)
                    .await?
            }
        };
        row.map(|row| UserRecord::from_row(&row)).transpose()
    }

    fn user_select(&self, condition: &str) -> String {
        format!(
            "SELECT id, COALESCE(username, ''), COALESCE(status, 1), COALESCE(role, 1), \
             COALESCE({group}, ''), access_token FROM users WHERE {condition} AND deleted_at IS NULL",
            group = self.dialect().quote("group"),
        )
    }

    /// Inserts a user and returns its id.
    pub async fn insert_user(&self, user: &NewUser) -> Result<i64, StoreError> {
        let sql = format!(
            "INSERT INTO users (username, password, display_name, role, status, access_token, {group}, aff_code) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            group = self.dialect().quote("group"),
        );
        match &self.pool {
            Pool::Sqlite(pool) => {
                let done = sqlx::query(&sql)
                    .bind(&user.username)
                    .bind(&user.password_hash)
                    .bind(&user.username)
                    .bind(user.role)
                    .bind(user.status)
                    .bind(&user.access_token)
                    .bind(&user.group)
                    .bind(&user.aff_code)
                    .execute(pool)
                    .await?;
                Ok(done.last_insert_rowid())
            }
        }
    }

    /// Inserts tokens (used by the demo seed and by tests); an explicit id is kept when given.
    pub async fn insert_tokens(&self, tokens: &[NewToken]) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO tokens (id, user_id, {key}, status, name, created_time, accessed_time, expired_time, \
             remain_quota, unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, {group}, \
             cross_group_retry, billing_type, mj_image_mode, mj_custom_proxy) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            key = self.dialect().quote("key"),
            group = self.dialect().quote("group"),
        );
        match &self.pool {
            Pool::Sqlite(pool) => {
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
            }
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

    /// new-api's token search: `name_pattern` / `key_pattern` are LIKE patterns from [`like_pattern`].
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
        let dialect = self.dialect();
        let mut filter = String::from("user_id = ? AND deleted_at IS NULL");
        if name_pattern.is_some() {
            filter.push_str(" AND name LIKE ? ESCAPE '!'");
        }
        if key_pattern.is_some() {
            filter.push_str(&format!(" AND {} LIKE ? ESCAPE '!'", dialect.quote("key")));
        }
        let count_sql = format!("SELECT COUNT(*) FROM tokens WHERE {filter}");
        let page_sql = format!(
            "SELECT {columns} FROM tokens WHERE {filter} ORDER BY id DESC LIMIT ? OFFSET ?",
            columns = records::token_columns(dialect),
        );
        match &self.pool {
            Pool::Sqlite(pool) => {
                let mut count = sqlx::query(&count_sql).bind(user_id);
                let mut page = sqlx::query(&page_sql).bind(user_id);
                for pattern in [name_pattern, key_pattern].into_iter().flatten() {
                    count = count.bind(pattern);
                    page = page.bind(pattern);
                }
                let total: i64 = count.fetch_one(pool).await?.try_get(0)?;
                let rows = page.bind(limit).bind(offset).fetch_all(pool).await?;
                let tokens = rows
                    .iter()
                    .map(TokenRecord::from_row)
                    .collect::<Result<_, _>>()?;
                Ok((tokens, total))
            }
        }
    }

    /// One of the user's live tokens.
    pub async fn get_token(
        &self,
        user_id: i64,
        id: i64,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let sql = format!(
            "SELECT {columns} FROM tokens WHERE id = ? AND user_id = ? AND deleted_at IS NULL",
            columns = records::token_columns(self.dialect()),
        );
        let row = match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query(&sql)
                    .bind(id)
                    .bind(user_id)
                    .fetch_optional(pool)
                    .await?
            }
        };
        row.as_ref().map(TokenRecord::from_row).transpose()
    }

    /// A value of new-api's `options` table.
    pub async fn option(&self, key: &str) -> Result<Option<String>, StoreError> {
        let sql = format!(
            "SELECT value FROM options WHERE {key} = ?",
            key = self.dialect().quote("key")
        );
        let row = match &self.pool {
            Pool::Sqlite(pool) => sqlx::query(&sql).bind(key).fetch_optional(pool).await?,
        };
        Ok(match row {
            Some(row) => row.try_get::<Option<String>, _>(0)?,
            None => None,
        })
    }
}
