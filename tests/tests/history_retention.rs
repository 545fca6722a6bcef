//! The history's retention (docs/SPEC.md §12, `--history-days`) on every engine: two instances purging the
//! same database at once, in chunks smaller than a change set, delete exactly the change sets older than
//! the cutoff with every token row of theirs, keep the newer ones whole, and the routes then answer
//! `change.not_found` for a purged change set.

use serde_json::json;
use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer};
use tokenbatch_store::{Purged, Store};

use crate::history_support::{change_sets, change_tokens};

async fn token_rows(server: &TestServer) -> i64 {
    let sql = "SELECT COUNT(*) FROM tokenbatch_change_tokens";
    match &server.db.raw {
        tokenbatch_e2e::RawDb::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        tokenbatch_e2e::RawDb::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        tokenbatch_e2e::RawDb::MySql(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .expect(sql)
}

async fn old_change_sets_are_purged_by_two_instances_at_once(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    let ids: Vec<i64> = (1..=20).collect();
    for quota in 1..=6 {
        let text = body(
            &ids,
            &format!(r#""remain_quota":{}"#, quota * 100),
            &["remain_quota"],
        );
        let (status, _, raw) = server.put_batch(alice, &text).await;
        assert_eq!(status, 200, "{raw}");
    }
    let sets = change_sets(&server.db).await;
    assert_eq!(sets.len(), 6, "{sets:?}");
    assert_eq!(token_rows(&server).await, 120);
    // The first four are made a million seconds older; the cutoff is half that far back.
    server
        .execute(&format!(
            "UPDATE tokenbatch_changes SET created_time = created_time - 1000000 WHERE id <= {}",
            sets[3].0
        ))
        .await;
    let cutoff = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 500_000;

    let (first, second) = (
        Store::open(&server.db.location).await.unwrap(),
        Store::open(&server.db.location).await.unwrap(),
    );
    // Chunks of 7 rows: every change set of 20 takes three statements, and the two interleave.
    let (a, b) = tokio::join!(
        first.purge_history(cutoff, 7),
        second.purge_history(cutoff, 7)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        (a.change_sets + b.change_sets, a.tokens + b.tokens),
        (4, 80),
        "{a:?} {b:?}"
    );
    let left = change_sets(&server.db).await;
    assert_eq!(left, sets[4..].to_vec());
    for set in &left {
        assert_eq!(change_tokens(&server.db, set.0).await.len(), 20);
    }
    assert_eq!(token_rows(&server).await, 40);
    assert_eq!(
        first.purge_history(cutoff, 7).await.unwrap(),
        Purged::default()
    );
    first.close().await;
    second.close().await;

    let (status, answer, raw) = server
        .get(alice, &format!("/api/token/batch/changes/{}", sets[0].0))
        .await;
    assert_eq!(
        (status, &answer["code"]),
        (404, &json!("change.not_found")),
        "{raw}"
    );
    let (status, answer, raw) = server
        .get(alice, &format!("/api/token/batch/changes/{}", sets[5].0))
        .await;
    assert_eq!(
        (status, &answer["data"]["total"]),
        (200, &json!(20)),
        "{raw}"
    );
    let (_, list, raw) = server.get(alice, "/api/token/batch/changes").await;
    assert_eq!(list["data"]["total"], json!(2), "{raw}");
    server.stop().await;
}

on_every_engine!(old_change_sets_are_purged_by_two_instances_at_once);
