//! The one mapping of failures to gRPC statuses. Every `INVALID_ARGUMENT` carries `google.rpc.BadRequest`
//! field violations (reason = the rule's code, with the message in the caller's language), and every
//! error an `ErrorInfo` whose reason is the error's code. An internal error's status carries the error as
//! its source, so that the one layer logging internal errors (failure_log.rs) can tell what went wrong;
//! the source never goes over the wire.

use std::collections::HashMap;
use std::sync::Arc;

use tokenbatch_rules::Lang;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, LocalizedMessage, StatusExt};

use crate::error::ApiError;

/// The error domain of `google.rpc.ErrorInfo`.
pub const ERROR_DOMAIN: &str = "tokenbatch";

/// A failure as the caller's gRPC status, in the caller's language.
pub trait IntoStatus {
    fn into_status(self, lang: Lang) -> Status;
}

impl IntoStatus for ApiError {
    fn into_status(self, lang: Lang) -> Status {
        let message = self.message(lang);
        let mut details = error_info(self.code());
        let code = match &self {
            ApiError::Unauthenticated(_) => Code::Unauthenticated,
            ApiError::Invalid(violations) => {
                let violations: Vec<FieldViolation> = violations
                    .iter()
                    .map(|v| field_violation(&v.field, v.code(), v.message(lang), lang))
                    .collect();
                details.set_bad_request(violations);
                Code::InvalidArgument
            }
            ApiError::InvalidSearch { field, .. } => {
                let violation = field_violation(field, self.code(), message.clone(), lang);
                details.set_bad_request(vec![violation]);
                Code::InvalidArgument
            }
            ApiError::InvalidSort(refusal) => {
                let field = refusal.parameter.name();
                let violation = field_violation(field, self.code(), message.clone(), lang);
                details.set_bad_request(vec![violation]);
                Code::InvalidArgument
            }
            ApiError::RequestIdReused | ApiError::RequestIdInvalid => {
                let violation = field_violation("request_id", self.code(), message.clone(), lang);
                details.set_bad_request(vec![violation]);
                Code::InvalidArgument
            }
            ApiError::InsufficientPrivilege { .. } => Code::PermissionDenied,
            ApiError::TokensNotFound { .. }
            | ApiError::TokenNotFound
            | ApiError::PlanNotFound
            | ApiError::ChangeNotFound => Code::NotFound,
            // Optimistic concurrency: what the plan previewed changed since (AIP-154's etag mismatch).
            ApiError::PlanStale { .. } | ApiError::RevertConflict { .. } => Code::Aborted,
            ApiError::ChangeAlreadyReverted { .. } => Code::FailedPrecondition,
            ApiError::PlanExpired { .. } => Code::FailedPrecondition,
            ApiError::Unavailable(_) => Code::Unavailable,
            ApiError::Internal(_) => Code::Internal,
        };
        let mut status = Status::with_error_details(code, message, details);
        if code == Code::Internal {
            status.set_source(Arc::new(self));
        }
        status
    }
}

/// A `view` that is no `BatchResultView`: the gRPC face's own refusal, before the application runs.
#[derive(Clone, Copy, Debug)]
pub struct ViewInvalid(pub i32);

impl IntoStatus for ViewInvalid {
    fn into_status(self, lang: Lang) -> Status {
        const CODE: &str = "view.invalid";
        let ViewInvalid(value) = self;
        let message = match lang {
            Lang::En => format!(
                "view: {value} is not a BatchResultView (0 unspecified, 1 full, 2 counts); nothing was changed"
            ),
            Lang::ZhCn => format!(
                "view：{value} 不是有效的 BatchResultView（0 未指定、1 完整、2 仅计数），未做任何修改"
            ),
        };
        let mut details = error_info(CODE);
        details.set_bad_request(vec![field_violation("view", CODE, message.clone(), lang)]);
        Status::with_error_details(Code::InvalidArgument, message, details)
    }
}

fn error_info(code: &str) -> ErrorDetails {
    let mut details = ErrorDetails::new();
    details.set_error_info(code, ERROR_DOMAIN, HashMap::new());
    details
}

fn field_violation(field: &str, code: &str, description: String, lang: Lang) -> FieldViolation {
    FieldViolation {
        field: field.to_owned(),
        reason: code.to_owned(),
        localized_message: Some(LocalizedMessage::new(locale(lang), description.clone())),
        description,
    }
}

/// The BCP-47 tag of a message's language, for `google.rpc.LocalizedMessage`.
fn locale(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::ZhCn => "zh-CN",
    }
}
