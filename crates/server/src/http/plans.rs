//! `GET /api/token/batch/plans/{plan_id}?p=&size=`: a page of a plan's per-token results as its dry run
//! computed them (docs/SPEC.md §10), so that a 100 000-token preview never travels whole.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};

use crate::app::App;
use crate::http::batch::{PlanJson, ResultJson};
use crate::http::error::HttpError;
use crate::http::extractor::Caller;
use crate::http::tokens::page_request;

/// new-api's page object of the results (items shaped as a dry run's `results`), and the plan beside it.
pub(super) async fn plan_results(
    State(app): State<App>,
    Path(plan_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    caller: Caller,
) -> Result<Json<Value>, HttpError> {
    let results = app
        .plan_results(&caller.user, &plan_id, page_request(&query))
        .await
        .map_err(|error| caller.refuse(error))?;
    let items: Vec<ResultJson<'_>> = results.items.iter().map(ResultJson::new).collect();
    Ok(Json(json!({
        "success": true,
        "message": "",
        "data": {
            "items": items,
            "total": results.total,
            "page": results.page,
            "page_size": results.page_size,
        },
        "plan": PlanJson::new(&results.plan, true),
    })))
}
