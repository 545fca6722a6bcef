//! How the HTTP shim answers a failure: new-api's envelope `{"success":false,"message":…,"data":…}`, then
//! tokenbatch's `code` and, for invalid fields, `errors`. The status table is [`HttpFailure::status`] and
//! nowhere else.

use std::borrow::Cow;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use tokenbatch_rules::{Lang, Problem, Violation};
use tokenbatch_store::StoreError;

use crate::error::ApiError;
use crate::failure_log::InternalFailure;

/// Everything an HTTP request can fail with: the application's refusals, which gRPC shares, and the
/// failures only an HTTP body or path can have.
#[derive(Debug)]
pub enum HttpFailure {
    Api(ApiError),
    /// The body is over `MAX_BODY_BYTES`, announced or sent: the rules' `body.too_large` violation, with 413.
    BodyTooLarge,
    /// The body did not arrive within the body timeout.
    BodyTimeout,
    /// The body broke off before its end.
    BodyIncomplete,
    /// No route has this path.
    RouteNotFound,
}

impl From<ApiError> for HttpFailure {
    fn from(error: ApiError) -> Self {
        HttpFailure::Api(error)
    }
}

impl HttpFailure {
    /// The one status table: new-api answers business errors with 200 and `success:false`,
    /// authentication failures with 401.
    fn status(&self) -> StatusCode {
        match self {
            HttpFailure::Api(error) => match error {
                ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                ApiError::InsufficientPrivilege { .. } => StatusCode::FORBIDDEN,
                // tokenbatch's own list parameters, not new-api's: refused like a malformed request.
                ApiError::InvalidSort(_) => StatusCode::BAD_REQUEST,
                ApiError::Unavailable(StoreError::Full(_)) => StatusCode::INSUFFICIENT_STORAGE,
                ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                // A plan is a resource of its own: not there, gone by age, or in conflict with what
                // changed since it was made (docs/api.md, "Plans").
                ApiError::PlanNotFound | ApiError::ChangeNotFound => StatusCode::NOT_FOUND,
                ApiError::PlanExpired { .. } => StatusCode::GONE,
                ApiError::PlanStale { .. }
                | ApiError::ChangeAlreadyReverted { .. }
                | ApiError::RevertConflict { .. } => StatusCode::CONFLICT,
                ApiError::Invalid(_)
                | ApiError::InvalidSearch { .. }
                | ApiError::TokensNotFound { .. }
                | ApiError::TokenNotFound
                | ApiError::RequestIdReused
                | ApiError::RequestIdInvalid => StatusCode::OK,
            },
            HttpFailure::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            HttpFailure::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            HttpFailure::BodyIncomplete => StatusCode::BAD_REQUEST,
            HttpFailure::RouteNotFound => StatusCode::NOT_FOUND,
        }
    }

    /// The fields at fault, each with its own code and message.
    fn violations(&self) -> Cow<'_, [Violation]> {
        match self {
            HttpFailure::Api(ApiError::Invalid(violations)) => Cow::Borrowed(violations),
            HttpFailure::BodyTooLarge => {
                Cow::Owned(vec![Violation::new("body", Problem::BodyTooLarge)])
            }
            _ => Cow::Borrowed(&[]),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            HttpFailure::Api(error) => error.code(),
            HttpFailure::BodyTooLarge => Problem::BodyTooLarge.code(),
            HttpFailure::BodyTimeout => "body.timeout",
            HttpFailure::BodyIncomplete => "body.incomplete",
            HttpFailure::RouteNotFound => "route.not_found",
        }
    }

    /// A sentence for a person, in their language.
    fn message(&self, lang: Lang) -> String {
        let en = lang == Lang::En;
        match self {
            HttpFailure::Api(error) => error.message(lang),
            HttpFailure::BodyTooLarge => tokenbatch_rules::join_messages(&self.violations(), lang),
            HttpFailure::BodyTimeout if en => {
                "body: the request body did not arrive in time; nothing was changed".to_owned()
            }
            HttpFailure::BodyTimeout => "body：请求体未能及时送达，未做任何修改".to_owned(),
            HttpFailure::BodyIncomplete if en => {
                "body: the request body broke off before its end; nothing was changed".to_owned()
            }
            HttpFailure::BodyIncomplete => "body：请求体在结束前中断，未做任何修改".to_owned(),
            HttpFailure::RouteNotFound => "not found".to_owned(),
        }
    }
}

/// A failure as the HTTP shim answers it: in the caller's language, with the route's `data`.
#[derive(Debug)]
pub struct HttpError {
    failure: HttpFailure,
    lang: Lang,
    data: Value,
}

impl HttpError {
    pub fn new(failure: impl Into<HttpFailure>, lang: Lang) -> HttpError {
        HttpError {
            failure: failure.into(),
            lang,
            data: Value::Null,
        }
    }

    /// `data` of the envelope, `null` unless set (new-api's batch route answers a failure with 0, the
    /// number of tokens changed).
    pub fn with_data(mut self, data: Value) -> HttpError {
        self.data = data;
        self
    }

    /// The same failure answered in `lang` (a body's `lang`, read after the failure was made).
    pub fn in_lang(mut self, lang: Lang) -> HttpError {
        self.lang = lang;
        self
    }
}

#[derive(Serialize)]
struct FailureEnvelope {
    success: bool,
    message: String,
    data: Value,
    code: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ErrorJson>,
}

#[derive(Serialize)]
struct ErrorJson {
    field: String,
    code: &'static str,
    message: String,
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let HttpError {
            failure,
            lang,
            data,
        } = self;
        let errors = failure
            .violations()
            .iter()
            .map(|violation| ErrorJson {
                field: violation.field.clone(),
                code: violation.code(),
                message: violation.message(lang),
            })
            .collect();
        let envelope = FailureEnvelope {
            success: false,
            message: failure.message(lang),
            data,
            code: failure.code(),
            errors,
        };
        let mut response = (failure.status(), Json(envelope)).into_response();
        // Logged once, by failure_log's layer.
        if let HttpFailure::Api(error @ ApiError::Internal(_)) = failure {
            let report = InternalFailure(Arc::new(error));
            response.extensions_mut().insert(report);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(error: HttpError) -> (StatusCode, String, bool) {
        let response = error.into_response();
        let status = response.status();
        let reported = response.extensions().get::<InternalFailure>().is_some();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap(), reported)
    }

    #[tokio::test]
    async fn body_failures_keep_their_statuses_and_envelopes() {
        let (status, body, _) =
            answer(HttpError::new(HttpFailure::BodyTimeout, Lang::En).with_data(0.into())).await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        assert_eq!(
            body,
            r#"{"success":false,"message":"body: the request body did not arrive in time; nothing was changed","data":0,"code":"body.timeout"}"#
        );
        let (status, body, _) = answer(HttpError::new(HttpFailure::BodyTooLarge, Lang::En)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        let violation = Violation::new("body", Problem::BodyTooLarge);
        let expected = serde_json::json!({
            "success": false,
            "message": violation.message(Lang::En),
            "data": null,
            "code": "body.too_large",
            "errors": [{"field": "body", "code": "body.too_large", "message": violation.message(Lang::En)}],
        });
        assert_eq!(body, expected.to_string());
        let (status, body, _) =
            answer(HttpError::new(HttpFailure::RouteNotFound, Lang::ZhCn)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            r#"{"success":false,"message":"not found","data":null,"code":"route.not_found"}"#
        );
    }

    #[tokio::test]
    async fn only_internal_errors_are_handed_to_the_log() {
        let internal = ApiError::Internal(StoreError::Data("broke".to_owned()));
        let (status, body, reported) = answer(HttpError::new(internal, Lang::En)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(reported);
        assert!(!body.contains("broke"), "{body}");
        let (status, _, reported) = answer(HttpError::new(ApiError::TokenNotFound, Lang::En)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!reported);
    }
}
