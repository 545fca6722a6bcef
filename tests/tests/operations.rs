//! Relative changes and the writable status (docs/SPEC.md §11) on every engine: what the store writes equals
//! what the rules crate's model (`TokenState::edit`) computes from the same rows, on the path that reads the
//! tokens (details) and on SQLite's counted path alike; a result out of bounds for any token refuses the
//! whole batch naming how many, and writes nothing.

use serde_json::{json, Value};
use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer};
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{check_body, Context};
use tokenbatch_store::{NewToken, Store};
use tokenbatch_testkit::seed::{self, User};

const FIRST_ID: i64 = 20_001;

/// Tokens spread over what the operations read: expiries never / past / future, quotas, statuses, lists.
fn varied(user_id: i64, count: i64, now: i64) -> Vec<NewToken> {
    (0..count)
        .map(|index| {
            let pick = |options: &[&str]| options[(index as usize) % options.len()].to_owned();
            NewToken {
                id: Some(FIRST_ID + index),
                user_id,
                key: format!("opk{index:04}{}", "y".repeat(40)),
                name: format!("op-{index}"),
                created_time: now - 1_000,
                used_quota: 0,
                state: TokenState {
                    status: 1 + index % 4,
                    group: pick(&["default", "vip,default", "", "default,svip"]),
                    expired_time: [-1, now - 3_600, now + 3_600][(index % 3) as usize],
                    remain_quota: index * 1_000,
                    unlimited_quota: index % 5 == 0,
                    model_limits: pick(&["", "gpt-4o", "gpt-4o,o3", "o3,gpt-4.1"]),
                    allow_ips: pick(&["", "10.0.0.1", "10.0.0.0/8\n::1", "192.168.1.1/32"]),
                    ..TokenState::default()
                },
            }
        })
        .collect()
}

async fn seeded(engine: Engine, count: i64) -> (TestServer, User, Vec<i64>) {
    let server = TestServer::start_on(engine).await;
    let store = Store::open(&server.db.location).await.expect("open store");
    let dave = seed::add_user(&store, "dave", "default")
        .await
        .expect("dave");
    let now = tokenbatch::app::now_unix();
    store
        .insert_tokens(&varied(dave.id, count, now))
        .await
        .expect("dave's tokens");
    store.close().await;
    let ids = (FIRST_ID..FIRST_ID + count).collect();
    (server, dave, ids)
}

async fn rows(server: &TestServer, ids: &[i64]) -> Vec<TokenState> {
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        rows.push(server.row(*id).await);
    }
    rows
}

/// The model: each row as the rules compute it. The clock may tick between the model and the server, so
/// extended expiries are compared within a few seconds.
fn expected(before: &[TokenState], body: &str, now: i64) -> Vec<TokenState> {
    let batch = check_body(body, &Context::default()).expect("the test's batch is valid");
    before
        .iter()
        .map(|state| state.edit(&batch, now).expect("within bounds"))
        .collect()
}

fn assert_same(found: &[TokenState], expected: &[TokenState], what: &str) {
    assert_eq!(found.len(), expected.len());
    for (index, (found, expected)) in found.iter().zip(expected).enumerate() {
        let mut found = found.clone();
        if (found.expired_time - expected.expired_time).abs() <= 5 && expected.expired_time != -1 {
            found.expired_time = expected.expired_time;
        }
        assert_eq!(&found, expected, "{what}: token #{index}");
    }
}

const ALL_OPERATIONS: &str = r#""remain_quota": {"add": 2500}, "expired_time": {"extend": 86400},
    "model_limits": {"add": "gpt-4.1,claude", "remove": "gpt-4o"},
    "allow_ips": {"add": "10.0.0.9/8\n172.16.0.1", "remove": "::1/128"},
    "group": {"prepend": "vip", "remove": "svip"}"#;

async fn operations_write_what_the_model_computes(engine: Engine) {
    let (server, dave, ids) = seeded(engine, 24).await;
    let before = rows(&server, &ids).await;
    let fields = [
        "remain_quota",
        "expired_time",
        "model_limits",
        "allow_ips",
        "group",
    ];
    let text = body(&ids, ALL_OPERATIONS, &fields);
    let now = tokenbatch::app::now_unix();
    let (status, answer, raw) = server.put_batch_with(&dave, &text, "?details=true").await;
    assert_eq!(
        (status, answer["success"].clone()),
        (200, json!(true)),
        "{raw}"
    );
    let model = expected(&before, &text, now);
    assert_same(&rows(&server, &ids).await, &model, "read path");
    // Every token changed (quota added to each); the answer counts them.
    assert_eq!(answer["data"], json!(ids.len()), "{raw}");

    // Quota, expiry and status only: SQLite's counted path (no details) computes them in SQL.
    let before = rows(&server, &ids).await;
    let text = body(
        &ids,
        r#""remain_quota": {"subtract": 500}, "expired_time": {"extend": 60}"#,
        &["remain_quota", "expired_time"],
    );
    let now = tokenbatch::app::now_unix();
    let (_, answer, raw) = server.put_batch(&dave, &text).await;
    assert_eq!(answer["success"], json!(true), "{raw}");
    assert_same(
        &rows(&server, &ids).await,
        &expected(&before, &text, now),
        "counted path",
    );
    server.stop().await;
}

async fn one_token_out_of_bounds_refuses_the_batch(engine: Engine) {
    let count = 10_000;
    let (server, dave, ids) = seeded(engine, count).await;
    server
        .execute(&format!(
            "UPDATE tokens SET remain_quota = 100000 WHERE id >= {FIRST_ID}"
        ))
        .await;
    let poor = FIRST_ID + 4_321;
    server
        .execute(&format!(
            "UPDATE tokens SET remain_quota = 10 WHERE id = {poor}"
        ))
        .await;
    let sample = [FIRST_ID, poor, FIRST_ID + count - 1];
    let before = rows(&server, &sample).await;
    let text = body(
        &ids,
        r#""remain_quota": {"subtract": 50}"#,
        &["remain_quota"],
    );
    for query in ["?lang=en", "?lang=en&details=true"] {
        let (status, answer, raw) = server.put_batch_with(&dave, &text, query).await;
        assert_eq!(answer["success"], json!(false), "{raw}");
        assert_eq!(answer["code"], json!("remain_quota.below_zero"), "{raw}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains("1 token would"), "{query}: {message}");
        // new-api's convention: a refused request is HTTP 200 with `success: false`.
        assert_eq!(status, 200, "{raw}");
    }
    assert_eq!(rows(&server, &sample).await, before, "nothing written");
    server.stop().await;
}

async fn status_enables_and_disables_as_new_api_allows(engine: Engine) {
    let (server, dave, ids) = seeded(engine, 12).await;
    let now = tokenbatch::app::now_unix();
    // Disabling always works, whatever the status.
    let disable = body(&ids, r#""status": "disabled""#, &["status"]);
    let (_, answer, raw) = server.put_batch(&dave, &disable).await;
    assert_eq!(answer["success"], json!(true), "{raw}");
    for row in rows(&server, &ids).await {
        assert_eq!(row.status, 2);
    }
    // Enabling refuses tokens that would stay expired (checked first) or exhausted, naming how many.
    let enable = body(&ids, r#""status": 1"#, &["status"]);
    let (_, answer, raw) = server.put_batch_with(&dave, &enable, "?lang=en").await;
    let codes: Vec<Value> = answer["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|error| error["code"].clone()).collect())
        .unwrap_or_else(|| vec![answer["code"].clone()]);
    assert!(
        codes.contains(&json!("status.cannot_enable_expired")),
        "{raw}"
    );
    let before = rows(&server, &ids).await;
    // With enough quota and a future expiry in the same batch, every token can be enabled.
    let revive = body(
        &ids,
        r#""status": "enabled", "expired_time": {"extend": 86400}, "remain_quota": {"add": 1000}"#,
        &["status", "expired_time", "remain_quota"],
    );
    let (_, answer, raw) = server.put_batch_with(&dave, &revive, "?details=true").await;
    assert_eq!(answer["success"], json!(true), "{raw}");
    assert_same(
        &rows(&server, &ids).await,
        &expected(&before, &revive, now),
        "revive",
    );
    assert!(rows(&server, &ids).await.iter().all(|row| row.status == 1));
    server.stop().await;
}

on_every_engine!(
    operations_write_what_the_model_computes,
    one_token_out_of_bounds_refuses_the_batch,
    status_enables_and_disables_as_new_api_allows,
);
