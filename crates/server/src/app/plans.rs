//! Plans in the application (docs/SPEC.md §10): every dry run keeps what it read as a plan in the database;
//! a later apply by `plan_id`, on any instance, writes the stored request to exactly the pinned tokens, with
//! values and status computed from the tokens as they are then, through the same batch path as any batch.
//! gRPC and HTTP both call [`App::apply_plan`] (or [`App::batch_update`] with a plan body) and
//! [`App::plan_results`].

use std::time::Duration;

use tokenbatch_rules::{ValidBatch, MAX_IDS};
use tokenbatch_store::{
    BatchChange, BatchPlan, ChangeSource, HistoryEntry, NewPlan, Owners, PlanStep, PlanSummary,
    UserRecord,
};

use super::{spawned, App, BatchOptions, BatchOutcome, PageRequest};
use crate::error::ApiError;

/// How long a plan may be applied unless `--plan-ttl-secs` says otherwise.
pub const DEFAULT_PLAN_TTL: Duration = Duration::from_secs(3600);

/// Per-token results a dry run's answer carries (the first ones, in id order): all of a batch by ids, the
/// first page of a larger preview by filter, whose plan pages the rest.
pub const PREVIEW_RESULTS: usize = MAX_IDS;

/// The largest page of a plan's results: per-token results are small and a 100 000-token preview would
/// take a thousand requests at new-api's 100.
pub const MAX_PLAN_PAGE_SIZE: i64 = 1_000;

/// Plan ids are this prefix and 32 lowercase hex digits: 128 random bits from the operating system.
const PLAN_ID_PREFIX: &str = "plan_";

/// One page of a plan's preview, in new-api's paging terms, with what the plan says of itself.
#[derive(Debug)]
pub struct PlanResults {
    pub plan: PlanSummary,
    /// The preview's per-token results, as the dry run computed them.
    pub items: Vec<BatchChange>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

impl App {
    /// The plan a dry run of `batch` at `now` keeps: a fresh id, the request as the rules' canonical JSON.
    pub(super) fn new_plan(&self, batch: &ValidBatch, now: i64) -> NewPlan {
        let ttl = i64::try_from(self.plan_ttl.as_secs()).unwrap_or(i64::MAX);
        NewPlan {
            plan_id: new_plan_id(),
            request: batch.stored_request_json(),
            expires_at: now.saturating_add(ttl),
        }
    }

    /// Applies the caller's plan `plan_id`: all or nothing, refused as a whole when a pinned token changed
    /// since the preview (`plan.stale`), and answered with the first apply's result (`replayed`) when the
    /// plan was applied already. The plan's id makes the apply idempotent: `options.request_id` is not
    /// used, and a dry run is refused (`plan.exclusive`): a plan is applied as previewed.
    pub async fn apply_plan(
        &self,
        user: &UserRecord,
        plan_id: &str,
        options: BatchOptions,
    ) -> Result<BatchOutcome, ApiError> {
        let (app, user, plan_id) = (self.clone(), user.clone(), plan_id.to_owned());
        spawned(async move { app.run_plan(&user, &plan_id, options).await }).await
    }

    pub(super) async fn run_plan(
        &self,
        user: &UserRecord,
        plan_id: &str,
        options: BatchOptions,
    ) -> Result<BatchOutcome, ApiError> {
        if options.validate_only {
            let refused = tokenbatch_rules::plan::exclusive_with(&["dry_run"]);
            return Err(ApiError::Invalid(vec![refused]));
        }
        if !is_plan_id(plan_id) {
            return Err(ApiError::PlanNotFound);
        }
        let stored = self
            .store
            .find_plan(user.id, plan_id)
            .await?
            .ok_or(ApiError::PlanNotFound)?;
        // An applied plan answers its result whenever asked while it is kept; only an unused one expires.
        let now = super::now_unix();
        if !stored.summary.applied && now > stored.summary.expires_at {
            return Err(ApiError::PlanExpired {
                expires_at: stored.summary.expires_at,
            });
        }
        // The stored request goes through the rules again, with the caller's groups as they are now (root's
        // across users: root must still be root, and each owner's groups are checked as they are now).
        let unreadable = |reason: String| {
            let reason = format!("plan {plan_id}: stored request unreadable: {reason}");
            ApiError::Internal(tokenbatch_store::StoreError::Data(reason))
        };
        let parsed = tokenbatch_rules::read_body(&stored.request)
            .map_err(|violations| unreadable(format!("{violations:?}")))?;
        let across = super::owners::check_other_users(user, &parsed)?;
        let context = self.batch_context(user, across).await?;
        let batch = tokenbatch_rules::check_parsed(parsed, &context)
            .map_err(ApiError::Invalid)?
            .with_selected_ids(stored.ids());
        let owners = match batch.crosses_users() {
            true => Some(self.check_owners(&batch).await?),
            false => None,
        };
        let recorded = batch.stored_request_json();
        let plan = BatchPlan {
            user_id: user.id,
            owners: owners.as_deref().map_or(Owners::Caller, Owners::Among),
            batch: &batch,
            now: context.now,
            dry_run: false,
            keys: self.token_cache.is_some(),
            full_states: options.details,
            request: None,
            plan: Some(PlanStep::Apply(&stored)),
            history: Some(HistoryEntry {
                source: ChangeSource::Plan,
                request: &recorded,
            }),
        };
        self.execute(user, &batch, &plan).await
    }

    /// A page of the caller's plan's per-token results, as its dry run computed them; `plan.not_found` for
    /// an unknown id and another user's plan alike.
    pub async fn plan_results(
        &self,
        user: &UserRecord,
        plan_id: &str,
        page: PageRequest,
    ) -> Result<PlanResults, ApiError> {
        if !is_plan_id(plan_id) {
            return Err(ApiError::PlanNotFound);
        }
        let (page, page_size) = page.resolve_up_to(MAX_PLAN_PAGE_SIZE);
        let offset = usize::try_from((page - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
        let limit = usize::try_from(page_size).unwrap_or(0);
        let found = self
            .store
            .plan_page(user.id, plan_id, offset, limit)
            .await?
            .ok_or(ApiError::PlanNotFound)?;
        Ok(PlanResults {
            total: i64::try_from(found.summary.count).unwrap_or(i64::MAX),
            plan: found.summary,
            items: found.items,
            page,
            page_size,
        })
    }
}

/// What a dry run answers of the plan it kept.
pub(super) fn summary(
    new: NewPlan,
    user: &UserRecord,
    now: i64,
    outcome: &BatchOutcome,
) -> PlanSummary {
    PlanSummary {
        plan_id: new.plan_id,
        user_id: user.id,
        count: outcome.changed() + outcome.unchanged(),
        changed: outcome.changed(),
        created_at: now,
        expires_at: new.expires_at,
        applied: false,
    }
}

fn new_plan_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random generator is unavailable");
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{PLAN_ID_PREFIX}{hex}")
}

/// Whether `text` can be a plan id at all; anything else is not found without asking the database.
fn is_plan_id(text: &str) -> bool {
    text.strip_prefix(PLAN_ID_PREFIX).is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_ids_are_fresh_and_recognized() {
        let (first, second) = (new_plan_id(), new_plan_id());
        assert_ne!(first, second);
        assert!(is_plan_id(&first) && is_plan_id(&second), "{first}");
        assert_eq!(first.len(), PLAN_ID_PREFIX.len() + 32);
        for other in [
            "",
            "plan_",
            "plan_0123456789abcdef0123456789ABCDEF",
            "plan_0123456789abcdef0123456789abcde",
            "x_0123456789abcdef0123456789abcdef",
            "plan_0123456789abcdef0123456789abcdeg",
        ] {
            assert!(!is_plan_id(other), "{other}");
        }
    }
}
