//! `GET /api/user/self/groups` answers as new-api's `GetUserGroups`: group name → `{"ratio", "desc"}`, the
//! ratio from `GroupGroupRatio` for the user's group, else `GroupRatio`, else 1, and `auto` → `"自动"`; batches
//! check groups against the same options, kept for `--options-cache-ms`.

use std::time::{Duration, Instant};

use serde_json::json;
use tokenbatch::serve::ServeOptions;
use tokenbatch_e2e::{body, on_every_engine, Engine, TestDatabase, TestServer};
use tokenbatch_store::Store;

async fn new_apis_built_in_groups_with_ratio_and_description(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let (status, answer, raw) = server.get(&server.alice, "/api/user/self/groups").await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(
        answer,
        json!({
            "success": true,
            "message": "",
            "data": {
                "default": {"ratio": 1, "desc": "默认分组"},
                "vip": {"ratio": 1, "desc": "vip分组"},
                "auto": {"ratio": "自动", "desc": "auto"},
            }
        }),
        "{raw}"
    );
    // bob's own group, vip, is usable already.
    let (_, bobs, raw) = server.get(&server.bob, "/api/user/self/groups").await;
    let names: Vec<&String> = bobs["data"].as_object().expect(&raw).keys().collect();
    assert_eq!(names, ["default", "vip", "auto"]);
    server.stop().await;
}

async fn configured_groups_ratios_and_descriptions(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let store = Store::open(&server.db.location).await.expect("open store");
    for (key, value) in [
        (
            "UserUsableGroups",
            r#"{"default":"默认","vip":"VIP 通道","auto":"自动选择"}"#,
        ),
        (
            "group_ratio_setting.group_special_usable_group",
            r#"{"default":{"+:claude":"Claude 专线","-:vip":""}}"#,
        ),
        ("GroupRatio", r#"{"default":1,"vip":1.5,"claude":2.25}"#),
        ("GroupGroupRatio", r#"{"default":{"claude":0.75}}"#),
    ] {
        store.set_option(key, value).await.expect(key);
    }
    store.close().await;

    let (_, alices, raw) = server.get(&server.alice, "/api/user/self/groups").await;
    assert_eq!(
        alices["data"],
        json!({
            "default": {"ratio": 1, "desc": "默认"},
            "auto": {"ratio": "自动", "desc": "自动选择"},
            "claude": {"ratio": 0.75, "desc": "Claude 专线"},
        }),
        "{raw}"
    );
    let (_, bobs, raw) = server.get(&server.bob, "/api/user/self/groups").await;
    assert_eq!(
        bobs["data"],
        json!({
            "default": {"ratio": 1, "desc": "默认"},
            "vip": {"ratio": 1.5, "desc": "VIP 通道"},
            "auto": {"ratio": "自动", "desc": "自动选择"},
        }),
        "{raw}"
    );

    // The batch checks `group` against the very same list.
    let (_, refused, raw) = server
        .put_batch(&server.alice, &body(&[1], r#""group":"vip""#, &["group"]))
        .await;
    assert_eq!(refused["code"], json!("group.not_allowed"), "{raw}");
    let (_, accepted, raw) = server
        .put_batch(
            &server.alice,
            &body(&[1], r#""group":"claude""#, &["group"]),
        )
        .await;
    assert_eq!(accepted["success"], json!(true), "{raw}");
    server.stop().await;
}

/// Batches read the usable-group options at most `--options-cache-ms` old (crate::group_options): a group
/// made usable is refused until the kept options expire, then accepted; `GET /api/user/self/groups` always
/// reads them.
async fn batches_keep_the_usable_groups_for_the_options_ttl(engine: Engine) {
    const TTL: Duration = Duration::from_secs(3);
    let db = TestDatabase::create(engine).await;
    let location = db.location.clone();
    let options = ServeOptions {
        options_ttl: Some(TTL),
        ..ServeOptions::default()
    };
    let server = TestServer::start_with(db, &location, options).await;
    let claude = body(&[1], r#""group":"claude""#, &["group"]);
    let (_, refused, raw) = server.put_batch(&server.alice, &claude).await;
    assert_eq!(refused["code"], json!("group.not_allowed"), "{raw}");
    let kept_since = Instant::now();

    let store = Store::open(&server.db.location).await.expect("open store");
    let usable = r#"{"default":"默认","claude":"Claude"}"#;
    store
        .set_option("UserUsableGroups", usable)
        .await
        .expect("option set");
    store.close().await;
    let (_, listed, raw) = server.get(&server.alice, "/api/user/self/groups").await;
    assert!(
        listed["data"].get("claude").is_some(),
        "read at once: {raw}"
    );
    let (_, still, raw) = server.put_batch(&server.alice, &claude).await;
    assert!(
        kept_since.elapsed() < TTL,
        "the steps above took longer than the ttl: the kept options cannot be seen"
    );
    assert_eq!(still["code"], json!("group.not_allowed"), "kept: {raw}");

    tokio::time::sleep(TTL.saturating_sub(kept_since.elapsed()) + Duration::from_millis(100)).await;
    let (_, accepted, raw) = server.put_batch(&server.alice, &claude).await;
    assert_eq!(
        accepted["success"],
        json!(true),
        "read again after the ttl: {raw}"
    );
    server.stop().await;
}

on_every_engine!(
    new_apis_built_in_groups_with_ratio_and_description,
    configured_groups_ratios_and_descriptions,
    batches_keep_the_usable_groups_for_the_options_ttl,
);
