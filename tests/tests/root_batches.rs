//! Root's batches across users (docs/SPEC.md §13) on every engine, checked against snapshots read with plain
//! SQL: `filter.user_id` (an id or `*`, with the count guard) and `"scope": "all_users"` on an ids batch reach
//! other users' tokens for root only; without scope root's ids batch stays owner-only; admins and common users
//! get 403 (gRPC PERMISSION_DENIED) and nothing is written; groups are checked per owner; a plan across users
//! applies, and goes stale when a pinned token changes owner; the store checks owners on the rows it locked.
//! Root's batches in the history: root_batches_history.rs.

use serde_json::{json, Value};
use tokenbatch_e2e::{on_every_engine, Engine, TestServer, User, BOB_IDS};
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_store::{BatchPlan, Owners, Store, StoreError};
use tonic::Code;

use crate::root_lists::{add_user, with_root};

/// Every seeded token: alice's 22 and bob's 5.
const EVERY_TOKEN: i64 = 27;

pub(crate) fn quota_body(selection: &str, quota: i64) -> String {
    format!(r#"{{{selection}, "update_fields": ["remain_quota"], "remain_quota": {quota}}}"#)
}

async fn refused_with(server: &TestServer, user: &User, text: &str, code: &str) -> Value {
    let before = server.snapshot().await;
    let (status, answer, raw) = server.put_batch(user, text).await;
    // new-api answers business refusals with 200 and `success: false`.
    let expected = if code == "AUTH_INSUFFICIENT_PRIVILEGE" {
        403
    } else {
        200
    };
    assert_eq!(
        (status, &answer["success"], &answer["code"]),
        (expected, &json!(false), &json!(code)),
        "{text}: {raw}"
    );
    assert_eq!(
        server.snapshot().await,
        before,
        "{text}: refused, yet written"
    );
    answer
}

pub(crate) async fn applied(server: &TestServer, user: &User, text: &str) -> Value {
    let (status, answer, raw) = server.put_batch(user, text).await;
    assert_eq!(
        (status, &answer["success"]),
        (200, &json!(true)),
        "{text}: {raw}"
    );
    answer
}

/// The ids whose quota is `quota` now.
async fn ids_with_quota(server: &TestServer, quota: i64) -> Vec<i64> {
    let snapshot = server.snapshot().await;
    snapshot
        .into_iter()
        .filter(|(_, state)| state.remain_quota == quota)
        .map(|(id, _)| id)
        .collect()
}

async fn roots_batches_reach_other_users_only_when_asked(engine: Engine) {
    let (server, root) = with_root(engine).await;
    let admin = add_user(&server, "admin", "default", 10).await;
    let bob = server.bob.id;

    let by_bob = format!(r#""filter": {{"user_id": {bob}}}, "expected_count": 5"#);
    let answer = applied(&server, &root, &quota_body(&by_bob, 777)).await;
    assert_eq!(answer["data"], json!(5));
    assert_eq!(ids_with_quota(&server, 777).await, BOB_IDS);

    // Every user's tokens, with the count guard as for one user.
    let everyone = r#""filter": {"user_id": "*"}"#;
    let required = refused_with(
        &server,
        &root,
        &quota_body(everyone, 1),
        "filter.count_required",
    )
    .await;
    assert!(
        required["message"].as_str().unwrap().contains("27"),
        "{required}"
    );
    let wrong = format!(r#"{everyone}, "expected_count": 26"#);
    refused_with(
        &server,
        &root,
        &quota_body(&wrong, 1),
        "filter.count_mismatch",
    )
    .await;
    let right = format!(r#"{everyone}, "expected_count": {EVERY_TOKEN}"#);
    let answer = applied(&server, &root, &quota_body(&right, 888)).await;
    assert_eq!(answer["data"], json!(EVERY_TOKEN));
    assert_eq!(ids_with_quota(&server, 888).await.len(), 27);

    // Ids: owner-only without scope, root's too; every user's with it.
    let ids = r#""ids": [1, 900]"#;
    refused_with(&server, &root, &quota_body(ids, 5), "ids.not_found").await;
    let scoped = format!(r#"{ids}, "scope": "all_users""#);
    let answer = applied(&server, &root, &quota_body(&scoped, 5)).await;
    assert_eq!(answer["data"], json!(2));
    assert_eq!(ids_with_quota(&server, 5).await, [1, 900]);
    for scope in [r#""mine""#, r#""*""#, "true"] {
        let invalid = format!(r#"{ids}, "scope": {scope}"#);
        refused_with(&server, &root, &quota_body(&invalid, 6), "scope.invalid").await;
    }

    // Anyone else: 403 whatever the value, even naming only their own tokens, nothing revealed.
    let alice = server.alice.clone();
    for (user, own) in [(&admin, admin.id), (&alice, alice.id)] {
        for selection in [
            format!(r#""filter": {{"user_id": {own}}}, "expected_count": 22"#),
            format!(r#""filter": {{"user_id": "*"}}, "expected_count": {EVERY_TOKEN}"#),
            r#""ids": [1], "scope": "all_users""#.to_owned(),
            r#""ids": [1], "scope": "mine""#.to_owned(),
        ] {
            let text = quota_body(&selection, 9);
            let answer = refused_with(&server, user, &text, "AUTH_INSUFFICIENT_PRIVILEGE").await;
            let shown = answer.to_string();
            assert!(!shown.contains("900") && !shown.contains("bob"), "{shown}");
        }
    }
    // A dry run is refused alike: it would reveal other users' tokens.
    let dry = r#"{"dry_run": true, "ids": [900], "scope": "all_users", "update_fields": ["remain_quota"], "remain_quota": 1}"#;
    refused_with(&server, &admin, dry, "AUTH_INSUFFICIENT_PRIVILEGE").await;
    server.stop().await;
}

async fn roots_batches_over_grpc(engine: Engine) {
    let (server, root) = with_root(engine).await;
    let admin = add_user(&server, "admin", "default", 10).await;
    let mut client = server.grpc().await;
    let request = |ids: Vec<i64>, filter: Option<pb::TokenFilter>, count, scope: Option<&str>| {
        pb::BatchUpdateTokensRequest {
            ids,
            patch: Some(pb::TokenPatch {
                remain_quota: Some(4_242),
                ..pb::TokenPatch::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["remain_quota".into()],
            }),
            filter,
            expected_count: count,
            scope: scope.map(str::to_owned),
            ..pb::BatchUpdateTokensRequest::default()
        }
    };
    let bobs = || pb::TokenFilter {
        user_id: Some(server.bob.id.to_string()),
        ..pb::TokenFilter::default()
    };
    let done = client
        .batch_update_tokens(
            server.grpc_request(&root, request(vec![], Some(bobs()), Some(5), None)),
        )
        .await
        .expect("root's filter over bob")
        .into_inner();
    assert_eq!(done.changed, 5);
    assert_eq!(ids_with_quota(&server, 4_242).await, BOB_IDS);

    let refused = client
        .batch_update_tokens(server.grpc_request(&root, request(vec![2, 901], None, None, None)))
        .await
        .expect_err("owner-only without scope");
    assert_eq!(refused.code(), Code::NotFound, "{refused:?}");
    let done = client
        .batch_update_tokens(
            server.grpc_request(&root, request(vec![2, 901], None, None, Some("all_users"))),
        )
        .await
        .expect("root's scope")
        .into_inner();
    assert_eq!(done.changed, 1, "901 already held the value: {done:?}");
    assert!(ids_with_quota(&server, 4_242).await.contains(&2));

    let before = server.snapshot().await;
    for (user, filter, scope) in [
        (&admin, Some(bobs()), None),
        (&admin, None, Some("all_users")),
        (&server.alice, None, Some("x")),
    ] {
        let ids = if filter.is_some() { vec![] } else { vec![3] };
        let refused = client
            .batch_update_tokens(server.grpc_request(user, request(ids, filter, Some(5), scope)))
            .await
            .expect_err("root only");
        assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    }
    let refused = client
        .batch_update_tokens(server.grpc_request(&root, request(vec![3], None, None, Some("x"))))
        .await
        .expect_err("scope.invalid");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(
        format!("{refused:?}").contains("scope.invalid"),
        "{refused:?}"
    );
    assert_eq!(server.snapshot().await, before);
    server.stop().await;
}

/// Only bob's own user group (`vip`) is usable beside `default`: `vip` is bob's to use, not alice's.
async fn groups_are_checked_per_owner(engine: Engine) {
    let (server, root) = with_root(engine).await;
    let store = Store::open(&server.db.location).await.expect("store");
    store
        .set_option("UserUsableGroups", r#"{"default":"默认分组"}"#)
        .await
        .expect("option");
    store.close().await;
    let alice = server.alice.id;
    for write in [r#""group": "vip""#, r#""group": {"prepend": "vip"}"#] {
        let text = format!(
            r#"{{"ids": [1, 2, 900], "scope": "all_users", "update_fields": ["group"], {write}}}"#
        );
        let answer = refused_with(&server, &root, &text, "group.not_allowed").await;
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(&format!("#{alice} alice")), "{message}");
        assert!(!message.contains("bob"), "bob may use vip: {message}");
    }
    // Bob's tokens alone: allowed, though root's own user group (default) may not use vip.
    let bob = server.bob.id;
    let text = format!(
        r#"{{"filter": {{"user_id": {bob}}}, "expected_count": 5, "update_fields": ["group"], "group": "vip,default"}}"#
    );
    assert_eq!(applied(&server, &root, &text).await["data"], json!(5));
    for id in BOB_IDS {
        assert_eq!(server.row(id).await.group, "vip,default");
    }
    // Removing a group needs no right to it.
    let text = r#"{"ids": [1, 900], "scope": "all_users", "update_fields": ["group"], "group": {"remove": "vip"}}"#;
    applied(&server, &root, text).await;
    assert_eq!(server.row(900).await.group, "default");
    server.stop().await;
}

async fn a_plan_across_users_applies_and_goes_stale_on_an_owner_change(engine: Engine) {
    let (server, root) = with_root(engine).await;
    let preview = |quota| {
        format!(
            r#"{{"dry_run": true, "filter": {{"user_id": "*", "group": "default"}}, "update_fields": ["remain_quota"], "remain_quota": {quota}}}"#
        )
    };
    let plan_of = |answer: &Value| answer["plan"]["plan_id"].as_str().expect("plan").to_owned();
    let answer = applied(&server, &root, &preview(61)).await;
    assert_eq!(answer["plan"]["count"], json!(EVERY_TOKEN), "{answer}");
    let plan_id = plan_of(&answer);
    let apply = json!({ "plan_id": plan_id }).to_string();
    let done = applied(&server, &root, &apply).await;
    assert_eq!(done["data"], json!(EVERY_TOKEN));
    assert_eq!(ids_with_quota(&server, 61).await.len(), 27);
    // Only root applies root's plan.
    let (_, answer, raw) = server.put_batch(&server.alice, &apply).await;
    assert_eq!(answer["code"], json!("plan.not_found"), "{raw}");

    let answer = applied(&server, &root, &preview(62)).await;
    let apply = json!({ "plan_id": plan_of(&answer) }).to_string();
    server
        .execute(&format!(
            "UPDATE tokens SET user_id = {} WHERE id = 900",
            server.alice.id
        ))
        .await;
    let (_, answer, raw) = server.put_batch(&root, &apply).await;
    assert_eq!(answer["code"], json!("plan.stale"), "{raw}");
    assert!(ids_with_quota(&server, 62).await.is_empty());
    server.stop().await;
}

/// The store writes only tokens of the owners the caller checked, judged on the rows it has locked: a token
/// whose owner is not among them counts as not found and the batch writes nothing, so a token given to
/// another user between the groups' check and the write is never written unchecked.
async fn owners_are_checked_on_the_locked_rows(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let (alice, bob) = (server.alice.id, server.bob.id);
    let store = Store::open(&server.db.location).await.expect("store");
    let text = r#"{"ids": [1, 900], "scope": "all_users", "update_fields": ["remain_quota"], "remain_quota": 3}"#;
    let batch = tokenbatch_rules::check_body(text, &tokenbatch_rules::Context::default()).unwrap();
    let plan = |user_id, owners| BatchPlan {
        user_id,
        owners,
        batch: &batch,
        now: 1_800_000_000,
        dry_run: false,
        keys: false,
        full_states: false,
        request: None,
        plan: None,
        history: None,
    };
    let before = server.snapshot().await;
    let (only_bob, only_alice) = ([bob], [alice]);
    for (user_id, owners) in [
        (bob, Owners::Among(&only_bob)),
        (alice, Owners::Caller),
        (4_242, Owners::Among(&only_alice)),
    ] {
        match store.apply_batch(&plan(user_id, owners)).await {
            Err(StoreError::TokensNotFound { missing: 1 }) => {}
            other => panic!("{owners:?}: {other:?}"),
        }
        assert_eq!(server.snapshot().await, before, "{owners:?}");
    }
    let owners = [alice, bob];
    let applied = store
        .apply_batch(&plan(4_242, Owners::Among(&owners)))
        .await
        .unwrap();
    assert_eq!(applied.changed, 2);
    store.close().await;
    server.stop().await;
}

on_every_engine!(
    owners_are_checked_on_the_locked_rows,
    roots_batches_reach_other_users_only_when_asked,
    roots_batches_over_grpc,
    groups_are_checked_per_owner,
    a_plan_across_users_applies_and_goes_stale_on_an_owner_change
);
