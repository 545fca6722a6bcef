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
    /// On SQLite the revert takes a `BEGIN IMMEDIATE` transaction of its own beside the group-commit writer:
    /// the database's write lock serializes the two, and reverts are too rare to need grouping.
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
        let begin = match request.dry_run {
            true => "BEGIN",
            false => "BEGIN IMMEDIATE",
        };
        let result = match &self.pool {
            Pool::Sqlite(pool) => on_connection!(pool, deadline, budget, |conn| {
                let mut tx = sqlx::Connection::begin_with(conn, begin).await?;
                let outcome = revert_in_transaction!(Sqlite, tx, d, request)?;
                finish(tx, outcome, request, &committing).await
            }),
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
async fn finish<DB: sqlx::Database>(
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
