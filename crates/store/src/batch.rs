//! The batch update: one transaction, set-based, all or nothing.
//!
//! - [`plan`]: what the caller asks ([`BatchPlan`]); what it gets back lives in [`crate::change`].
//! - `engine`: the steps of a batch as macros, instantiated once per engine (SQLite's counted batch in
//!   `counted_steps`).
//! - [`retry`]: [`crate::Store::apply_batch`], its deadline and its retry after a deadlock.
//! - [`writer`]: SQLite's group-commit writer, and [`writer_jobs`] what it is handed (batches, reverts).
//! - [`sql`], [`rows`], [`counted`]: the statements, the rows read back (SQLite's packed form), and SQLite's
//!   counted UPDATE with its SQL copy of the status rules; [`counted_one_call`]: that batch in one call to
//!   SQLite's worker thread.

use std::collections::BTreeMap;

use tokenbatch_rules::operation::{Operation, TokenOutcome};
use tokenbatch_rules::{Field, Value};

use crate::dialect::Dialect;
use crate::history::values::{Recorded, Stored};
use crate::{AppliedBatch, BatchChange, StoreError};

#[macro_use]
mod engine;
#[macro_use]
mod plan_steps;
#[macro_use]
mod history_steps;
#[macro_use]
pub(crate) mod one_call_writes;
#[macro_use]
mod revert_steps;
#[macro_use]
mod counted_steps;
mod counted;
#[cfg(test)]
mod counted_agrees;
mod counted_history;
pub(crate) mod counted_one_call;
mod plan;
#[cfg(test)]
mod query_plans;
mod retry;
mod revert;
mod rows;
pub(crate) mod sql;
mod writer;
mod writer_jobs;

pub use plan::{BatchPlan, Owners};
pub(crate) use writer::SqliteWriter;

pub(crate) use rows::LockedRow;

/// new-api's pseudo-group, resolved per request; the only group `cross_group_retry` and `auto_groups` apply to.
const AUTO_GROUP: &str = "auto";

/// Whether the plan writes the group to one value for every token, other than `auto`, and so clears
/// `cross_group_retry` and `auto_groups` on every token it writes. With a group operation it depends on each
/// token's resulting group instead ([`compute_changes`]); the counted path does not take those.
fn clears_auto_settings(plan: &BatchPlan<'_>) -> bool {
    plan.fields().contains(Field::Group)
        && !plan.batch.ops().has(Field::Group)
        && plan.values().group.as_deref() != Some(AUTO_GROUP)
}

/// How one batch ended inside a transaction that stays open.
enum InTransaction {
    /// Written (or, in a dry run, computed), or an earlier batch's recorded changes (`replayed`, nothing
    /// written).
    Done(AppliedBatch),
    /// Refused before writing anything (tokens not found, request id reused); the transaction may go on.
    Refused(StoreError),
}

/// Every token's change, computed from its locked row by the rules ([`TokenState::edit`]); refused as a
/// whole when a requested token is not the user's live token, or when any token's result is out of bounds
/// (counted per kind, so the refusal says how many).
///
/// [`TokenState::edit`]: tokenbatch_rules::apply::TokenState::edit
fn compute_changes(
    plan: &BatchPlan<'_>,
    rows: Vec<LockedRow>,
) -> Result<Vec<BatchChange>, StoreError> {
    let mut changes = Vec::with_capacity(rows.len());
    let mut refused: BTreeMap<TokenOutcome, usize> = BTreeMap::new();
    let writes_group = plan.fields().contains(Field::Group);
    for row in rows {
        if !(plan.owns(row.user_id) && row.live) {
            continue;
        }
        match row.state.edit(plan.batch, plan.now) {
            Ok(after) => changes.push(BatchChange {
                id: row.id,
                key: row.key,
                cleared_auto_settings: writes_group
                    && row.auto_settings
                    && after.group != AUTO_GROUP,
                before: row.state,
                after,
            }),
            Err(outcome) => *refused.entry(outcome).or_default() += 1,
        }
    }
    let found = changes.len() + refused.values().sum::<usize>();
    if found != plan.ids().len() {
        return Err(StoreError::TokensNotFound {
            missing: plan.ids().len() - found,
        });
    }
    if !refused.is_empty() {
        return Err(StoreError::OutOfBounds(refused.into_iter().collect()));
    }
    Ok(changes)
}

/// What one UPDATE writes beside the batch's common values: the final status and whether the group's
/// auto-only settings are cleared. Absolute values and numeric operations are the same for every row, the
/// latter computed by the statement from each row's own value; list results are each token's own, carried
/// beside its id ([`crate::per_token`]).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct WriteKey {
    pub(crate) status: i64,
    pub(crate) clear_auto: bool,
}

/// Rows that change, grouped by what their UPDATE writes (one statement per group and chunk), each with its
/// list results in [`list_operated`] order (none without list operations). Grouped by distinct list result
/// instead, tokens that each hold a list of their own would cost one UPDATE each.
fn changed_rows_by_write(
    plan: &BatchPlan<'_>,
    changes: &[BatchChange],
) -> BTreeMap<WriteKey, Vec<(i64, Vec<Stored>)>> {
    let listed: Vec<Field> = list_operated(plan).collect();
    let mut groups: BTreeMap<WriteKey, Vec<(i64, Vec<Stored>)>> = BTreeMap::new();
    for change in changes.iter().filter(|change| change.changed()) {
        let lists = listed
            .iter()
            .map(|field| match change.after.get(*field) {
                Value::Text(text) => Stored::Text(text.to_owned()),
                _ => Stored::Text(String::new()),
            })
            .collect();
        let key = WriteKey {
            status: change.after.status,
            // A row that held no auto-only settings gives the same result either way.
            clear_auto: change.cleared_auto_settings || clears_auto_settings(plan),
        };
        groups.entry(key).or_default().push((change.id, lists));
    }
    groups
}

/// What the history of an applied batch records (`history_rows!`), before its change set is inserted.
pub(crate) struct ToRecord<'a> {
    pub(crate) entry: crate::history::HistoryEntry<'a>,
    pub(crate) changed: usize,
    pub(crate) unchanged: usize,
    /// The changed tokens' rows, in token order.
    pub(crate) rows: Vec<crate::history::values::TokenRow>,
}

/// The list-operated fields as recorded columns, in [`list_operated`] order: the per-token values a write
/// group's rows carry (none without list operations).
pub(crate) fn list_columns(plan: &BatchPlan<'_>) -> Vec<Recorded> {
    list_operated(plan).map(Recorded::Field).collect()
}

/// The UPDATE of one write group's `count` rows: the shared values and the ids, or with list operations
/// ([`list_columns`] not empty) each token's own results beside its id ([`crate::per_token`]).
pub(crate) fn write_group_statement(
    d: Dialect,
    plan: &BatchPlan<'_>,
    key: &WriteKey,
    columns: &[Recorded],
    count: usize,
) -> String {
    if columns.is_empty() {
        return sql::update_statement(d, plan.fields(), plan.batch.ops(), key.clear_auto, count);
    }
    let shared = sql::write_assignments(d, plan.fields(), plan.batch.ops(), key.clear_auto);
    crate::per_token::update_statement(d, &shared, columns, count)
}

/// What `bind_write_group!` binds for a chunk of a write group: its ids, and with list columns each row's
/// results beside its id (empty without).
pub(crate) fn group_binds<'a>(
    chunk: &'a [(i64, Vec<Stored>)],
    columns: &[Recorded],
) -> (Vec<i64>, Vec<(i64, Vec<&'a Stored>)>) {
    let ids = chunk.iter().map(|(id, _)| *id).collect();
    let view = match columns.is_empty() {
        true => Vec::new(),
        false => chunk
            .iter()
            .map(|(id, values)| (*id, values.iter().collect()))
            .collect(),
    };
    (ids, view)
}

/// Every UPDATE of locked rows must write each of them: a difference is a bug, and fails the batch (rolled
/// back) rather than leave the rows, the answer and the history disagreeing.
pub(crate) fn all_written(affected: u64, locked: usize) -> Result<(), StoreError> {
    match affected == locked as u64 {
        true => Ok(()),
        false => Err(StoreError::Data(format!(
            "updated {affected} rows where {locked} were locked"
        ))),
    }
}

/// The fields the plan writes through a list operation, in field order.
pub(crate) fn list_operated<'a>(plan: &BatchPlan<'a>) -> impl Iterator<Item = Field> + 'a {
    plan.batch
        .ops()
        .iter()
        .filter(|(_, operation)| matches!(operation, Operation::List { .. }))
        .map(|(field, _)| field)
}
