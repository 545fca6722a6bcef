//! PUT /api/token/batch through the real server, what it writes: the documented example (both tokens
//! updated, the past expiry warned about, idempotent; the vendored copy is the documented one), the status
//! following the values written, and dry runs that report before and after and write nothing.

use serde_json::json;
use tokenbatch_e2e::{body, initial_state, on_every_engine, Engine, TestServer, EXAMPLE_BODY};
use tokenbatch_rules::apply::{STATUS_DISABLED, STATUS_ENABLED, STATUS_EXHAUSTED, STATUS_EXPIRED};

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
    status_follows_the_values_written,
    dry_run_reports_before_and_after_and_writes_nothing,
);
