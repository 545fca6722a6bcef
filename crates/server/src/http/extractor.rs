//! Who is calling and in which language to answer, taken from the request's head as new-api carries them.

use std::collections::HashMap;
use std::convert::Infallible;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use tokenbatch_rules::Lang;
use tokenbatch_store::UserRecord;

use crate::app::{pick_lang, App};
use crate::auth::Credentials;
use crate::http::error::{HttpError, HttpFailure};

/// The authenticated caller (`Authorization` with `New-Api-User`) and the language of the answers. A
/// request that does not prove a user is answered with new-api's `AUTH_*` envelope, in that language.
pub struct Caller {
    pub user: UserRecord,
    pub lang: Lang,
}

impl Caller {
    /// `failure` as this caller's answer.
    pub fn refuse(&self, failure: impl Into<HttpFailure>) -> HttpError {
        HttpError::new(failure, self.lang)
    }
}

impl FromRequestParts<App> for Caller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Caller, HttpError> {
        let lang = lang_of(parts);
        let credentials = Credentials {
            authorization: header_text(&parts.headers, "authorization"),
            user_id: header_text(&parts.headers, "new-api-user"),
        };
        match app.authenticate(&credentials).await {
            Ok(user) => Ok(Caller { user, lang }),
            Err(error) => Err(HttpError::new(error, lang)),
        }
    }
}

/// The language of the answers alone, for requests that need no caller.
pub struct Language(pub Lang);

impl<S: Sync> FromRequestParts<S> for Language {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Language, Infallible> {
        Ok(Language(lang_of(parts)))
    }
}

/// An explicit `lang` query parameter wins over `Accept-Language` (`app::pick_lang`).
fn lang_of(parts: &Parts) -> Lang {
    let query = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
        .map(|Query(query)| query)
        .unwrap_or_default();
    pick_lang(
        query.get("lang").map(String::as_str),
        header_text(&parts.headers, "accept-language").as_deref(),
    )
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}
