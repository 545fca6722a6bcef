//! Who may do what: every route, HTTP and gRPC, against every kind of identity, and users disabled or deleted
//! after getting their token. That no user ever writes another user's token: authorization_cross_user.rs.

use serde_json::{json, Value};
use tokenbatch_e2e::{body, on_every_engine, send, Engine, TestServer, User, BOB_IDS};
use tokenbatch_proto::token_v1 as pb;
use tonic::Code;

/// An identity to present, and whether it should be let in.
struct Identity {
    name: &'static str,
    authorization: Option<String>,
    user_id: Option<String>,
    accepted: bool,
}

fn identities(server: &TestServer, alice: &User) -> Vec<Identity> {
    let id = alice.id.to_string();
    let token = alice.access_token.clone();
    let identity =
        |name, authorization: Option<String>, user_id: Option<String>, accepted| Identity {
            name,
            authorization,
            user_id,
            accepted,
        };
    vec![
        identity("no headers", None, None, false),
        identity(
            "empty headers",
            Some(String::new()),
            Some(String::new()),
            false,
        ),
        identity("token without user id", Some(token.clone()), None, false),
        identity("user id without token", None, Some(id.clone()), false),
        identity("bare token", Some(token.clone()), Some(id.clone()), true),
        identity(
            "Bearer token",
            Some(format!("Bearer {token}")),
            Some(id.clone()),
            true,
        ),
        identity(
            "lower-case bearer",
            Some(format!("bearer {token}")),
            Some(id.clone()),
            true,
        ),
        identity(
            "wrong token",
            Some("Bearer x".repeat(8)),
            Some(id.clone()),
            false,
        ),
        identity(
            "token prefix",
            Some(token[..16].to_owned()),
            Some(id.clone()),
            false,
        ),
        identity(
            "right token, other user's id",
            Some(token.clone()),
            Some(server.bob.id.to_string()),
            false,
        ),
        identity(
            "other user's token, own id",
            Some(server.bob.access_token.clone()),
            Some(id.clone()),
            false,
        ),
        identity(
            "non-numeric user id",
            Some(token),
            Some("1 OR 1=1".into()),
            false,
        ),
    ]
}

/// Every HTTP route with a request that would succeed for alice, `plan_id` being a plan of hers (applied by
/// the first accepted identity, then answered as a replay; its first batch is change set 1 of the history).
fn http_routes(plan_id: &str) -> Vec<(&'static str, String, Option<String>)> {
    vec![
        (
            "PUT",
            "/api/token/batch".into(),
            Some(body(&[1, 2], r#""remain_quota":42"#, &["remain_quota"])),
        ),
        (
            "PUT",
            "/api/token/batch".into(),
            Some(json!({ "plan_id": plan_id }).to_string()),
        ),
        ("GET", format!("/api/token/batch/plans/{plan_id}"), None),
        // The history: change set 1 is the first accepted identity's batch just above.
        ("GET", "/api/token/batch/changes?p=1&size=5".into(), None),
        ("GET", "/api/token/batch/changes/1".into(), None),
        // A dry run of its revert: answered, nothing written, so every accepted identity gets the same.
        (
            "POST",
            "/api/token/batch/changes/1/revert".into(),
            Some(r#"{"dry_run": true}"#.into()),
        ),
        ("GET", "/api/token/?p=1&size=5".into(), None),
        ("GET", "/api/token/search?keyword=token-1".into(), None),
        ("GET", "/api/token/1".into(), None),
        ("GET", "/api/user/self".into(), None),
        ("GET", "/api/user/self/groups".into(), None),
    ]
}

async fn call_http(
    server: &TestServer,
    who: &Identity,
    route: &(&str, String, Option<String>),
) -> (u16, Value, String) {
    let (method, path, payload) = route;
    let url = format!("{}{path}", server.base_url);
    let mut request = match *method {
        "PUT" => server
            .http
            .put(url)
            .body(payload.clone().unwrap_or_default()),
        "POST" => server
            .http
            .post(url)
            .body(payload.clone().unwrap_or_default()),
        _ => server.http.get(url),
    };
    if let Some(value) = &who.authorization {
        request = request.header("Authorization", value);
    }
    if let Some(value) = &who.user_id {
        request = request.header("New-Api-User", value);
    }
    send(request).await
}

fn metadata<T>(who: &Identity, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(value) = &who.authorization {
        if let Ok(value) = value.parse() {
            request.metadata_mut().insert("authorization", value);
        }
    }
    if let Some(value) = &who.user_id {
        if let Ok(value) = value.parse() {
            request.metadata_mut().insert("new-api-user", value);
        }
    }
    request
}

/// Every RPC with a request that would succeed for alice; the result is the status code.
async fn call_grpc(server: &TestServer, who: &Identity) -> Vec<(&'static str, Code)> {
    let mut client = server.grpc().await;
    let code =
        |result: Result<(), tonic::Status>| result.err().map_or(Code::Ok, |status| status.code());
    let batch = pb::BatchUpdateTokensRequest {
        ids: vec![1, 2],
        patch: Some(pb::TokenPatch {
            remain_quota: Some(43),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["remain_quota".into()],
        }),
        ..Default::default()
    };
    vec![
        (
            "BatchUpdateTokens",
            code(
                client
                    .batch_update_tokens(metadata(who, batch))
                    .await
                    .map(drop),
            ),
        ),
        (
            "ListTokens",
            code(
                client
                    .list_tokens(metadata(
                        who,
                        pb::ListTokensRequest {
                            page: 1,
                            page_size: 5,
                            filter: None,
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(drop),
            ),
        ),
        (
            "SearchTokens",
            code(
                client
                    .search_tokens(metadata(
                        who,
                        pb::SearchTokensRequest {
                            keyword: "token-1".into(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(drop),
            ),
        ),
        (
            "GetToken",
            code(
                client
                    .get_token(metadata(who, pb::GetTokenRequest { id: 1 }))
                    .await
                    .map(drop),
            ),
        ),
        (
            "ListChanges",
            code(
                client
                    .list_changes(metadata(who, pb::ListChangesRequest::default()))
                    .await
                    .map(drop),
            ),
        ),
        (
            "GetChange",
            code(
                client
                    .get_change(metadata(
                        who,
                        pb::GetChangeRequest {
                            id: 1,
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(drop),
            ),
        ),
        (
            "RevertChange",
            code(
                client
                    .revert_change(metadata(
                        who,
                        pb::RevertChangeRequest {
                            id: 1,
                            dry_run: true,
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(drop),
            ),
        ),
    ]
}

async fn every_route_checks_identity(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = server.alice.clone();
    let preview = body(&[3, 4], r#""model_limits":"gpt-4o""#, &["model_limits"]);
    let (_, previewed, raw) = server
        .put_batch_with(&alice, &preview, "?dry_run=true")
        .await;
    let plan_id = previewed["plan"]["plan_id"]
        .as_str()
        .expect(&raw)
        .to_owned();
    for who in identities(&server, &alice) {
        let before = server.snapshot().await;
        for route in http_routes(&plan_id) {
            let (status, response, raw) = call_http(&server, &who, &route).await;
            if who.accepted {
                assert_eq!(
                    (status, &response["success"]),
                    (200, &json!(true)),
                    "{} {}: {raw}",
                    who.name,
                    route.1
                );
            } else {
                assert_eq!(status, 401, "{} {}: {raw}", who.name, route.1);
                assert_eq!(
                    response["code"],
                    json!("AUTH_UNAUTHORIZED"),
                    "{} {}",
                    who.name,
                    route.1
                );
                assert!(
                    !raw.contains(&alice.access_token),
                    "{}: the secret is echoed",
                    who.name
                );
            }
        }
        for (rpc, code) in call_grpc(&server, &who).await {
            let expected = if who.accepted {
                Code::Ok
            } else {
                Code::Unauthenticated
            };
            assert_eq!(code, expected, "{} {rpc}", who.name);
        }
        if !who.accepted {
            assert_eq!(
                server.snapshot().await,
                before,
                "{}: a rejected identity wrote",
                who.name
            );
        }
    }
    server.stop().await;
}

/// Users who were disabled or deleted after getting their token are shut out of every route.
async fn disabled_and_deleted_users_are_shut_out(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let bob = server.bob.clone();
    let as_bob = Identity {
        name: "bob",
        authorization: Some(format!("Bearer {}", bob.access_token)),
        user_id: Some(bob.id.to_string()),
        accepted: false,
    };
    let bob_body = body(&BOB_IDS, r#""remain_quota":5"#, &["remain_quota"]);
    let routes = [
        ("PUT", "/api/token/batch".to_owned(), Some(bob_body)),
        ("GET", "/api/token/900".to_owned(), None),
        ("GET", "/api/user/self".to_owned(), None),
    ];
    for (state, sql, code) in [
        (
            "disabled",
            format!("UPDATE users SET status = 2 WHERE id = {}", bob.id),
            "AUTH_USER_DISABLED",
        ),
        (
            "deleted",
            format!(
                "UPDATE users SET status = 1, deleted_at = '2026-01-01 00:00:00' WHERE id = {}",
                bob.id
            ),
            "AUTH_UNAUTHORIZED",
        ),
    ] {
        server.execute(&sql).await;
        let before = server.snapshot().await;
        for route in &routes {
            let (status, response, raw) = call_http(&server, &as_bob, route).await;
            assert_eq!(status, 401, "{state} {}: {raw}", route.1);
            assert_eq!(response["code"], json!(code), "{state} {}: {raw}", route.1);
        }
        for (rpc, result) in call_grpc(&server, &as_bob).await {
            assert_eq!(result, Code::Unauthenticated, "{state} {rpc}");
        }
        assert_eq!(server.snapshot().await, before, "{state} user wrote");
    }
    server.stop().await;
}

on_every_engine!(
    every_route_checks_identity,
    disabled_and_deleted_users_are_shut_out
);
