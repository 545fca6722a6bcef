//! The revert of a change set (docs/SPEC.md §12) as callers ask for it: only by the user who made it, its
//! dry run writing nothing, and new-api's cached copies of the restored tokens dropped after the commit like
//! any batch's. What is restored and what is skipped is the store's (`tokenbatch_store::RevertOutcome`).

use tokenbatch_store::{RevertOutcome, RevertRequest, UserRecord};

use super::{now_unix, spawned, App, ServiceWarning};
use crate::error::ApiError;

/// What a revert did (or would do), and the service's own warnings about it.
#[derive(Debug)]
pub struct RevertResult {
    pub outcome: RevertOutcome,
    pub dry_run: bool,
    pub warnings: Vec<ServiceWarning>,
}

impl App {
    /// Reverts change set `change_id` made by `user`: `dry_run` computes and writes nothing; `strict` refuses
    /// the whole revert when any token would be skipped. `change.not_found` for a change set the caller did
    /// not make (an owner who sees root's change to their tokens reads it, but does not revert it).
    pub async fn revert_change(
        &self,
        user: &UserRecord,
        change_id: i64,
        dry_run: bool,
        strict: bool,
    ) -> Result<RevertResult, ApiError> {
        let request = RevertRequest {
            user_id: user.id,
            change_id,
            now: now_unix(),
            dry_run,
            strict,
            keys: self.token_cache.is_some() && !dry_run,
        };
        // In a task of its own, like a batch: a client that goes away does not cut the transaction short.
        let store = self.store.clone();
        let outcome = spawned(async move { Ok(store.revert_change(&request).await?) }).await?;
        tracing::info!(
            user_id = user.id,
            change_id,
            revert_id = outcome.revert_id,
            restored = outcome.changes.len(),
            unchanged = outcome.unchanged,
            skipped = outcome.skipped.len(),
            dry_run,
            "revert"
        );
        let warnings = match dry_run {
            true => Vec::new(),
            false => self.invalidate_cache(user, &outcome.changes).await,
        };
        Ok(RevertResult {
            outcome,
            dry_run,
            warnings,
        })
    }
}
