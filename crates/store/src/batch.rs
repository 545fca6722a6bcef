//! The batch update: one transaction, set-based, all or nothing.

use std::collections::BTreeMap;

use sqlx::Row;
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Field, FieldSet, Patch};

use crate::dialect::Dialect;
use crate::records::{state_columns, state_from_row};
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
}

/// One token of a batch, before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchChange {
    pub id: i64,
    /// The token's key in full, needed after commit to drop new-api's cache entry; never leaves the process.
    pub key: String,
    pub before: TokenState,
    pub after: TokenState,
}

impl BatchChange {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
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

/// The whole batch for one engine, inside a transaction that is already open: lock and read the rows in id
/// order, compute every change, write each distinct change with one UPDATE per chunk, commit.
macro_rules! run_batch {
    ($engine:ident, $tx:expr, $store:expr, $plan:expr) => {{
        let plan = $plan;
        let d = $store.dialect();
        let mut rows = Vec::with_capacity(plan.ids.len());
        for chunk in plan.ids.chunks(d.id_chunk()) {
            let sql = select_statement(d, chunk.len(), !plan.dry_run);
            let query = bind_ids!($engine, sqlx::query(&sql), chunk);
            rows.extend(query.fetch_all(&mut *$tx).await?);
        }
        let changes = compute_changes(plan, &rows)?;
        if !plan.dry_run {
            for (status, ids) in changed_ids_by_status(&changes) {
                for chunk in ids.chunks(d.id_chunk()) {
                    let sql = update_statement(d, plan.fields, chunk.len());
                    let query =
                        bind_values!(sqlx::query(&sql), plan.fields, plan.values).bind(status);
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
            $tx.commit().await?;
        }
        Ok(changes)
    }};
}

/// How often a batch rolled back by a deadlock or serialization failure is tried in all.
const MAX_ATTEMPTS: u64 = 5;

impl Store {
    /// Applies `plan`: either every token changes or none does. Tokens that do not exist, are soft-deleted or
    /// belong to another user fail the whole batch with [`StoreError::TokensNotFound`]. Rows are locked in id
    /// order (PostgreSQL and MySQL `FOR UPDATE`, SQLite's single writer), so overlapping batches serialize
    /// instead of deadlocking.
    pub async fn apply_batch(&self, plan: &BatchPlan<'_>) -> Result<Vec<BatchChange>, StoreError> {
        if let Some(field) = plan.fields.iter().find(|field| !plan.values.has(*field)) {
            // The rules guarantee a value for every written field; writing NULL instead would corrupt rows.
            return Err(StoreError::Data(format!(
                "no value given for {}",
                field.name()
            )));
        }
        let mut attempt = 1;
        loop {
            match self.apply_batch_once(plan).await {
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

    async fn apply_batch_once(&self, plan: &BatchPlan<'_>) -> Result<Vec<BatchChange>, StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let _writer = match plan.dry_run {
                    true => None,
                    false => Some(self.write_gate.lock().await),
                };
                // IMMEDIATE takes the write lock before the read, so the rows read are the rows written.
                let mut tx = match plan.dry_run {
                    true => pool.begin().await?,
                    false => pool.begin_with("BEGIN IMMEDIATE").await?,
                };
                run_batch!(Sqlite, tx, self, plan)
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                run_batch!(Postgres, tx, self, plan)
            }
            Pool::MySql(pool) => {
                let mut tx = pool.begin().await?;
                run_batch!(MySql, tx, self, plan)
            }
        }
    }
}

/// Locks the requested rows through the primary key alone, in id order. Ownership and soft delete are checked
/// on the locked rows rather than in the WHERE clause: a condition on `user_id` lets MySQL walk the user_id
/// index instead, taking next-key locks on every token of the user, and overlapping batches then deadlock.
fn select_statement(d: Dialect, count: usize, lock: bool) -> String {
    d.sql(&format!(
        "SELECT {id}, {user_id}, {live}, {key}, {state} FROM {table} WHERE {filter} ORDER BY id{lock}",
        table = d.tokens_by_primary_key(),
        id = d.integer("id", 0),
        user_id = d.integer("user_id", 0),
        live = d.integer("CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END", 0),
        key = d.text(&d.quote("key")),
        state = state_columns(d),
        filter = d.id_filter(count),
        lock = if lock { d.lock_rows() } else { "" },
    ))
}

fn compute_changes<R: Row>(plan: &BatchPlan<'_>, rows: &[R]) -> Result<Vec<BatchChange>, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        let owned = row.try_get::<i64, _>(1)? == plan.user_id;
        let live = row.try_get::<i64, _>(2)? == 1;
        if !(owned && live) {
            continue;
        }
        let before = state_from_row(row, 4)?;
        let after = before.apply(plan.fields, plan.values, plan.now);
        changes.push(BatchChange {
            id: row.try_get(0)?,
            key: row.try_get(3)?,
            before,
            after,
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

fn update_statement(d: Dialect, fields: FieldSet, count: usize) -> String {
    let mut assignments: Vec<String> = fields
        .iter()
        .map(|field| format!("{} = ?", d.quote(field.name())))
        .collect();
    assignments.push("status = ?".to_owned());
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
