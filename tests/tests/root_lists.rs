//! Root's lists and searches over other users' tokens (docs/SPEC.md §13), on every engine: with `user_id`
//! (an id or `*`) each token comes with its owner's username, over HTTP (`username`, after new-api's keys)
//! and gRPC (`Token.owner_username`); without it, and for everyone else, the token object stays new-api's. A
//! disabled root is refused like any disabled user.

use serde_json::{json, Value};
use tokenbatch_e2e::{on_every_engine, Engine, TestServer, User, BOB_IDS};
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_store::Store;

/// A root user (new-api's role 100) beside alice and bob.
pub(crate) async fn with_root(engine: Engine) -> (TestServer, User) {
    let server = TestServer::start_on(engine).await;
    let root = add_user(&server, "root", "default", 100).await;
    (server, root)
}

/// Adds a user of `role` (1 common, 10 admin, 100 root) in user group `group`, owning no token.
pub(crate) async fn add_user(server: &TestServer, name: &str, group: &str, role: i64) -> User {
    let store = Store::open(&server.db.location).await.expect("open store");
    let created = tokenbatch::seed::add_user(&store, name, group, role)
        .await
        .expect(name);
    store.close().await;
    User {
        id: created.id,
        access_token: created.access_token,
    }
}

/// The items of a successful page answer.
fn items(answer: &Value, raw: &str) -> Vec<Value> {
    assert_eq!(answer["success"], json!(true), "{raw}");
    answer["data"]["items"].as_array().expect(raw).clone()
}

async fn roots_lists_name_each_tokens_owner(engine: Engine) {
    let (server, root) = with_root(engine).await;
    let (alice, bob) = (server.alice.id, server.bob.id);
    let owner = |item: &Value| match item["user_id"].as_i64() {
        Some(id) if id == alice => "alice",
        Some(id) if id == bob => "bob",
        _ => panic!("a token of nobody seeded: {item}"),
    };

    let (_, answer, raw) = server.get(&root, "/api/token/?user_id=*&size=100").await;
    let everyone = items(&answer, &raw);
    assert_eq!(
        answer["data"]["total"],
        json!(27),
        "alice's 22 and bob's 5: {raw}"
    );
    for item in &everyone {
        assert_eq!(item["username"], json!(owner(item)), "{item}");
        let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert_eq!(
            keys.last().map(|key| key.as_str()),
            Some("username"),
            "{item}"
        );
    }

    let path = format!("/api/token/search?user_id={bob}&keyword=token%25&size=100");
    let (_, answer, raw) = server.get(&root, &path).await;
    let bobs = items(&answer, &raw);
    let ids: Vec<i64> = bobs
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect();
    let mut expected: Vec<i64> = BOB_IDS.to_vec();
    expected.reverse();
    assert_eq!(ids, expected, "newest first: {raw}");
    assert!(
        bobs.iter().all(|item| item["username"] == json!("bob")),
        "{raw}"
    );

    // Root's own list, and anyone's: new-api's token object, no owner named.
    for (user, path) in [
        (&root, "/api/token/"),
        (&server.alice, "/api/token/?size=100"),
    ] {
        let (_, answer, raw) = server.get(user, path).await;
        for item in items(&answer, &raw) {
            assert!(item.get("username").is_none(), "{path}: {item}");
        }
    }

    let mut client = server.grpc().await;
    let list = |user_id: Option<&str>| pb::ListTokensRequest {
        page: 1,
        page_size: 100,
        filter: Some(pb::TokenFilter {
            user_id: user_id.map(str::to_owned),
            ..pb::TokenFilter::default()
        }),
        ..Default::default()
    };
    let page = client
        .list_tokens(server.grpc_request(&root, list(Some("*"))))
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(page.total, 27);
    for token in &page.items {
        let expected = if token.user_id == alice {
            "alice"
        } else {
            "bob"
        };
        assert_eq!(token.owner_username.as_deref(), Some(expected), "{token:?}");
    }
    let own = client
        .list_tokens(server.grpc_request(&root, list(None)))
        .await
        .expect("listed")
        .into_inner();
    assert!(own.items.iter().all(|token| token.owner_username.is_none()));
    server.stop().await;
}

/// A disabled root is refused like any disabled user (new-api's `AUTH_USER_DISABLED`), over HTTP and gRPC, and
/// learns nothing of other users' tokens.
async fn a_disabled_root_sees_nothing(engine: Engine) {
    let (server, root) = with_root(engine).await;
    server
        .execute(&format!(
            "UPDATE users SET status = 2 WHERE id = {}",
            root.id
        ))
        .await;
    for path in [
        "/api/token/?user_id=*",
        "/api/token/search?user_id=*&keyword=token%25",
    ] {
        let (status, answer, raw) = server.get(&root, path).await;
        assert_eq!(status, 401, "{path}: {raw}");
        assert_eq!(answer["code"], json!("AUTH_USER_DISABLED"), "{path}: {raw}");
        assert!(!raw.contains("\"items\""), "{path}: {raw}");
    }
    let request = pb::ListTokensRequest {
        page: 1,
        page_size: 10,
        filter: Some(pb::TokenFilter {
            user_id: Some("*".into()),
            ..pb::TokenFilter::default()
        }),
        ..Default::default()
    };
    let refused = server
        .grpc()
        .await
        .list_tokens(server.grpc_request(&root, request))
        .await
        .expect_err("a disabled root is refused");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    server.stop().await;
}

on_every_engine!(
    roots_lists_name_each_tokens_owner,
    a_disabled_root_sees_nothing
);
