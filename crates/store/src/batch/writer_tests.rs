//! The group-commit writer's tests: groups of batches and reverts on a SQLite file.

use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::Patch;

use crate::history::revert::{RevertRequest, SkipReason};
use crate::history::{ChangeSource, HistoryEntry};
use crate::test_support::{sqlite_store_with_tokens, valid};
use crate::{BatchPlan, StoreError};

use super::{run_group, BatchJob, RevertJob, WriteJob};

const NOW: i64 = 1_800_000_000;

/// `user_id`'s batch `batch`, recorded in the history.
fn quota_plan(user_id: i64, batch: &tokenbatch_rules::ValidBatch) -> BatchPlan<'_> {
    BatchPlan {
        user_id,
        owners: crate::Owners::Caller,
        batch,
        now: NOW,
        dry_run: false,
        keys: false,
        full_states: false,
        request: None,
        plan: None,
        history: Some(HistoryEntry {
            source: ChangeSource::Http,
            request: "{}",
        }),
    }
}

fn quota(ids: &[i64], remain_quota: i64) -> tokenbatch_rules::ValidBatch {
    let values = Patch {
        remain_quota: Some(remain_quota),
        ..Patch::default()
    };
    valid(ids, values)
}

/// A revert in a group of batches, in queue order: it sees the batch before it (whose tokens it then
/// skips as changed since) and the batch after it sees the tokens it restored; all share one commit.
#[tokio::test]
async fn a_revert_in_a_group_sees_the_batches_before_it_and_is_seen_by_those_after() {
    let state = TokenState {
        status: 1,
        group: "default".into(),
        expired_time: -1,
        remain_quota: 0,
        ..TokenState::default()
    };
    let (_dir, store, user_id) = sqlite_store_with_tokens(1..=10, state).await;
    let all: Vec<i64> = (1..=10).collect();
    let everything = quota(&all, 100);
    let applied = store
        .apply_batch(&quota_plan(user_id, &everything))
        .await
        .unwrap();
    let change_id = applied.change_id.expect("recorded");

    let (first, second) = (quota(&[1, 2, 3, 4, 5], 200), quota(&[6, 7, 8, 9, 10], 300));
    let mut answers = Vec::new();
    let mut jobs = Vec::new();
    for batch in [&first, &second] {
        let (reply, answer) = tokio::sync::oneshot::channel();
        answers.push(answer);
        jobs.push(WriteJob::Batch(Box::new(BatchJob::new(
            &quota_plan(user_id, batch),
            reply,
        ))));
    }
    let (reply, reverted) = tokio::sync::oneshot::channel();
    let request = RevertRequest {
        user_id,
        change_id,
        now: NOW,
        dry_run: false,
        strict: false,
        keys: false,
    };
    jobs.insert(1, WriteJob::Revert(RevertJob { request, reply }));
    let crate::Pool::Sqlite(pool) = &store.pool else {
        unreachable!()
    };
    let results = run_group(pool, &jobs).await.unwrap();
    for (job, result) in jobs.into_iter().zip(results) {
        job.answer(result);
    }
    for answer in answers {
        assert_eq!(answer.await.unwrap().unwrap().changed, 5);
    }
    let outcome = reverted.await.unwrap().unwrap();
    assert!(outcome.revert_id.is_some());
    let restored: Vec<i64> = outcome.changes.iter().map(|change| change.id).collect();
    assert_eq!(
        restored,
        [6, 7, 8, 9, 10],
        "restored before the batch after it"
    );
    assert!(outcome
        .skipped
        .iter()
        .all(|token| token.reason == SkipReason::ChangedSince && token.token_id <= 5));
    assert_eq!(outcome.skipped.len(), 5, "changed by the batch before it");
    for id in all {
        let token = store.get_token(user_id, id).await.unwrap().unwrap();
        let expected = if id <= 5 { 200 } else { 300 };
        assert_eq!(token.state.remain_quota, expected, "token {id}");
    }
    store.close().await;
}

/// Many batches at once on SQLite go through the writer, most of them grouped into shared transactions:
/// each still succeeds or fails on its own, and one refused batch writes nothing (no token, no history)
/// and fails no other. Three batches in four record their history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sqlite_batches_keep_their_own_outcomes() {
    let state = TokenState {
        status: 1,
        group: "default".into(),
        expired_time: -1,
        remain_quota: 0,
        ..TokenState::default()
    };
    let (_dir, store, user_id) = sqlite_store_with_tokens(1..=200, state).await;

    let mut tasks = Vec::new();
    for batch in 0..40i64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // Batch 7 also names an id that does not exist.
            let mut ids: Vec<i64> = (batch * 5 + 1..=batch * 5 + 5).collect();
            if batch == 7 {
                ids.push(10_000);
            }
            let values = Patch {
                remain_quota: Some(1_000 + batch),
                ..Patch::default()
            };
            let valid_batch = valid(&ids, values);
            let plan = BatchPlan {
                user_id,
                owners: crate::Owners::Caller,
                batch: &valid_batch,
                now: NOW,
                dry_run: false,
                keys: batch % 2 == 0,
                full_states: batch.rem_euclid(3) == 0,
                request: None,
                plan: None,
                history: (batch % 4 != 1).then_some(crate::history::HistoryEntry {
                    source: crate::history::ChangeSource::Http,
                    request: "{}",
                }),
            };
            (batch, store.apply_batch(&plan).await)
        }));
    }
    for task in tasks {
        let (batch, result) = task.await.unwrap();
        match batch {
            7 => assert!(
                matches!(result, Err(StoreError::TokensNotFound { missing: 1 })),
                "{result:?}"
            ),
            _ => {
                let applied = result.unwrap();
                assert_eq!((applied.changed, applied.unchanged), (5, 0));
                // Counted without reading the tokens when nobody asked for their values.
                let counted = batch % 2 == 1 && batch.rem_euclid(3) != 0;
                assert_eq!(applied.changes.is_empty(), counted, "batch {batch}");
                let changes = applied.changes;
                assert!(changes.iter().all(|change| change.changed()
                    && change.after.remain_quota == 1_000 + batch
                    && change.after.status == 1
                    && (change.key.is_empty() == (batch % 2 == 1))));
            }
        }
    }
    for id in 1..=200i64 {
        let token = store.get_token(user_id, id).await.unwrap().unwrap();
        let batch = (id - 1) / 5;
        let expected = match batch {
            7 | 40.. => 0,
            _ => 1_000 + batch,
        };
        assert_eq!(token.state.remain_quota, expected, "token {id}");
    }
    // Recorded: every batch with history (all but 1, 5, 9, …) but 7, refused.
    let recorded = (0..40)
        .filter(|batch| batch % 4 != 1 && *batch != 7)
        .count() as i64;
    let crate::Pool::Sqlite(pool) = &store.pool else {
        unreachable!()
    };
    let counts: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM tokenbatch_changes), \
         (SELECT COUNT(*) FROM tokenbatch_change_tokens)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(counts, (recorded, recorded * 5));
    store.close().await;
}
