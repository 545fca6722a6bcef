//! The batch update: one transaction, set-based, all or nothing.
//!
//! - [`plan`]: what the caller asks ([`BatchPlan`]); what it gets back lives in [`crate::change`].
//! - `engine`: the steps of a batch as macros, instantiated once per engine.
//! - [`retry`]: [`crate::Store::apply_batch`], its deadline and its retry after a deadlock.
//! - [`writer`]: SQLite's group-commit writer.
//! - [`sql`], [`rows`], [`counted`]: the statements, the rows read back (SQLite's packed form), and SQLite's
//!   counted UPDATE with its SQL copy of the status rules.

use std::collections::BTreeMap;

use tokenbatch_rules::Field;

use crate::{AppliedBatch, BatchChange, StoreError};

#[macro_use]
mod engine;
#[macro_use]
mod plan_steps;
mod counted;
mod plan;
mod retry;
mod rows;
mod sql;
mod writer;

pub use plan::BatchPlan;
pub(crate) use writer::SqliteWriter;

pub(crate) use rows::LockedRow;

/// new-api's pseudo-group, resolved per request; the only group `cross_group_retry` and `auto_groups` apply to.
const AUTO_GROUP: &str = "auto";

/// Whether the plan writes a group other than `auto`, and so clears `cross_group_retry` and `auto_groups`.
fn clears_auto_settings(plan: &BatchPlan<'_>) -> bool {
    plan.fields().contains(Field::Group) && plan.values().group.as_deref() != Some(AUTO_GROUP)
}

/// How one batch ended inside a transaction that stays open.
enum InTransaction {
    /// Written (or, in a dry run, computed), or an earlier batch's recorded changes (`replayed`, nothing
    /// written).
    Done(AppliedBatch),
    /// Refused before writing anything (tokens not found, request id reused); the transaction may go on.
    Refused(StoreError),
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
        let after = row.state.apply(plan.fields(), plan.values(), plan.now);
        changes.push(BatchChange {
            id: row.id,
            key: row.key,
            before: row.state,
            after,
            cleared_auto_settings: clears && row.auto_settings,
        });
    }
    if changes.len() != plan.ids().len() {
        return Err(StoreError::TokensNotFound {
            missing: plan.ids().len() - changes.len(),
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
