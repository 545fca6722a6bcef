//! The batch update: one transaction, set-based, all or nothing.

use std::collections::BTreeMap;

use sqlx::sqlite::SqlitePool;
use sqlx::Row;
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Field, FieldSet, Patch};
use tokio::sync::{mpsc, oneshot};

use crate::dialect::Dialect;
use crate::packed::PackedReader;
use crate::records::{state_columns, state_from_row};
use crate::requests::{self, Recorded, RequestKey, REQUEST_ID_RETENTION_SECS};
use crate::session::on_connection;
use crate::{Pool, Store, StoreError};

/// A validated batch to apply for one user.
#[derive(Clone, Copy, Debug)]
pub struct BatchPlan<'a> {
    pub user_id: i64,
    /// Distinct ids, ascending (the order rows are locked in).
    pub ids: &'a [i64],
    pub fields: FieldSet,
    /// Values for exactly `fields`.
    pub values: &'a Patch,
    /// Unix seconds, deciding the status transitions.
    pub now: i64,
    /// Read and compute everything, write nothing.
    pub dry_run: bool,
    /// Read each token's full key, which only new-api's cache invalidation needs; without it
    /// [`BatchChange::key`] is empty, and a 10 000-token batch reads half as many bytes.
    pub keys: bool,
    /// Read every column of [`TokenState`] into [`BatchChange::before`] and `after`. Without it, on SQLite,
    /// columns the batch does not write are not read and hold their default in both: enough to count and
    /// write the changes, not to show them. About 15 % less reading for a 10 000-token batch.
    pub full_states: bool,
    /// Makes the batch idempotent: recorded with the batch, and a later plan with the same user and request
    /// id gets the recorded changes back instead of writing (see [`crate::requests`]). Ignored in a dry run.
    pub request: Option<RequestKey<'a>>,
}

/// What [`Store::apply_batch`] did.
#[derive(Debug)]
pub struct AppliedBatch {
    /// One per id, ascending. Empty when the plan asked neither for full states, keys nor a request id on
    /// SQLite: the batch is then counted and written without reading the tokens at all.
    pub changes: Vec<BatchChange>,
    /// Tokens whose stored values changed.
    pub changed: usize,
    /// Tokens that already held the values.
    pub unchanged: usize,
    /// The changes are those recorded by an earlier batch with the same request id; nothing was written
    /// now, and the keys are empty.
    pub replayed: bool,
}

impl AppliedBatch {
    fn from_changes(changes: Vec<BatchChange>, replayed: bool) -> AppliedBatch {
        let changed = changes.iter().filter(|change| change.changed()).count();
        AppliedBatch {
            unchanged: changes.len() - changed,
            changed,
            changes,
            replayed,
        }
    }
}

/// One token of a batch, before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchChange {
    pub id: i64,
    /// The token's key in full, needed after commit to drop new-api's cache entry; never leaves the process.
    /// Empty unless the plan asked for keys ([`BatchPlan::keys`]).
    pub key: String,
    pub before: TokenState,
    pub after: TokenState,
    /// The batch wrote a group other than `auto` and cleared the token's `cross_group_retry` and
    /// `auto_groups`, as new-api's own `UpdateToken` does: both only apply to `auto`. Neither is part of
    /// [`TokenState`], so a token whose group already was the new one changes through this alone.
    pub cleared_auto_settings: bool,
}

impl BatchChange {
    pub fn changed(&self) -> bool {
        self.before != self.after || self.cleared_auto_settings
    }
}

/// new-api's pseudo-group, resolved per request; the only group `cross_group_retry` and `auto_groups` apply to.
const AUTO_GROUP: &str = "auto";

/// Whether the plan writes a group other than `auto`, and so clears `cross_group_retry` and `auto_groups`.
fn clears_auto_settings(plan: &BatchPlan<'_>) -> bool {
    plan.fields.contains(Field::Group) && plan.values.group.as_deref() != Some(AUTO_GROUP)
}

/// Binds the values of `fields`, in `fields` order, to a query of any engine.
macro_rules! bind_values {
    ($query:expr, $fields:expr, $values:expr) => {{
        let mut query = $query;
        for field in $fields.iter() {
            query = match field {
                Field::Group => query.bind($values.group.as_deref()),
                Field::ExpiredTime => query.bind($values.expired_time),
                Field::RemainQuota => query.bind($values.remain_quota),
                Field::UnlimitedQuota => query.bind($values.unlimited_quota),
                Field::ModelLimits => query.bind($values.model_limits.as_deref()),
                Field::ModelLimitsEnabled => query.bind($values.model_limits_enabled),
                Field::AllowIps => query.bind($values.allow_ips.as_deref()),
                Field::MjImageMode => query.bind($values.mj_image_mode.as_deref()),
                Field::MjCustomProxy => query.bind($values.mj_custom_proxy.as_deref()),
            };
        }
        query
    }};
}

/// Binds one chunk of ids the way the dialect's id filter expects them.
macro_rules! bind_ids {
    (Sqlite, $query:expr, $ids:expr) => {
        $query.bind(json_array($ids))
    };
    (Postgres, $query:expr, $ids:expr) => {
        $query.bind($ids)
    };
    (MySql, $query:expr, $ids:expr) => {{
        let mut query = $query;
        for id in $ids {
            query = query.bind(*id);
        }
        query
    }};
}

/// Reads (and on PostgreSQL and MySQL locks) the plan's rows, in id order.
macro_rules! read_rows {
    (Sqlite, $tx:expr, $d:expr, $plan:expr) => {{
        // sqlx hands SQLite rows over one at a time from the connection's worker thread, and for 10 000 rows
        // that costs more than the UPDATE itself: SQLite packs them into one JSON value instead.
        // An idempotent batch records its changes to replay them, so it needs them whole.
        let full_states = $plan.full_states || $plan.request.is_some();
        let sql = sqlite_select_statement($plan.keys, full_states, $plan.fields);
        let query = bind_ids!(Sqlite, sqlx::query(&sql), $plan.ids);
        let packed: String = query.fetch_one(&mut *$tx).await?.try_get(0)?;
        unpack_sqlite_rows(&packed)?
    }};
    ($engine:ident, $tx:expr, $d:expr, $plan:expr) => {{
        let mut rows = Vec::with_capacity($plan.ids.len());
        for chunk in $plan.ids.chunks($d.id_chunk()) {
            let sql = select_statement($d, chunk.len(), !$plan.dry_run, $plan.keys);
            let query = bind_ids!($engine, sqlx::query(&sql), chunk);
            for row in query.fetch_all(&mut *$tx).await? {
                rows.push(LockedRow::from_row(&row)?);
            }
        }
        rows
    }};
}

/// Writes `changes` (computed from rows read and locked in the same transaction): one UPDATE per final
/// status and chunk, each naming only rows that change.
macro_rules! write_changes {
    ($engine:ident, $tx:expr, $d:expr, $plan:expr, $changes:expr) => {{
        for (status, ids) in changed_ids_by_status($changes) {
            for chunk in ids.chunks($d.id_chunk()) {
                let sql =
                    update_statement($d, $plan.fields, clears_auto_settings($plan), chunk.len());
                let query =
                    bind_values!(sqlx::query(&sql), $plan.fields, $plan.values).bind(status);
                let done = bind_ids!($engine, query, chunk).execute(&mut *$tx).await?;
                if done.rows_affected() != chunk.len() as u64 {
                    return Err(StoreError::Data(format!(
                        "updated {} rows where {} were locked",
                        done.rows_affected(),
                        chunk.len()
                    )));
                }
            }
        }
    }};
}

/// The request id's record, if an earlier batch left one that is still remembered.
macro_rules! find_request {
    ($tx:expr, $d:expr, $plan:expr, $request:expr) => {{
        let sql = requests::find_statement($d);
        let found = sqlx::query(&sql)
            .bind($plan.user_id)
            .bind($request.request_id)
            .bind($plan.now - REQUEST_ID_RETENTION_SECS)
            .fetch_optional(&mut *$tx)
            .await?;
        match found {
            Some(row) => Some(Recorded {
                fingerprint: row.try_get(0)?,
                changes: row.try_get(1)?,
            }),
            None => None,
        }
    }};
}

/// Records the request id with the batch's changes, in the batch's transaction, and forgets ids past
/// their retention (which also frees an expired id for reuse).
macro_rules! record_request {
    ($tx:expr, $d:expr, $plan:expr, $request:expr, $changes:expr) => {{
        sqlx::query(&requests::forget_statement($d))
            .bind($plan.now - REQUEST_ID_RETENTION_SECS)
            .execute(&mut *$tx)
            .await?;
        sqlx::query(&requests::record_statement($d))
            .bind($plan.user_id)
            .bind($request.request_id)
            .bind($request.fingerprint)
            .bind($plan.now)
            .bind(requests::encode_changes($changes))
            .execute(&mut *$tx)
            .await
            .map_err(requests::insert_error)?;
    }};
}

/// How one batch ended inside a transaction that stays open.
enum InTransaction {
    /// Written (or, in a dry run, computed), or an earlier batch's recorded changes (`replayed`, nothing
    /// written).
    Done(AppliedBatch),
    /// Refused before writing anything (tokens not found, request id reused); the transaction may go on.
    Refused(StoreError),
}

/// SQLite, when nobody needs the tokens' values (no full states, keys or request id): check ownership with a
/// count and write with one UPDATE that computes the status and skips rows already holding the values, so
/// that its row count is the number of changes. Reading 10 000 rows out of SQLite cost more than writing
/// them. Only inside the writer's `BEGIN IMMEDIATE` transaction: no other writer can come between the count
/// and the UPDATE.
macro_rules! counted_batch {
    (Sqlite, $tx:expr, $plan:expr) => {
        if !$plan.dry_run && !$plan.full_states && !$plan.keys && $plan.request.is_none() {
            let ids = json_array($plan.ids);
            let owned: i64 = sqlx::query(SQLITE_OWNED_STATEMENT)
                .bind(&ids)
                .bind($plan.user_id)
                .fetch_one(&mut *$tx)
                .await?
                .try_get(0)?;
            let owned = usize::try_from(owned).unwrap_or(0);
            if owned != $plan.ids.len() {
                let missing = $plan.ids.len().saturating_sub(owned);
                return Ok(InTransaction::Refused(StoreError::TokensNotFound {
                    missing,
                }));
            }
            let sql = sqlite_counted_update_statement(
                $plan.fields,
                clears_auto_settings($plan),
                $plan.now,
            );
            let query = bind_values!(sqlx::query(&sql), $plan.fields, $plan.values)
                .bind(&ids)
                .bind($plan.user_id);
            let changed = query.execute(&mut *$tx).await?.rows_affected() as usize;
            return Ok(InTransaction::Done(AppliedBatch {
                changes: Vec::new(),
                changed,
                unchanged: owned - changed.min(owned),
                replayed: false,
            }));
        }
    };
    ($engine:ident, $tx:expr, $plan:expr) => {};
}

/// One batch inside an open transaction: lock and read the rows in id order, then either replay an earlier
/// batch with the same request id, or compute every change and write each distinct change with one UPDATE
/// per chunk. Errors are database errors that spoil the transaction; refusals are not.
macro_rules! batch_in_transaction {
    ($engine:ident, $tx:expr, $d:expr, $plan:expr) => {
        async {
            let plan = $plan;
            let d = $d;
            counted_batch!($engine, $tx, plan);
            let rows = read_rows!($engine, $tx, d, plan);
            let request = plan.request.filter(|_| !plan.dry_run);
            if let Some(request) = request {
                // Looked up after the rows are locked: a concurrent retry of the same batch waits for the
                // first to commit, then sees its record (READ COMMITTED on PostgreSQL and MySQL).
                if let Some(recorded) = find_request!($tx, d, plan, request) {
                    return Ok(match requests::replay(recorded, request) {
                        Ok(changes) => InTransaction::Done(AppliedBatch::from_changes(changes, true)),
                        Err(refused) => InTransaction::Refused(refused),
                    });
                }
            }
            let changes = match compute_changes(plan, rows) {
                Ok(changes) => changes,
                Err(refused) => return Ok(InTransaction::Refused(refused)),
            };
            if !plan.dry_run {
                write_changes!($engine, $tx, d, plan, &changes);
                if let Some(request) = request {
                    record_request!($tx, d, plan, request, &changes);
                }
            }
            Ok::<InTransaction, StoreError>(InTransaction::Done(AppliedBatch::from_changes(
                changes, false,
            )))
        }
        .await
    };
}

/// The whole batch for one engine, in a transaction that is already open, committed unless it is a dry
/// run, a replay or refused.
macro_rules! run_batch {
    ($engine:ident, $tx:expr, $d:expr, $plan:expr) => {
        run_batch!(
            $engine,
            $tx,
            $d,
            $plan,
            &std::sync::atomic::AtomicBool::new(false)
        )
    };
    // `$committing` is set once the COMMIT is on its way: a failure from then on leaves the outcome unknown.
    ($engine:ident, $tx:expr, $d:expr, $plan:expr, $committing:expr) => {{
        let plan = $plan;
        match batch_in_transaction!($engine, $tx, $d, plan)? {
            InTransaction::Done(applied) => {
                // A replay wrote nothing: its transaction is simply dropped (rolled back).
                if !plan.dry_run && !applied.replayed {
                    $committing.store(true, std::sync::atomic::Ordering::Relaxed);
                    $tx.commit().await?;
                }
                Ok(applied)
            }
            InTransaction::Refused(refused) => Err(refused),
        }
    }};
}

/// How often a batch rolled back by a deadlock or serialization failure is tried in all.
const MAX_ATTEMPTS: u64 = 5;

impl Store {
    /// Applies `plan`: either every token changes or none does. Tokens that do not exist, are soft-deleted or
    /// belong to another user fail the whole batch with [`StoreError::TokensNotFound`]. Rows are locked in id
    /// order (PostgreSQL and MySQL `FOR UPDATE`, SQLite's single writer), so overlapping batches serialize
    /// instead of deadlocking.
    pub async fn apply_batch(&self, plan: &BatchPlan<'_>) -> Result<AppliedBatch, StoreError> {
        if let Some(field) = plan.fields.iter().find(|field| !plan.values.has(*field)) {
            // The rules guarantee a value for every written field; writing NULL instead would corrupt rows.
            return Err(StoreError::Data(format!(
                "no value given for {}",
                field.name()
            )));
        }
        let unstorable =
            crate::charset::first_unstorable(&self.column_charsets, plan.fields, plan.values);
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
            Pool::Sqlite(pool) => match (plan.dry_run, &self.sqlite_writer) {
                (false, Some(writer)) => writer.apply(plan).await,
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

/// SQLite's writer: every batch that writes goes through one task, which runs the batches waiting at that
/// moment in one `BEGIN IMMEDIATE` transaction, one after the other, and answers each once that transaction
/// is committed (group commit). SQLite has one writer at a time anyway; what the group saves is the commit, a
/// write and fsync of the WAL each, which bounded the service at a few thousand small batches a second. Every
/// batch is still all or nothing, each sees the ones before it, and none is answered before its commit is
/// on disk (`synchronous` stays FULL).
#[derive(Clone)]
pub(crate) struct SqliteWriter {
    queue: mpsc::Sender<WriteJob>,
}

/// A group stops growing at this many batches or ids, so that one transaction stays short.
const MAX_GROUP_BATCHES: usize = 64;
const MAX_GROUP_IDS: usize = 20_000;

/// A batch handed to the writer, with everything it borrows copied.
struct WriteJob {
    user_id: i64,
    ids: Vec<i64>,
    fields: FieldSet,
    values: Patch,
    now: i64,
    keys: bool,
    full_states: bool,
    /// Request id and fingerprint.
    request: Option<(String, String)>,
    reply: oneshot::Sender<Result<AppliedBatch, StoreError>>,
}

impl WriteJob {
    fn plan(&self) -> BatchPlan<'_> {
        BatchPlan {
            user_id: self.user_id,
            ids: &self.ids,
            fields: self.fields,
            values: &self.values,
            now: self.now,
            dry_run: false,
            keys: self.keys,
            full_states: self.full_states,
            request: self
                .request
                .as_ref()
                .map(|(request_id, fingerprint)| RequestKey {
                    request_id,
                    fingerprint,
                }),
        }
    }
}

impl SqliteWriter {
    /// Starts the writer task on the current runtime; it ends when the last [`Store`] clone is dropped.
    pub(crate) fn start(pool: SqlitePool) -> SqliteWriter {
        let (queue, jobs) = mpsc::channel(1024);
        tokio::spawn(write_loop(pool, jobs));
        SqliteWriter { queue }
    }

    async fn apply(&self, plan: &BatchPlan<'_>) -> Result<AppliedBatch, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = WriteJob {
            user_id: plan.user_id,
            ids: plan.ids.to_vec(),
            fields: plan.fields,
            values: plan.values.clone(),
            now: plan.now,
            keys: plan.keys,
            full_states: plan.full_states,
            request: plan
                .request
                .map(|key| (key.request_id.to_owned(), key.fingerprint.to_owned())),
            reply,
        };
        let stopped = || StoreError::Unavailable(sqlx::Error::WorkerCrashed);
        self.queue.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn write_loop(pool: SqlitePool, mut queue: mpsc::Receiver<WriteJob>) {
    let mut jobs = Vec::with_capacity(MAX_GROUP_BATCHES);
    while let Some(first) = queue.recv().await {
        let mut ids = first.ids.len();
        jobs.push(first);
        while jobs.len() < MAX_GROUP_BATCHES && ids < MAX_GROUP_IDS {
            match queue.try_recv() {
                Ok(job) => {
                    ids += job.ids.len();
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
                    // gone: every batch would wait as long again on its own. Nothing was committed.
                    let reason = error.to_string();
                    jobs.iter()
                        .map(|_| {
                            Err(StoreError::Unavailable(sqlx::Error::Protocol(
                                reason.clone(),
                            )))
                        })
                        .collect()
                }
                Err(error) => {
                    // Nothing of the group was committed. Run each batch in a transaction of its own, so that
                    // each gets its own outcome and one failing batch cannot fail the others.
                    tracing::debug!(%error, batches = jobs.len(), "group transaction failed; batches run one by one");
                    let mut results = Vec::with_capacity(jobs.len());
                    for job in &jobs {
                        results.push(run_alone(&pool, job).await);
                    }
                    results
                }
            },
        };
        for (job, result) in jobs.drain(..).zip(results) {
            // A caller that went away no longer wants the answer; its batch is committed all the same.
            let _ = job.reply.send(result);
        }
    }
}

/// One batch in a transaction of its own. IMMEDIATE takes the write lock before the read, so the rows read
/// are the rows written.
async fn run_alone(pool: &SqlitePool, job: &WriteJob) -> Result<AppliedBatch, StoreError> {
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

/// Several batches in one transaction, in queue order. A batch refused before it writes anything (tokens not
/// found, request id reused) gets its error and the others go on; any database error fails the whole group,
/// which then was not committed.
async fn run_group(
    pool: &SqlitePool,
    jobs: &[WriteJob],
) -> Result<Vec<Result<AppliedBatch, StoreError>>, StoreError> {
    let mut connection = pool.acquire().await?;
    let outcome = async {
        let mut tx = sqlx::Connection::begin_with(&mut *connection, "BEGIN IMMEDIATE").await?;
        let mut results = Vec::with_capacity(jobs.len());
        for job in jobs {
            let plan = &job.plan();
            results.push(
                match batch_in_transaction!(Sqlite, tx, Dialect::Sqlite, plan)? {
                    InTransaction::Done(applied) => Ok(applied),
                    InTransaction::Refused(refused) => Err(refused),
                },
            );
        }
        tx.commit().await?;
        Ok(results)
    }
    .await;
    forget_if_spoiled(&mut connection, &outcome);
    outcome
}

/// Locks the requested rows through the primary key alone, in id order. Ownership and soft delete are checked
/// on the locked rows rather than in the WHERE clause: a condition on `user_id` lets MySQL walk the user_id
/// index instead, taking next-key locks on every token of the user, and overlapping batches then deadlock.
fn select_statement(d: Dialect, count: usize, lock: bool, keys: bool) -> String {
    d.sql(&format!(
        "SELECT {id}, {user_id}, {live}, {key}, {auto}, {state} FROM {table} WHERE {filter} ORDER BY id{lock}",
        table = d.tokens_by_primary_key(),
        id = d.integer("id", 0),
        user_id = d.integer("user_id", 0),
        live = d.integer("CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END", 0),
        key = key_column(d, "", keys),
        auto = auto_settings_column(d, ""),
        state = state_columns(d),
        filter = d.id_filter(count),
        lock = if lock { d.lock_rows() } else { "" },
    ))
}

/// One row as the batch reads it: who owns it, whether it is live, its key and its values.
struct LockedRow {
    id: i64,
    user_id: i64,
    live: bool,
    key: String,
    /// `cross_group_retry` is set or `auto_groups` is not empty (see [`BatchChange::cleared_auto_settings`]).
    auto_settings: bool,
    state: TokenState,
}

impl LockedRow {
    /// A row of [`select_statement`].
    fn from_row<R: Row>(row: &R) -> Result<LockedRow, StoreError>
    where
        for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        usize: sqlx::ColumnIndex<R>,
    {
        Ok(LockedRow {
            id: row.try_get(0)?,
            user_id: row.try_get(1)?,
            live: row.try_get::<i64, _>(2)? == 1,
            key: row.try_get(3)?,
            auto_settings: row.try_get::<i64, _>(4)? == 1,
            state: state_from_row(row, 5)?,
        })
    }
}

/// [`select_statement`]'s columns, one JSON array per row, all rows in one JSON array: a single value.
/// Without `full_states`, columns the plan does not write are not read: constants of the same type stand in for
/// them (the layout stays the same), which leaves them equal, hence unchanged, in `before` and `after`. The
/// status always follows from the expiry and the quota, so those are always read.
fn sqlite_select_statement(keys: bool, full_states: bool, written: FieldSet) -> String {
    let d = Dialect::Sqlite;
    let state = match full_states {
        true => state_columns(d),
        false => {
            let column =
                |field: Field, expression: String, absent: &str| match written.contains(field) {
                    true => expression,
                    false => absent.to_owned(),
                };
            format!(
                "{status}, {group}, {expired}, {remain}, {unlimited}, {models}, {models_enabled}, {ips}, \
                 {mj_mode}, {mj_proxy}",
                status = d.integer("status", 1),
                group = column(Field::Group, d.text(&d.quote("group")), "''"),
                expired = d.integer("expired_time", -1),
                remain = d.integer("remain_quota", 0),
                unlimited = d.boolean("unlimited_quota"),
                models = column(Field::ModelLimits, d.text("model_limits"), "''"),
                models_enabled = column(
                    Field::ModelLimitsEnabled,
                    d.boolean("model_limits_enabled"),
                    "0"
                ),
                ips = column(Field::AllowIps, d.text("allow_ips"), "''"),
                mj_mode = column(Field::MjImageMode, d.text("mj_image_mode"), "''"),
                mj_proxy = column(Field::MjCustomProxy, d.text("mj_custom_proxy"), "''"),
            )
        }
    };
    // Walking the (ascending) id list and looking each row up by primary key is cheaper than `id IN (…)`,
    // which first builds an index of the list. `t.` because json_each has `id` and `key` columns too.
    // Whether the row holds auto-only settings matters only when the group is written.
    let auto = match written.contains(Field::Group) {
        true => auto_settings_column(d, "t."),
        false => "0".to_owned(),
    };
    format!(
        "SELECT json_group_array(json_array({id}, {user_id}, {live}, {key}, {auto}, {state})) \
         FROM json_each(?) AS j JOIN tokens AS t ON t.id = j.value",
        id = d.integer("t.id", 0),
        user_id = d.integer("t.user_id", 0),
        live = d.integer("CASE WHEN t.deleted_at IS NULL THEN 1 ELSE 0 END", 0),
        key = key_column(d, "t.", keys),
    )
}

/// 1 when the token's `cross_group_retry` is set or its `auto_groups` is not empty, else 0.
fn auto_settings_column(d: Dialect, table: &str) -> String {
    let condition = format!(
        "CASE WHEN {retry} <> 0 OR {groups} <> '' THEN 1 ELSE 0 END",
        retry = d.boolean(&format!("{table}cross_group_retry")),
        groups = d.text(&format!("{table}auto_groups")),
    );
    d.integer(&condition, 0)
}

/// The key column, or an empty text when the caller does not need keys.
fn key_column(d: Dialect, table: &str, keys: bool) -> String {
    match keys {
        true => d.text(&format!("{table}{}", d.quote("key"))),
        false => "''".to_owned(),
    }
}

/// The rows of [`sqlite_select_statement`]: id, user_id, live, key, auto settings, then [`state_columns`] in
/// order.
fn unpack_sqlite_rows(packed: &str) -> Result<Vec<LockedRow>, StoreError> {
    let mut reader = PackedReader::new(packed);
    let mut rows = Vec::with_capacity(packed.len() / 48);
    reader.expect(b'[')?;
    let mut more = !reader.eat(b']');
    while more {
        reader.expect(b'[')?;
        // Every value but the last is followed by a comma.
        let integer = |reader: &mut PackedReader<'_>| {
            let value = reader.integer()?;
            reader.expect(b',')?;
            Ok::<i64, StoreError>(value)
        };
        let text = |reader: &mut PackedReader<'_>| {
            let value = reader.string()?;
            reader.expect(b',')?;
            Ok::<String, StoreError>(value)
        };
        let id = integer(&mut reader)?;
        let user_id = integer(&mut reader)?;
        let live = integer(&mut reader)?;
        let key = text(&mut reader)?;
        let auto_settings = integer(&mut reader)?;
        let status = integer(&mut reader)?;
        let group = text(&mut reader)?;
        let expired_time = integer(&mut reader)?;
        let remain_quota = integer(&mut reader)?;
        let unlimited_quota = integer(&mut reader)?;
        let model_limits = text(&mut reader)?;
        let model_limits_enabled = integer(&mut reader)?;
        let allow_ips = text(&mut reader)?;
        let mj_image_mode = text(&mut reader)?;
        let mj_custom_proxy = reader.string()?;
        reader.expect(b']')?;
        rows.push(LockedRow {
            id,
            user_id,
            live: live == 1,
            key,
            auto_settings: auto_settings == 1,
            state: TokenState {
                status,
                group,
                expired_time,
                remain_quota,
                unlimited_quota: unlimited_quota != 0,
                model_limits,
                model_limits_enabled: model_limits_enabled != 0,
                allow_ips,
                mj_image_mode,
                mj_custom_proxy,
            },
        });
        more = reader.eat(b',');
        if !more {
            reader.expect(b']')?;
        }
    }
    reader.finish()?;
    // The engine may visit the ids in any order; changes are reported in id order on every engine.
    rows.sort_unstable_by_key(|row| row.id);
    Ok(rows)
}

fn compute_changes(
    plan: &BatchPlan<'_>,
    rows: Vec<LockedRow>,
) -> Result<Vec<BatchChange>, StoreError> {
    let mut changes = Vec::with_capacity(rows.len());
    let clears = clears_auto_settings(plan);
    for row in rows {
        if !(row.user_id == plan.user_id && row.live) {
            continue;
        }
        let after = row.state.apply(plan.fields, plan.values, plan.now);
        changes.push(BatchChange {
            id: row.id,
            key: row.key,
            before: row.state,
            after,
            cleared_auto_settings: clears && row.auto_settings,
        });
    }
    if changes.len() != plan.ids.len() {
        return Err(StoreError::TokensNotFound {
            missing: plan.ids.len() - changes.len(),
        });
    }
    Ok(changes)
}

/// Rows that change, grouped by the status they end in: every group is one UPDATE of identical values.
fn changed_ids_by_status(changes: &[BatchChange]) -> BTreeMap<i64, Vec<i64>> {
    let mut groups: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for change in changes.iter().filter(|change| change.changed()) {
        groups
            .entry(change.after.status)
            .or_default()
            .push(change.id);
    }
    groups
}

/// How many of the ids (a JSON array) are live tokens of the user. CROSS JOIN makes SQLite walk the id list
/// and look each token up by primary key: left to itself, it walked the user's tokens by
/// `idx_tokens_user_id` and the whole list for each (4 s for 10 000 ids).
const SQLITE_OWNED_STATEMENT: &str =
    "SELECT COUNT(*) FROM json_each(?1) AS j CROSS JOIN tokens AS t ON t.id = j.value \
     WHERE t.user_id = ?2 AND t.deleted_at IS NULL";

/// [`counted_batch`]'s UPDATE. Placeholders: `?1`… the values of `fields` in order, then the ids (a JSON
/// array), then the user id. With `clear_auto`, `cross_group_retry` and `auto_groups` are cleared too, and a
/// row that held either counts as changed (see [`BatchChange::cleared_auto_settings`]). Each column is compared as the batch reads it ([`state_columns`]), and the
/// status follows [`TokenState::apply`]'s rules (`tokenbatch_rules::apply`), written here in SQL: the store's
/// test `sqlite_counted_batches_agree_with_the_rules` checks both ways against each other on every status,
/// expiry and quota the rules tell apart.
fn sqlite_counted_update_statement(fields: FieldSet, clear_auto: bool, now: i64) -> String {
    let d = Dialect::Sqlite;
    let current = |field: Field| match field {
        Field::Group => d.text(&d.quote("group")),
        Field::ExpiredTime => d.integer("expired_time", -1),
        Field::RemainQuota => d.integer("remain_quota", 0),
        Field::UnlimitedQuota => format!("({} <> 0)", d.boolean("unlimited_quota")),
        Field::ModelLimits => d.text("model_limits"),
        Field::ModelLimitsEnabled => format!("({} <> 0)", d.boolean("model_limits_enabled")),
        Field::AllowIps => d.text("allow_ips"),
        Field::MjImageMode => d.text("mj_image_mode"),
        Field::MjCustomProxy => d.text("mj_custom_proxy"),
    };
    let placeholder = |field: Field| {
        fields
            .iter()
            .position(|written| written == field)
            .map(|index| format!("?{}", index + 1))
    };
    let after = |field: Field| placeholder(field).unwrap_or_else(|| current(field));
    let expired = format!(
        "({expiry} <> -1 AND {expiry} <= {now})",
        expiry = after(Field::ExpiredTime)
    );
    let exhausted = format!(
        "({unlimited} = 0 AND {quota} <= 0)",
        unlimited = after(Field::UnlimitedQuota),
        quota = after(Field::RemainQuota)
    );
    let expiry_written = fields.contains(Field::ExpiredTime);
    let quota_written =
        fields.contains(Field::RemainQuota) || fields.contains(Field::UnlimitedQuota);
    let status = d.integer("status", 1);
    let mut arms = Vec::new();
    if expiry_written {
        arms.push(format!("WHEN {status} = 1 AND {expired} THEN 3"));
        arms.push(format!(
            "WHEN {status} = 3 AND NOT {expired} THEN CASE WHEN {exhausted} THEN 4 ELSE 1 END"
        ));
    }
    if quota_written {
        arms.push(format!(
            "WHEN {status} = 4 AND NOT {exhausted} THEN CASE WHEN {expired} THEN 3 ELSE 1 END"
        ));
    }
    if expiry_written {
        arms.push(format!("WHEN {status} = 4 AND {expired} THEN 3"));
    }
    let next_status = match arms.is_empty() {
        true => status.clone(),
        false => format!("CASE {} ELSE {status} END", arms.join(" ")),
    };
    let mut assignments: Vec<String> = Vec::new();
    let mut differences: Vec<String> = Vec::new();
    for field in fields.iter() {
        let value = placeholder(field).expect("a written field has a placeholder");
        assignments.push(format!("{} = {value}", d.quote(field.name())));
        differences.push(format!("{} IS NOT {value}", current(field)));
    }
    assignments.push(format!("status = {next_status}"));
    differences.push(format!("{status} IS NOT {next_status}"));
    if clear_auto {
        assignments.extend(AUTO_SETTINGS_CLEARED.map(str::to_owned));
        differences.push(format!("{} = 1", auto_settings_column(d, "")));
    }
    format!(
        "UPDATE tokens SET {} WHERE id IN (SELECT value FROM json_each(?{ids})) AND user_id = ?{user} \
         AND deleted_at IS NULL AND ({})",
        assignments.join(", "),
        differences.join(" OR "),
        ids = fields.len() + 1,
        user = fields.len() + 2,
    )
}

/// The assignments that clear a token's auto-only settings (FALSE is 0 in SQLite and MySQL).
const AUTO_SETTINGS_CLEARED: [&str; 2] = ["cross_group_retry = FALSE", "auto_groups = ''"];

fn update_statement(d: Dialect, fields: FieldSet, clear_auto: bool, count: usize) -> String {
    let mut assignments: Vec<String> = fields
        .iter()
        .map(|field| format!("{} = ?", d.quote(field.name())))
        .collect();
    assignments.push("status = ?".to_owned());
    if clear_auto {
        // Constants, after every placeholder: the binding order stays the same.
        assignments.extend(AUTO_SETTINGS_CLEARED.map(str::to_owned));
    }
    // Only rows locked and checked above are named, by primary key (see select_statement).
    d.sql(&format!(
        "UPDATE {} SET {} WHERE {}",
        d.tokens_by_primary_key(),
        assignments.join(", "),
        d.id_filter(count)
    ))
}

fn json_array(ids: &[i64]) -> String {
    let mut text = String::with_capacity(ids.len() * 8 + 2);
    text.push('[');
    for (index, id) in ids.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        text.push_str(&id.to_string());
    }
    text.push(']');
    text
}
