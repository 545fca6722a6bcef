//! A revert of many tokens that each had values of their own (docs/SPEC.md §12), on every engine: 2 500 tokens,
//! each with its own quota, expiry and model list (as a gateway's used tokens are), one batch setting all
//! three to one value, new-api's traffic on one of them, then the revert: every token gets its own values
//! back (the traffic kept), and the revert of the revert gives the batch's values again. The restored values
//! are written set-based, each token's beside its id (`history::restore`), in chunks of 1 000 on PostgreSQL
//! and MySQL: 2 500 tokens cross two chunk edges.

use std::time::Instant;

use serde_json::json;
use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer};
use tokenbatch_testkit::seed;

use crate::history_revert::revert_ok;

const FIRST: i64 = 10_001;
const LAST: i64 = 12_500;
/// The token new-api's traffic spends from between the batch and the revert.
const USED: i64 = FIRST + 1;

/// How many of the tokens `FIRST..=LAST` meet `condition` (this engine's SQL).
async fn tokens_where(server: &TestServer, condition: &str) -> i64 {
    server
        .db
        .integer(&format!(
            "SELECT COUNT(*) FROM tokens WHERE id BETWEEN {FIRST} AND {LAST} AND {condition}"
        ))
        .await
}

/// Each token's own model list, `'m-' || id`, in this engine's SQL.
fn own_list(engine: Engine) -> &'static str {
    match engine {
        Engine::MySql => "CONCAT('m-', id)",
        Engine::Sqlite | Engine::Postgres => "'m-' || id",
    }
}

/// The condition "every token holds its own values" (the traffic's 7 spent from [`USED`]).
fn own_values(engine: Engine) -> String {
    let list = own_list(engine);
    format!(
        "remain_quota = 1000 + id - CASE WHEN id = {USED} THEN 7 ELSE 0 END \
         AND expired_time = 4000000000 + id AND model_limits = {list}"
    )
}

async fn a_revert_gives_each_token_its_own_values_back(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    seed::bulk_tokens(&server.db, &[alice.id], FIRST..=LAST, "many").await;
    let list = own_list(engine);
    server
        .execute(&format!(
            "UPDATE tokens SET remain_quota = 1000 + id, expired_time = 4000000000 + id, \
             model_limits = {list}, model_limits_enabled = TRUE WHERE id BETWEEN {FIRST} AND {LAST}"
        ))
        .await;
    let count = LAST - FIRST + 1;
    let ids: Vec<i64> = (FIRST..=LAST).collect();
    let batch = body(
        &ids,
        r#""remain_quota":5000,"expired_time":4102444800,"model_limits":"gpt-4o""#,
        &["remain_quota", "expired_time", "model_limits"],
    );
    let (status, answer, raw) = server.put_batch(alice, &batch).await;
    assert_eq!((status, &answer["success"]), (200, &json!(true)), "{raw}");
    let change_id = answer["change_id"]
        .as_i64()
        .expect("the batch's change set");
    server
        .execute(&format!(
            "UPDATE tokens SET remain_quota = remain_quota - 7 WHERE id = {USED}"
        ))
        .await;

    let started = Instant::now();
    let done = revert_ok(&server, alice, change_id, "").await;
    eprintln!(
        "revert_many, {}: {count} tokens reverted in {:.2} s",
        engine.name(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        (&done["data"], &done["skipped"]),
        (&json!(count), &json!([])),
        "{done}"
    );
    assert_eq!(
        tokens_where(&server, &own_values(engine)).await,
        count,
        "every token holds its own values again"
    );

    let revert_id = done["revert_id"].as_i64().expect("the revert's change set");
    revert_ok(&server, alice, revert_id, "").await;
    let batch_values = format!(
        "remain_quota = 5000 - CASE WHEN id = {USED} THEN 7 ELSE 0 END \
         AND expired_time = 4102444800 AND model_limits = 'gpt-4o'"
    );
    assert_eq!(
        tokens_where(&server, &batch_values).await,
        count,
        "the revert of the revert: the batch's values (the traffic kept)"
    );
    server.stop().await;
}

on_every_engine!(a_revert_gives_each_token_its_own_values_back);
