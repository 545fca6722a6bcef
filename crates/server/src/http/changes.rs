//! The history (docs/SPEC.md §12): `GET /api/token/batch/changes?p=&size=`, the change sets the caller made
//! or that changed the caller's tokens, newest first; `GET /api/token/batch/changes/{id}?p=&size=`, one
//! change set with a page of its tokens' values before and after.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};
use tokenbatch_store::{ChangeSet, ChangedToken};

use crate::app::App;
use crate::error::ApiError;
use crate::http::error::HttpError;
use crate::http::extractor::Caller;
use crate::http::tokens::{page_request, success};

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
    // An id that is no number names no change set: the same answer as an unknown one.
    let change_id: i64 = change_id
        .trim()
        .parse()
        .map_err(|_| caller.refuse(ApiError::ChangeNotFound))?;
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
