//! Storage of new-api's `users`, `tokens` and `options` tables with sqlx, on SQLite, PostgreSQL or
//! MySQL/MariaDB.
//!
//! Statements are written once with `?` placeholders; everything engine-specific lives in [`dialect`], and
//! [`on_pool!`] instantiates the typed sqlx calls once per engine. Queries are grouped by table
//! ([`users`], [`tokens`], [`options`]); the batch update is [`batch`].

mod batch;
mod change;
mod charset;
mod connect;
mod dialect;
mod error;
mod filter;
mod history;
mod json_text;
mod location;
mod options;
mod owners;
mod packed;
mod per_token;
mod plans;
mod records;
mod requests;
mod schema;
mod session;
mod sort;
#[cfg(test)]
mod test_support;
mod tokens;
mod users;

use sqlx::mysql::MySqlPool;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

pub use batch::{BatchPlan, Owners};
pub use change::{AppliedBatch, BatchChange};
pub use error::StoreError;
pub use history::purge::Purged;
pub use history::revert::{RevertOutcome, RevertRequest, SkipReason, SkippedToken};
pub use history::{ChangePage, ChangeSet, ChangeSource, ChangedToken, HistoryEntry};
pub use location::{redact, DsnError, Location};
pub use owners::TokenOwner;
pub use plans::{NewPlan, PinnedToken, PlanPage, PlanStep, PlanSummary, StoredPlan};
pub use records::{NewToken, NewUser, TokenRecord, UserRecord};
pub use requests::{RequestKey, MAX_REQUEST_ID_LEN, REQUEST_ID_RETENTION_SECS};
pub use session::DatabaseLimits;
pub use sort::{SortKey, TokenOrder};
pub use users::UserProfile;

use connect::{open_mysql, open_postgres, open_sqlite};
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
    /// SQLite has one writer at a time: batches and reverts that write queue for the store's own writer
    /// (group commit, see [`batch::SqliteWriter`]) rather than in SQLite's busy handler, whose sleep-and-retry
    /// backoff would otherwise dominate under concurrent batches.
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
}
