//! The history (docs/SPEC.md §12) on every engine: every applied batch that changes a token (HTTP with and
//! without details, which on SQLite takes the counted path that reads no row; gRPC; by filter; a plan's
//! apply) records exactly one change set, in its transaction, whose rows equal the tokens' values before and
//! after as plain SQL reads them; unchanged tokens have no row; dry runs, replays, refusals and batches that
//! change nothing record nothing; no key is ever recorded, not even through a `filter.key` pattern; nobody
//! sees another user's change sets.
//! The history tables are read with plain SQL by history_support.rs.

use serde_json::{json, Value};
use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer, User};
use tokenbatch_proto::token_v1 as pb;

use crate::history_support::{change_sets, change_tokens, history_text, values, ChangeRow};

/// Runs `apply` (which must change `changed` of `ids`) and checks that it recorded exactly one change set
/// of `source` by `user`, whose rows are the changed tokens' values before and after, as plain SQL reads
/// them; answers the change set.
async fn recorded_once<F: std::future::Future<Output = ()>>(
    server: &TestServer,
    user: &User,
    ids: &[i64],
    fields: &[&str],
    source: &str,
    apply: F,
) -> ChangeRow {
    let earlier = change_sets(&server.db).await.len();
    let mut before = Vec::new();
    for id in ids {
        before.push(server.row(*id).await);
    }
    apply.await;
    let sets = change_sets(&server.db).await;
    assert_eq!(sets.len(), earlier + 1, "one change set more: {sets:?}");
    let set = sets.last().unwrap().clone();
    let mut expected = Vec::new();
    for (id, before) in ids.iter().zip(&before) {
        let after = server.row(*id).await;
        if after != *before {
            expected.push((*id, user.id, values(before, fields), values(&after, fields)));
        }
    }
    assert_eq!((set.1, set.2.as_str()), (user.id, source), "{set:?}");
    assert_eq!(
        (set.4, set.5),
        (expected.len() as i64, (ids.len() - expected.len()) as i64),
        "{set:?}"
    );
    assert_eq!(change_tokens(&server.db, set.0).await, expected);
    set
}

async fn put_ok(server: &TestServer, user: &User, text: &str, query: &str) -> Value {
    let (status, answer, raw) = server.put_batch_with(user, text, query).await;
    assert_eq!((status, &answer["success"]), (200, &json!(true)), "{raw}");
    answer
}

async fn every_applied_batch_is_recorded(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    // Token 3 already holds the value: changed by nothing, recorded nowhere.
    server
        .execute("UPDATE tokens SET remain_quota = 777 WHERE id = 3")
        .await;
    let ids = [1, 2, 3, 4, 5];
    let text = body(&ids, r#""remain_quota":777"#, &["remain_quota"]);
    let set = recorded_once(&server, alice, &ids, &["remain_quota"], "http", async {
        put_ok(&server, alice, &text, "").await;
    })
    .await;
    assert_eq!((set.4, set.5), (4, 1));
    assert_eq!(set.3["ids"], json!(ids));

    let text = body(&ids, r#""expired_time":1900000000"#, &["expired_time"]);
    recorded_once(&server, alice, &ids, &["expired_time"], "http", async {
        put_ok(&server, alice, &text, "?details=true").await;
    })
    .await;

    let patch = pb::TokenPatch {
        model_limits: Some("gpt-4o".into()),
        ..Default::default()
    };
    let message = pb::BatchUpdateTokensRequest {
        ids: vec![6, 7],
        patch: Some(patch),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["model_limits".into()],
        }),
        ..Default::default()
    };
    recorded_once(&server, alice, &[6, 7], &["model_limits"], "grpc", async {
        let mut client = server.grpc().await;
        client
            .batch_update_tokens(server.grpc_request(alice, message))
            .await
            .expect("the gRPC batch applies");
    })
    .await;

    // By filter: the key pattern is recorded masked, never the key.
    let key = server.db.token_key(8).await;
    let text = json!({"filter": {"key": format!("sk-{key}")}, "expected_count": 1,
        "update_fields": ["allow_ips"], "allow_ips": "10.0.0.1"})
    .to_string();
    let set = recorded_once(&server, alice, &[8], &["allow_ips"], "http", async {
        put_ok(&server, alice, &text, "").await;
    })
    .await;
    let masked = format!("sk-{}**********{}", &key[..4], &key[key.len() - 4..]);
    assert_eq!(set.3["filter"]["key"], json!(masked), "{set:?}");

    // A plan: its dry run records nothing, its apply one change set.
    let text = body(&[9, 10], r#""group":"vip""#, &["group"]);
    let preview = put_ok(&server, alice, &text, "?dry_run=true").await;
    let plan_id = preview["plan"]["plan_id"].as_str().unwrap().to_owned();
    let apply = json!({ "plan_id": plan_id }).to_string();
    recorded_once(&server, alice, &[9, 10], &["group"], "plan", async {
        put_ok(&server, alice, &apply, "").await;
    })
    .await;

    // No key, whole or in part beyond the masked pattern, anywhere in the history.
    let text = history_text(&server.db).await;
    for id in 1..=10 {
        let key = server.db.token_key(id).await;
        assert!(
            !text.contains(&key[4..key.len() - 4]),
            "token {id}'s key in {text}"
        );
    }
    server.stop().await;
}

/// A group other than `auto` clears the auto-only settings: recorded as they were and as cleared, on the
/// counted path (SQLite without details) and the path that reads the rows alike.
async fn cleared_auto_settings_are_recorded(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    let settings = "cross_group_retry = TRUE, auto_groups = '[\"vip\"]'";
    for (query, group) in [("", "vip"), ("?details=true", "default")] {
        server
            .execute(&format!("UPDATE tokens SET {settings} WHERE id = 1"))
            .await;
        let before = server.row(2).await;
        let text = body(&[1, 2], &format!(r#""group":"{group}""#), &["group"]);
        put_ok(&server, alice, &text, query).await;
        let set = change_sets(&server.db).await.pop().unwrap();
        let rows = change_tokens(&server.db, set.0).await;
        let cleared = &rows[0];
        assert_eq!(cleared.0, 1);
        assert_eq!(
            (&cleared.2["cross_group_retry"], &cleared.2["auto_groups"]),
            (&json!(true), &json!("[\"vip\"]")),
            "{rows:?}"
        );
        assert_eq!(
            (
                &cleared.3["cross_group_retry"],
                &cleared.3["auto_groups"],
                &cleared.3["group"]
            ),
            (&json!(false), &json!(""), &json!(group)),
            "{rows:?}"
        );
        // Token 2 held no such settings: its row has none.
        let after = server.row(2).await;
        assert_eq!(
            rows[1],
            (
                2,
                alice.id,
                values(&before, &["group"]),
                values(&after, &["group"])
            )
        );
    }
    server.stop().await;
}

async fn nothing_else_is_recorded(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    let text = body(&[1, 2], r#""remain_quota":5"#, &["remain_quota"]);
    put_ok(&server, alice, &text, "?dry_run=true").await;
    // A refusal: bob's token among the ids.
    let refused = body(&[1, 900], r#""remain_quota":5"#, &["remain_quota"]);
    let (_, answer, raw) = server.put_batch(alice, &refused).await;
    assert_eq!(answer["success"], json!(false), "{raw}");
    assert_eq!(change_sets(&server.db).await, Vec::new());
    // A refusal computed from the rows themselves (on SQLite inside the write's own call, which writes
    // nothing when its counts refuse): a quota that would go below zero.
    let before = history_text(&server.db).await;
    let refused = body(
        &[1, 2],
        r#""remain_quota": {"subtract": 1000000000}"#,
        &["remain_quota"],
    );
    let (_, answer, raw) = server.put_batch_with(alice, &refused, "?lang=en").await;
    assert_eq!(answer["code"], json!("remain_quota.below_zero"), "{raw}");
    assert_eq!(change_sets(&server.db).await, Vec::new());
    assert_eq!(history_text(&server.db).await, before);
    // Applied twice under one Idempotency-Key: one change set; then again without: nothing changes.
    for _ in 0..2 {
        let response = server
            .http
            .put(format!("{}/api/token/batch", server.base_url))
            .header("Authorization", format!("Bearer {}", alice.access_token))
            .header("New-Api-User", alice.id.to_string())
            .header("Idempotency-Key", "history-once")
            .body(text.clone())
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status().as_u16(), 200);
    }
    put_ok(&server, alice, &text, "").await;
    put_ok(&server, alice, &text, "?details=true").await;
    let sets = change_sets(&server.db).await;
    assert_eq!(sets.len(), 1, "{sets:?}");
    assert_eq!((sets[0].4, sets[0].5), (2, 0));
    server.stop().await;
}

async fn the_routes_show_each_user_their_own(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let (alice, bob) = (&server.alice, &server.bob);
    for quota in [10, 20] {
        let text = body(
            &[1, 2, 3],
            &format!(r#""remain_quota":{quota}"#),
            &["remain_quota"],
        );
        put_ok(&server, alice, &text, "").await;
    }
    let sets = change_sets(&server.db).await;
    let (status, list, raw) = server
        .get(alice, "/api/token/batch/changes?p=1&size=1")
        .await;
    assert_eq!(status, 200, "{raw}");
    let data = &list["data"];
    assert_eq!(
        (&data["total"], &data["page_size"]),
        (&json!(2), &json!(1)),
        "{raw}"
    );
    let newest = &data["items"][0];
    assert_eq!(newest["id"], json!(sets[1].0), "newest first: {raw}");
    assert_eq!(
        (
            &newest["user_id"],
            &newest["source"],
            &newest["changed"],
            &newest["unchanged"]
        ),
        (&json!(alice.id), &json!("http"), &json!(3), &json!(0))
    );
    assert_eq!(newest["request"], sets[1].3);

    let path = format!("/api/token/batch/changes/{}?p=2&size=2", sets[0].0);
    let (status, detail, raw) = server.get(alice, &path).await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(detail["change"]["id"], json!(sets[0].0));
    assert_eq!(detail["data"]["total"], json!(3));
    let rows = change_tokens(&server.db, sets[0].0).await;
    let item = &detail["data"]["items"];
    assert_eq!(
        item,
        &json!([{"id": 3, "owner_id": alice.id, "before": rows[2].2, "after": rows[2].3}]),
        "{raw}"
    );

    // Bob made none and owns none of their tokens: nothing, and 404 like an unknown id.
    let (status, list, raw) = server.get(bob, "/api/token/batch/changes").await;
    assert_eq!((status, &list["data"]["total"]), (200, &json!(0)), "{raw}");
    for path in [
        format!("/api/token/batch/changes/{}", sets[0].0),
        "/api/token/batch/changes/999999".to_owned(),
        "/api/token/batch/changes/abc".to_owned(),
    ] {
        let (status, answer, raw) = server.get(bob, &path).await;
        assert_eq!((status, &answer["success"]), (404, &json!(false)), "{raw}");
        assert_eq!(answer["code"], json!("change.not_found"), "{raw}");
    }
    server.stop().await;
}

on_every_engine!(
    every_applied_batch_is_recorded,
    cleared_auto_settings_are_recorded,
    nothing_else_is_recorded,
    the_routes_show_each_user_their_own,
);
