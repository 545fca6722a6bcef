//! PUT /api/token/batch's refusals through the real server: authentication failures are 401 with new-api's
//! codes, another user's ids fail the whole batch without saying which, and the answer's language follows
//! Accept-Language; none of them writes anything.

use serde_json::json;
use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer, BOB_IDS};
use tokenbatch_rules::Lang;

use crate::http_batch::{errors_of, rules_verdict};

async fn english_is_chosen_by_accept_language(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let text = r#"{"ids":[],"group":"vip","update_fields":["group"]}"#;
    let request = server
        .http
        .put(format!("{}/api/token/batch", server.base_url))
        .header("Authorization", &server.alice.access_token)
        .header("New-Api-User", server.alice.id.to_string())
        .header("Accept-Language", "en-US,en;q=0.9,zh;q=0.5")
        .body(text);
    let (_, response, _) = tokenbatch_e2e::send(request).await;
    assert_eq!(errors_of(&response), rules_verdict(text, Lang::En));
    server.stop().await;
}

async fn authentication_failures_are_401_with_new_api_codes_and_write_nothing(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let before = server.snapshot().await;
    let text = body(&[1], r#""group":"vip""#, &["group"]);
    let url = format!("{}/api/token/batch", server.base_url);
    let alice = &server.alice;
    let attempts: Vec<(&str, Option<String>, Option<String>, &str)> = vec![
        ("no headers", None, None, "AUTH_UNAUTHORIZED"),
        (
            "no user id",
            Some(alice.access_token.clone()),
            None,
            "AUTH_UNAUTHORIZED",
        ),
        (
            "no token",
            None,
            Some(alice.id.to_string()),
            "AUTH_UNAUTHORIZED",
        ),
        (
            "empty token",
            Some(String::new()),
            Some(alice.id.to_string()),
            "AUTH_UNAUTHORIZED",
        ),
        (
            "wrong token",
            Some("Bearer wrong".into()),
            Some(alice.id.to_string()),
            "AUTH_UNAUTHORIZED",
        ),
        (
            "other user's id",
            Some(alice.access_token.clone()),
            Some(server.bob.id.to_string()),
            "AUTH_UNAUTHORIZED",
        ),
        (
            "junk user id",
            Some(alice.access_token.clone()),
            Some("alice".into()),
            "AUTH_UNAUTHORIZED",
        ),
    ];
    for (what, authorization, user_id, code) in attempts {
        let mut request = server.http.put(&url).body(text.clone());
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        if let Some(value) = user_id {
            request = request.header("New-Api-User", value);
        }
        let (status, response, raw) = tokenbatch_e2e::send(request).await;
        assert_eq!(status, 401, "{what}: {raw}");
        assert_eq!(response["success"], json!(false), "{what}");
        assert_eq!(response["code"], json!(code), "{what}: {raw}");
        assert!(
            !raw.contains(&alice.access_token),
            "{what}: the response echoes the secret"
        );
    }

    server
        .execute(&format!(
            "UPDATE users SET status = 2 WHERE id = {}",
            server.bob.id
        ))
        .await;
    let (status, response, raw) = server
        .put_batch(&server.bob, &body(&[900], r#""group":"vip""#, &["group"]))
        .await;
    assert_eq!(status, 401, "{raw}");
    assert_eq!(response["code"], json!("AUTH_USER_DISABLED"));

    assert_eq!(server.snapshot().await, before);

    let bare = server
        .http
        .put(&url)
        .header("Authorization", &alice.access_token)
        .header("New-Api-User", alice.id.to_string())
        .body(text.clone());
    let (status, response, raw) = tokenbatch_e2e::send(bare).await;
    assert_eq!(
        (status, &response["data"]),
        (200, &json!(1)),
        "a bare token works too: {raw}"
    );
    server.stop().await;
}

async fn another_users_ids_fail_the_whole_batch_without_saying_which(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let before = server.snapshot().await;
    let ids = [1, 2, BOB_IDS[0]];
    let (status, response, raw) = server
        .put_batch(&server.alice, &body(&ids, r#""group":"vip""#, &["group"]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(response["success"], json!(false), "{raw}");
    assert_eq!(response["code"], json!("ids.not_found"));
    assert!(!raw.contains("900"), "does not reveal which id: {raw}");
    let (_, response, _) = server
        .put_batch(
            &server.alice,
            &body(&[1, 2, 99_999], r#""group":"vip""#, &["group"]),
        )
        .await;
    assert_eq!(response["code"], json!("ids.not_found"));
    server
        .execute("UPDATE tokens SET deleted_at = '2026-01-01 00:00:00' WHERE id = 3")
        .await;
    let (_, response, _) = server
        .put_batch(
            &server.alice,
            &body(&[1, 3], r#""group":"vip""#, &["group"]),
        )
        .await;
    assert_eq!(
        response["code"],
        json!("ids.not_found"),
        "soft-deleted tokens cannot be edited"
    );
    assert_eq!(server.snapshot().await, before, "nothing written");
    server.stop().await;
}

on_every_engine!(
    english_is_chosen_by_accept_language,
    authentication_failures_are_401_with_new_api_codes_and_write_nothing,
    another_users_ids_fail_the_whole_batch_without_saying_which,
);
