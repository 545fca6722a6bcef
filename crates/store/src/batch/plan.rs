//! The public description of a batch to apply.

use tokenbatch_rules::{FieldSet, Patch, ValidBatch};

use crate::history::HistoryEntry;
use crate::plans::PlanStep;
use crate::requests::RequestKey;

/// Whose tokens a batch may write (docs/SPEC.md §13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owners<'a> {
    /// The acting user's own tokens only: every batch but root's across users.
    Caller,
    /// Root's batch across users: tokens owned by one of these users (ascending), the distinct owners whose
    /// groups the caller checked. A row owned by anyone else when it is locked counts as not found, so a
    /// token given to another user between that check and the write is never written unchecked.
    Among(&'a [i64]),
}

/// A validated batch to apply for one user.
#[derive(Clone, Copy, Debug)]
pub struct BatchPlan<'a> {
    /// The acting user: the plan's, the request id's and the history's user.
    pub user_id: i64,
    /// Whose tokens the batch may write.
    pub owners: Owners<'a>,
    /// What to write to which tokens. Only the rules build a [`ValidBatch`], so its ids are distinct and
    /// ascending (the order rows are locked in) and every field it writes has its value.
    pub batch: &'a ValidBatch,
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
    /// Plans (docs/SPEC.md §10, [`crate::plans`]): a dry run keeping what it read as a plan, or the apply of
    /// a stored plan, whose pinned ids must be the batch's ids. The apply refuses as a whole when a pinned
    /// token changed since the preview, and answers the recorded result once the plan is applied.
    pub plan: Option<PlanStep<'a>>,
    /// Records the batch in the history (docs/SPEC.md §12, [`crate::history`]) when it is applied and
    /// changes at least one token: never for a dry run, a replay or a refusal.
    pub history: Option<HistoryEntry<'a>>,
}

impl<'a> BatchPlan<'a> {
    /// Whether the batch's transaction is committed: it writes tokens, or (a dry run) keeps a plan.
    pub(crate) fn writes(&self) -> bool {
        !self.dry_run || matches!(self.plan, Some(PlanStep::Create(_)))
    }

    /// Whether the batch may write a token owned by `owner`.
    pub(crate) fn owns(&self, owner: i64) -> bool {
        match self.owners {
            Owners::Caller => owner == self.user_id,
            Owners::Among(owners) => owners.binary_search(&owner).is_ok(),
        }
    }

    pub(crate) fn ids(&self) -> &'a [i64] {
        self.batch.ids()
    }

    pub(crate) fn fields(&self) -> FieldSet {
        self.batch.fields()
    }

    pub(crate) fn values(&self) -> &'a Patch {
        self.batch.values()
    }
}
