//! [`Store::apply_batch`]: checks, one deadline, and the retry of a batch a deadlock rolled back.

use sqlx::Row;

use crate::plans::PlanStep;
use crate::session::on_connection;
use crate::{AppliedBatch, Pool, Store, StoreError};

use super::BatchPlan;

/// How often a batch rolled back by a deadlock or serialization failure is tried in all.
const MAX_ATTEMPTS: u64 = 5;

impl Store {
    /// Applies `plan`: either every token changes or none does. Tokens that do not exist, are soft-deleted or
    /// belong to another user fail the whole batch with [`StoreError::TokensNotFound`]. Rows are locked in id
    /// order (PostgreSQL and MySQL `FOR UPDATE`, SQLite's single writer), so overlapping batches serialize
    /// instead of deadlocking.
    pub async fn apply_batch(&self, plan: &BatchPlan<'_>) -> Result<AppliedBatch, StoreError> {
        if let Some(PlanStep::Apply(stored)) = plan.plan {
            let pinned = stored.pinned.iter().map(|pin| pin.id);
            if plan.dry_run || !pinned.eq(plan.ids().iter().copied()) {
                let reason = "a plan is applied to exactly its pinned ids, and never as a dry run";
                return Err(StoreError::Data(reason.to_owned()));
            }
        }
        let unstorable =
            crate::charset::first_unstorable(&self.column_charsets, plan.fields(), plan.values());
        if let Some((field, character, charset)) = unstorable {
            return Err(StoreError::NotInCharset {
                field,
                character,
                charset: charset.to_owned(),
            });
        }
        // One deadline for every attempt together: a caller waits at most this long, however often a lock
        // conflict makes the batch run again.
        let budget = self.limits.operation_timeout;
        let deadline = tokio::time::Instant::now() + budget;
        let mut attempt = 1;
        loop {
            match self.apply_batch_once(plan, deadline, budget).await {
                Err(StoreError::Conflict(error)) if attempt < MAX_ATTEMPTS => {
                    // The engine chose this transaction as a deadlock victim and rolled all of it back, so
                    // running it again is safe; the caller should not see a conflict it did not cause.
                    tracing::warn!(attempt, %error, "batch rolled back by a lock conflict; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(5 * attempt)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// One attempt, on a connection that is closed rather than returned to the pool if the attempt fails on
    /// the network or runs past `deadline` (see [`crate::session`]). SQLite batches that write go to the
    /// writer instead: a file has no network to lose, and a batch handed to the writer is committed or not
    /// whether or not its caller still waits, so it is not cut short.
    async fn apply_batch_once(
        &self,
        plan: &BatchPlan<'_>,
        deadline: tokio::time::Instant,
        budget: std::time::Duration,
    ) -> Result<AppliedBatch, StoreError> {
        let d = self.dialect();
        let committing = std::sync::atomic::AtomicBool::new(false);
        let result = match &self.pool {
            // A dry run keeping a plan writes it: it goes to the writer too.
            Pool::Sqlite(pool) => match (plan.writes(), &self.sqlite_writer) {
                (true, Some(writer)) => writer.apply(plan).await,
                _ => on_connection!(pool, deadline, budget, |conn| {
                    let mut tx = sqlx::Connection::begin(conn).await?;
                    run_batch!(Sqlite, tx, d, plan)
                }),
            },
            Pool::Postgres(pool) => on_connection!(pool, deadline, budget, |conn| {
                let mut tx = sqlx::Connection::begin(conn).await?;
                run_batch!(Postgres, tx, d, plan, &committing)
            }),
            Pool::MySql(pool) => on_connection!(pool, deadline, budget, |conn| {
                let mut tx = sqlx::Connection::begin(conn).await?;
                run_batch!(MySql, tx, d, plan, &committing)
            }),
        };
        match result {
            // The COMMIT may have reached the server before the connection failed or the deadline passed.
            Err(StoreError::Unavailable(error))
                if committing.load(std::sync::atomic::Ordering::Relaxed) =>
            {
                Err(StoreError::OutcomeUnknown(error))
            }
            result => result,
        }
    }
}
