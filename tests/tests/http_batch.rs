//! PUT /api/token/batch through the real server, what it reads and answers: every documented body shape,
//! every rule with the validators' code and words, oversized and malformed bodies, the envelope's exact shape,
//! new-api's shapes on list, search and get (writes: http_batch_writes.rs; refusals: http_batch_refusals.rs).
//! fuzz/seed-corpus.py takes the fuzz targets' seed bodies from the JSON string literals of this file.

use serde_json::{json, Value};
use tokenbatch_e2e::{alice_ids, body, on_every_engine, Engine, TestServer, User};
use tokenbatch_rules::{Context, Lang};
/// What the rules crate says about a body, with the context the server uses for alice (group "default").
pub(crate) fn rules_verdict(body: &str, lang: Lang) -> Vec<(String, String, String)> {
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

pub(crate) fn errors_of(response: &Value) -> Vec<(String, String, String)> {
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

on_every_engine!(
    envelope_keeps_new_apis_three_keys_first,
    every_documented_body_shape_is_accepted,
    every_rule_answers_with_the_validators_code_and_words_and_writes_nothing,
    oversized_and_malformed_bodies_are_refused_cleanly,
    list_search_and_get_speak_new_apis_shapes,
);
