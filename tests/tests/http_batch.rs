//! PUT /api/token/batch through the real server: the documented example, body shapes, every rule, auth,
//! atomicity, status transitions, dry run and the envelope's exact shape.

use serde_json::{json, Value};
use tokenbatch_e2e::{
    alice_ids, body, initial_state, on_every_engine, Engine, TestServer, User, BOB_IDS,
    EXAMPLE_BODY,
};
use tokenbatch_rules::apply::{STATUS_DISABLED, STATUS_ENABLED, STATUS_EXHAUSTED, STATUS_EXPIRED};
use tokenbatch_rules::{Context, Lang};

/// What the rules crate says about a body, with the context the server uses for alice (group "default").
fn rules_verdict(body: &str, lang: Lang) -> Vec<(String, String, String)> {
    let context = Context {
        now: tokenbatch::app::now_unix(),
        allowed_groups: Some(vec!["default".into(), "vip".into(), "auto".into()]),
        column_limits: Vec::new(),
    };
    match tokenbatch_rules::check_body(body, &context) {
        Ok(_) => Vec::new(),
        Err(violations) => violations
            .iter()
            .map(|v| (v.field.clone(), v.code().to_owned(), v.message(lang)))
            .collect(),
    }
}

fn errors_of(response: &Value) -> Vec<(String, String, String)> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    let text = |key: &str| e[key].as_str().unwrap_or_default().to_owned();
                    (text("field"), text("code"), text("message"))
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn documented_example_updates_both_tokens_warns_and_is_idempotent(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let (status, response, raw) = server.put_batch(&server.alice, EXAMPLE_BODY).await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(response["success"], json!(true), "{raw}");
    assert_eq!(response["data"], json!(2), "{raw}");
    let message = response["message"].as_str().unwrap();
    assert!(
        message.contains("1776410923"),
        "the warning names the past expiry: {message}"
    );
    assert_eq!(response["warnings"][0]["code"], json!("expired_time.past"));
    assert_eq!(response["ignored"], json!(["model_limits_enabled"]));

    for id in [869, 873] {
        let row = server.row(id).await;
        assert_eq!(row.group, "default");
        assert_eq!(row.expired_time, 1_776_410_923);
        assert_eq!(row.remain_quota, 0);
        assert!(row.unlimited_quota);
        assert_eq!(row.model_limits, "gpt-4o,gpt-4o-2024-11-20");
        assert!(
            !row.model_limits_enabled,
            "not in update_fields, so not written"
        );
        assert_eq!(row.allow_ips, "192.168.1.1");
        assert_eq!(row.mj_image_mode, "origin");
        assert_eq!(row.mj_custom_proxy, "");
        assert_eq!(
            row.status, STATUS_EXPIRED,
            "a past expiry expires the token"
        );
    }
    assert_eq!(
        server.row(1).await,
        initial_state(),
        "other tokens untouched"
    );

    let (status, again, raw) = server.put_batch(&server.alice, EXAMPLE_BODY).await;
    assert_eq!(status, 200);
    assert_eq!(again["success"], json!(true), "{raw}");
    assert_eq!(again["data"], json!(0), "{raw}");
    assert_eq!(again["unchanged"], json!(2), "{raw}");
    server.stop().await;
}

async fn envelope_keeps_new_apis_three_keys_first(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let (_, _, raw) = server
        .put_batch(&server.alice, &body(&[1], r#""group":"vip""#, &["group"]))
        .await;
    assert!(
        raw.starts_with(r#"{"success":true,"message":"","data":1,"#),
        "{raw}"
    );

    let (_, _, raw) = server.put_batch(&server.alice, r#"{"ids":[]}"#).await;
    assert!(raw.starts_with(r#"{"success":false,"message":""#), "{raw}");
    let failure: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(failure["data"], json!(0));
    assert!(
        failure["code"].is_string() && failure["errors"].is_array(),
        "{raw}"
    );
    server.stop().await;
}

async fn every_documented_body_shape_is_accepted(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let shapes = [
        (r#"{"ids":[1,2],"group":"vip","update_fields":["group"]}"#, [1, 2]),
        (r#"{"ids":["3","4"],"group":"vip","update_fields":["group"]}"#, [3, 4]),
        (r#"{"ids":"5,6","group":"vip","update_fields":"group"}"#, [5, 6]),
        (r#"{"ids":" 7 , 8 ","group":"vip","update_fields":"group, remain_quota","remain_quota":5}"#, [7, 8]),
        ("{\r\n // comment\r\n \"ids\": [9, 10, 9,],\r\n /* block */ \"group\": \"vip\",\r\n \"update_fields\": [\"group\",],\r\n}", [9, 10]),
    ];
    for (text, ids) in shapes {
        let (status, response, raw) = server.put_batch(&server.alice, text).await;
        assert_eq!(
            (status, &response["success"]),
            (200, &json!(true)),
            "{text} -> {raw}"
        );
        assert_eq!(response["data"], json!(2), "{text} -> {raw}");
        for id in ids {
            assert_eq!(server.row(id).await.group, "vip", "{text}");
        }
    }
    server.stop().await;
}

async fn every_rule_answers_with_the_validators_code_and_words_and_writes_nothing(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let before = server.snapshot().await;
    let cases: &[(&str, &str)] = &[
        ("", "body.empty"),
        ("{\"ids\":[1],", "body.invalid_json"),
        ("[1,2]", "body.not_object"),
        (
            r#"{"ids":[1],"ids":[2],"group":"vip","update_fields":["group"]}"#,
            "body.duplicate_key",
        ),
        (
            r#"{"ids":[1],"colour":"red","group":"vip","update_fields":["group"]}"#,
            "body.unknown_field",
        ),
        (
            r#"{"group":"vip","update_fields":["group"]}"#,
            "ids.missing",
        ),
        (
            r#"{"ids":[],"group":"vip","update_fields":["group"]}"#,
            "ids.empty",
        ),
        (
            r#"{"ids":{"873,869":""},"group":"vip","update_fields":["group"]}"#,
            "ids.type",
        ),
        (
            r#"{"ids":[1,-2],"group":"vip","update_fields":["group"]}"#,
            "ids.invalid",
        ),
        (r#"{"ids":[1],"group":"vip"}"#, "update_fields.missing"),
        (
            r#"{"ids":[1],"group":"vip","update_fields":["group","colour"]}"#,
            "update_fields.unknown",
        ),
        (
            r#"{"ids":[1],"group":"vip","update_fields":[]}"#,
            "update_fields.empty",
        ),
        (
            r#"{"ids":[1],"update_fields":["expired_time"]}"#,
            "expired_time.missing",
        ),
        (
            r#"{"ids":[1],"group":"vip,,default","update_fields":["group"]}"#,
            "group.empty",
        ),
        (
            r#"{"ids":[1],"group":"vip,vip","update_fields":["group"]}"#,
            "group.duplicate",
        ),
        (
            r#"{"ids":[1],"group":"svip","update_fields":["group"]}"#,
            "group.not_allowed",
        ),
        (
            r#"{"ids":[1],"group":7,"update_fields":["group"]}"#,
            "group.type",
        ),
        (
            r#"{"ids":[1],"expired_time":"-1","update_fields":["expired_time"]}"#,
            "expired_time.type",
        ),
        (
            r#"{"ids":[1],"expired_time":0,"update_fields":["expired_time"]}"#,
            "expired_time.range",
        ),
        (
            r#"{"ids":[1],"expired_time":1776410923000,"update_fields":["expired_time"]}"#,
            "expired_time.milliseconds",
        ),
        (
            r#"{"ids":[1],"remain_quota":-5,"update_fields":["remain_quota"]}"#,
            "remain_quota.range",
        ),
        (
            r#"{"ids":[1],"remain_quota":500000000000001,"update_fields":["remain_quota"]}"#,
            "remain_quota.too_large",
        ),
        (
            r#"{"ids":[1],"remain_quota":1.5,"update_fields":["remain_quota"]}"#,
            "remain_quota.type",
        ),
        (
            r#"{"ids":[1],"unlimited_quota":"true","update_fields":["unlimited_quota"]}"#,
            "unlimited_quota.type",
        ),
        (
            r#"{"ids":[1],"model_limits_enabled":1,"update_fields":["model_limits_enabled"]}"#,
            "model_limits_enabled.type",
        ),
        (
            r#"{"ids":[1],"model_limits":"gpt-4o,,x","update_fields":["model_limits"]}"#,
            "model_limits.empty_entry",
        ),
        (
            r#"{"ids":[1],"model_limits":"gpt\u0007","update_fields":["model_limits"]}"#,
            "model_limits.control_char",
        ),
        (
            r#"{"ids":[1],"allow_ips":"10.0.0.1\n999.1.1.1","update_fields":["allow_ips"]}"#,
            "allow_ips.invalid",
        ),
        (
            r#"{"ids":[1],"allow_ips":"10.0.0.0/33","update_fields":["allow_ips"]}"#,
            "allow_ips.invalid",
        ),
        (
            r#"{"ids":[1],"mj_image_mode":"Proxy","update_fields":["mj_image_mode"]}"#,
            "mj_image_mode.invalid",
        ),
        (
            r#"{"ids":[1],"mj_custom_proxy":"ftp://x","update_fields":["mj_custom_proxy"]}"#,
            "mj_custom_proxy.invalid_url",
        ),
        (
            r#"{"ids":[1],"mj_image_mode":"origin","mj_custom_proxy":"https://p.example","update_fields":["mj_image_mode","mj_custom_proxy"]}"#,
            "mj_custom_proxy.mode_conflict",
        ),
    ];
    for (text, code) in cases {
        for lang in [Lang::ZhCn, Lang::En] {
            let query = if lang == Lang::En { "?lang=en" } else { "" };
            let (status, response, raw) = server.put_batch_with(&server.alice, text, query).await;
            assert_eq!(status, 200, "{text} -> {raw}");
            assert_eq!(response["success"], json!(false), "{text} -> {raw}");
            assert_eq!(response["data"], json!(0), "{text} -> {raw}");
            let errors = errors_of(&response);
            assert!(
                errors.iter().any(|(_, c, _)| c == code),
                "{text}: expected {code}, got {raw}"
            );
            assert_eq!(
                errors,
                rules_verdict(text, lang),
                "{text}: server and rules crate disagree"
            );
            assert!(!response["message"].as_str().unwrap_or_default().is_empty());
        }
    }
    let model_too_long = format!(
        r#"{{"ids":[1],"model_limits":"{}","update_fields":["model_limits"]}}"#,
        "m".repeat(129)
    );
    let (_, response, raw) = server.put_batch(&server.alice, &model_too_long).await;
    assert_eq!(errors_of(&response)[0].1, "model_limits.too_long", "{raw}");
    let names: Vec<String> = (0..100).map(|n| format!("model-name-{n:03}")).collect();
    let total_too_long = format!(
        r#"{{"ids":[1],"model_limits":"{}","update_fields":["model_limits"]}}"#,
        names.join(",")
    );
    let (_, response, raw) = server.put_batch(&server.alice, &total_too_long).await;
    assert_eq!(
        errors_of(&response)[0].1,
        "model_limits.total_too_long",
        "{raw}"
    );
    let too_many: Vec<i64> = (1..=10_001).collect();
    let (_, response, raw) = server
        .put_batch(
            &server.alice,
            &body(&too_many, r#""group":"vip""#, &["group"]),
        )
        .await;
    assert_eq!(
        errors_of(&response)[0].1,
        "ids.too_many",
        "{}",
        &raw[..raw.len().min(300)]
    );
    assert!(response["message"].as_str().unwrap().contains("10000"));

    assert_eq!(
        server.snapshot().await,
        before,
        "a rejected request wrote something"
    );
    server.stop().await;
}

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

async fn status_follows_the_values_written(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let now = tokenbatch::app::now_unix();
    server
        .execute(&format!(
            "UPDATE tokens SET status = 3, expired_time = {} WHERE id = 1",
            now - 100
        ))
        .await;
    server
        .execute("UPDATE tokens SET status = 4, remain_quota = 0 WHERE id = 2")
        .await;
    server
        .execute("UPDATE tokens SET status = 2 WHERE id = 3")
        .await;
    let text = body(
        &[1, 2, 3, 4],
        r#""expired_time":-1,"remain_quota":500000"#,
        &["expired_time", "remain_quota"],
    );
    let (_, response, raw) = server.put_batch(&server.alice, &text).await;
    assert_eq!(response["success"], json!(true), "{raw}");
    assert_eq!(
        server.row(1).await.status,
        STATUS_ENABLED,
        "expired + never-expires = enabled"
    );
    assert_eq!(
        server.row(2).await.status,
        STATUS_ENABLED,
        "exhausted + quota = enabled"
    );
    assert_eq!(
        server.row(3).await.status,
        STATUS_DISABLED,
        "disabled stays disabled"
    );
    assert_eq!(
        server.row(3).await.remain_quota,
        500_000,
        "but its values are written"
    );

    let past = body(
        &[4],
        &format!(r#""expired_time":{}"#, now - 10),
        &["expired_time"],
    );
    let (_, response, raw) = server.put_batch(&server.alice, &past).await;
    assert_eq!(response["data"], json!(1), "{raw}");
    assert_eq!(
        server.row(4).await.status,
        STATUS_EXPIRED,
        "enabled + past expiry = expired"
    );

    server
        .execute("UPDATE tokens SET status = 4, remain_quota = 0 WHERE id = 5")
        .await;
    let unlimited = body(&[5], r#""unlimited_quota":true"#, &["unlimited_quota"]);
    server.put_batch(&server.alice, &unlimited).await;
    assert_eq!(
        server.row(5).await.status,
        STATUS_ENABLED,
        "exhausted + unlimited = enabled"
    );
    let zero = body(&[2], r#""remain_quota":0"#, &["remain_quota"]);
    server.put_batch(&server.alice, &zero).await;
    assert_eq!(
        server.row(2).await.status,
        STATUS_ENABLED,
        "status only moves through the rules above"
    );
    let _ = STATUS_EXHAUSTED;
    server.stop().await;
}

async fn dry_run_reports_before_and_after_and_writes_nothing(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let before = server.snapshot().await;
    let text = body(
        &[1, 2],
        r#""group":"vip","remain_quota":1000000"#,
        &["group", "remain_quota"],
    );
    let (status, response, raw) = server
        .put_batch_with(&server.alice, &text, "?validate_only=true")
        .await;
    assert_eq!(status, 200);
    assert_eq!(response["success"], json!(true), "{raw}");
    assert_eq!(response["validate_only"], json!(true));
    assert_eq!(response["data"], json!(2), "would change two rows");
    let results = response["results"]
        .as_array()
        .expect("results in a dry run");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["id"], json!(1));
    assert_eq!(results[0]["outcome"], json!("updated"));
    assert_eq!(results[0]["before"]["group"], json!("default"));
    assert_eq!(results[0]["after"]["group"], json!("vip"));
    assert_eq!(server.snapshot().await, before, "a dry run writes nothing");

    let (_, response, _) = server
        .put_batch_with(&server.alice, &text, "?details=true")
        .await;
    assert_eq!(response["results"].as_array().map(Vec::len), Some(2));
    assert_eq!(server.row(1).await.group, "vip");
    server.stop().await;
}

async fn oversized_and_malformed_bodies_are_refused_cleanly(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let before = server.snapshot().await;
    let huge = format!(
        r#"{{"ids":[1],"group":"{}","update_fields":["group"]}}"#,
        "a".repeat(1 << 20)
    );
    let (status, response, raw) = server.put_batch(&server.alice, &huge).await;
    assert_eq!(status, 413, "{}", &raw[..raw.len().min(200)]);
    assert_eq!(response["success"], json!(false));
    assert_eq!(response["code"], json!("body.too_large"));

    let request = server
        .http
        .put(format!("{}/api/token/batch", server.base_url))
        .header("Authorization", &server.alice.access_token)
        .header("New-Api-User", server.alice.id.to_string())
        .body(vec![b'{', 0xff, 0xfe, b'}']);
    let (status, response, raw) = tokenbatch_e2e::send(request).await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(response["code"], json!("body.invalid_utf8"), "{raw}");
    assert_eq!(server.snapshot().await, before);
    server.stop().await;
}

async fn list_search_and_get_speak_new_apis_shapes(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice: &User = &server.alice;
    let (status, first_zero, raw) = server.get(alice, "/api/token/?p=0&size=5").await;
    assert_eq!(status, 200, "{raw}");
    assert!(
        raw.starts_with(r#"{"success":true,"message":"","data":{"items":[{"id":873,"user_id":"#),
        "{raw}"
    );
    let (_, first_one, _) = server.get(alice, "/api/token/?p=1&size=5").await;
    assert_eq!(
        first_zero["data"], first_one["data"],
        "p=0 and p=1 are both the first page"
    );
    let data = &first_one["data"];
    assert_eq!(data["total"], json!(alice_ids().len()));
    assert_eq!(data["page"], json!(1));
    assert_eq!(data["page_size"], json!(5));
    let ids: Vec<i64> = data["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![873, 869, 20, 19, 18], "newest (highest id) first");
    let key = data["items"][0]["key"].as_str().unwrap();
    assert!(
        key.len() == 18 && key.contains("**********"),
        "keys are masked: {key}"
    );

    let (_, capped, _) = server.get(alice, "/api/token/?p=1&size=1000").await;
    assert_eq!(capped["data"]["page_size"], json!(100));
    let (_, second, _) = server.get(alice, "/api/token/?p=2&size=5").await;
    assert_eq!(second["data"]["items"][0]["id"], json!(17));

    let (_, exact, raw) = server
        .get(alice, "/api/token/search?keyword=token-873")
        .await;
    assert_eq!(exact["data"]["total"], json!(1), "{raw}");
    let (_, fuzzy, raw) = server
        .get(alice, "/api/token/search?keyword=token-1%25")
        .await;
    assert_eq!(
        fuzzy["data"]["total"],
        json!(11),
        "token-1 and token-10..19: {raw}"
    );
    let (_, none, _) = server.get(alice, "/api/token/search?keyword=token-1").await;
    assert_eq!(none["data"]["total"], json!(1), "no wildcard = exact match");
    let (_, bad, raw) = server
        .get(alice, "/api/token/search?keyword=%25a%25b%25")
        .await;
    assert_eq!(bad["success"], json!(false), "{raw}");
    assert_eq!(bad["code"], json!("search.too_many_wildcards"));

    let (_, one, raw) = server.get(alice, "/api/token/873").await;
    assert_eq!(one["data"]["id"], json!(873), "{raw}");
    assert_eq!(one["data"]["name"], json!("token-873"));
    let (_, foreign, raw) = server.get(alice, "/api/token/900").await;
    assert_eq!(
        foreign["success"],
        json!(false),
        "bob's token is not alice's to read: {raw}"
    );
    let (status, _, _) = server.get(alice, "/api/token/abc").await;
    assert_eq!(status, 200);

    let (_, groups, raw) = server.get(alice, "/api/user/self/groups").await;
    let names: Vec<&String> = groups["data"].as_object().expect(&raw).keys().collect();
    assert_eq!(
        names,
        ["default", "vip", "auto"],
        "new-api's default usable groups, plus auto"
    );

    let (status, unauthenticated, _) =
        tokenbatch_e2e::send(server.http.get(format!("{}/api/token/", server.base_url))).await;
    assert_eq!(status, 401);
    assert_eq!(unauthenticated["code"], json!("AUTH_UNAUTHORIZED"));
    server.stop().await;
}

#[test]
fn the_vendored_example_is_the_documented_one() {
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/seed/example-request.jsonc"
    );
    if let Ok(documented) = std::fs::read_to_string(shared) {
        assert_eq!(
            documented, EXAMPLE_BODY,
            "tests/fixtures/example-request.jsonc is out of date"
        );
    }
    assert!(
        EXAMPLE_BODY.contains("\r\n"),
        "the fixture keeps its CRLF line ends"
    );
}

on_every_engine!(
    documented_example_updates_both_tokens_warns_and_is_idempotent,
    envelope_keeps_new_apis_three_keys_first,
    every_documented_body_shape_is_accepted,
    every_rule_answers_with_the_validators_code_and_words_and_writes_nothing,
    english_is_chosen_by_accept_language,
    authentication_failures_are_401_with_new_api_codes_and_write_nothing,
    another_users_ids_fail_the_whole_batch_without_saying_which,
    status_follows_the_values_written,
    dry_run_reports_before_and_after_and_writes_nothing,
    oversized_and_malformed_bodies_are_refused_cleanly,
    list_search_and_get_speak_new_apis_shapes,
);
