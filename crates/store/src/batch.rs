//! The batch update: one transaction, set-based, all or nothing.

use std::collections::BTreeMap;

use sqlx::sqlite::{Sqlite, SqliteArguments};
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

impl Store {
    /// Applies `plan`: either every token changes or none does. Tokens that do not exist, are soft-deleted or
    /// belong to another user fail the whole batch with [`StoreError::TokensNotFound`].
    pub async fn apply_batch(&self, plan: &BatchPlan<'_>) -> Result<Vec<BatchChange>, StoreError> {
        if let Some(field) = plan.fields.iter().find(|field| !plan.values.has(*field)) {
            // The rules guarantee a value for every written field; writing NULL instead would corrupt rows.
            return Err(StoreError::Data(format!(
                "no value given for {}",
                field.name()
            )));
        }
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
                let ids = json_array(plan.ids);
                let select = format!(
                    "SELECT id, COALESCE({key}, ''), {state} FROM tokens \
                     WHERE user_id = ? AND deleted_at IS NULL AND id IN (SELECT value FROM json_each(?)) \
                     ORDER BY id",
                    key = Dialect::Sqlite.quote("key"),
                    state = state_columns(Dialect::Sqlite),
                );
                let rows = sqlx::query(&select)
                    .bind(plan.user_id)
                    .bind(&ids)
                    .fetch_all(&mut *tx)
                    .await?;
                let changes = compute_changes(plan, &rows)?;
                if !plan.dry_run {
                    for (status, ids) in changed_ids_by_status(&changes) {
                        let sql = update_statement(Dialect::Sqlite, plan.fields);
                        let query = bind_values(sqlx::query(&sql), plan.fields, plan.values)
                            .bind(status)
                            .bind(plan.user_id)
                            .bind(json_array(&ids));
                        let done = query.execute(&mut *tx).await?;
                        if done.rows_affected() != ids.len() as u64 {
                            return Err(StoreError::Data(format!(
                                "updated {} rows where {} were locked",
                                done.rows_affected(),
                                ids.len()
                            )));
                        }
                    }
                    tx.commit().await?;
                }
                Ok(changes)
            }
        }
    }
}

fn compute_changes<R: Row>(plan: &BatchPlan<'_>, rows: &[R]) -> Result<Vec<BatchChange>, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    if rows.len() != plan.ids.len() {
        return Err(StoreError::TokensNotFound {
            missing: plan.ids.len() - rows.len(),
        });
    }
    rows.iter()
        .map(|row| {
            let before = state_from_row(row, 2)?;
            let after = before.apply(plan.fields, plan.values, plan.now);
            Ok(BatchChange {
                id: row.try_get(0)?,
                key: row.try_get(1)?,
                before,
                after,
            })
        })
        .collect()
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

fn update_statement(dialect: Dialect, fields: FieldSet) -> String {
    let mut assignments: Vec<String> = fields
        .iter()
        .map(|field| format!("{} = ?", dialect.quote(field.name())))
        .collect();
    assignments.push("status = ?".to_owned());
    format!(
        "UPDATE tokens SET {} WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))",
        assignments.join(", ")
    )
}

type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

fn bind_values<'q>(
    mut query: SqliteQuery<'q>,
    fields: FieldSet,
    values: &'q Patch,
) -> SqliteQuery<'q> {
    for field in fields.iter() {
        query = match field {
            Field::Group => query.bind(values.group.as_deref()),
            Field::ExpiredTime => query.bind(values.expired_time),
            Field::RemainQuota => query.bind(values.remain_quota),
            Field::UnlimitedQuota => query.bind(values.unlimited_quota),
            Field::ModelLimits => query.bind(values.model_limits.as_deref()),
            Field::ModelLimitsEnabled => query.bind(values.model_limits_enabled),
            Field::AllowIps => query.bind(values.allow_ips.as_deref()),
            Field::MjImageMode => query.bind(values.mj_image_mode.as_deref()),
            Field::MjCustomProxy => query.bind(values.mj_custom_proxy.as_deref()),
        };
    }
    query
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
