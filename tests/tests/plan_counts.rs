//! The apply of a plan that answers counts only (no `details`), on every engine. On SQLite it takes the
//! counted path: the pins are checked by one digest that SQLite renders in the statement counting the
//! tokens, without reading them out (crates/store/src/plans/digest.rs), and a digest that differs sends the
//! apply down the reading path that counts the stale tokens (plans.rs checks that every kind of change is
//! refused both ways). What it writes and answers must be what the apply with per-token results writes.

use serde_json::{json, Value};
use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer, User};
use tokenbatch_rules::apply::{STATUS_DISABLED, STATUS_EXHAUSTED};
use tokenbatch_rules::Field;

use crate::plans::{assert_previewed_values, preview, put_at};

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
/// at the apply), and a second apply replaying the counts while writing nothing. new-api's traffic on token 4
/// between preview and apply (quota used up, exhausted, accessed) leaves the digest as it was: the relative
/// quota is added to what the traffic left.
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
    server
        .execute(&format!(
            "UPDATE tokens SET remain_quota = 0, used_quota = used_quota + 1000000, status = {STATUS_EXHAUSTED}, \
             accessed_time = accessed_time + 60 WHERE id = 4"
        ))
        .await;
    let (status, replayed, applied, raw) = apply_counts(&server, alice, &plan_id).await;
    assert_eq!((status, replayed), (200, false), "{raw}");
    assert_eq!(applied["data"], preview["data"], "{raw}");
    assert_eq!(applied["success"], json!(true), "{raw}");
    let written = [Field::Group, Field::ModelLimits, Field::RemainQuota];
    assert_previewed_values(&server, &preview, &written, &[4]).await;
    assert_eq!(
        server.row(2).await.status,
        STATUS_DISABLED,
        "disabled stays"
    );
    assert_eq!(server.row(3).await.status, 1, "quota again: enabled again");
    let used = server.row(4).await;
    assert_eq!(
        (used.group.as_str(), used.remain_quota, used.status),
        ("vip", 1000, 1),
        "token 4: written on top of its traffic, enabled again by the quota"
    );
    let snapshot = server.snapshot().await;
    let (status, replayed, again, raw) = apply_counts(&server, alice, &plan_id).await;
    assert_eq!((status, replayed), (200, true), "{raw}");
    assert_eq!(again["data"], applied["data"], "{raw}");
    assert_eq!(server.snapshot().await, snapshot, "nothing written twice");
    server.stop().await;
}

on_every_engine!(a_counted_apply_writes_what_was_previewed);
