//! The application layer's one error type: only failures both faces can meet. `grpc_status.rs` maps it to
//! a gRPC status and `http/error.rs` to new-api's JSON envelope, each in exactly one place; a face's own
//! failures (a broken HTTP body, a gRPC `view` out of range) are typed by that face.

use thiserror::Error;
use tokenbatch_rules::operation::OperationProblem;
use tokenbatch_rules::time::format_utc;
use tokenbatch_rules::Problem;
use tokenbatch_rules::{Lang, SearchPatternError, Violation};
use tokenbatch_store::StoreError;

use crate::sort::SortRefusal;

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("authentication failed: {0:?}")]
    Unauthenticated(AuthFailure),
    #[error("{} invalid field(s)", .0.len())]
    Invalid(Vec<Violation>),
    /// `field` is the search parameter holding the refused pattern (`keyword` or `token`).
    #[error("invalid search pattern in {field}: {error:?}")]
    InvalidSearch {
        field: &'static str,
        error: SearchPatternError,
    },
    /// A `sort` or `order` of a token list that is none of the allowed values (crate::sort).
    #[error("invalid {} parameter", .0.parameter.name())]
    InvalidSort(SortRefusal),
    /// A parameter only root may send (`user_id`, `scope`: docs/SPEC.md §13), sent by anyone else.
    #[error("{parameter} is for root only")]
    InsufficientPrivilege { parameter: &'static str },
    #[error("{missing} token(s) not found")]
    TokensNotFound { missing: usize },
    #[error("token not found")]
    TokenNotFound,
    #[error("request_id was already used for a different request")]
    RequestIdReused,
    #[error("request_id is not 1 to 128 visible ASCII characters")]
    RequestIdInvalid,
    /// No such plan among the caller's (an unknown id and another user's plan alike).
    #[error("plan not found")]
    PlanNotFound,
    /// The plan was never applied and is past its `expires_at`.
    #[error("plan expired at {expires_at}")]
    PlanExpired { expires_at: i64 },
    /// `count` of the plan's `total` tokens changed since the preview; nothing was written.
    #[error("{count} of the plan's {total} tokens changed since the preview")]
    PlanStale { count: usize, total: usize },
    /// No such change set among those the caller made or whose tokens include the caller's (an unknown id
    /// and another user's change set alike).
    #[error("change set not found")]
    ChangeNotFound,
    /// The change set was reverted already, by change set `revert_id` (docs/SPEC.md §12).
    #[error("change set already reverted by {revert_id}")]
    ChangeAlreadyReverted { revert_id: i64 },
    /// A strict revert would skip `skipped` tokens; nothing was written.
    #[error("{skipped} tokens changed since the change set")]
    RevertConflict { skipped: usize },
    #[error("database unavailable")]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Internal(#[source] StoreError),
}

/// The columns a plan's fingerprint covers (docs/SPEC.md §10), as `plan.stale` names them.
const FINGERPRINTED: &str =
    "group, expired_time, unlimited_quota, model_limits, model_limits_enabled, \
                             allow_ips, mj_image_mode, mj_custom_proxy";

/// Why a caller was not let in; `code()` gives new-api's machine-readable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    MissingAccessToken,
    MissingUserId,
    InvalidUserId,
    /// No such user, wrong access token, or the token belongs to another user: deliberately not told apart.
    Rejected,
    UserDisabled,
}

impl AuthFailure {
    pub fn code(self) -> &'static str {
        match self {
            AuthFailure::UserDisabled => "AUTH_USER_DISABLED",
            _ => "AUTH_UNAUTHORIZED",
        }
    }

    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (AuthFailure::MissingAccessToken, Lang::ZhCn) => {
                "无权进行此操作，未提供 Authorization（系统访问令牌）"
            }
            (AuthFailure::MissingAccessToken, Lang::En) => {
                "not authorized: the Authorization header (system access token) is missing"
            }
            (AuthFailure::MissingUserId, Lang::ZhCn) => "无权进行此操作，未提供 New-Api-User",
            (AuthFailure::MissingUserId, Lang::En) => {
                "not authorized: the New-Api-User header is missing"
            }
            (AuthFailure::InvalidUserId, Lang::ZhCn) => "无权进行此操作，New-Api-User 格式错误",
            (AuthFailure::InvalidUserId, Lang::En) => {
                "not authorized: New-Api-User must be a user id (a positive integer)"
            }
            (AuthFailure::Rejected, Lang::ZhCn) => {
                "无权进行此操作，access token 无效或与 New-Api-User 不匹配"
            }
            (AuthFailure::Rejected, Lang::En) => {
                "not authorized: the access token is invalid or does not belong to the New-Api-User"
            }
            (AuthFailure::UserDisabled, Lang::ZhCn) => "用户已被封禁",
            (AuthFailure::UserDisabled, Lang::En) => "the user is disabled",
        }
    }
}

impl ApiError {
    /// The stable machine-readable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated(failure) => failure.code(),
            ApiError::Invalid(violations) => violations.first().map_or("invalid", |v| v.code()),
            ApiError::InvalidSearch { error, .. } => error.code(),
            ApiError::InvalidSort(refusal) => refusal.code(),
            ApiError::InsufficientPrivilege { .. } => "AUTH_INSUFFICIENT_PRIVILEGE",
            ApiError::TokensNotFound { .. } => "ids.not_found",
            ApiError::TokenNotFound => "token.not_found",
            ApiError::RequestIdReused => "request_id.reused",
            ApiError::RequestIdInvalid => "request_id.invalid",
            ApiError::PlanNotFound => "plan.not_found",
            ApiError::PlanExpired { .. } => "plan.expired",
            ApiError::PlanStale { .. } => "plan.stale",
            ApiError::ChangeNotFound => "change.not_found",
            ApiError::ChangeAlreadyReverted { .. } => "change.already_reverted",
            ApiError::RevertConflict { .. } => "revert.conflict",
            ApiError::Unavailable(StoreError::Full(_)) => "database.full",
            ApiError::Unavailable(StoreError::OutcomeUnknown(_)) => "database.outcome_unknown",
            ApiError::Unavailable(_) => "database.unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// A sentence for a person, in their language. Never carries secrets or SQL.
    pub fn message(&self, lang: Lang) -> String {
        let en = lang == Lang::En;
        match self {
            ApiError::Unauthenticated(failure) => failure.message(lang).to_owned(),
            ApiError::Invalid(violations) => tokenbatch_rules::join_messages(violations, lang),
            ApiError::InvalidSearch { error, .. } => error.message(lang),
            ApiError::InvalidSort(refusal) => refusal.message(lang),
            ApiError::InsufficientPrivilege { parameter } if en => format!(
                "not authorized: {parameter} acts on other users' tokens, which only root may do; nothing was \
                 read or changed"
            ),
            ApiError::InsufficientPrivilege { parameter } => {
                format!("无权进行此操作，权限不足：{parameter} 用于操作其他用户的令牌，仅 root 可用")
            }
            ApiError::TokensNotFound { missing } if en => format!(
                "ids: {missing} of the requested tokens do not exist or are not yours; nothing was changed"
            ),
            ApiError::TokensNotFound { missing } => {
                format!("ids：有 {missing} 个令牌不存在或不属于当前用户，未做任何修改")
            }
            ApiError::TokenNotFound if en => "token not found".to_owned(),
            ApiError::TokenNotFound => "令牌不存在".to_owned(),
            ApiError::RequestIdReused if en => {
                "request_id (Idempotency-Key): this id was already used within the last 24 hours for a \
                 different request (other ids, fields or values); nothing was changed. Use a new id for a new \
                 request"
                    .to_owned()
            }
            ApiError::RequestIdReused => {
                "request_id（Idempotency-Key）：该 id 在 24 小时内已用于另一个不同的请求（令牌、字段或取值不同），\
                 未做任何修改；新的请求请使用新的 id"
                    .to_owned()
            }
            ApiError::RequestIdInvalid if en => {
                "request_id (Idempotency-Key): must be 1 to 128 visible ASCII characters (letters, digits, \
                 punctuation; no spaces); nothing was changed"
                    .to_owned()
            }
            ApiError::RequestIdInvalid => {
                "request_id（Idempotency-Key）：须为 1 到 128 个可见 ASCII 字符（字母、数字、标点，不含空格），\
                 未做任何修改"
                    .to_owned()
            }
            ApiError::Unavailable(StoreError::Full(_)) if en => {
                "the database's disk is full; nothing was changed. Free space on the database's disk, then \
                 retry"
                    .to_owned()
            }
            ApiError::Unavailable(StoreError::Full(_)) => {
                "数据库所在磁盘已满，未做任何修改；请先释放磁盘空间再重试".to_owned()
            }
            ApiError::Unavailable(StoreError::OutcomeUnknown(_)) if en => {
                "the connection to the database broke while the batch was being committed: it may or may not \
                 have been applied. Retry with the same Idempotency-Key (request_id) to apply it exactly once, \
                 or list the tokens to see"
                    .to_owned()
            }
            ApiError::Unavailable(StoreError::OutcomeUnknown(_)) => {
                "提交批量修改时与数据库的连接中断：修改可能已生效，也可能未生效。请使用同一个 \
                 Idempotency-Key（request_id）重试以确保只生效一次，或查询令牌确认"
                    .to_owned()
            }
            ApiError::Unavailable(_) if en => {
                "the database is unavailable; nothing was changed, please retry later".to_owned()
            }
            ApiError::Unavailable(_) => "数据库暂时不可用，未做任何修改，请稍后重试".to_owned(),
            ApiError::Internal(_) if en => "internal error; nothing was changed".to_owned(),
            ApiError::Internal(_) => "内部错误，未做任何修改".to_owned(),
            ApiError::PlanNotFound if en => {
                "plan_id: no such plan: plan ids come from a preview (dry_run) of your own and are kept for a \
                 limited time; nothing was changed. Preview again"
                    .to_owned()
            }
            ApiError::PlanNotFound => {
                "plan_id：没有找到该计划：计划 id 来自您自己的预览（dry_run），且只保存有限的时间，未做任何修改；\
                 请重新预览"
                    .to_owned()
            }
            ApiError::ChangeNotFound if en => {
                "no such change set among those you made or that changed your tokens".to_owned()
            }
            ApiError::ChangeNotFound => "没有找到该修改记录（只能查看您自己提交的，或修改过您的令牌的记录）".to_owned(),
            ApiError::ChangeAlreadyReverted { revert_id } if en => format!(
                "this change set was already reverted by change set {revert_id}; nothing was changed. To redo \
                 it, revert change set {revert_id}"
            ),
            ApiError::ChangeAlreadyReverted { revert_id } => format!(
                "该修改记录已被修改记录 {revert_id} 撤销，未做任何修改；如需重做，请撤销修改记录 {revert_id}"
            ),
            ApiError::RevertConflict { skipped } if en => format!(
                "strict: {skipped} of the change set's tokens were changed since, deleted or moved to another \
                 owner, so nothing was reverted; nothing was changed. Revert without strict to restore the \
                 others"
            ),
            ApiError::RevertConflict { skipped } => format!(
                "strict：该修改记录中有 {skipped} 个令牌此后已被修改、删除或转给其他用户，整个撤销未执行，未做任何修改；\
                 不使用 strict 撤销可恢复其余令牌"
            ),
            ApiError::PlanExpired { expires_at } if en => format!(
                "plan_id: the plan expired at {} ({expires_at}); nothing was changed. Preview again, then apply \
                 the new plan",
                format_utc(*expires_at)
            ),
            ApiError::PlanExpired { expires_at } => format!(
                "plan_id：该计划已于 {}（{expires_at}）过期，未做任何修改；请重新预览后再提交",
                format_utc(*expires_at)
            ),
            ApiError::PlanStale { count, total } if en => format!(
                "plan_id: since the preview, {count} of the plan's {total} tokens were deleted, moved to another \
                 owner or had one of {FINGERPRINTED} changed, so the plan was not applied; nothing was changed. \
                 Preview again"
            ),
            ApiError::PlanStale { count, total } => format!(
                "plan_id：自预览以来，计划中 {total} 个令牌里有 {count} 个已被删除、转给其他用户，或 {FINGERPRINTED} \
                 中有值被修改，整个计划未执行，未做任何修改；请重新预览"
            ),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::TokensNotFound { missing } => ApiError::TokensNotFound { missing },
            StoreError::RequestIdReused => ApiError::RequestIdReused,
            StoreError::PlanNotFound => ApiError::PlanNotFound,
            StoreError::PlanStale { count, total } => ApiError::PlanStale { count, total },
            StoreError::ChangeNotFound => ApiError::ChangeNotFound,
            StoreError::ChangeAlreadyReverted { revert_id } => {
                ApiError::ChangeAlreadyReverted { revert_id }
            }
            StoreError::RevertConflict { skipped } => ApiError::RevertConflict { skipped },
            // The request's fault, not the server's: the column cannot hold that character.
            StoreError::NotInCharset {
                field,
                character,
                charset,
            } => ApiError::Invalid(vec![Violation::new(
                field.name(),
                Problem::NotInColumnCharset {
                    field,
                    character,
                    charset,
                },
            )]),
            // Tokens whose result would be out of bounds (§11): the request's fault, worded by the rules.
            StoreError::OutOfBounds(refused) => ApiError::Invalid(
                refused
                    .into_iter()
                    .map(|(outcome, count)| {
                        let problem = OperationProblem::Refused { outcome, count };
                        Violation::new(outcome.field(), Problem::Operation(problem))
                    })
                    .collect(),
            ),
            // A conflict still there after the store's retries: the database is too contended right now.
            // A full disk is an outage of the database too (HTTP 507, gRPC UNAVAILABLE), and so is a commit
            // whose outcome was lost with the connection.
            StoreError::Unavailable(_)
            | StoreError::Conflict(_)
            | StoreError::Full(_)
            | StoreError::OutcomeUnknown(_) => ApiError::Unavailable(error),
            StoreError::Data(_) | StoreError::Database(_) => ApiError::Internal(error),
        }
    }
}
