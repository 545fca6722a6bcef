//! A filter batch's selection (docs/SPEC.md §9): the filter turned into the ids it selects now, behind the
//! count guard.

use tokenbatch_rules::filter::{FilterProblem, TokenFilter, MAX_FILTER_MATCHES};
use tokenbatch_rules::{Problem, ValidBatch, Violation};
use tokenbatch_store::UserRecord;

use super::App;
use crate::error::ApiError;

impl App {
    /// Pins the tokens a batch's filter selects now (docs/SPEC.md §9), after the count guard: a filter batch
    /// is applied only with an `expected_count` equal to what the filter selects at that moment, so a
    /// mistyped filter never rewrites a whole account. A dry run needs no count. The batch then runs as a
    /// batch of those ids, locks, ownership check and all. Root's `filter.user_id` (already allowed by
    /// [`owners::check_other_users`]) selects another user's or every user's tokens.
    pub(super) async fn select_by_filter(
        &self,
        user: &UserRecord,
        batch: ValidBatch,
        filter: &TokenFilter,
        validate_only: bool,
        keyed: bool,
    ) -> Result<ValidBatch, ApiError> {
        let refuse = |path: &str, problem: FilterProblem| {
            ApiError::Invalid(vec![Violation::new(path, Problem::Filter(problem))])
        };
        if keyed {
            return Err(refuse("request_id", FilterProblem::RequestIdWithFilter));
        }
        let (ids, count) = self
            .store
            .select_token_ids(user.id, filter, MAX_FILTER_MATCHES)
            .await?;
        if count > MAX_FILTER_MATCHES {
            return Err(refuse("filter", FilterProblem::TooMany { count }));
        }
        match batch.expected_count() {
            None if !validate_only => {
                return Err(refuse("filter", FilterProblem::CountRequired { count }));
            }
            Some(expected) if usize::try_from(expected) != Ok(count) => {
                let problem = FilterProblem::CountMismatch { expected, count };
                return Err(refuse("expected_count", problem));
            }
            _ => {}
        }
        Ok(batch.with_selected_ids(ids))
    }
}
