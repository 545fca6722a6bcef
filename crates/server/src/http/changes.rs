//! The history (docs/SPEC.md §12): `GET /api/token/batch/changes?p=&size=`, the change sets the caller made
//! or that changed the caller's tokens, newest first; `GET /api/token/batch/changes/{id}?p=&size=`, one
//! change set with a page of its tokens' values before and after.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::Json;
use serde_json::{json, Value};
use tokenbatch_store::{ChangeSet, ChangedToken};

use crate::app::{App, ChangeSummary, RevertResult};
use crate::error::ApiError;
use crate::http::batch::{flag, read_body, summary_json, ResultJson};
use crate::http::error::{HttpError, HttpFailure};
use crate::http::extractor::{Caller, Language};
use crate::http::tokens::{page_request, success};

/// An id that is no number names no change set: the same answer as an unknown one.
fn change_id_of(text: &str) -> Result<i64, ApiError> {
    text.trim().parse().map_err(|_| ApiError::ChangeNotFound)
}

/// Recorded JSON as JSON; text that is not (never written so) is answered as the text it is.
fn parsed(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::from(text))
}

fn change_json(change: &ChangeSet) -> Value {
    json!({
        "id": change.id,
        "user_id": change.user_id,
        "created_time": change.created_time,
        "source": change.source,
        "request": parsed(&change.request),
        "changed": change.changed,
        "unchanged": change.unchanged,
        "reverts": change.reverts,
        "reverted_by": change.reverted_by,
    })
}

fn token_json(token: &ChangedToken) -> Value {
    json!({
        "id": token.token_id,
        "owner_id": token.owner_id,
        "before": parsed(&token.before),
        "after": parsed(&token.after),
    })
}

/// new-api's page object of change sets.
pub(super) async fn list_changes(
    State(app): State<App>,
    Query(query): Query<HashMap<String, String>>,
    caller: Caller,
) -> Result<Json<Value>, HttpError> {
    let list = app
        .list_changes(&caller.user, page_request(&query))
        .await
        .map_err(|error| caller.refuse(error))?;
    let items: Vec<Value> = list.items.iter().map(change_json).collect();
    Ok(success(json!({
        "items": items,
        "total": list.total,
        "page": list.page,
        "page_size": list.page_size,
    })))
}

/// new-api's page object of the change set's tokens, and the change set beside it.
pub(super) async fn change_detail(
    State(app): State<App>,
    Path(change_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    caller: Caller,
) -> Result<Json<Value>, HttpError> {
    let change_id = change_id_of(&change_id).map_err(|error| caller.refuse(error))?;
    let detail = app
        .change_detail(&caller.user, change_id, page_request(&query))
        .await
        .map_err(|error| caller.refuse(error))?;
    let items: Vec<Value> = detail.items.iter().map(token_json).collect();
    Ok(Json(json!({
        "success": true,
        "message": "",
        "data": {
            "items": items,
            "total": detail.total,
            "page": detail.page,
            "page_size": detail.page_size,
        },
        "change": change_json(&detail.change),
    })))
}

/// `POST /api/token/batch/changes/{id}/revert`, body optional `{"dry_run", "strict", "lang"}` (docs/SPEC.md
/// §12): new-api's envelope, `data` the number of tokens restored (or, in a dry run, to restore), with the
/// revert's own change set, the tokens skipped and why, and each restored token before and after.
pub(super) async fn revert_change(
    State(app): State<App>,
    Path(change_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Result<Json<Value>, HttpError> {
    let (mut parts, body) = request.into_parts();
    let Ok(Language(lang)) = Language::from_request_parts(&mut parts, &app).await;
    let body = read_body(&parts.headers, body, app.body_timeout())
        .await
        .map_err(|failure| HttpError::new(failure, lang))?;
    let options = tokenbatch_rules::revert::read_revert_body_bytes(&body);
    let lang = options
        .as_ref()
        .ok()
        .and_then(|options| options.lang)
        .unwrap_or(lang);
    let caller = Caller::from_request_parts(&mut parts, &app)
        .await
        .map_err(|error| error.in_lang(lang))?;
    let refuse = |failure: HttpFailure| HttpError::new(failure, lang);
    let options = options.map_err(|violations| refuse(ApiError::Invalid(violations).into()))?;
    let change_id = change_id_of(&change_id).map_err(|error| refuse(error.into()))?;
    let result = app
        .revert_change(&caller.user, change_id, options.dry_run, options.strict)
        .await
        .map_err(|error| refuse(error.into()))?;
    // A dry run shows what it would restore; a revert answers its per-token results only when asked, as a
    // batch does (a 10 000-token revert would otherwise answer megabytes).
    // `size` caps the per-token results (a page can show the first ones and the summary of all of them).
    let details = (options.dry_run || flag(&query, "details")).then(|| {
        query
            .get("size")
            .and_then(|size| size.trim().parse::<usize>().ok())
            .unwrap_or(usize::MAX)
    });
    Ok(Json(revert_json(&result, details, lang)))
}

/// The revert's answer; `details`: how many per-token results to include (the first ones), if any. A dry
/// run also answers its per-column summary over every token it would restore, as a batch's preview does.
fn revert_json(
    result: &RevertResult,
    details: Option<usize>,
    lang: tokenbatch_rules::Lang,
) -> Value {
    let outcome = &result.outcome;
    let warnings: Vec<_> = result
        .warnings
        .iter()
        .map(|warning| warning.notice(lang))
        .collect();
    let message: Vec<&str> = warnings
        .iter()
        .map(|notice| notice.message.as_str())
        .collect();
    let skipped: Vec<Value> = outcome
        .skipped
        .iter()
        .map(|token| json!({ "id": token.token_id, "reason": token.reason.as_str() }))
        .collect();
    let mut answer = json!({
        "success": true,
        "message": message.join(" "),
        "data": outcome.changes.len(),
        "dry_run": result.dry_run,
        "change_id": outcome.change_id,
        "revert_id": outcome.revert_id,
        "unchanged": outcome.unchanged,
        "skipped": skipped,
        "warnings": warnings,
    });
    if let Some(size) = details {
        let results: Vec<ResultJson<'_>> = outcome
            .changes
            .iter()
            .take(size)
            .map(ResultJson::new)
            .collect();
        answer["results"] = json!(results);
    }
    if result.dry_run {
        answer["summary"] = summary_json(&ChangeSummary::of(&outcome.changes));
    }
    answer
}
