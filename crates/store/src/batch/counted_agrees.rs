//! SQLite's counted batch against the reading path that applies the rules in Rust.

use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::Patch;

use crate::test_support::{new_token, sqlite_store_with_user, valid};
use crate::{BatchPlan, NewToken, Pool};

/// SQLite's counted batch (no token read; status computed in SQL) ends every token in the same state,
/// and counts the same changes, as the batch that reads the tokens and applies `TokenState::apply`: every
/// status (and NULLs) × expiry (never, past, future) × quota (0, some) × unlimited, under every
/// combination of the fields the status depends on, with every kind of value.
#[tokio::test]
async fn sqlite_counted_batches_agree_with_the_rules() {
    const NOW: i64 = 1_800_000_000;
    let (_dir, store, user_id) = sqlite_store_with_user().await;
    let mut tokens = Vec::new();
    for status in [1, 2, 3, 4, 7] {
        for expired_time in [-1, NOW - 10, NOW, NOW + 10] {
            for remain_quota in [0, -3, 5] {
                for unlimited_quota in [false, true] {
                    tokens.push(TokenState {
                        status,
                        group: "default".into(),
                        expired_time,
                        remain_quota,
                        unlimited_quota,
                        model_limits: "gpt-4o".into(),
                        ..TokenState::default()
                    });
                }
            }
        }
    }
    let ids: Vec<i64> = (1..=tokens.len() as i64).collect();
    let Pool::Sqlite(pool) = &store.pool else {
        unreachable!()
    };
    let reset = || async {
        sqlx::query("DELETE FROM tokens")
            .execute(pool)
            .await
            .unwrap();
        let rows: Vec<NewToken> = tokens
            .iter()
            .zip(&ids)
            .map(|(state, id)| new_token(user_id, *id, state.clone()))
            .collect();
        store.insert_tokens(&rows).await.unwrap();
        // Columns new-api may leave NULL read as their defaults on both paths.
        sqlx::query("UPDATE tokens SET status = NULL, \"group\" = NULL WHERE id = 1")
            .execute(pool)
            .await
            .unwrap();
    };
    let rows = || async {
        let mut states = Vec::new();
        for id in &ids {
            let row: (Option<i64>, Option<String>, i64, i64, bool, String) = sqlx::query_as(
                "SELECT status, \"group\", expired_time, remain_quota, unlimited_quota, \
                 model_limits FROM tokens WHERE id = ?",
            )
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
            states.push(row);
        }
        states
    };
    let mut batches = 0;
    for expiry in [None, Some(-1), Some(NOW - 1), Some(NOW), Some(NOW + 1)] {
        for quota in [None, Some(0), Some(9)] {
            for unlimited in [None, Some(false), Some(true)] {
                for group in [None, Some("default"), Some("vip")] {
                    let values = Patch {
                        expired_time: expiry,
                        remain_quota: quota,
                        unlimited_quota: unlimited,
                        group: group.map(str::to_owned),
                        ..Patch::default()
                    };
                    let fields = values.present();
                    if fields.is_empty() {
                        continue;
                    }
                    batches += 1;
                    let valid_batch = valid(&ids, values.clone());
                    let mut outcomes = Vec::new();
                    for full_states in [true, false] {
                        reset().await;
                        let plan = BatchPlan {
                            user_id,
                            owners: crate::Owners::Caller,
                            batch: &valid_batch,
                            now: NOW,
                            dry_run: false,
                            keys: false,
                            full_states,
                            request: None,
                            plan: None,
                            history: None,
                        };
                        let applied = store.apply_batch(&plan).await.unwrap();
                        assert_eq!(applied.changes.is_empty(), !full_states);
                        outcomes.push((applied.changed, applied.unchanged, rows().await));
                    }
                    assert_eq!(outcomes[0], outcomes[1], "{values:?}");
                }
            }
        }
    }
    assert_eq!(batches, 5 * 3 * 3 * 3 - 1);
    store.close().await;
}
