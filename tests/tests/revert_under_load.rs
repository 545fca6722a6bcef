//! A revert while small batches stream in (docs/SPEC.md §12: a revert "runs through the same batch path
//! (locks, group commit …)"), on every engine. On SQLite every batch that writes queues for the store's one
//! group-commit writer, which takes the database's write lock again as soon as it commits; a revert that
//! waited for that lock in SQLite's busy handler instead (sleeps of 1 to 100 ms, retried) could miss every
//! gap between the writer's transactions and starve until the busy timeout. Here eight clients keep sending
//! 10-id batches on tokens of their own while a 1 000-token change set is reverted: the revert succeeds and
//! restores every token, and every streamed batch succeeds (how many were answered during the revert is
//! printed, not required: a quick revert may finish between two of them).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer};
use tokenbatch_testkit::seed;

/// The change set's tokens.
const REVERTED: std::ops::RangeInclusive<i64> = 30_001..=31_000;
/// The streaming clients' tokens, ten per batch, a range of their own per client.
const STREAMED: std::ops::RangeInclusive<i64> = 31_001..=31_800;
const CLIENTS: i64 = 8;

/// One client: 10-id batches on its own tokens until `stop`, each one checked; how many were answered.
async fn stream(
    http: reqwest::Client,
    url: String,
    user: (i64, String),
    client: i64,
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicU64>,
) {
    let per_client = (STREAMED.end() - STREAMED.start() + 1) / CLIENTS;
    let first = STREAMED.start() + client * per_client;
    let mut round = 0i64;
    while !stop.load(Ordering::Relaxed) {
        let start = first + (round * 10) % per_client;
        let ids: Vec<i64> = (start..start + 10).collect();
        let quota = format!(r#""remain_quota":{}"#, 1_000 + round);
        let request = http
            .put(&url)
            .header("Authorization", format!("Bearer {}", user.1))
            .header("New-Api-User", user.0.to_string())
            .header("Content-Type", "application/json")
            .body(body(&ids, &quota, &["remain_quota"]));
        let (status, answer, raw) = tokenbatch_e2e::send(request).await;
        assert_eq!((status, &answer["success"]), (200, &json!(true)), "{raw}");
        answered.fetch_add(1, Ordering::Relaxed);
        round += 1;
    }
}

async fn a_revert_is_served_while_batches_stream_in(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    seed::bulk_tokens(
        &server.db,
        &[alice.id],
        *REVERTED.start()..=*STREAMED.end(),
        "load",
    )
    .await;
    let ids: Vec<i64> = REVERTED.collect();
    let range = format!("id BETWEEN {} AND {}", REVERTED.start(), REVERTED.end());
    let initial = server
        .db
        .integer(&format!(
            "SELECT MIN(remain_quota) FROM tokens WHERE {range}"
        ))
        .await;
    let holding_initial =
        format!("SELECT COUNT(*) FROM tokens WHERE {range} AND remain_quota = {initial}");
    assert_eq!(server.db.integer(&holding_initial).await, ids.len() as i64);
    let batch = body(&ids, r#""remain_quota":777"#, &["remain_quota"]);
    let (status, answer, raw) = server.put_batch(alice, &batch).await;
    assert_eq!((status, &answer["success"]), (200, &json!(true)), "{raw}");
    let change_id = answer["change_id"]
        .as_i64()
        .expect("the batch's change set");

    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        clients.push(tokio::spawn(stream(
            server.http.clone(),
            format!("{}/api/token/batch", server.base_url),
            (alice.id, alice.access_token.clone()),
            client,
            stop.clone(),
            answered.clone(),
        )));
    }
    // The clients under way: the writer busy before the revert asks for its turn.
    while answered.load(Ordering::Relaxed) < 2 * CLIENTS as u64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let before = answered.load(Ordering::Relaxed);
    let started = Instant::now();
    let (status, done, raw) = crate::history_revert::revert(&server, alice, change_id, "").await;
    let took = started.elapsed();
    let during = answered.load(Ordering::Relaxed) - before;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.expect("every streamed batch succeeded");
    }
    eprintln!(
        "revert_under_load, {}: 1 000 tokens reverted in {:.3} s, {during} streamed batches answered meanwhile",
        engine.name(),
        took.as_secs_f64()
    );
    assert_eq!((status, &done["success"]), (200, &json!(true)), "{raw}");
    assert_eq!(
        (&done["data"], &done["skipped"]),
        (&json!(ids.len()), &json!([])),
        "{done}"
    );
    assert_eq!(
        server.db.integer(&holding_initial).await,
        ids.len() as i64,
        "every token holds its quota from before the batch again"
    );
    server.stop().await;
}

on_every_engine!(a_revert_is_served_while_batches_stream_in);
