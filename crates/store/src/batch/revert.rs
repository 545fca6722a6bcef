//! [`Store::revert_change`]: the revert of a change set (docs/SPEC.md §12) in one transaction, with the
//! batch's deadline and its retry after a deadlock.

use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::Row;

use crate::history::revert::{RevertOutcome, RevertRequest};
use crate::session::on_connection;
use crate::{Pool, Store, StoreError};

/// How often a revert rolled back by a deadlock or serialization failure is tried in all.
const MAX_ATTEMPTS: u64 = 5;

impl Store {
    /// Reverts change set `request.change_id` as [`crate::history::revert`] describes: every restorable token
    /// restored, the others skipped with their reason, all in one transaction that also records the revert as
    /// a change set of its own and marks the original reverted. Refused, writing nothing, with
    /// [`StoreError::ChangeNotFound`] (unknown, or not the caller's), [`StoreError::ChangeAlreadyReverted`],
    /// or under `strict` [`StoreError::RevertConflict`].
    ///
    /// On SQLite a revert that writes goes through the group-commit writer like a batch (queued in turn,
    /// sharing the commit of the batches queued before it); PostgreSQL and MySQL lock its tokens in id order
    /// as a batch does.
    pub async fn revert_change(
        &self,
        request: &RevertRequest,
    ) -> Result<RevertOutcome, StoreError> {
        let budget = self.limits.operation_timeout;
        let deadline = tokio::time::Instant::now() + budget;
        let mut attempt = 1;
        loop {
            match self.revert_once(request, deadline, budget).await {
                Err(StoreError::Conflict(error)) if attempt < MAX_ATTEMPTS => {
                    tracing::warn!(attempt, %error, "revert rolled back by a lock conflict; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(5 * attempt)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn revert_once(
        &self,
        request: &RevertRequest,
        deadline: tokio::time::Instant,
        budget: std::time::Duration,
    ) -> Result<RevertOutcome, StoreError> {
        let d = self.dialect();
        let committing = AtomicBool::new(false);
        let result = match &self.pool {
            // A revert that writes takes its turn in the group-commit writer's queue, as a batch does; a dry run
            // only reads, in a (deferred) transaction of its own.
            Pool::Sqlite(pool) => match (request.dry_run, &self.sqlite_writer) {
                (false, Some(writer)) => writer.revert(request).await,
                _ => on_connection!(pool, deadline, budget, |conn| {
                    let begin = match request.dry_run {
                        true => "BEGIN",
                        false => "BEGIN IMMEDIATE",
                    };
                    let mut tx = sqlx::Connection::begin_with(conn, begin).await?;
                    let outcome = revert_in_transaction!(Sqlite, tx, d, request)?;
                    finish(tx, outcome, request, &committing).await
                }),
            },
            Pool::Postgres(pool) => on_connection!(pool, deadline, budget, |conn| {
                let mut tx = sqlx::Connection::begin(conn).await?;
                let outcome = revert_in_transaction!(Postgres, tx, d, request)?;
                finish(tx, outcome, request, &committing).await
            }),
            Pool::MySql(pool) => on_connection!(pool, deadline, budget, |conn| {
                let mut tx = sqlx::Connection::begin(conn).await?;
                let outcome = revert_in_transaction!(MySql, tx, d, request)?;
                finish(tx, outcome, request, &committing).await
            }),
        };
        match result {
            // The COMMIT may have reached the server before the connection failed or the deadline passed.
            Err(StoreError::Unavailable(error)) if committing.load(Ordering::Relaxed) => {
                Err(StoreError::OutcomeUnknown(error))
            }
            result => result,
        }
    }
}

/// Commits a revert that wrote something; a dry run, a revert that restored nothing and a refusal are
/// rolled back (dropped).
pub(super) async fn finish<DB: sqlx::Database>(
    tx: sqlx::Transaction<'_, DB>,
    outcome: Result<RevertOutcome, StoreError>,
    request: &RevertRequest,
    committing: &AtomicBool,
) -> Result<RevertOutcome, StoreError> {
    let outcome = outcome?;
    if !request.dry_run && outcome.revert_id.is_some() {
        committing.store(true, Ordering::Relaxed);
        tx.commit().await?;
    }
    Ok(outcome)
}
