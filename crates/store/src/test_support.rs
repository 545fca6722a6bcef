//! What the store's unit tests share: a fresh SQLite store with one user, and tokens to seed it with.

use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{BatchInput, Context, Patch, ValidBatch};

use crate::{Location, NewToken, NewUser, Store};

/// A fresh SQLite store holding one user; the store's directory lives as long as the returned guard.
pub(crate) async fn sqlite_store_with_user() -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Location::SqliteFile(dir.path().join("store.db")))
        .await
        .unwrap();
    let user = NewUser {
        username: "u".into(),
        password_hash: "x".into(),
        role: 1,
        status: 1,
        access_token: "t".repeat(32),
        group: "default".into(),
        aff_code: "abcd".into(),
    };
    let user_id = store.insert_user(&user).await.unwrap();
    (dir, store, user_id)
}

/// [`sqlite_store_with_user`] with that user's tokens `ids`, each in `state`.
pub(crate) async fn sqlite_store_with_tokens(
    ids: impl IntoIterator<Item = i64>,
    state: TokenState,
) -> (tempfile::TempDir, Store, i64) {
    let (dir, store, user_id) = sqlite_store_with_user().await;
    let tokens: Vec<NewToken> = ids
        .into_iter()
        .map(|id| new_token(user_id, id, state.clone()))
        .collect();
    store.insert_tokens(&tokens).await.unwrap();
    (dir, store, user_id)
}

pub(crate) fn new_token(user_id: i64, id: i64, state: TokenState) -> NewToken {
    NewToken {
        id: Some(id),
        user_id,
        key: format!("key-{id}"),
        name: format!("t{id}"),
        created_time: 1,
        used_quota: 0,
        state,
    }
}

/// The batch writing `values` to `ids`, through the rules: the store takes nothing else.
pub(crate) fn valid(ids: &[i64], values: Patch) -> ValidBatch {
    let input = BatchInput {
        ids: ids.to_vec(),
        update_fields: Some(values.present()),
        patch: values,
        ..BatchInput::default()
    };
    tokenbatch_rules::check_input(input, &Context::default()).expect("the rules accept the batch")
}
