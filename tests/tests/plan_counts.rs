//! The apply of a plan that answers counts only (no `details`), on every engine. On SQLite it takes the
//! counted path: the pins are checked by one digest that SQLite renders in the statement counting the
//! tokens, without reading them out (crates/store/src/plans/digest.rs), and a digest that differs sends the
//! apply down the reading path that counts the stale tokens (plans.rs checks that every kind of change is
//! refused both ways). What it writes and answers must be what the apply with per-token results writes.

use serde_json::{json, Value};
use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer, User};
use tokenbatch_rules::apply::{STATUS_DISABLED, STATUS_EXHAUSTED};

use crate::plans::{preview, put_at};

/// Alice's tokens these plans pin.
const IDS: [i64; 6] = [1, 2, 3, 4, 5, 6];

/// Absolute values and a relative quota: what the counted path computes in SQL.
fn counted_body() -> String {
    body(
        &IDS,
        r#""group":"vip","model_limits":"gpt-4o","remain_quota":{"add":1000}"#,
        &["group", "model_limits", "remain_quota"],
    )
}

/// `{"plan_id": …}` as `user`, in English, answering counts.
async fn apply_counts(
    server: &TestServer,
    user: &User,
    plan_id: &str,
) -> (u16, bool, Value, String) {
    let text = json!({ "plan_id": plan_id }).to_string();
    put_at(&server.http, &server.base_url, user, &text, "?lang=en").await
}

/// The counts answered, the rows written (the preview's after values, the status computed from the tokens
/// at the apply), and a second apply replaying the counts while writing nothing.
async fn a_counted_apply_writes_what_was_previewed(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    server
        .execute(&format!(
            "UPDATE tokens SET status = {STATUS_DISABLED} WHERE id = 2"
        ))
        .await;
    server
        .execute(&format!(
            "UPDATE tokens SET status = {STATUS_EXHAUSTED}, remain_quota = 0 WHERE id = 3"
        ))
        .await;
    let (preview, plan_id) = preview(&server, alice, &counted_body()).await;
    let (status, replayed, applied, raw) = apply_counts(&server, alice, &plan_id).await;
    assert_eq!((status, replayed), (200, false), "{raw}");
    assert_eq!(applied["data"], preview["data"], "{raw}");
    assert_eq!(applied["success"], json!(true), "{raw}");
    for result in preview["results"].as_array().unwrap() {
        let id = result["id"].as_i64().unwrap();
        let row = server.row(id).await;
        let after = &result["after"];
        assert_eq!(
            (
                json!(row.status),
                json!(row.group),
                json!(row.model_limits),
                json!(row.remain_quota)
            ),
            (
                after["status"].clone(),
                after["group"].clone(),
                after["model_limits"].clone(),
                after["remain_quota"].clone()
            ),
            "token {id} holds the previewed after values"
        );
    }
    assert_eq!(
        server.row(2).await.status,
        STATUS_DISABLED,
        "disabled stays"
    );
    assert_eq!(server.row(3).await.status, 1, "quota again: enabled again");
    let written = server.snapshot().await;
    let (status, replayed, again, raw) = apply_counts(&server, alice, &plan_id).await;
    assert_eq!((status, replayed), (200, true), "{raw}");
    assert_eq!(again["data"], applied["data"], "{raw}");
    assert_eq!(server.snapshot().await, written, "nothing written twice");
    server.stop().await;
}

/// new-api's traffic since the preview (quota, status, last access) leaves the digest as it was: the apply
/// writes, keeping the traffic's quota as the base of the relative quota.
async fn traffic_leaves_a_counted_apply_applicable(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    let (_, plan_id) = preview(&server, alice, &counted_body()).await;
    server
        .execute(&format!(
            "UPDATE tokens SET remain_quota = 0, used_quota = used_quota + 1000000, status = {STATUS_EXHAUSTED}, \
             accessed_time = accessed_time + 60 WHERE id IN (1, 2)"
        ))
        .await;
    let (status, _, applied, raw) = apply_counts(&server, alice, &plan_id).await;
    assert_eq!((status, &applied["success"]), (200, &json!(true)), "{raw}");
    for id in [1, 2] {
        let row = server.row(id).await;
        assert_eq!(
            (row.group.as_str(), row.remain_quota, row.status),
            ("vip", 1000, 1),
            "token {id}: written on top of its traffic, enabled again by the quota"
        );
    }
    server.stop().await;
}

on_every_engine!(
    a_counted_apply_writes_what_was_previewed,
    traffic_leaves_a_counted_apply_applicable,
);
