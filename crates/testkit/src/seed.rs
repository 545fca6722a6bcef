//! The users and tokens tests and benchmarks start from, written through tokenbatch's own store.

use tokenbatch_rules::apply::{TokenState, STATUS_ENABLED};
use tokenbatch_store::{NewToken, Store, StoreError};

/// A user the kit created: what a request needs to act as them.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub access_token: String,
}

/// The state every seeded token starts in: enabled, group `default`, no expiry, a quota of 1 000 000.
pub fn initial_state() -> TokenState {
    TokenState {
        status: STATUS_ENABLED,
        group: "default".into(),
        expired_time: -1,
        remain_quota: 1_000_000,
        // The other fields at new-api's defaults (empty, false), whatever fields the rules come to have.
        ..TokenState::default()
    }
}

/// Token `id` of `user_id`, named `{prefix}-{id}`, in the [`initial_state`], with a random 48-character key.
pub fn token(user_id: i64, id: i64, prefix: &str) -> NewToken {
    NewToken {
        id: Some(id),
        user_id,
        key: tokenbatch::seed::random_alphanumeric(48),
        name: format!("{prefix}-{id}"),
        created_time: 1_700_000_000 + id,
        used_quota: 0,
        state: initial_state(),
    }
}

/// [`token`] for each of `ids`.
pub fn tokens(user_id: i64, ids: impl IntoIterator<Item = i64>, prefix: &str) -> Vec<NewToken> {
    ids.into_iter()
        .map(|id| token(user_id, id, prefix))
        .collect()
}

/// Adds user `username` (role 1, a random access token) in `group`.
pub async fn add_user(store: &Store, username: &str, group: &str) -> Result<User, StoreError> {
    let created = tokenbatch::seed::add_user(store, username, group, 1).await?;
    Ok(User {
        id: created.id,
        access_token: created.access_token,
    })
}

/// Adds user `username` in `group` owning [`tokens`] `ids` named `{prefix}-{id}`, inserted in transactions of
/// 10 000.
pub async fn add_user_with_tokens(
    store: &Store,
    username: &str,
    group: &str,
    ids: impl IntoIterator<Item = i64>,
    prefix: &str,
) -> Result<User, StoreError> {
    let user = add_user(store, username, group).await?;
    let all = tokens(user.id, ids, prefix);
    for chunk in all.chunks(10_000) {
        store.insert_tokens(chunk).await?;
    }
    Ok(user)
}
