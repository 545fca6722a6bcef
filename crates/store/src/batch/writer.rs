//! SQLite's group-commit writer.

use sqlx::sqlite::SqlitePool;
use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

use crate::dialect::Dialect;
use crate::history::revert::{RevertOutcome, RevertRequest};
use crate::{AppliedBatch, StoreError};

use super::writer_jobs::{BatchJob, JobResult, RevertJob, WriteJob};
use super::{BatchPlan, InTransaction};

/// SQLite's writer: every batch that writes goes through one task, which runs the batches waiting at that
/// moment in one `BEGIN IMMEDIATE` transaction, one after the other, and answers each once that transaction
/// is committed (group commit). SQLite has one writer at a time anyway; what the group saves is the commit, a
/// write and fsync of the WAL each, which bounded the service at a few thousand small batches a second. Every
/// batch is still all or nothing, each sees the ones before it, and none is answered before its commit is
/// on disk (`synchronous` stays FULL). Reverts that write take their turn in the same queue
/// ([`writer_jobs`](super::writer_jobs)).
#[derive(Clone)]
pub(crate) struct SqliteWriter {
    queue: mpsc::Sender<WriteJob>,
}

/// A group stops growing at this many batches or ids, so that one transaction stays short.
const MAX_GROUP_BATCHES: usize = 64;
const MAX_GROUP_IDS: usize = 20_000;

impl SqliteWriter {
    /// Starts the writer task on the current runtime; it ends when the last [`Store`] clone is dropped.
    pub(crate) fn start(pool: SqlitePool) -> SqliteWriter {
        let (queue, jobs) = mpsc::channel(1024);
        tokio::spawn(write_loop(pool, jobs));
        SqliteWriter { queue }
    }

    pub(super) async fn apply(&self, plan: &BatchPlan<'_>) -> Result<AppliedBatch, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.hand_over(WriteJob::Batch(Box::new(BatchJob::new(plan, reply))))
            .await?;
        answer.await.map_err(|_| stopped())?
    }

    /// A revert that writes (not a dry run), in its turn among the batches: queued behind them rather than
    /// waiting for the write lock in SQLite's busy handler, whose sleeps could miss every gap between the
    /// writer's transactions while batches stream in.
    pub(super) async fn revert(
        &self,
        request: &RevertRequest,
    ) -> Result<RevertOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = RevertJob {
            request: *request,
            reply,
        };
        self.hand_over(WriteJob::Revert(job)).await?;
        answer.await.map_err(|_| stopped())?
    }

    async fn hand_over(&self, job: WriteJob) -> Result<(), StoreError> {
        self.queue.send(job).await.map_err(|_| stopped())
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable(sqlx::Error::WorkerCrashed)
}

async fn write_loop(pool: SqlitePool, mut queue: mpsc::Receiver<WriteJob>) {
    let mut jobs = Vec::with_capacity(MAX_GROUP_BATCHES);
    while let Some(first) = queue.recv().await {
        let mut ids = first.ids();
        let mut ended = first.ends_group();
        jobs.push(first);
        while !ended && jobs.len() < MAX_GROUP_BATCHES && ids < MAX_GROUP_IDS {
            match queue.try_recv() {
                Ok(job) => {
                    ids += job.ids();
                    ended = job.ends_group();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let results = match jobs.len() {
            1 => vec![run_alone(&pool, &jobs[0]).await],
            _ => match run_group(&pool, &jobs).await {
                Ok(results) => results,
                Err(StoreError::Unavailable(error)) => {
                    // The database is busy (another process holds the write lock past the busy timeout) or
                    // gone: every job would wait as long again on its own. Nothing was committed.
                    let reason = error.to_string();
                    let unavailable =
                        || StoreError::Unavailable(sqlx::Error::Protocol(reason.clone()));
                    jobs.iter().map(|job| job.failed(unavailable())).collect()
                }
                Err(error) => {
                    // Nothing of the group was committed. Run each job in a transaction of its own, so that
                    // each gets its own outcome and one failing job cannot fail the others.
                    tracing::debug!(%error, jobs = jobs.len(), "group transaction failed; jobs run one by one");
                    let mut results = Vec::with_capacity(jobs.len());
                    for job in &jobs {
                        results.push(run_alone(&pool, job).await);
                    }
                    results
                }
            },
        };
        for (job, result) in jobs.drain(..).zip(results) {
            job.answer(result);
        }
    }
}

/// One job in a transaction of its own. IMMEDIATE takes the write lock before the read, so the rows read
/// are the rows written.
async fn run_alone(pool: &SqlitePool, job: &WriteJob) -> JobResult {
    match job {
        WriteJob::Batch(job) => JobResult::Batch(batch_alone(pool, job).await),
        WriteJob::Revert(job) => JobResult::Revert(revert_alone(pool, &job.request).await),
    }
}

async fn batch_alone(pool: &SqlitePool, job: &BatchJob) -> Result<AppliedBatch, StoreError> {
    let plan = &job.plan();
    let mut connection = pool.acquire().await?;
    let result = async {
        let mut tx = sqlx::Connection::begin_with(&mut *connection, "BEGIN IMMEDIATE").await?;
        run_batch!(Sqlite, tx, Dialect::Sqlite, plan)
    }
    .await;
    forget_if_spoiled(&mut connection, &result);
    result
}

/// A revert alone: committed when it restored something; refused, or restoring nothing, it wrote nothing.
async fn revert_alone(
    pool: &SqlitePool,
    request: &RevertRequest,
) -> Result<RevertOutcome, StoreError> {
    let mut connection = pool.acquire().await?;
    let result = async {
        let mut tx = sqlx::Connection::begin_with(&mut *connection, "BEGIN IMMEDIATE").await?;
        let outcome = revert_in_transaction!(Sqlite, tx, Dialect::Sqlite, request)?;
        let committing = std::sync::atomic::AtomicBool::new(false);
        super::revert::finish(tx, outcome, request, &committing).await
    }
    .await;
    forget_if_spoiled(&mut connection, &result);
    result
}

/// A SQLite connection whose transaction failed on the database's side (a full disk, an I/O error) may be
/// left inside a transaction that the engine already ended or could not end: sqlx then refuses every later
/// `BEGIN` on it ("non-zero transaction depth"). Such a connection is closed instead of going back to the
/// pool; the pool opens a fresh one.
fn forget_if_spoiled<T>(
    connection: &mut sqlx::pool::PoolConnection<sqlx::Sqlite>,
    result: &Result<T, StoreError>,
) {
    if result.as_ref().is_err_and(StoreError::spoils_connection) {
        connection.close_on_drop();
    }
}

/// Several jobs in one transaction, in queue order, each seeing the ones before it. A batch refused before it
/// writes anything (tokens not found, request id reused) and a revert refused (unknown, already reverted,
/// `strict`) get their error and the others go on; any database error fails the whole group, which then was
/// not committed.
async fn run_group(pool: &SqlitePool, jobs: &[WriteJob]) -> Result<Vec<JobResult>, StoreError> {
    let mut connection = pool.acquire().await?;
    let outcome = async {
        let mut tx = sqlx::Connection::begin_with(&mut *connection, "BEGIN IMMEDIATE").await?;
        let mut results = Vec::with_capacity(jobs.len());
        for job in jobs {
            results.push(match job {
                WriteJob::Batch(job) => {
                    let plan = &job.plan();
                    JobResult::Batch(
                        match batch_in_transaction!(Sqlite, tx, Dialect::Sqlite, plan)? {
                            InTransaction::Done(applied) => Ok(applied),
                            InTransaction::Refused(refused) => Err(refused),
                        },
                    )
                }
                WriteJob::Revert(job) => JobResult::Revert(revert_in_transaction!(
                    Sqlite,
                    tx,
                    Dialect::Sqlite,
                    &job.request
                )?),
            });
        }
        tx.commit().await?;
        Ok(results)
    }
    .await;
    forget_if_spoiled(&mut connection, &outcome);
    outcome
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
