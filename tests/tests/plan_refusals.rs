//! Plans (docs/SPEC.md §10) refused on every engine: an unused plan past its `expires_at` (410), another
//! user's plan and an unknown id (404, alike on the apply and on its pages), and plan bodies carrying more than
//! `lang` beside `plan_id`; every refusal writes nothing.

use serde_json::json;
use tokenbatch::serve::ServeOptions;
use tokenbatch_e2e::{body, on_every_engine, Engine, TestDatabase, TestServer};

use crate::plans::{apply, plan_body, preview, put_at};

/// An unused plan past its `expires_at` is refused (410); an applied one still answers its result.
async fn an_unused_plan_expires(engine: Engine) {
    let db = TestDatabase::create(engine).await;
    let location = db.location.clone();
    let options = ServeOptions {
        plan_ttl: Some(std::time::Duration::from_secs(1)),
        ..ServeOptions::default()
    };
    let server = TestServer::start_with(db, &location, options).await;
    let alice = &server.alice;
    let (_, used) = preview(&server, alice, &plan_body()).await;
    let (preview_answer, unused) = preview(&server, alice, &plan_body()).await;
    let (_, _, first, raw) = apply(&server, alice, &used).await;
    assert_eq!(first["success"], json!(true), "{raw}");
    tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
    server
        .execute("UPDATE tokens SET model_limits = '' WHERE id = 1")
        .await;
    let before = server.snapshot().await;
    let (status, _, refused, raw) = apply(&server, alice, &unused).await;
    assert_eq!(
        (status, &refused["code"]),
        (410, &json!("plan.expired")),
        "{raw}"
    );
    let expires_at = preview_answer["plan"]["expires_at"].as_i64().unwrap();
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains(&expires_at.to_string()),
        "{raw}"
    );
    assert_eq!(server.snapshot().await, before, "nothing written");
    let (status, replayed, again, raw) = apply(&server, alice, &used).await;
    assert_eq!((status, replayed), (200, true), "{raw}");
    assert_eq!(again["results"], first["results"]);
    assert_eq!(server.snapshot().await, before, "a replay writes nothing");
    server.stop().await;
}

/// Another user's plan and an unknown id get the same answer, on the apply and on its pages.
async fn another_users_plan_is_not_found(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let (alice, bob) = (&server.alice, &server.bob);
    let (_, plan_id) = preview(&server, alice, &plan_body()).await;
    let before = server.snapshot().await;
    let unknown = "plan_00000000000000000000000000000000";
    let mut answers = Vec::new();
    for id in [plan_id.as_str(), unknown, "not-a-plan"] {
        let (status, _, refused, raw) = apply(&server, bob, id).await;
        assert_eq!(
            (status, &refused["code"]),
            (404, &json!("plan.not_found")),
            "{raw}"
        );
        let (status, page, raw) = server
            .get(bob, &format!("/api/token/batch/plans/{id}?lang=en"))
            .await;
        assert_eq!(
            (status, &page["code"]),
            (404, &json!("plan.not_found")),
            "{raw}"
        );
        answers.push((refused, page));
    }
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "{answers:?}"
    );
    assert_eq!(server.snapshot().await, before, "nothing written");
    // Alice's own plan is still hers to apply.
    let (status, _, _, raw) = apply(&server, alice, &plan_id).await;
    assert_eq!(status, 200, "{raw}");
    server.stop().await;
}

/// A body applying a plan carries only `lang` beside `plan_id`; the body's options ride along a batch.
async fn plan_bodies_take_nothing_else(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    let (_, plan_id) = preview(&server, alice, &plan_body()).await;
    let before = server.snapshot().await;
    let mixed =
        json!({ "plan_id": plan_id, "ids": [1], "update_fields": ["group"], "group": "vip" });
    let (status, _, refused, raw) = put_at(
        &server.http,
        &server.base_url,
        alice,
        &mixed.to_string(),
        "?lang=en",
    )
    .await;
    assert_eq!(
        (status, &refused["code"]),
        (200, &json!("plan.exclusive")),
        "{raw}"
    );
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("\"ids\"") && message.contains("\"group\""),
        "{raw}"
    );
    let alone = json!({ "plan_id": plan_id }).to_string();
    let (_, _, refused, raw) = put_at(
        &server.http,
        &server.base_url,
        alice,
        &alone,
        "?validate_only=true",
    )
    .await;
    assert_eq!(
        refused["code"],
        json!("plan.exclusive"),
        "a plan is not previewed again: {raw}"
    );
    let (_, _, refused, raw) = put_at(
        &server.http,
        &server.base_url,
        alice,
        r#"{"plan_id": 7}"#,
        "",
    )
    .await;
    assert_eq!(refused["code"], json!("plan_id.type"), "{raw}");
    assert_eq!(server.snapshot().await, before, "nothing written");

    // The body's `lang` wins over the query's; its `dry_run` makes a dry run.
    let foreign = json!({ "plan_id": "plan_00000000000000000000000000000000", "lang": "en" });
    let (_, _, refused, raw) = put_at(
        &server.http,
        &server.base_url,
        alice,
        &foreign.to_string(),
        "?lang=zh-CN",
    )
    .await;
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .starts_with("plan_id: no such plan"),
        "{raw}"
    );
    let with_options = body(
        &[1],
        r#""dry_run":true,"lang":"en","group":"nope""#,
        &["group"],
    );
    let (_, _, refused, raw) =
        put_at(&server.http, &server.base_url, alice, &with_options, "").await;
    assert_eq!(refused["code"], json!("group.not_allowed"), "{raw}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("not available"),
        "{raw}"
    );
    let dry = body(&[1], r#""dry_run":true,"group":"vip""#, &["group"]);
    let (_, _, answer, raw) = put_at(&server.http, &server.base_url, alice, &dry, "").await;
    assert_eq!(
        (&answer["validate_only"], answer["plan"]["count"].clone()),
        (&json!(true), json!(1)),
        "{raw}"
    );
    assert_eq!(server.snapshot().await, before, "a dry run writes nothing");
    server.stop().await;
}

on_every_engine!(
    an_unused_plan_expires,
    another_users_plan_is_not_found,
    plan_bodies_take_nothing_else,
);
