//! Plans (docs/SPEC.md §10) on every engine: a dry run keeps what it read, and `{"plan_id"}` applies exactly
//! that later: the preview's after values; refused as a whole (`plan.stale`, 409) when a pinned token was
//! deleted, moved to another owner or had an operator-set column changed by anything since, but not when
//! only new-api's traffic touched it (quota, status), writing nothing; a second apply replays. Expiry, another
//! user's plan, plan bodies: plan_refusals.rs; paging and several instances: plan_pages.rs.

use serde_json::{json, Value};
use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer, User};
use tokenbatch_rules::apply::{STATUS_DISABLED, STATUS_EXHAUSTED};
use tokenbatch_rules::{Field, Value as FieldValue};

/// The ids alice's plans here pin.
const IDS: [i64; 6] = [1, 2, 3, 4, 5, 6];

/// A batch of alice's [`IDS`] changing operator-set columns.
pub(crate) fn plan_body() -> String {
    body(
        &IDS,
        r#""group":"vip","model_limits":"gpt-4o,gpt-4.1","allow_ips":"10.0.0.0/8""#,
        &["group", "model_limits", "allow_ips"],
    )
}

/// A `PUT /api/token/batch{query}` to `base`: status, the replay header, the answer and its text.
pub(crate) async fn put_at(
    http: &reqwest::Client,
    base: &str,
    user: &User,
    text: &str,
    query: &str,
) -> (u16, bool, Value, String) {
    let response = http
        .put(format!("{base}/api/token/batch{query}"))
        .header("Authorization", format!("Bearer {}", user.access_token))
        .header("New-Api-User", user.id.to_string())
        .body(text.to_owned())
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    let raw = response.text().await.expect("body read");
    let answer = serde_json::from_str(&raw).unwrap_or(Value::Null);
    (status, replayed, answer, raw)
}

/// A dry run of `text` as `user`: the whole answer and its plan's id.
pub(crate) async fn preview(server: &TestServer, user: &User, text: &str) -> (Value, String) {
    let (status, _, answer, raw) =
        put_at(&server.http, &server.base_url, user, text, "?dry_run=true").await;
    assert_eq!((status, &answer["success"]), (200, &json!(true)), "{raw}");
    let plan_id = answer["plan"]["plan_id"].as_str().expect(&raw).to_owned();
    (answer, plan_id)
}

/// `{"plan_id": …}` as `user` on the server at `base`, answered in English with per-token results.
pub(crate) async fn apply_at(
    http: &reqwest::Client,
    base: &str,
    user: &User,
    plan_id: &str,
) -> (u16, bool, Value, String) {
    let text = json!({ "plan_id": plan_id }).to_string();
    put_at(http, base, user, &text, "?lang=en&details=true").await
}

/// [`apply_at`] the test's server.
pub(crate) async fn apply(
    server: &TestServer,
    user: &User,
    plan_id: &str,
) -> (u16, bool, Value, String) {
    apply_at(&server.http, &server.base_url, user, plan_id).await
}

/// Every token of the preview's results but `except` holds the result's `after` status and values of `fields`.
pub(crate) async fn assert_previewed_values(
    server: &TestServer,
    preview: &Value,
    fields: &[Field],
    except: &[i64],
) {
    for result in preview["results"].as_array().expect("results") {
        let id = result["id"].as_i64().expect("an id");
        if except.contains(&id) {
            continue;
        }
        let row = server.row(id).await;
        let after = &result["after"];
        assert_eq!(json!(row.status), after["status"], "token {id}: status");
        for field in fields {
            let now = match row.get(*field) {
                FieldValue::Text(text) => json!(text),
                FieldValue::Integer(integer) => json!(integer),
                FieldValue::Boolean(boolean) => json!(boolean),
            };
            assert_eq!(now, after[field.name()], "token {id}: {}", field.name());
        }
    }
}

/// The column's name as plain SQL on `engine` writes it (`group` is a reserved word everywhere).
fn column(engine: Engine, name: &str) -> String {
    match engine {
        Engine::MySql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

async fn a_plan_applies_exactly_what_was_previewed(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    // Statuses a batch of these columns keeps: the values decide the after, not the preview's guess.
    server
        .execute(&format!(
            "UPDATE tokens SET status = {STATUS_DISABLED} WHERE id = 2"
        ))
        .await;
    let untouched = server.snapshot().await;
    let (preview, plan_id) = preview(&server, alice, &plan_body()).await;
    assert_eq!(preview["validate_only"], json!(true));
    let plan = &preview["plan"];
    assert_eq!(
        (&plan["count"], &plan["changed"]),
        (&json!(6), &json!(6)),
        "{preview}"
    );
    let now = tokenbatch::app::now_unix();
    let expires_at = plan["expires_at"].as_i64().unwrap();
    assert!(
        (now + 3590..=now + 3600).contains(&expires_at),
        "an hour by default: {plan}"
    );
    assert!(
        plan_id.starts_with("plan_") && plan_id.len() == 37,
        "{plan_id}"
    );
    assert_eq!(
        server.snapshot().await,
        untouched,
        "a dry run writes no token"
    );

    let (status, replayed, applied, raw) = apply(&server, alice, &plan_id).await;
    assert_eq!((status, replayed), (200, false), "{raw}");
    assert_eq!(applied["data"], preview["data"], "{raw}");
    assert_eq!(applied["validate_only"], json!(false));
    assert!(applied.get("plan").is_none(), "only a dry run makes a plan");
    assert_eq!(
        applied["results"], preview["results"],
        "the apply did what the preview showed"
    );
    let written = [Field::Group, Field::ModelLimits, Field::AllowIps];
    assert_previewed_values(&server, &preview, &written, &[]).await;
    assert_eq!(server.row(2).await.status, STATUS_DISABLED);
    server.stop().await;
}

/// new-api's own traffic (quota used, status exhausted, last access) leaves a plan applicable, and the apply
/// computes the status from the tokens as they are then.
async fn traffic_does_not_make_a_plan_stale(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    let (_, plan_id) = preview(&server, alice, &plan_body()).await;
    server
        .execute(&format!(
            "UPDATE tokens SET remain_quota = 0, used_quota = used_quota + 1000000, status = {STATUS_EXHAUSTED}, \
             accessed_time = accessed_time + 60 WHERE id IN (1, 2)"
        ))
        .await;
    let (status, _, applied, raw) = apply(&server, alice, &plan_id).await;
    assert_eq!((status, &applied["success"]), (200, &json!(true)), "{raw}");
    for id in [1, 2] {
        let row = server.row(id).await;
        assert_eq!(
            (row.group.as_str(), row.remain_quota, row.status),
            ("vip", 0, STATUS_EXHAUSTED),
            "token {id}: written, its traffic kept"
        );
    }
    server.stop().await;
}

/// Each kind of change since the preview makes the apply refuse as a whole, naming how many tokens differ,
/// and writes nothing; the plan stays stale, whether the apply answers per-token results or counts. Each
/// change hits a token of its own, pinned with two that never
/// change.
async fn any_operator_change_makes_a_plan_stale(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    let bob = server.bob.id;
    let changes = [
        format!("{} = 'svip'", column(engine, "group")),
        "expired_time = 1999999999".to_owned(),
        "unlimited_quota = TRUE".to_owned(),
        "model_limits = 'o3'".to_owned(),
        "model_limits_enabled = TRUE".to_owned(),
        "allow_ips = '1.1.1.1'".to_owned(),
        "mj_image_mode = 'proxy'".to_owned(),
        "mj_custom_proxy = 'https://p.example'".to_owned(),
        format!("user_id = {bob}"),
        "deleted_at = CURRENT_TIMESTAMP".to_owned(),
    ];
    let (steady, other) = (19, 20);
    for (index, change) in changes.iter().enumerate() {
        let id = index as i64 + 1;
        let last = index == changes.len() - 1;
        let text = body(&[id, steady, other], r#""group":"vip""#, &["group"]);
        let (_, plan_id) = preview(&server, alice, &text).await;
        server
            .execute(&format!("UPDATE tokens SET {change} WHERE id = {id}"))
            .await;
        if last {
            // Two at once are counted as two.
            let change = "UPDATE tokens SET model_limits = 'x' WHERE id = 20";
            server.execute(change).await;
        }
        let before = server.snapshot().await;
        // Twice: with per-token results, and answering counts only (SQLite's digest check, plan_counts.rs).
        for query in ["?lang=en&details=true", "?lang=en"] {
            let text = json!({ "plan_id": plan_id }).to_string();
            let (status, _, refused, raw) =
                put_at(&server.http, &server.base_url, alice, &text, query).await;
            assert_eq!(status, 409, "{change}: {raw}");
            assert_eq!(refused["code"], json!("plan.stale"), "{raw}");
            let named = format!("{} of the plan's 3 tokens", if last { 2 } else { 1 });
            assert!(
                refused["message"].as_str().unwrap().contains(&named),
                "{raw}"
            );
            assert_eq!(server.snapshot().await, before, "{change}: nothing written");
        }
    }
    server.stop().await;
}

/// A second apply answers the first one's result, marked replayed, and writes nothing, even after the
/// tokens changed again.
async fn a_second_apply_replays_the_first(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    let (_, plan_id) = preview(&server, alice, &plan_body()).await;
    let (_, _, first, raw) = apply(&server, alice, &plan_id).await;
    assert_eq!(first["success"], json!(true), "{raw}");
    server
        .execute("UPDATE tokens SET model_limits = 'changed later', remain_quota = 5 WHERE id = 3")
        .await;
    let later = server.snapshot().await;
    // An Idempotency-Key beside a plan is not needed and changes nothing.
    let text = json!({ "plan_id": plan_id }).to_string();
    let keyed = server
        .http
        .put(format!("{}/api/token/batch?details=true", server.base_url))
        .header("Authorization", &server.alice.access_token)
        .header("New-Api-User", server.alice.id.to_string())
        .header("Idempotency-Key", "another-key")
        .body(text);
    let (status, second, raw) = tokenbatch_e2e::send(keyed).await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(second["replayed"], json!(true), "{raw}");
    assert_eq!(
        (&second["data"], &second["results"]),
        (&first["data"], &first["results"])
    );
    let (_, header, _, _) = apply(&server, alice, &plan_id).await;
    assert!(
        header,
        "the replay header, as for a retried Idempotency-Key"
    );
    assert_eq!(server.snapshot().await, later, "nothing written twice");
    server.stop().await;
}

on_every_engine!(
    a_plan_applies_exactly_what_was_previewed,
    traffic_does_not_make_a_plan_stale,
    any_operator_change_makes_a_plan_stale,
    a_second_apply_replays_the_first,
);
