//! The application: authentication, group policy and the token operations, shared by the gRPC service and
//! the HTTP shim so that both run exactly the same code path.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokenbatch_rules::filter::TokenFilter;
use tokenbatch_rules::{Context, Lang, ParsedBody, ValidBatch};
use tokenbatch_store::{
    AppliedBatch, BatchChange, BatchPlan, HistoryEntry, Owners, PlanStep, RequestKey, Store,
    UserRecord,
};

use crate::auth::{self, Credentials};
use crate::error::{ApiError, AuthFailure};
use crate::group_options::GroupOptions;
use crate::token_cache::{CacheError, TokenCache};

mod fingerprint;
mod history;
mod outcome;
mod owners;
mod plans;
mod revert;
mod selection;
mod summary;
mod tokens;
pub use history::{ChangeDetail, ChangeList, MAX_HISTORY_PAGE_SIZE};
pub use outcome::{BatchOptions, BatchOutcome, Notice, ServiceWarning};
pub use plans::{PlanResults, DEFAULT_PLAN_TTL, MAX_PLAN_PAGE_SIZE, PREVIEW_RESULTS};
pub use revert::RevertResult;
pub use summary::ChangeSummary;
pub use tokens::TokenPage;

/// new-api caps page sizes at 100.
pub const MAX_PAGE_SIZE: i64 = 100;
pub const DEFAULT_PAGE_SIZE: i64 = 10;

#[derive(Clone)]
pub struct App {
    store: Store,
    token_cache: Option<Arc<TokenCache>>,
    body_timeout: Duration,
    /// How long a dry run's plan may be applied (docs/SPEC.md §10, `--plan-ttl-secs`).
    plan_ttl: Duration,
    /// The usable-group options, kept for `--options-cache-ms` (crate::group_options).
    group_options: Arc<GroupOptions>,
}

/// How long a client may take to send a request body.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Paging as clients send it: `p=0` (one-api) and `p=1` (new-api) both mean the first page.
#[derive(Clone, Copy, Debug, Default)]
pub struct PageRequest {
    pub page: i64,
    pub page_size: i64,
}

impl PageRequest {
    fn resolve(self) -> (i64, i64) {
        self.resolve_up_to(MAX_PAGE_SIZE)
    }

    /// The page (from 1) and its size (the default when unset, at most `max`).
    fn resolve_up_to(self, max: i64) -> (i64, i64) {
        let page = self.page.max(1);
        let size = match self.page_size {
            size if size <= 0 => DEFAULT_PAGE_SIZE,
            size => size.min(max),
        };
        (page, size)
    }
}

pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

impl App {
    pub fn new(store: Store) -> App {
        App {
            store,
            token_cache: None,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            plan_ttl: DEFAULT_PLAN_TTL,
            group_options: Arc::new(GroupOptions::new(Duration::ZERO)),
        }
    }

    /// Keeps the usable-group options for `ttl` instead of reading them for every batch (crate::group_options).
    pub fn with_options_ttl(mut self, ttl: Duration) -> App {
        self.group_options = Arc::new(GroupOptions::new(ttl));
        self
    }

    /// How long a dry run's plan may be applied (at least a second).
    pub fn with_plan_ttl(mut self, ttl: Duration) -> App {
        self.plan_ttl = ttl.max(Duration::from_secs(1));
        self
    }

    pub fn with_body_timeout(mut self, timeout: Duration) -> App {
        self.body_timeout = timeout;
        self
    }

    pub fn body_timeout(&self) -> Duration {
        self.body_timeout
    }

    /// Invalidate new-api's Redis cache entries of the tokens each committed batch changes.
    pub fn with_token_cache(mut self, cache: TokenCache) -> App {
        self.token_cache = Some(Arc::new(cache));
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The enabled user that `credentials` prove to be, or why not.
    pub async fn authenticate(&self, credentials: &Credentials) -> Result<UserRecord, ApiError> {
        let (access_token, user_id) = credentials.parts().map_err(ApiError::Unauthenticated)?;
        let user = self
            .store
            .find_user(user_id)
            .await?
            .ok_or(ApiError::Unauthenticated(AuthFailure::Rejected))?;
        let stored = user.access_token.as_deref().unwrap_or("");
        if stored.is_empty() || !auth::constant_time_eq(stored.as_bytes(), access_token.as_bytes())
        {
            return Err(ApiError::Unauthenticated(AuthFailure::Rejected));
        }
        if user.status != UserRecord::STATUS_ENABLED {
            return Err(ApiError::Unauthenticated(AuthFailure::UserDisabled));
        }
        Ok(user)
    }

    /// What the rules need to know about this caller.
    pub async fn rules_context(&self, user: &UserRecord) -> Result<Context, ApiError> {
        self.batch_context(user, false).await
    }

    /// The rules' context of a request: the caller's, or for root's batch across users (`across`) one that
    /// checks no group, since the groups are then checked per owner ([`App::check_owners`]).
    async fn batch_context(&self, user: &UserRecord, across: bool) -> Result<Context, ApiError> {
        let allowed_groups = match across {
            false => Some(self.group_options.usable_groups(&self.store, user).await?),
            true => None,
        };
        Ok(Context {
            now: now_unix(),
            allowed_groups,
            column_limits: self.store.column_limits().to_vec(),
        })
    }

    /// Checks a read request against every rule and applies it to the caller's tokens, all or nothing. A dry
    /// run (the options' or the body's `dry_run`) keeps what it read as a plan; a body naming a plan applies
    /// it ([`App::apply_plan`]).
    pub async fn batch_update(
        &self,
        user: &UserRecord,
        request: ParsedBody,
        options: BatchOptions,
    ) -> Result<BatchOutcome, ApiError> {
        // A client that goes away mid-batch drops this future. The batch runs in a task of its own so that
        // it still ends by its own commit or rollback (and cache invalidation), never by being cut off
        // between the two.
        let app = self.clone();
        let user = user.clone();
        spawned(async move {
            let plan_id = request.plan_id().map(|plan_id| match plan_id {
                Ok(plan_id) => Ok(plan_id.to_owned()),
                Err(violations) => Err(violations.to_vec()),
            });
            match plan_id {
                Some(plan_id) => {
                    let plan_id = plan_id.map_err(ApiError::Invalid)?;
                    app.run_plan(&user, &plan_id, options).await
                }
                None => app.run_batch(&user, request, options).await,
            }
        })
        .await
    }

    async fn run_batch(
        &self,
        user: &UserRecord,
        request: ParsedBody,
        options: BatchOptions,
    ) -> Result<BatchOutcome, ApiError> {
        let BatchOptions {
            validate_only,
            details,
            request_id,
            source,
        } = options;
        let validate_only = validate_only || request.dry_run();
        let across = owners::check_other_users(user, &request)?;
        let context = self.batch_context(user, across).await?;
        let mut batch: ValidBatch =
            tokenbatch_rules::check_parsed(request, &context).map_err(ApiError::Invalid)?;
        if let Some(filter) = batch.filter().cloned() {
            batch = self
                .select_by_filter(user, batch, &filter, validate_only, request_id.is_some())
                .await?;
            if batch.ids().is_empty() && !validate_only {
                // Nothing selected, and expected so: nothing to lock or write. (A dry run still keeps its
                // plan, which applies to no token.)
                return Ok(BatchOutcome {
                    changes: Vec::new(),
                    changed: 0,
                    unchanged: 0,
                    warnings: batch.warnings().to_vec(),
                    service_warnings: Vec::new(),
                    ignored: batch.ignored(),
                    validate_only,
                    replayed: false,
                    plan: None,
                    change_id: None,
                    summary: None,
                });
            }
        }
        let fingerprint = match request_id {
            None => String::new(),
            Some(_) => fingerprint::fingerprint(&batch),
        };
        let owners = match batch.crosses_users() {
            true => Some(self.check_owners(&batch).await?),
            false => None,
        };
        let new_plan = validate_only.then(|| self.new_plan(&batch, context.now));
        let recorded = (!validate_only).then(|| batch.stored_request_json());
        let plan = BatchPlan {
            user_id: user.id,
            owners: owners.as_deref().map_or(Owners::Caller, Owners::Among),
            batch: &batch,
            now: context.now,
            dry_run: validate_only,
            // Keys are read only to drop new-api's cache entries.
            keys: self.token_cache.is_some(),
            full_states: details || validate_only,
            request: request_id.as_ref().map(|request_id| RequestKey {
                request_id: request_id.as_str(),
                fingerprint: &fingerprint,
            }),
            plan: new_plan.as_ref().map(PlanStep::Create),
            history: recorded
                .as_deref()
                .map(|request| HistoryEntry { source, request }),
        };
        let outcome = self.execute(user, &batch, &plan).await?;
        Ok(BatchOutcome {
            plan: new_plan.map(|new| plans::summary(new, user, context.now, &outcome)),
            ..outcome
        })
    }

    /// Applies a checked batch (or previews it) and answers what it did: the one tail of every batch, by
    /// body or by plan. Cache invalidation after a commit, the log line and the metrics.
    async fn execute(
        &self,
        user: &UserRecord,
        batch: &ValidBatch,
        plan: &BatchPlan<'_>,
    ) -> Result<BatchOutcome, ApiError> {
        let validate_only = plan.dry_run;
        let AppliedBatch {
            mut changes,
            changed,
            unchanged,
            replayed,
            change_id,
        } = self.store.apply_batch(plan).await?;
        // A replay wrote nothing now; the first run already dropped the cached copies.
        let service_warnings = match validate_only || replayed {
            true => Vec::new(),
            false => self.invalidate_cache(user, &changes).await,
        };
        // A preview counts its changes per column while it holds every token's (it answers a page of them).
        let summary = validate_only.then(|| ChangeSummary::of(&changes));
        if validate_only {
            changes.truncate(PREVIEW_RESULTS);
        }
        let outcome = BatchOutcome {
            changes,
            changed,
            unchanged,
            warnings: batch.warnings().to_vec(),
            service_warnings,
            ignored: batch.ignored(),
            validate_only,
            replayed,
            plan: None,
            change_id,
            summary,
        };
        if replayed {
            tracing::info!(
                user_id = user.id,
                ids = batch.ids().len(),
                "batch update replayed for a retry"
            );
            return Ok(outcome);
        }
        tracing::info!(
            user_id = user.id,
            ids = batch.ids().len(),
            changed = outcome.changed(),
            validate_only,
            keyed = plan.request.is_some(),
            plan = plan.plan.is_some(),
            "batch update"
        );
        crate::metrics::global().record_batch(batch.ids().len(), outcome.changed(), validate_only);
        Ok(outcome)
    }

    /// Drops new-api's cached copies of the changed tokens. Runs after commit: a failure is reported, never
    /// rolled back, since the database already holds the truth.
    async fn invalidate_cache(
        &self,
        user: &UserRecord,
        changes: &[BatchChange],
    ) -> Vec<ServiceWarning> {
        let Some(cache) = &self.token_cache else {
            return Vec::new();
        };
        let keys: Vec<&str> = changes
            .iter()
            .filter(|change| change.changed())
            .map(|change| change.key.as_str())
            .collect();
        match cache.invalidate(&keys).await {
            Ok(()) => Vec::new(),
            Err(CacheError::NoSecret) => vec![ServiceWarning::CacheSecretMissing],
            Err(error) => {
                tracing::warn!(user_id = user.id, tokens = keys.len(), %error, "token cache not invalidated");
                vec![ServiceWarning::CacheNotInvalidated]
            }
        }
    }
}

/// Runs a batch (or a revert) in a task of its own (see [`App::batch_update`]).
async fn spawned<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::spawn(work).await.unwrap_or_else(|failure| {
        let reason = format!("the task failed: {failure}");
        Err(ApiError::Internal(tokenbatch_store::StoreError::Data(
            reason,
        )))
    })
}

/// Only root may look beyond its own tokens (docs/SPEC.md §13); anyone else naming `user_id`, even their own
/// id, is refused, so the parameter never reveals whether another user exists.
fn check_scope(user: &UserRecord, filter: &TokenFilter) -> Result<(), ApiError> {
    if filter.user_id.is_some() && user.role != ROLE_ROOT {
        return Err(ApiError::InsufficientPrivilege {
            parameter: "user_id",
        });
    }
    Ok(())
}

/// new-api's `common.RoleRootUser`.
pub const ROLE_ROOT: i64 = 100;

/// new-api's `MaskTokenKey`: keys never leave the service whole.
pub use tokenbatch_rules::mask_key;

/// The language a caller asked for: an explicit `lang` wins over `Accept-Language`.
pub fn pick_lang(explicit: Option<&str>, accept_language: Option<&str>) -> Lang {
    explicit
        .and_then(Lang::from_tag)
        .or_else(|| accept_language.map(Lang::from_accept_language))
        .unwrap_or_default()
}
