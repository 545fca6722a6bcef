//! The HTTP/JSON shim: new-api's routes and envelope over the same application calls as the gRPC service.
//! Handlers take the caller as an extractor (extractor.rs) and return `Result<_, HttpError>`, whose
//! answer error.rs renders.

mod batch;
mod changes;
pub mod error;
pub mod extractor;
mod plans;
mod tokens;
mod user_self;

use axum::extract::State;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokenbatch_rules::RULES_VERSION;

use crate::app::App;
use error::{HttpError, HttpFailure};
use extractor::Language;

pub fn router(app: App) -> Router {
    Router::new()
        .route("/api/token/batch", put(batch::batch_update))
        .route("/api/token/batch/plans/{plan_id}", get(plans::plan_results))
        .route("/api/token/batch/changes", get(changes::list_changes))
        .route("/api/token/batch/changes/{id}", get(changes::change_detail))
        .route(
            "/api/token/batch/changes/{id}/revert",
            post(changes::revert_change),
        )
        .route("/api/token/", get(tokens::list_tokens))
        .route("/api/token", get(tokens::list_tokens))
        .route("/api/token/search", get(tokens::search_tokens))
        .route("/api/token/{id}", get(tokens::get_token))
        .route("/api/user/self", get(user_self::get_self))
        .route("/api/user/self/groups", get(tokens::usable_groups))
        .route("/api/status", get(status))
        .merge(crate::web::router())
        .fallback(not_found)
        .with_state(app)
}

/// `GET /api/status`: what this server is, for clients and for the web page's version check, and the
/// database's column limits the rules apply (so a form can apply them too).
async fn status(State(app): State<App>) -> Json<Value> {
    let column_limits: serde_json::Map<String, Value> = app
        .store()
        .column_limits()
        .iter()
        .map(|(field, max)| (field.name().to_owned(), json!(max)))
        .collect();
    tokens::success(json!({
        "name": "tokenbatch",
        "version": env!("CARGO_PKG_VERSION"),
        "rules_version": RULES_VERSION,
        "engine": app.store().engine(),
        "column_limits": column_limits,
    }))
}

async fn not_found(Language(lang): Language) -> HttpError {
    HttpError::new(HttpFailure::RouteNotFound, lang)
}
