//! new-api's read routes: the caller's tokens (a page, a search, one token) and the groups the caller may
//! put on them.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};
use tokenbatch_rules::filter::{read_filter_query, TokenFilter};
use tokenbatch_store::{TokenOrder, TokenRecord};

use crate::app::{mask_key, App, PageRequest, TokenPage};
use crate::error::ApiError;
use crate::groups;
use crate::http::error::HttpError;
use crate::http::extractor::Caller;
use crate::sort::read_order;

/// `GET /api/token/?p=&size=`: the caller's tokens, newest first unless `sort`/`order` say otherwise, in
/// new-api's page object.
pub(super) async fn list_tokens(
    State(app): State<App>,
    Query(query): Query<HashMap<String, String>>,
    caller: Caller,
) -> Result<Json<Value>, HttpError> {
    let filter = query_filter(&query).map_err(|error| caller.refuse(error))?;
    let order = query_order(&query).map_err(|error| caller.refuse(error))?;
    let page = app
        .list_tokens(&caller.user, &filter, order, page_request(&query))
        .await
        .map_err(|error| caller.refuse(error))?;
    Ok(success(page_json(page)))
}

/// `GET /api/token/search?keyword=&token=&p=&size=`.
pub(super) async fn search_tokens(
    State(app): State<App>,
    Query(query): Query<HashMap<String, String>>,
    caller: Caller,
) -> Result<Json<Value>, HttpError> {
    let text = |name: &str| query.get(name).map(String::as_str).unwrap_or("");
    let filter = query_filter(&query).map_err(|error| caller.refuse(error))?;
    let order = query_order(&query).map_err(|error| caller.refuse(error))?;
    let page = app
        .search_tokens(
            &caller.user,
            text("keyword"),
            text("token"),
            &filter,
            order,
            page_request(&query),
        )
        .await
        .map_err(|error| caller.refuse(error))?;
    Ok(success(page_json(page)))
}

/// The filter keys among the query parameters (docs/SPEC.md §9: `status=1,3&group=vip&expires_before=…`), checked
/// by the rules crate with the codes and words the body's `filter` gets.
fn query_filter(query: &HashMap<String, String>) -> Result<TokenFilter, ApiError> {
    let params = query
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()));
    read_filter_query(params).map_err(ApiError::Invalid)
}

/// The list's order from `sort` and `order` (crate::sort::read_order), refused with HTTP 400.
fn query_order(query: &HashMap<String, String>) -> Result<TokenOrder, ApiError> {
    let text = |name: &str| query.get(name).map(String::as_str).unwrap_or("");
    read_order(text("sort"), text("order")).map_err(ApiError::InvalidSort)
}

/// `GET /api/token/:id`.
pub(super) async fn get_token(
    State(app): State<App>,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<Json<Value>, HttpError> {
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| caller.refuse(ApiError::TokenNotFound))?;
    let token = app
        .get_token(&caller.user, id)
        .await
        .map_err(|error| caller.refuse(error))?;
    Ok(success(token_json(token)))
}

/// `GET /api/user/self/groups`: the groups the caller may put on tokens, as new-api answers it (group name →
/// `{"ratio", "desc"}`), so a form can offer them and validate against the same list as the server.
pub(super) async fn usable_groups(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Value>, HttpError> {
    let groups = groups::usable_groups_described(app.store(), &caller.user)
        .await
        .map_err(|error| caller.refuse(error))?;
    Ok(success(Value::Object(groups)))
}

/// new-api's envelope of a successful read.
pub(super) fn success(data: Value) -> Json<Value> {
    Json(json!({ "success": true, "message": "", "data": data }))
}

/// Lenient like new-api's `strconv.Atoi` use: anything unparsable is the default.
pub(super) fn page_request(query: &HashMap<String, String>) -> PageRequest {
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

fn page_json(page: TokenPage) -> Value {
    json!({
        "items": page.items.into_iter().map(token_json).collect::<Vec<_>>(),
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
    })
}

/// new-api's token object; in root's lists over other users (`user_id`, docs/SPEC.md §13) also the owner's
/// `username`, after new-api's keys.
fn token_json(token: TokenRecord) -> Value {
    let owner = token.owner_username;
    let state = token.state;
    let mut json = json!({
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
    });
    if let (Some(owner), Value::Object(object)) = (owner, &mut json) {
        object.insert("username".to_owned(), Value::from(owner));
    }
    json
}
