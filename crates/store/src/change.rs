//! What a batch did to each token: shared by the batch itself and the idempotency records
//! ([`crate::requests`]), which store and replay these changes.

use tokenbatch_rules::apply::TokenState;

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
    /// The change set recording the batch in the history (docs/SPEC.md §12): None for a dry run, a replay,
    /// a batch that changed nothing, or one applied without history.
    pub change_id: Option<i64>,
}

impl AppliedBatch {
    pub(crate) fn from_changes(changes: Vec<BatchChange>, replayed: bool) -> AppliedBatch {
        let changed = changes.iter().filter(|change| change.changed()).count();
        AppliedBatch {
            unchanged: changes.len() - changed,
            changed,
            changes,
            replayed,
            change_id: None,
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
