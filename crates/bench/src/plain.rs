//! The baselines: the plain statements an operator would run with sqlx, on a connection of their own to the
//! database the server uses.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use tokenbatch_store::Location;

use crate::client::Values;
use crate::fixture::BoxError;

/// The floor: one statement updating the three columns of the user's rows, in a transaction of its own,
/// on a connection of its own to the same database, with the pragmas the service uses (WAL; SQLite's
/// default `synchronous`, FULL: every commit is on disk when it returns, as the service's are).
pub(crate) enum PlainSql {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

const SQLITE_UPDATE: &str = "UPDATE tokens SET \"group\" = ?, expired_time = ?, remain_quota = ? \
     WHERE id IN (SELECT value FROM json_each(?)) AND user_id = ? AND deleted_at IS NULL";
const POSTGRES_UPDATE: &str =
    "UPDATE tokens SET \"group\" = $1, expired_time = $2, remain_quota = $3 \
     WHERE id = ANY($4) AND user_id = $5 AND deleted_at IS NULL";

/// The quota-add figure's baseline: the floor's statement with the relative quota as its only column.
const SQLITE_ADD_QUOTA: &str = "UPDATE tokens SET remain_quota = remain_quota + ? \
     WHERE id IN (SELECT value FROM json_each(?)) AND user_id = ? AND deleted_at IS NULL";
const POSTGRES_ADD_QUOTA: &str = "UPDATE tokens SET remain_quota = remain_quota + $1 \
     WHERE id = ANY($2) AND user_id = $3 AND deleted_at IS NULL";

impl PlainSql {
    pub(crate) async fn connect(location: &Location) -> Result<PlainSql, BoxError> {
        Ok(match location {
            Location::SqliteFile(path) => PlainSql::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(
                        SqliteConnectOptions::new()
                            .filename(path)
                            .journal_mode(SqliteJournalMode::Wal)
                            .busy_timeout(Duration::from_secs(10)),
                    )
                    .await?,
            ),
            Location::Postgres(url) => {
                PlainSql::Postgres(PgPoolOptions::new().max_connections(1).connect(url).await?)
            }
            Location::MySql(_) => {
                return Err("the floor is measured on SQLite and PostgreSQL".into())
            }
        })
    }

    /// The floor's statement: `values`' three columns on `ids`, which must all be `user_id`'s live tokens.
    pub(crate) async fn update(
        &self,
        user_id: i64,
        ids: &[i64],
        values: Values,
    ) -> Result<(), BoxError> {
        let affected = match self {
            PlainSql::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let json = serde_json::to_string(ids)?;
                let done = sqlx::query(SQLITE_UPDATE)
                    .bind(values.group())
                    .bind(values.expired_time())
                    .bind(values.remain_quota())
                    .bind(json)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                done.rows_affected()
            }
            PlainSql::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let done = sqlx::query(POSTGRES_UPDATE)
                    .bind(values.group())
                    .bind(values.expired_time())
                    .bind(values.remain_quota())
                    .bind(ids)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                done.rows_affected()
            }
        };
        if affected != ids.len() as u64 {
            return Err(format!("plain UPDATE changed {affected} rows of {}", ids.len()).into());
        }
        Ok(())
    }

    /// `remain_quota = remain_quota + amount` on `ids`, which must all be `user_id`'s live tokens: what
    /// `"remain_quota": {"add": amount}` asks for, without its range checks.
    pub(crate) async fn add_quota(
        &self,
        user_id: i64,
        ids: &[i64],
        amount: i64,
    ) -> Result<(), BoxError> {
        let affected = match self {
            PlainSql::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let done = sqlx::query(SQLITE_ADD_QUOTA)
                    .bind(amount)
                    .bind(serde_json::to_string(ids)?)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                done.rows_affected()
            }
            PlainSql::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let done = sqlx::query(POSTGRES_ADD_QUOTA)
                    .bind(amount)
                    .bind(ids)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                done.rows_affected()
            }
        };
        if affected != ids.len() as u64 {
            return Err(format!(
                "plain quota UPDATE changed {affected} rows of {}",
                ids.len()
            )
            .into());
        }
        Ok(())
    }

    /// Gives every one of `ids` (all `user_id`'s live tokens) a quota and an expiry of its own, as a gateway's
    /// tokens have once they are used: what a batch then records, and a revert restores, differs per token.
    pub(crate) async fn spread(&self, user_id: i64, ids: &[i64]) -> Result<(), BoxError> {
        const SET: &str = "remain_quota = 1000000 + (id * 7919) % 100003, \
             expired_time = 1900000000 + (id * 104729) % 1000003";
        let affected = match self {
            PlainSql::Sqlite(pool) => sqlx::query(&format!(
                "UPDATE tokens SET {SET} WHERE id IN (SELECT value FROM json_each(?)) AND user_id = ?"
            ))
            .bind(serde_json::to_string(ids)?)
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected(),
            PlainSql::Postgres(pool) => sqlx::query(&format!(
                "UPDATE tokens SET {SET} WHERE id = ANY($1) AND user_id = $2"
            ))
            .bind(ids)
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected(),
        };
        if affected != ids.len() as u64 {
            return Err(format!("spread changed {affected} rows of {}", ids.len()).into());
        }
        Ok(())
    }

    /// The same three columns of `user_id`'s live tokens meeting `condition` (this engine's SQL, no
    /// placeholders), in a transaction of its own; Err unless exactly `expected` rows changed.
    pub(crate) async fn update_where(
        &self,
        condition: &str,
        user_id: i64,
        values: Values,
        expected: usize,
    ) -> Result<(), BoxError> {
        let affected = match self {
            PlainSql::Sqlite(pool) => {
                let sql = format!(
                    "UPDATE tokens SET \"group\" = ?, expired_time = ?, remain_quota = ? \
                     WHERE deleted_at IS NULL AND user_id = ? AND {condition}"
                );
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let done = sqlx::query(&sql)
                    .bind(values.group())
                    .bind(values.expired_time())
                    .bind(values.remain_quota())
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                done.rows_affected()
            }
            PlainSql::Postgres(_) => return Err("update_where is measured on SQLite".into()),
        };
        if affected != expected as u64 {
            return Err(format!("plain UPDATE changed {affected} rows, not {expected}").into());
        }
        Ok(())
    }

    pub(crate) async fn close(self) {
        match self {
            PlainSql::Sqlite(pool) => pool.close().await,
            PlainSql::Postgres(pool) => pool.close().await,
        }
    }
}
