//! `PUT /api/token/batch`: new-api's batch edit, with tokenbatch's dry run and its plan, the apply of a plan,
//! per-token details and idempotent retries.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::{AppendHeaders, IntoResponse};
use axum::Json;
use serde::Serialize;
use serde_json::json;
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Lang, ParsedBody, MAX_BODY_BYTES, RULES_VERSION};
use tokenbatch_store::{BatchChange, PlanSummary};

use crate::app::{App, BatchOptions, BatchOutcome, ChangeSummary, Notice, PREVIEW_RESULTS};
use crate::error::ApiError;
use crate::http::error::{HttpError, HttpFailure};
use crate::http::extractor::{Caller, Language};
use crate::request_id::RequestId;

/// Query options: `validate_only=true` or `dry_run=true` (dry run; the body's `"dry_run": true` too),
/// `details=true` (per-token results; always on in a dry run), `size=N` (a dry run's first page of results),
/// `lang=en|zh-CN` (the body's `lang` wins). A body `{"plan_id"}` applies a plan. The body is read before the
/// caller is authenticated, so a body refused for its size or pace costs no database work.
pub(super) async fn batch_update(
    State(app): State<App>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Result<impl IntoResponse, HttpError> {
    let (mut parts, body) = request.into_parts();
    let Ok(Language(lang)) = Language::from_request_parts(&mut parts, &app).await;
    // new-api answers a failed batch with `data: 0`, the number of tokens changed.
    let refuse = |failure: HttpFailure, lang| HttpError::new(failure, lang).with_data(json!(0));
    let body = read_body(&parts.headers, body, app.body_timeout())
        .await
        .map_err(|failure| refuse(failure, lang))?;
    // Reading the body needs no database: its `lang` then words every answer, a failed sign-in's too.
    let request = tokenbatch_rules::read_body_bytes(&body);
    let lang = request
        .as_ref()
        .ok()
        .and_then(ParsedBody::lang)
        .unwrap_or(lang);
    let refuse = |failure: HttpFailure| refuse(failure, lang);
    let caller = Caller::from_request_parts(&mut parts, &app)
        .await
        .map_err(|error| error.in_lang(lang).with_data(json!(0)))?;
    let request = request.map_err(|violations| refuse(ApiError::Invalid(violations).into()))?;
    let query_dry_run: Vec<&str> = ["dry_run", "validate_only"]
        .into_iter()
        .filter(|name| flag(&query, name))
        .collect();
    if request.plan_id().is_some() && !query_dry_run.is_empty() {
        // A plan is applied as previewed, never previewed again under its own id.
        let refused = tokenbatch_rules::plan::exclusive_with(&query_dry_run);
        return Err(refuse(ApiError::Invalid(vec![refused]).into()));
    }
    let validate_only = !query_dry_run.is_empty() || request.dry_run();
    let details = validate_only || flag(&query, "details");
    let options = BatchOptions {
        validate_only,
        details,
        request_id: idempotency_key(&parts.headers).map_err(|error| refuse(error.into()))?,
        source: tokenbatch_store::ChangeSource::Http,
    };
    let outcome = app
        .batch_update(&caller.user, request, options)
        .await
        .map_err(|error| refuse(error.into()))?;
    // The header name Stripe's and others' idempotent APIs use for a replayed answer.
    let replayed = outcome.replayed.then_some(("idempotent-replayed", "true"));
    let results = first_page(&query, validate_only);
    let envelope = BatchEnvelope::new(&outcome, details, results, lang);
    // Printed here, while the answer still borrows the outcome.
    let envelope = Json(envelope).into_response();
    Ok((AppendHeaders(replayed), envelope))
}

/// The `Idempotency-Key` header, if any. A value that is not visible ASCII is refused like any other
/// malformed id rather than dropped.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<RequestId>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(value) => RequestId::parse(value.to_str().map_err(|_| ApiError::RequestIdInvalid)?),
    }
}

/// Reads the body up to the size limit and within the time limit, refusing early when the client announces
/// more than the limit: a client that dribbles its body cannot hold a connection and a buffer forever.
pub(super) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    timeout: std::time::Duration,
) -> Result<Bytes, HttpFailure> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(HttpFailure::BodyTooLarge);
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Err(_) => Err(HttpFailure::BodyTimeout),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(error)) if is_length_limit(&error) => Err(HttpFailure::BodyTooLarge),
        Ok(Err(_)) => Err(HttpFailure::BodyIncomplete),
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

/// How many per-token results a dry run answers: `?size=N` asks for a first page of N (0 … 10 000), the rest
/// being read from the plan's pages; without it (as before plans had pages), all of them. A real run with
/// `details` answers every result: it has no pages to read the rest from.
fn first_page(query: &HashMap<String, String>, validate_only: bool) -> usize {
    let size = query
        .get("size")
        .and_then(|size| size.trim().parse::<usize>().ok());
    match (validate_only, size) {
        (true, Some(size)) => size.min(PREVIEW_RESULTS),
        _ => PREVIEW_RESULTS,
    }
}

pub(super) fn flag(query: &HashMap<String, String>, name: &str) -> bool {
    query
        .get(name)
        .is_some_and(|value| matches!(value.as_str(), "" | "1" | "true" | "yes"))
}

/// new-api's envelope for a batch, with tokenbatch's extra keys after the three documented ones.
#[derive(Serialize)]
struct BatchEnvelope<'a> {
    success: bool,
    message: String,
    data: usize,
    unchanged: usize,
    ignored: Vec<&'static str>,
    warnings: Vec<Notice>,
    validate_only: bool,
    rules_version: &'static str,
    /// Only present (true) on the recorded answer to a retry with the same `Idempotency-Key`, or to a
    /// second apply of a plan.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    replayed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<Vec<ResultJson<'a>>>,
    /// The plan a dry run kept, to apply with `{"plan_id"}` (docs/SPEC.md §10).
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<PlanJson>,
    /// The change set recording an applied batch in the history, to read or revert it (docs/SPEC.md §12).
    #[serde(skip_serializing_if = "Option::is_none")]
    change_id: Option<i64>,
    /// A dry run's changes per column and per status reached, over all its tokens (crate::app::summary).
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<serde_json::Value>,
}

/// A plan as the answers show it; `applied` only where a plan is read back.
#[derive(Serialize)]
pub(super) struct PlanJson {
    plan_id: String,
    count: usize,
    changed: usize,
    expires_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    applied: Option<bool>,
}

impl PlanJson {
    pub(super) fn new(plan: &PlanSummary, with_applied: bool) -> PlanJson {
        PlanJson {
            plan_id: plan.plan_id.clone(),
            count: plan.count,
            changed: plan.changed,
            expires_at: plan.expires_at,
            applied: with_applied.then_some(plan.applied),
        }
    }
}

/// One token's result, in a batch's `results` and a plan's pages alike.
#[derive(Serialize)]
pub(super) struct ResultJson<'a> {
    id: i64,
    outcome: &'static str,
    before: StateJson<'a>,
    after: StateJson<'a>,
}

/// A token's values in a batch answer, one member per row of the field table after the status. Borrowed:
/// a 10 000-token answer would otherwise copy every text of every state before printing it.
pub(super) struct StateJson<'a>(pub(super) &'a TokenState);

macro_rules! state_json {
    ($($variant:ident $name:ident: $type:ty = $null:expr,)*) => {
        impl Serialize for StateJson<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let members = 1 + [$(stringify!($name)),*].len();
                let mut state = serializer.serialize_struct("StateJson", members)?;
                state.serialize_field("status", &self.0.status)?;
                $(state.serialize_field(stringify!($name), &self.0.$name)?;)*
                state.end()
            }
        }
    };
}

tokenbatch_rules::field_table!(state_json);

impl<'a> BatchEnvelope<'a> {
    /// `results`: how many per-token results to answer when `details` (the first ones).
    fn new(
        outcome: &'a BatchOutcome,
        details: bool,
        results: usize,
        lang: Lang,
    ) -> BatchEnvelope<'a> {
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
                let first = outcome.changes.iter().take(results);
                first.map(ResultJson::new).collect()
            }),
            plan: outcome.plan.as_ref().map(|plan| PlanJson::new(plan, false)),
            change_id: outcome.change_id,
            summary: outcome.summary.as_ref().map(summary_json),
        }
    }
}

impl<'a> ResultJson<'a> {
    pub(super) fn new(change: &'a BatchChange) -> ResultJson<'a> {
        ResultJson {
            id: change.id,
            outcome: if change.changed() {
                "updated"
            } else {
                "unchanged"
            },
            before: StateJson(&change.before),
            after: StateJson(&change.after),
        }
    }
}

/// `{"fields": {"remain_quota": 2900, …}, "statuses": {"2": 12, …}}`, columns in the field table's order.
pub(super) fn summary_json(summary: &ChangeSummary) -> serde_json::Value {
    let fields: serde_json::Map<String, serde_json::Value> = summary
        .fields
        .iter()
        .map(|(name, count)| ((*name).to_owned(), (*count).into()))
        .collect();
    let statuses: serde_json::Map<String, serde_json::Value> = summary
        .statuses
        .iter()
        .map(|(status, count)| (status.to_string(), (*count).into()))
        .collect();
    serde_json::json!({ "fields": fields, "statuses": statuses })
}
