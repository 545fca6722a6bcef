//! The public description of a batch to apply.

use tokenbatch_rules::{FieldSet, Patch};

use crate::requests::RequestKey;

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
