//! The gRPC face of the application: `newapi.token.v1.TokenService`.

use tokenbatch_proto::token_v1 as pb;
use tokenbatch_proto::token_v1::token_service_server::TokenService;
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Lang, ParsedBody, Patch, RULES_VERSION};
use tokenbatch_store::{TokenRecord, UserRecord};
use tonic::metadata::MetadataMap;
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, FieldViolation, LocalizedMessage, StatusExt};

use crate::app::{mask_key, pick_lang, App, BatchOptions, BatchOutcome, PageRequest, TokenPage};
use crate::auth::Credentials;
use crate::error::ApiError;

/// The error domain of `google.rpc.ErrorInfo`.
pub const ERROR_DOMAIN: &str = "tokenbatch";

#[derive(Clone)]
pub struct GrpcService {
    app: App,
}

impl GrpcService {
    pub fn new(app: App) -> GrpcService {
        GrpcService { app }
    }

    async fn caller(&self, metadata: &MetadataMap) -> Result<(UserRecord, Lang), Status> {
        let lang = lang_of(metadata);
        let credentials = Credentials {
            authorization: text(metadata, "authorization"),
            user_id: text(metadata, "new-api-user"),
        };
        match self.app.authenticate(&credentials).await {
            Ok(user) => Ok((user, lang)),
            Err(error) => Err(status_of(&error, lang)),
        }
    }
}

fn text(metadata: &MetadataMap, key: &str) -> Option<String> {
    metadata
        .get(key)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn lang_of(metadata: &MetadataMap) -> Lang {
    pick_lang(
        text(metadata, "lang").as_deref(),
        text(metadata, "accept-language").as_deref(),
    )
}

#[tonic::async_trait]
impl TokenService for GrpcService {
    async fn batch_update_tokens(
        &self,
        request: Request<pb::BatchUpdateTokensRequest>,
    ) -> Result<Response<pb::BatchUpdateTokensResponse>, Status> {
        let (user, lang) = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        let full = match pb::BatchResultView::try_from(request.view) {
            Ok(pb::BatchResultView::Counts) => false,
            Ok(pb::BatchResultView::Unspecified | pb::BatchResultView::Full) => true,
            Err(_) => return Err(status_of(&ApiError::ViewInvalid(request.view), lang)),
        };
        let options = BatchOptions {
            validate_only: request.validate_only,
            // The full answer lists every token's values before and after.
            details: full,
            request_id: request.request_id.clone(),
        };
        let outcome = self
            .app
            .batch_update(&user, parsed_request(&request), options)
            .await
            .map_err(|error| status_of(&error, lang))?;
        Ok(Response::new(batch_response(&outcome, full, lang)))
    }

    async fn list_tokens(
        &self,
        request: Request<pb::ListTokensRequest>,
    ) -> Result<Response<pb::TokenPage>, Status> {
        let (user, lang) = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        let page = PageRequest {
            page: request.page.into(),
            page_size: request.page_size.into(),
        };
        let page = self
            .app
            .list_tokens(&user, page)
            .await
            .map_err(|e| status_of(&e, lang))?;
        Ok(Response::new(token_page(page)))
    }

    async fn search_tokens(
        &self,
        request: Request<pb::SearchTokensRequest>,
    ) -> Result<Response<pb::TokenPage>, Status> {
        let (user, lang) = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        let page = PageRequest {
            page: request.page.into(),
            page_size: request.page_size.into(),
        };
        let page = self
            .app
            .search_tokens(&user, &request.keyword, &request.token, page)
            .await
            .map_err(|e| status_naming(&e, lang, Some(refused_search_field(&request))))?;
        Ok(Response::new(token_page(page)))
    }

    async fn get_token(
        &self,
        request: Request<pb::GetTokenRequest>,
    ) -> Result<Response<pb::Token>, Status> {
        let (user, lang) = self.caller(request.metadata()).await?;
        let token = self
            .app
            .get_token(&user, request.get_ref().id)
            .await
            .map_err(|e| status_of(&e, lang))?;
        Ok(Response::new(token_message(token)))
    }
}

/// The proto request in the rules' terms. Mask paths may carry a `patch.` prefix (AIP-161 style).
fn parsed_request(request: &pb::BatchUpdateTokensRequest) -> ParsedBody {
    let patch = request.patch.clone().unwrap_or_default();
    let names: Option<Vec<&str>> = request.update_mask.as_ref().map(|mask| {
        mask.paths
            .iter()
            .map(|path| path.strip_prefix("patch.").unwrap_or(path))
            .collect()
    });
    ParsedBody::typed(
        request.ids.clone(),
        patch_from_proto(patch),
        names.as_deref(),
    )
}

/// The answer; with `full`, a result per token with its values before and after.
fn batch_response(outcome: &BatchOutcome, full: bool, lang: Lang) -> pb::BatchUpdateTokensResponse {
    pb::BatchUpdateTokensResponse {
        changed: outcome.changed() as i64,
        unchanged: outcome.unchanged() as i64,
        results: outcome
            .changes
            .iter()
            .filter(|_| full)
            .map(|change| pb::TokenResult {
                id: change.id,
                outcome: if change.changed() {
                    pb::Outcome::Updated
                } else {
                    pb::Outcome::Unchanged
                } as i32,
                before: Some(token_values(&change.before)),
                after: Some(token_values(&change.after)),
            })
            .collect(),
        warnings: notices(outcome, lang),
        validate_only: outcome.validate_only,
        rules_version: RULES_VERSION.to_owned(),
        replayed: outcome.replayed,
    }
}

fn notices(outcome: &BatchOutcome, lang: Lang) -> Vec<pb::Notice> {
    outcome
        .notices(lang)
        .into_iter()
        .map(|notice| pb::Notice {
            field: notice.field,
            code: notice.code.to_owned(),
            message: notice.message,
        })
        .collect()
}

fn token_page(page: TokenPage) -> pb::TokenPage {
    pb::TokenPage {
        items: page.items.into_iter().map(token_message).collect(),
        total: page.total,
        page: page.page as i32,
        page_size: page.page_size as i32,
    }
}

/// The conversions between the proto messages and the rules' types, one Rust field per row of the field
/// table (`tokenbatch_rules::field_table!`): each proto message names the writable fields as the table does.
macro_rules! proto_conversions {
    ($($variant:ident $name:ident: $type:ty = $null:expr,)*) => {
        fn patch_from_proto(patch: pb::TokenPatch) -> Patch {
            Patch {
                $($name: patch.$name,)*
            }
        }

        fn token_values(state: &TokenState) -> pb::TokenValues {
            pb::TokenValues {
                status: state.status as i32,
                $($name: state.$name.clone(),)*
            }
        }

        fn token_message(token: TokenRecord) -> pb::Token {
            let state = token.state;
            pb::Token {
                id: token.id,
                user_id: token.user_id,
                key: mask_key(&token.key),
                status: state.status as i32,
                name: token.name,
                created_time: token.created_time,
                accessed_time: token.accessed_time,
                used_quota: token.used_quota,
                cross_group_retry: token.cross_group_retry,
                $($name: state.$name,)*
            }
        }
    };
}

tokenbatch_rules::field_table!(proto_conversions);

/// The one mapping of application errors to gRPC statuses. Every `INVALID_ARGUMENT` carries
/// `google.rpc.BadRequest` field violations (reason = the rule's code, with the message in the caller's
/// language), and every error an `ErrorInfo` whose reason is the error's code.
pub fn status_of(error: &ApiError, lang: Lang) -> Status {
    status_naming(error, lang, None)
}

/// [`status_of`], naming `field` as the culprit of an error that does not name a field itself (a refused
/// search pattern).
fn status_naming(error: &ApiError, lang: Lang, field: Option<&str>) -> Status {
    let message = error.message(lang);
    let mut details = ErrorDetails::new();
    details.set_error_info(error.code(), ERROR_DOMAIN, std::collections::HashMap::new());
    let violation = |field: &str, code: &str, description: String| FieldViolation {
        field: field.to_owned(),
        reason: code.to_owned(),
        localized_message: Some(LocalizedMessage::new(locale(lang), description.clone())),
        description,
    };
    let code = match error {
        ApiError::Unauthenticated(_) => Code::Unauthenticated,
        ApiError::Invalid(violations) => {
            let violations: Vec<FieldViolation> = violations
                .iter()
                .map(|v| violation(&v.field, v.code(), v.message(lang)))
                .collect();
            details.set_bad_request(violations);
            Code::InvalidArgument
        }
        ApiError::InvalidSearch(_) => {
            let field = field.unwrap_or("keyword");
            details.set_bad_request(vec![violation(field, error.code(), message.clone())]);
            Code::InvalidArgument
        }
        ApiError::RequestIdReused | ApiError::RequestIdInvalid => {
            let code = error.code();
            details.set_bad_request(vec![violation("request_id", code, message.clone())]);
            Code::InvalidArgument
        }
        ApiError::ViewInvalid(_) => {
            details.set_bad_request(vec![violation("view", error.code(), message.clone())]);
            Code::InvalidArgument
        }
        ApiError::TokensNotFound { .. } | ApiError::TokenNotFound => Code::NotFound,
        // gRPC bodies are framed by HTTP/2 and read by tonic; these come from the HTTP shim only.
        ApiError::BodyTimeout => Code::DeadlineExceeded,
        ApiError::BodyIncomplete => Code::Cancelled,
        ApiError::Unavailable(_) => Code::Unavailable,
        ApiError::Internal(source) => {
            tracing::error!(error = %source, "internal error");
            Code::Internal
        }
    };
    Status::with_error_details(code, message, details)
}

/// The BCP-47 tag of a message's language, for `google.rpc.LocalizedMessage`.
fn locale(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::ZhCn => "zh-CN",
    }
}

/// Which of a search's two patterns was refused, by the same check the application ran: the key pattern
/// only when the name pattern passes.
fn refused_search_field(request: &pb::SearchTokensRequest) -> &'static str {
    let refused =
        |pattern: &str| !pattern.is_empty() && tokenbatch_rules::like_pattern(pattern).is_err();
    if refused(&request.keyword) {
        "keyword"
    } else {
        "token"
    }
}
