//! A list operation on many tokens that each hold a list of their own (docs/SPEC.md §11), on every engine:
//! 2 500 tokens, each with its own model list and quota (one list with quotes, a backslash and `é`), some disabled, one batch adding a model to every
//! list and adding to every quota. Each token ends with its own list plus the model and its own quota plus
//! the amount, its status kept. The list results are written set-based, each token's beside its id
//! (`crate::per_token`, in chunks of 1 000 on PostgreSQL and MySQL, where the shared quota operand is bound
//! after the rows), not one UPDATE per distinct result (1.4-2.5 s for 10 000 such tokens before).

use std::time::Instant;

use serde_json::json;
use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer};
use tokenbatch_testkit::seed;

const FIRST: i64 = 10_001;
const LAST: i64 = 12_500;

/// `'m-' || id` in this engine's SQL, with `suffix` appended.
fn own_list(engine: Engine, suffix: &str) -> String {
    match engine {
        Engine::MySql => format!("CONCAT('m-', id, '{suffix}')"),
        Engine::Sqlite | Engine::Postgres => format!("'m-' || id || '{suffix}'"),
    }
}

async fn a_list_operation_writes_each_tokens_own_result(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    seed::bulk_tokens(&server.db, &[alice.id], FIRST..=LAST, "lists").await;
    server
        .execute(&format!(
            "UPDATE tokens SET model_limits = {}, model_limits_enabled = TRUE, remain_quota = 1000 + id, \
             status = CASE WHEN id % 7 = 0 THEN 2 ELSE 1 END WHERE id BETWEEN {FIRST} AND {LAST}",
            own_list(engine, "")
        ))
        .await;
    // One token's list holds characters every carrier must keep: quotes, a backslash, a non-ASCII letter.
    let odd = r#"é"q'\x"#;
    let (status, answer, raw) = server
        .put_batch(
            alice,
            &body(
                &[FIRST],
                &format!(r#""model_limits":{}"#, json!(odd)),
                &["model_limits"],
            ),
        )
        .await;
    assert_eq!((status, &answer["success"]), (200, &json!(true)), "{raw}");
    let ids: Vec<i64> = (FIRST..=LAST).collect();
    let batch = body(
        &ids,
        r#""model_limits":{"add":"gpt-4.1"},"remain_quota":{"add":5}"#,
        &["model_limits", "remain_quota"],
    );
    let started = Instant::now();
    let (status, answer, raw) = server.put_batch(alice, &batch).await;
    eprintln!(
        "list_many, {}: {} tokens in {:.2} s",
        engine.name(),
        ids.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        (status, &answer["success"]),
        (200, &json!(true)),
        "{}",
        &raw[..raw.len().min(300)]
    );
    let count = server
        .db
        .integer(&format!(
            "SELECT COUNT(*) FROM tokens WHERE id BETWEEN {} AND {LAST} \
             AND model_limits = {} AND remain_quota = 1005 + id \
             AND status = CASE WHEN id % 7 = 0 THEN 2 ELSE 1 END",
            FIRST + 1,
            own_list(engine, ",gpt-4.1")
        ))
        .await;
    assert_eq!(
        count,
        LAST - FIRST,
        "every token: its own list and quota, its status kept"
    );
    let first = server.row(FIRST).await;
    assert_eq!(
        (first.model_limits, first.remain_quota),
        (format!("{odd},gpt-4.1"), 1000 + FIRST + 5)
    );
    server.stop().await;
}

on_every_engine!(a_list_operation_writes_each_tokens_own_result);
