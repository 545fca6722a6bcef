//! The HTTP/JSON shim: new-api's routes and envelope over the same application calls as the gRPC service.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Lang, Problem, Violation, MAX_BODY_BYTES, RULES_VERSION};
use tokenbatch_store::{TokenRecord, UserRecord};

use crate::app::{
    mask_key, pick_lang, App, BatchOptions, BatchOutcome, Notice, PageRequest, TokenPage,
};
use crate::auth::Credentials;
use crate::error::ApiError;
use crate::groups;

pub fn router(app: App) -> Router {
    Router::new()
        .route("/api/token/batch", put(batch_update))
        .route("/api/token/", get(list_tokens))
        .route("/api/token", get(list_tokens))
        .route("/api/token/search", get(search_tokens))
        .route("/api/token/{id}", get(get_token))
        .route("/api/user/self/groups", get(usable_groups))
        .route("/api/status", get(status))
        .merge(crate::web::router())
        .fallback(not_found)
        .with_state(app)
}

/// Per-request facts every handler needs.
struct Caller {
    credentials: Credentials,
    lang: Lang,
}

impl Caller {
    fn from_request(headers: &HeaderMap, query: &HashMap<String, String>) -> Caller {
        let header_text = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        Caller {
            credentials: Credentials {
                authorization: header_text("authorization"),
                user_id: header_text("new-api-user"),
            },
            lang: pick_lang(
                query.get("lang").map(String::as_str),
                header_text("accept-language").as_deref(),
            ),
        }
    }

    async fn user(&self, app: &App) -> Result<UserRecord, ApiError> {
        app.authenticate(&self.credentials).await
    }
}

/// `PUT /api/token/batch`. Query options: `validate_only=true` (dry run), `details=true` (per-token results;
/// always on in a dry run), `lang=en|zh-CN`.
async fn batch_update(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Body,
) -> Response {
    let caller = Caller::from_request(&headers, &query);
    let validate_only = flag(&query, "validate_only") || flag(&query, "dry_run");
    let details = validate_only || flag(&query, "details");
    let options = BatchOptions {
        validate_only,
        details,
        request_id: match headers.get("idempotency-key") {
            None => String::new(),
            // Not visible ASCII: keep something the check refuses rather than dropping the header silently.
            Some(value) => value.to_str().unwrap_or("\u{7f}").to_owned(),
        },
    };
    let body = match read_body(&headers, body, app.body_timeout()).await {
        Ok(body) => body,
        Err((status, error)) => return failure(status, &error, caller.lang, json!(0)),
    };
    let result = async {
        let user = caller.user(&app).await?;
        let request = tokenbatch_rules::read_body_bytes(&body).map_err(ApiError::Invalid)?;
        app.batch_update(&user, request, options).await
    }
    .await;
    match result {
        Ok(outcome) if outcome.replayed => {
            // The header name Stripe's and others' idempotent APIs use for a replayed answer.
            let replayed = [("idempotent-replayed", "true")];
            (
                replayed,
                Json(BatchEnvelope::new(&outcome, details, caller.lang)),
            )
                .into_response()
        }
        Ok(outcome) => Json(BatchEnvelope::new(&outcome, details, caller.lang)).into_response(),
        Err(error) => error_response(&error, caller.lang, json!(0)),
    }
}

/// Reads the body up to the size limit and within the time limit, refusing early when the client announces
/// more than the limit: a client that dribbles its body cannot hold a connection and a buffer forever.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    timeout: std::time::Duration,
) -> Result<Bytes, (StatusCode, ApiError)> {
    let too_large = || {
        let violation = Violation {
            field: "body".to_owned(),
            problem: Problem::BodyTooLarge,
        };
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Invalid(vec![violation]),
        )
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Err(_) => Err((StatusCode::REQUEST_TIMEOUT, ApiError::BodyTimeout)),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(error)) if is_length_limit(&error) => Err(too_large()),
        Ok(Err(_)) => Err((StatusCode::BAD_REQUEST, ApiError::BodyIncomplete)),
    }
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.to_string().contains("length limit exceeded") {
            return true;
        }
        source = current.source();
    }
    false
}

fn flag(query: &HashMap<String, String>, name: &str) -> bool {
    query
        .get(name)
        .is_some_and(|value| matches!(value.as_str(), "" | "1" | "true" | "yes"))
}

/// new-api's envelope for a batch, with tokenbatch's extra keys after the three documented ones.
#[derive(Serialize)]
struct BatchEnvelope {
    success: bool,
    message: String,
    data: usize,
    unchanged: usize,
    ignored: Vec<&'static str>,
    warnings: Vec<Notice>,
    validate_only: bool,
    rules_version: &'static str,
    /// Only present (true) on the recorded answer to a retry with the same `Idempotency-Key`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    replayed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<Vec<ResultJson>>,
}

#[derive(Serialize)]
struct ResultJson {
    id: i64,
    outcome: &'static str,
    before: StateJson,
    after: StateJson,
}

/// A token's values in a batch answer, one member per row of the field table after the status.
macro_rules! state_json {
    ($($variant:ident $name:ident: $type:ty = $null:expr,)*) => {
        #[derive(Serialize)]
        struct StateJson {
            status: i64,
            $($name: $type,)*
        }

        impl From<&TokenState> for StateJson {
            fn from(state: &TokenState) -> Self {
                StateJson {
                    status: state.status,
                    $($name: state.$name.clone(),)*
                }
            }
        }
    };
}

tokenbatch_rules::field_table!(state_json);

impl BatchEnvelope {
    fn new(outcome: &BatchOutcome, details: bool, lang: Lang) -> BatchEnvelope {
        let warnings: Vec<Notice> = outcome.notices(lang);
        let messages: Vec<&str> = warnings
            .iter()
            .map(|notice| notice.message.as_str())
            .collect();
        let message = messages.join(" ");
        BatchEnvelope {
            success: true,
            message,
            data: outcome.changed(),
            unchanged: outcome.unchanged(),
            ignored: outcome.ignored.iter().map(|field| field.name()).collect(),
            warnings,
            validate_only: outcome.validate_only,
            rules_version: RULES_VERSION,
            replayed: outcome.replayed,
            results: details.then(|| {
                outcome
                    .changes
                    .iter()
                    .map(|change| ResultJson {
                        id: change.id,
                        outcome: if change.changed() {
                            "updated"
                        } else {
                            "unchanged"
                        },
                        before: (&change.before).into(),
                        after: (&change.after).into(),
                    })
                    .collect()
            }),
        }
    }
}

/// `GET /api/token/?p=&size=`: the caller's tokens, newest first, in new-api's page object.
async fn list_tokens(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let caller = Caller::from_request(&headers, &query);
    let result = async {
        let user = caller.user(&app).await?;
        app.list_tokens(&user, page_request(&query)).await
    }
    .await;
    page_response(result, caller.lang)
}

/// `GET /api/token/search?keyword=&token=&p=&size=`.
async fn search_tokens(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let caller = Caller::from_request(&headers, &query);
    let text = |name: &str| query.get(name).map(String::as_str).unwrap_or("");
    let result = async {
        let user = caller.user(&app).await?;
        app.search_tokens(&user, text("keyword"), text("token"), page_request(&query))
            .await
    }
    .await;
    page_response(result, caller.lang)
}

/// `GET /api/token/:id`.
async fn get_token(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let caller = Caller::from_request(&headers, &query);
    let result = async {
        let user = caller.user(&app).await?;
        let id = id
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or(ApiError::TokenNotFound)?;
        app.get_token(&user, id).await
    }
    .await;
    match result {
        Ok(token) => success(token_json(token)),
        Err(error) => error_response(&error, caller.lang, Value::Null),
    }
}

/// `GET /api/user/self/groups`: the groups the caller may put on tokens, as new-api answers it (group name →
/// `{"ratio", "desc"}`), so a form can offer them and validate against the same list as the server.
async fn usable_groups(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let caller = Caller::from_request(&headers, &query);
    let result = async {
        let user = caller.user(&app).await?;
        groups::usable_groups_described(app.store(), &user).await
    }
    .await;
    match result {
        Ok(groups) => success(Value::Object(groups)),
        Err(error) => error_response(&error, caller.lang, Value::Null),
    }
}

/// `GET /api/status`: what this server is, for clients and for the web page's version check, and the
/// database's column limits the rules apply (so a form can apply them too).
async fn status(State(app): State<App>) -> Response {
    let column_limits: serde_json::Map<String, Value> = app
        .store()
        .column_limits()
        .iter()
        .map(|(field, max)| (field.name().to_owned(), json!(max)))
        .collect();
    success(json!({
        "name": "tokenbatch",
        "version": env!("CARGO_PKG_VERSION"),
        "rules_version": RULES_VERSION,
        "engine": app.store().engine(),
        "column_limits": column_limits,
    }))
}

async fn not_found() -> Response {
    let body = json!({ "success": false, "message": "not found", "data": null, "code": "route.not_found" });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

/// Lenient like new-api's `strconv.Atoi` use: anything unparsable is the default.
fn page_request(query: &HashMap<String, String>) -> PageRequest {
    let number = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| {
                query
                    .get(*name)
                    .and_then(|value| value.trim().parse::<i64>().ok())
            })
            .unwrap_or(0)
    };
    PageRequest {
        page: number(&["p", "page"]),
        page_size: number(&["size", "page_size"]),
    }
}

fn page_response(result: Result<TokenPage, ApiError>, lang: Lang) -> Response {
    match result {
        Ok(page) => success(json!({
            "items": page.items.into_iter().map(token_json).collect::<Vec<_>>(),
            "total": page.total,
            "page": page.page,
            "page_size": page.page_size,
        })),
        Err(error) => error_response(&error, lang, Value::Null),
    }
}

fn token_json(token: TokenRecord) -> Value {
    let state = token.state;
    json!({
        "id": token.id,
        "user_id": token.user_id,
        "key": mask_key(&token.key),
        "status": state.status,
        "name": token.name,
        "created_time": token.created_time,
        "accessed_time": token.accessed_time,
        "expired_time": state.expired_time,
        "remain_quota": state.remain_quota,
        "unlimited_quota": state.unlimited_quota,
        "model_limits_enabled": state.model_limits_enabled,
        "model_limits": state.model_limits,
        "allow_ips": state.allow_ips,
        "used_quota": token.used_quota,
        "group": state.group,
        "cross_group_retry": token.cross_group_retry,
        "mj_image_mode": state.mj_image_mode,
        "mj_custom_proxy": state.mj_custom_proxy,
    })
}

fn success(data: Value) -> Response {
    Json(json!({ "success": true, "message": "", "data": data })).into_response()
}

/// The one mapping of application errors to HTTP: new-api answers business errors with 200 and
/// `success:false`, authentication failures with 401.
fn error_response(error: &ApiError, lang: Lang, data: Value) -> Response {
    let status = match error {
        ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        ApiError::Unavailable(tokenbatch_store::StoreError::Full(_)) => {
            StatusCode::INSUFFICIENT_STORAGE
        }
        ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        ApiError::Internal(source) => {
            tracing::error!(error = %source, "internal error");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        ApiError::Invalid(_)
        | ApiError::InvalidSearch(_)
        | ApiError::TokensNotFound { .. }
        | ApiError::TokenNotFound
        | ApiError::RequestIdReused
        | ApiError::RequestIdInvalid
        | ApiError::ViewInvalid(_) => StatusCode::OK,
        ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
        ApiError::BodyIncomplete => StatusCode::BAD_REQUEST,
    };
    failure(status, error, lang, data)
}

fn failure(status: StatusCode, error: &ApiError, lang: Lang, data: Value) -> Response {
    #[derive(Serialize)]
    struct FailureEnvelope<'a> {
        success: bool,
        message: String,
        data: Value,
        code: &'a str,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        errors: Vec<ErrorJson>,
    }
    #[derive(Serialize)]
    struct ErrorJson {
        field: String,
        code: &'static str,
        message: String,
    }
    let errors = match error {
        ApiError::Invalid(violations) => violations
            .iter()
            .map(|violation| ErrorJson {
                field: violation.field.clone(),
                code: violation.code(),
                message: violation.message(lang),
            })
            .collect(),
        _ => Vec::new(),
    };
    let envelope = FailureEnvelope {
        success: false,
        message: error.message(lang),
        data,
        code: error.code(),
        errors,
    };
    (status, Json(envelope)).into_response()
}
