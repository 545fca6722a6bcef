//! Retention of the history (`--history-days`, docs/SPEC.md §12): change sets older than a cutoff are deleted
//! oldest first, in bounded chunks, each chunk its own short transaction, so that a purge of millions of rows
//! never holds SQLite's write lock or PostgreSQL's and MySQL's row locks for long, and batches go on in
//! between. Several instances may purge the same database at once: every statement names what it deletes by
//! key, and deleting what another instance already deleted deletes nothing. A change set's row goes last,
//! once no token row of it is left (checked after the last chunk, since another instance may still be
//! deleting some), so that the purge, which finds its work through the change sets' rows, never leaves a
//! token row behind.

use crate::dialect::Dialect;
use crate::history::sql::{CHANGES, OWNERS, SQLITE_ROWS_PER_CHANGE, TOKENS};
use crate::session::with_connection;
use crate::{Store, StoreError};

/// What one [`Store::purge_history`] deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub change_sets: usize,
    pub tokens: usize,
}

/// The oldest change set created before the cutoff.
fn oldest_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT id FROM {CHANGES} WHERE created_time < ? ORDER BY id LIMIT 1"
    ))
}

/// Up to `?` token rows of one change set, bound as the change set's id twice (MySQL's second is the
/// always-true `? IS NOT NULL`, so that every engine binds the same), then the chunk.
fn delete_tokens_statement(d: Dialect) -> String {
    d.sql(&match d {
        Dialect::Sqlite => format!(
            "DELETE FROM {TOKENS} WHERE id IN (SELECT id FROM {TOKENS} WHERE id >= ? * \
             {SQLITE_ROWS_PER_CHANGE} AND id < (? + 1) * {SQLITE_ROWS_PER_CHANGE} ORDER BY id LIMIT ?)"
        ),
        Dialect::Postgres => format!(
            "DELETE FROM {TOKENS} WHERE change_id = ? AND token_id IN (SELECT token_id FROM {TOKENS} \
             WHERE change_id = ? ORDER BY token_id LIMIT ?)"
        ),
        Dialect::MySql => {
            format!("DELETE FROM {TOKENS} WHERE change_id = ? AND ? IS NOT NULL ORDER BY token_id LIMIT ?")
        }
    })
}

/// Whether a token row of the change set is left, bound as the change set's id twice (as above).
fn any_token_statement(d: Dialect) -> String {
    d.sql(&match d {
        Dialect::Sqlite => format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {TOKENS} WHERE id >= ? * {SQLITE_ROWS_PER_CHANGE} \
             AND id < (? + 1) * {SQLITE_ROWS_PER_CHANGE} LIMIT 1)"
        ),
        Dialect::Postgres | Dialect::MySql => format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {TOKENS} WHERE change_id = ? AND ? IS NOT NULL LIMIT 1) AS t"
        ),
    })
}

fn delete_change_statement(d: Dialect) -> String {
    d.sql(&format!("DELETE FROM {CHANGES} WHERE id = ?"))
}

/// The change set's owners ([`OWNERS`]): as few as the owners of its tokens, deleted at once.
fn delete_owners_statement(d: Dialect) -> String {
    d.sql(&format!("DELETE FROM {OWNERS} WHERE change_id = ?"))
}

impl Store {
    /// Deletes every change set created before `cutoff` (unix seconds) with its tokens, at most `chunk` rows
    /// a statement, until none is left; answers what it deleted.
    pub async fn purge_history(&self, cutoff: i64, chunk: usize) -> Result<Purged, StoreError> {
        let d = self.dialect();
        let (oldest, tokens, any_token, owners, change) = (
            oldest_statement(d),
            delete_tokens_statement(d),
            any_token_statement(d),
            delete_owners_statement(d),
            delete_change_statement(d),
        );
        let chunk = i64::try_from(chunk.max(1)).unwrap_or(i64::MAX);
        let mut purged = Purged::default();
        loop {
            let found: Option<i64> = with_connection!(self, |conn| {
                Ok::<_, StoreError>(
                    sqlx::query_scalar(&oldest)
                        .bind(cutoff)
                        .fetch_optional(&mut *conn)
                        .await?,
                )
            })?;
            let Some(change_id) = found else {
                return Ok(purged);
            };
            loop {
                let deleted = with_connection!(self, |conn| {
                    Ok::<_, StoreError>(
                        sqlx::query(&tokens)
                            .bind(change_id)
                            .bind(change_id)
                            .bind(chunk)
                            .execute(&mut *conn)
                            .await?
                            .rows_affected(),
                    )
                })?;
                purged.tokens += usize::try_from(deleted).unwrap_or(0);
                if deleted < chunk.unsigned_abs() {
                    let left: i64 = with_connection!(self, |conn| {
                        let query = sqlx::query_scalar(&any_token)
                            .bind(change_id)
                            .bind(change_id);
                        Ok::<_, StoreError>(query.fetch_one(&mut *conn).await?)
                    })?;
                    if left == 0 {
                        break;
                    }
                }
                tokio::task::yield_now().await;
            }
            with_connection!(self, |conn| {
                let query = sqlx::query(&owners).bind(change_id);
                Ok::<_, StoreError>(query.execute(&mut *conn).await?.rows_affected())
            })?;
            let deleted = with_connection!(self, |conn| {
                Ok::<_, StoreError>(
                    sqlx::query(&change)
                        .bind(change_id)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected(),
                )
            })?;
            purged.change_sets += usize::try_from(deleted).unwrap_or(0);
        }
    }
}
