//! Root's batches across users in the history (docs/SPEC.md §12, §13) on every engine: the change set records
//! root as the acting user and each token's owner; each owner lists it and reads only their own tokens in it
//! (HTTP and gRPC), an admin who owns none of them sees nothing; only root reverts it, and each owner then
//! lists the revert too.

use serde_json::{json, Value};
use tokenbatch_e2e::{on_every_engine, Engine, TestServer, User};
use tokenbatch_proto::token_v1 as pb;

use crate::history_revert::revert;
use crate::history_support::{change_sets, change_tokens};
use crate::root_batches::{applied, quota_body};
use crate::root_lists::{add_user, with_root};

/// The change sets `user` lists over HTTP, newest first.
async fn listed(server: &TestServer, user: &User) -> Vec<Value> {
    let (_, answer, raw) = server.get(user, "/api/token/batch/changes?size=100").await;
    answer["data"]["items"].as_array().expect(&raw).clone()
}

async fn history_records_root_and_each_owner(engine: Engine) {
    let (server, root) = with_root(engine).await;
    let (alice, bob) = (server.alice.clone(), server.bob.clone());
    let before = server.snapshot().await;
    let text = quota_body(r#""ids": [1, 2, 900], "scope": "all_users""#, 31);
    let change_id = applied(&server, &root, &text).await["change_id"]
        .as_i64()
        .expect("a change set");
    let sets = change_sets(&server.db).await;
    assert_eq!(sets.len(), 1);
    assert_eq!((sets[0].0, sets[0].1), (change_id, root.id), "root acted");
    let owners: Vec<(i64, i64)> = change_tokens(&server.db, change_id)
        .await
        .iter()
        .map(|(token, owner, _, _)| (*token, *owner))
        .collect();
    assert_eq!(owners, [(1, alice.id), (2, alice.id), (900, bob.id)]);

    // Each owner lists it, with root as the acting user, and reads only their own tokens in it.
    for (user, tokens) in [
        (&alice, vec![1, 2]),
        (&bob, vec![900]),
        (&root, vec![1, 2, 900]),
    ] {
        let sets = listed(&server, user).await;
        assert_eq!(sets.len(), 1, "{sets:?}");
        assert_eq!(
            (&sets[0]["id"], &sets[0]["user_id"]),
            (&json!(change_id), &json!(root.id))
        );
        let path = format!("/api/token/batch/changes/{change_id}");
        let (_, detail, raw) = server.get(user, &path).await;
        let seen: Vec<i64> = detail["data"]["items"]
            .as_array()
            .expect(&raw)
            .iter()
            .map(|item| item["id"].as_i64().unwrap())
            .collect();
        assert_eq!(seen, tokens, "{raw}");
    }
    let page = server
        .grpc()
        .await
        .list_changes(server.grpc_request(&bob, pb::ListChangesRequest::default()))
        .await
        .expect("bob's changes")
        .into_inner();
    assert_eq!(page.total, 1, "{page:?}");
    // An admin who owns nothing of it sees nothing.
    let admin = add_user(&server, "admin", "default", 10).await;
    assert!(listed(&server, &admin).await.is_empty());

    // Only root reverts it: the owners get change.not_found and nothing is written.
    let after = server.snapshot().await;
    for owner in [&alice, &bob] {
        let (status, answer, raw) = revert(&server, owner, change_id, "").await;
        assert_eq!(
            (status, &answer["code"]),
            (404, &json!("change.not_found")),
            "{raw}"
        );
        assert_eq!(server.snapshot().await, after);
    }
    let (status, answer, raw) = revert(&server, &root, change_id, "").await;
    assert_eq!((status, &answer["data"]), (200, &json!(3)), "{raw}");
    assert_eq!(server.snapshot().await, before);
    // The revert touched their tokens too: each owner lists it.
    assert_eq!(listed(&server, &alice).await.len(), 2);
    assert_eq!(listed(&server, &bob).await.len(), 2);
    server.stop().await;
}

on_every_engine!(history_records_root_and_each_owner);
