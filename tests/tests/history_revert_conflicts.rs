//! Revert (docs/SPEC.md §12) on every engine after the tokens moved on: new-api's traffic meanwhile is kept
//! (the quota's delta undone on the current value, a status set on use not counted as a change); tokens
//! changed since, deleted or moved to another owner are skipped with their reason, and `strict` refuses the
//! whole revert; every refusal writes nothing; only the user who made a change set reverts it; a revert
//! racing a batch over the same tokens ends as one of the two serial orders.

use serde_json::json;
use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer};

use crate::history_revert::{newest_change, put_ok, revert, revert_ok};

async fn traffic_is_kept_and_changed_tokens_are_skipped(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let (alice, bob) = (&server.alice, &server.bob);
    server
        .execute(
            "UPDATE tokens SET remain_quota = 1000, status = 1, expired_time = -1 WHERE id <= 5",
        )
        .await;
    put_ok(
        &server,
        alice,
        &body(
            &[1, 2, 3, 4, 5],
            r#""remain_quota":5000"#,
            &["remain_quota"],
        ),
    )
    .await;
    let change_id = newest_change(&server, alice).await["id"].as_i64().unwrap();
    // new-api's traffic: token 1 spends 300, token 2 everything (and is marked exhausted on use).
    server
        .execute("UPDATE tokens SET remain_quota = remain_quota - 300, used_quota = used_quota + 300 WHERE id = 1")
        .await;
    server
        .execute("UPDATE tokens SET remain_quota = 0, status = 4 WHERE id = 2")
        .await;
    // Token 3 changed by a later batch, token 4 deleted, token 5 given to bob.
    put_ok(
        &server,
        alice,
        &body(&[3], r#""remain_quota":42"#, &["remain_quota"]),
    )
    .await;
    server
        .execute("UPDATE tokens SET deleted_at = CURRENT_TIMESTAMP WHERE id = 4")
        .await;
    server
        .execute(&format!(
            "UPDATE tokens SET user_id = {} WHERE id = 5",
            bob.id
        ))
        .await;

    // Nobody but the user who made it reverts it, and an unknown id is the same answer.
    for (user, id) in [(bob, change_id), (alice, 999_999)] {
        let (status, answer, raw) = revert(&server, user, id, "").await;
        assert_eq!(
            (status, &answer["code"]),
            (404, &json!("change.not_found")),
            "{raw}"
        );
    }
    let snapshot = server.snapshot().await;
    let (status, refused, raw) = revert(&server, alice, change_id, r#"{"strict": true}"#).await;
    assert_eq!(
        (status, &refused["code"]),
        (409, &json!("revert.conflict")),
        "{raw}"
    );
    assert!(refused["message"].as_str().unwrap().contains('3'), "{raw}");
    let (status, refused, raw) = revert(&server, alice, change_id, r#"{"strict": "yes"}"#).await;
    assert_eq!(
        (status, &refused["success"], &refused["code"]),
        (200, &json!(false), &json!("strict.type")),
        "{raw}"
    );
    assert_eq!(server.snapshot().await, snapshot, "refusals write nothing");

    let done = revert_ok(&server, alice, change_id, r#"{"strict": false}"#).await;
    // Token 2 had nothing left to take back: unchanged, no write.
    assert_eq!(
        (&done["data"], &done["unchanged"]),
        (&json!(1), &json!(1)),
        "{done}"
    );
    assert_eq!(
        done["skipped"],
        json!([
            {"id": 3, "reason": "changed_since"},
            {"id": 4, "reason": "deleted"},
            {"id": 5, "reason": "owner_changed"},
        ]),
        "{done}"
    );
    // The batch's +4000 undone on what is left: 4700 - 4000; token 2 stays at 0, still exhausted.
    let (one, two) = (server.row(1).await, server.row(2).await);
    assert_eq!((one.remain_quota, one.status), (700, 1));
    assert_eq!((two.remain_quota, two.status), (0, 4));
    assert_eq!(server.row(3).await.remain_quota, 42);
    server.stop().await;
}

/// A revert racing a batch over the same tokens ends as one of the two serial orders, never a mix: revert
/// first, the batch's +100 lands on the restored 1 000 (1 100 everywhere); batch first, the revert finds the
/// quota recorded by a later change set and changed since, and skips every token (5 100 everywhere).
async fn a_revert_racing_a_batch_is_serial(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    let ids: Vec<i64> = (1..=10).collect();
    let add = body(&ids, r#""remain_quota":{"add":100}"#, &["remain_quota"]);
    let mut orders = std::collections::BTreeSet::new();
    for round in 0..8 {
        server
            .execute("UPDATE tokens SET remain_quota = 1000, status = 1, expired_time = -1 WHERE id <= 10")
            .await;
        put_ok(
            &server,
            alice,
            &body(&ids, r#""remain_quota":5000"#, &["remain_quota"]),
        )
        .await;
        let change_id = newest_change(&server, alice).await["id"].as_i64().unwrap();
        let (reverted, added) = tokio::join!(
            revert_ok(&server, alice, change_id, ""),
            put_ok(&server, alice, &add),
        );
        assert_eq!(added["data"], json!(10), "{added}");
        let quotas: Vec<i64> = remain_quotas(&server, &ids).await;
        let expected = match reverted["data"].as_i64() {
            Some(10) => 1100,
            Some(0) => {
                assert_eq!(
                    reverted["skipped"].as_array().map(Vec::len),
                    Some(10),
                    "{reverted}"
                );
                5100
            }
            _ => panic!("round {round}: a partial revert {reverted}"),
        };
        assert_eq!(
            quotas,
            vec![expected; ids.len()],
            "round {round}: {reverted}"
        );
        orders.insert(expected);
    }
    eprintln!("{engine:?}: serial orders seen {orders:?}");
    server.stop().await;
}

async fn remain_quotas(server: &TestServer, ids: &[i64]) -> Vec<i64> {
    let mut quotas = Vec::new();
    for id in ids {
        quotas.push(server.row(*id).await.remain_quota);
    }
    quotas
}

on_every_engine!(
    a_revert_racing_a_batch_is_serial,
    traffic_is_kept_and_changed_tokens_are_skipped,
);
