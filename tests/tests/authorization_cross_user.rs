//! Randomized checks that no user ever writes another user's token: random callers send random selections
//! mixing their own tokens, others' and missing ones; only root's explicit cross-user batches (`filter.user_id`
//! or `"scope": "all_users"`) write across users.

use serde_json::json;
use tokenbatch_e2e::{body, on_every_engine, Engine, Random, TestServer, User, BOB_IDS};

/// Random callers send random id sets mixing their own tokens, others' and missing ones: a batch succeeds
/// exactly when every id is the caller's, and then changes exactly those rows.
async fn no_cross_user_write_ever(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let owners: Vec<(User, Vec<i64>)> = vec![
        (server.alice.clone(), tokenbatch_e2e::alice_ids()),
        (server.bob.clone(), BOB_IDS.to_vec()),
    ];
    let every_id: Vec<i64> = owners
        .iter()
        .flat_map(|(_, ids)| ids.clone())
        .chain([7_777, 424_242])
        .collect();
    let mut random = Random(0xD1B5_4A32_D192_ED03);
    for step in 0..60u64 {
        let (caller, owned) = &owners[random.below(owners.len() as u64) as usize];
        let count = 1 + random.below(4) as usize;
        let ids: Vec<i64> = (0..count)
            .map(|_| every_id[random.below(every_id.len() as u64) as usize])
            .collect();
        let marker = 1_000 + step as i64;
        let before = server.snapshot().await;
        let (_, response, raw) = server
            .put_batch(
                caller,
                &body(
                    &ids,
                    &format!(r#""remain_quota":{marker}"#),
                    &["remain_quota"],
                ),
            )
            .await;
        let after = server.snapshot().await;
        let all_own = ids.iter().all(|id| owned.contains(id));
        if all_own {
            assert_eq!(
                response["success"],
                json!(true),
                "step {step} {ids:?}: {raw}"
            );
            for ((id, old), (_, new)) in before.iter().zip(&after) {
                if ids.contains(id) {
                    assert_eq!(new.remain_quota, marker, "step {step}: token {id}");
                } else {
                    assert_eq!(old, new, "step {step}: token {id} was not in the batch");
                }
            }
        } else {
            assert_eq!(
                response["code"],
                json!("ids.not_found"),
                "step {step} {ids:?}: {raw}"
            );
            assert_eq!(
                before, after,
                "step {step}: a batch naming others' tokens wrote"
            );
        }
    }
    server.stop().await;
}

/// How a random batch of [`only_root_writes_across_users`] selects its tokens.
enum Selection {
    Ids(Vec<i64>),
    /// `"scope": "all_users"` beside the ids.
    Scoped(Vec<i64>),
    /// `filter.user_id` (an id or `*`) with the count of the tokens it selects.
    Filter(String, Vec<i64>),
}

/// Root's batches across users are the only cross-user writes, and only with `filter.user_id` or `scope`:
/// random callers (alice, bob, an admin, root) send random selections; a scoped or filtered batch writes
/// exactly its tokens when root sends it and is refused with 403 and writes nothing for anyone else; a plain
/// ids batch writes only when every id is the caller's own (root owns none).
async fn only_root_writes_across_users(engine: Engine) {
    let (server, root) = crate::root_lists::with_root(engine).await;
    let admin = crate::root_lists::add_user(&server, "admin", "default", 10).await;
    let alice_ids = tokenbatch_e2e::alice_ids();
    let callers: Vec<(&User, Vec<i64>)> = vec![
        (&server.alice, alice_ids.clone()),
        (&server.bob, BOB_IDS.to_vec()),
        (&admin, Vec::new()),
        (&root, Vec::new()),
    ];
    let every_id: Vec<i64> = alice_ids
        .iter()
        .chain(&BOB_IDS)
        .copied()
        .chain([7_777])
        .collect();
    let scopes = [
        (server.alice.id.to_string(), alice_ids.clone()),
        (server.bob.id.to_string(), BOB_IDS.to_vec()),
        (
            "\"*\"".to_owned(),
            alice_ids.iter().chain(&BOB_IDS).copied().collect(),
        ),
    ];
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    for step in 0..60u64 {
        let (caller, owned) = &callers[random.below(callers.len() as u64) as usize];
        let count = 1 + random.below(4) as usize;
        let ids: Vec<i64> = (0..count)
            .map(|_| every_id[random.below(every_id.len() as u64) as usize])
            .collect();
        let selection = match random.below(3) {
            0 => Selection::Ids(ids),
            1 => Selection::Scoped(ids),
            _ => {
                let (user_id, tokens) = &scopes[random.below(scopes.len() as u64) as usize];
                Selection::Filter(user_id.clone(), tokens.clone())
            }
        };
        let marker = 2_000 + step as i64;
        let (text, written, crosses) = match &selection {
            Selection::Ids(ids) => (format!(r#""ids":{ids:?}"#), ids.clone(), false),
            Selection::Scoped(ids) => (
                format!(r#""ids":{ids:?},"scope":"all_users""#),
                ids.clone(),
                true,
            ),
            Selection::Filter(user_id, tokens) => (
                format!(
                    r#""filter":{{"user_id":{user_id}}},"expected_count":{}"#,
                    tokens.len()
                ),
                tokens.clone(),
                true,
            ),
        };
        let text =
            format!(r#"{{{text},"update_fields":["remain_quota"],"remain_quota":{marker}}}"#);
        let before = server.snapshot().await;
        let (status, response, raw) = server.put_batch(caller, &text).await;
        let after = server.snapshot().await;
        let is_root = std::ptr::eq(*caller, &root);
        let succeeds = match crosses {
            true => is_root && written.iter().all(|id| *id != 7_777),
            false => written.iter().all(|id| owned.contains(id)),
        };
        if succeeds {
            assert_eq!(
                response["success"],
                json!(true),
                "step {step} {text}: {raw}"
            );
            for ((id, old), (_, new)) in before.iter().zip(&after) {
                if written.contains(id) {
                    assert_eq!(new.remain_quota, marker, "step {step}: token {id}");
                } else {
                    assert_eq!(old, new, "step {step}: token {id} was not in the batch");
                }
            }
            continue;
        }
        let code = match (crosses, is_root) {
            (true, false) => {
                assert_eq!(status, 403, "step {step} {text}: {raw}");
                "AUTH_INSUFFICIENT_PRIVILEGE"
            }
            _ => "ids.not_found",
        };
        assert_eq!(response["code"], json!(code), "step {step} {text}: {raw}");
        assert_eq!(before, after, "step {step}: a refused batch wrote ({text})");
    }
    server.stop().await;
}

on_every_engine!(no_cross_user_write_ever, only_root_writes_across_users);
