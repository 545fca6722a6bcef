//! A filter selects at most 100 000 tokens (docs/SPEC.md §9, `MAX_FILTER_MATCHES`), at its real size on every
//! engine: exactly 100 000 matching tokens are selected and written by a batch with `"expected_count": 100000`;
//! one more, and the batch is refused with `filter.too_many` naming the count and the limit, writing nothing.
//! (filter_batches.rs tests the same boundary with a small limit on the store, and dry runs and counts on few
//! tokens: a dry run reads every selected row in full, which at 100 000 would double this test's time.)
//!
//! The 100 000 tokens are made by the database itself (`seed::bulk_tokens`, one `INSERT … SELECT`); each step
//! prints its time, so that a slow engine shows where.

use std::time::Instant;

use serde_json::json;
use tokenbatch_e2e::{on_every_engine, Engine, TestServer};
use tokenbatch_rules::filter::{read_filter_json, MAX_FILTER_MATCHES};
use tokenbatch_store::Store;
use tokenbatch_testkit::seed;

const FIRST: i64 = 100_001;
const LIMIT: i64 = MAX_FILTER_MATCHES as i64;

/// Every step's time, printed with the engine (shown by `cargo test -- --nocapture`).
fn timed(engine: Engine, step: &str, started: Instant) {
    eprintln!(
        "filter_limit, {}: {step} in {:.2} s",
        engine.name(),
        started.elapsed().as_secs_f64()
    );
}

async fn a_filter_selects_100_000_tokens_and_refuses_100_001(engine: Engine) {
    let whole = Instant::now();
    let server = TestServer::start_on(engine).await;
    let store = Store::open(&server.db.location).await.expect("open store");
    let carol = seed::add_user(&store, "carol", "default")
        .await
        .expect("carol");
    let started = Instant::now();
    let last = FIRST + LIMIT - 1;
    seed::bulk_tokens(&server.db, &[carol.id], FIRST..=last, "lim").await;
    // Carol's soft-deleted tokens match the filter too, and must not count; alice's and bob's are others'.
    seed::bulk_tokens(&server.db, &[carol.id], last + 1..=last + 5, "gone").await;
    server
        .execute(&format!(
            "UPDATE tokens SET deleted_at = CURRENT_TIMESTAMP WHERE id > {last}"
        ))
        .await;
    timed(engine, "seeded 100 005 tokens", started);
    let seeded = server
        .db
        .integer(&format!(
            "SELECT COUNT(*) FROM tokens WHERE user_id = {}",
            carol.id
        ))
        .await;
    assert_eq!(seeded, LIMIT + 5);

    let filter = r#"{"group": "default", "never_expires": true}"#;
    let started = Instant::now();
    let parsed = read_filter_json(filter).expect("a valid filter");
    let (ids, count) = store
        .select_token_ids(carol.id, &parsed, MAX_FILTER_MATCHES)
        .await
        .expect("selected");
    timed(engine, "select_token_ids of 100 000", started);
    assert_eq!(count, MAX_FILTER_MATCHES);
    assert!(ids.iter().copied().eq(FIRST..=last), "every id, ascending");

    let body = |quota: i64| {
        format!(
            r#"{{"filter": {filter}, "expected_count": {LIMIT},
                 "update_fields": ["remain_quota"], "remain_quota": {quota}}}"#
        )
    };
    let db = &server.db;
    let written = |quota: i64| {
        let sql = format!("SELECT COUNT(*) FROM tokens WHERE remain_quota = {quota}");
        async move { db.integer(&sql).await }
    };
    let started = Instant::now();
    let (_, answer, raw) = server.put_batch(&carol, &body(777)).await;
    timed(engine, "batch of 100 000", started);
    assert_eq!(
        (answer["success"].clone(), answer["data"].clone()),
        (json!(true), json!(LIMIT)),
        "{}",
        &raw[..raw.len().min(500)]
    );
    let mine = format!(
        "SELECT COUNT(*) FROM tokens WHERE remain_quota = 777 AND user_id = {} AND deleted_at IS NULL",
        carol.id
    );
    assert_eq!(written(777).await, LIMIT, "the selection and nothing else");
    assert_eq!(server.db.integer(&mine).await, LIMIT);

    // One more live token: 100 001 match.
    seed::bulk_tokens(&server.db, &[carol.id], last + 6..=last + 6, "one").await;
    let started = Instant::now();
    let (status, answer, raw) = server.put_batch_with(&carol, &body(888), "?lang=en").await;
    timed(engine, "refusal of 100 001", started);
    assert_eq!(status, 200, "{raw}");
    assert_eq!(answer["success"], json!(false), "{raw}");
    assert_eq!(answer["code"], json!("filter.too_many"), "{raw}");
    let message = answer["message"].as_str().expect("a message");
    assert!(
        message.contains("100001") && message.contains("100000"),
        "names the count and the limit: {message}"
    );
    assert_eq!(written(888).await, 0, "a refused batch writes nothing");
    let (ids, count) = store
        .select_token_ids(carol.id, &parsed, MAX_FILTER_MATCHES)
        .await
        .expect("counted");
    assert_eq!((ids.len(), count), (0, MAX_FILTER_MATCHES + 1));
    store.close().await;
    server.stop().await;
    timed(engine, "the whole test", whole);
}

on_every_engine!(a_filter_selects_100_000_tokens_and_refuses_100_001);
