//! `GET /api/user/self`: new-api's route answering who the caller is. The page reads `role` from it to know
//! whether the caller is root (docs/SPEC.md §13), and then offers the user filter and the owner column.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::app::App;
use crate::error::{ApiError, AuthFailure};
use crate::http::error::HttpError;
use crate::http::extractor::Caller;
use crate::http::tokens::success;

/// The caller's own `users` row, as new-api's `GetSelf` answers it, with the keys of
/// [`tokenbatch_store::UserProfile`] only: never the password, the access token or another secret.
pub(super) async fn get_self(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Value>, HttpError> {
    let profile = app
        .store()
        .find_user_profile(caller.user.id)
        .await
        .map_err(|error| caller.refuse(ApiError::from(error)))?
        // Soft-deleted since the caller was authenticated a moment ago: no longer a user.
        .ok_or_else(|| caller.refuse(ApiError::Unauthenticated(AuthFailure::Rejected)))?;
    Ok(success(json!({
        "id": profile.id,
        "username": profile.username,
        "display_name": profile.display_name,
        "role": profile.role,
        "status": profile.status,
        "email": profile.email,
        "group": profile.group,
        "quota": profile.quota,
        "used_quota": profile.used_quota,
        "request_count": profile.request_count,
    })))
}
