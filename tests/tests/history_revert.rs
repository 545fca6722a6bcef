//! Revert (docs/SPEC.md §12) on every engine, compared with snapshots of the tokens read with plain SQL: a
//! revert restores exactly the values before, a revert of the revert the values after; a second revert of
//! the same change set answers `change.already_reverted`; a dry run writes nothing; a status is restored,
//! then follows the values. Tokens that moved on since the batch, and a racing batch:
//! history_revert_conflicts.rs.

use serde_json::{json, Value};
use tokenbatch_e2e::{body, on_every_engine, send, Engine, TestServer, User};

pub(crate) async fn put_ok(server: &TestServer, user: &User, text: &str) -> Value {
    let (status, answer, raw) = server.put_batch(user, text).await;
    assert_eq!((status, &answer["success"]), (200, &json!(true)), "{raw}");
    answer
}

/// `POST /api/token/batch/changes/{id}/revert` as `user` with `body`.
pub(crate) async fn revert(
    server: &TestServer,
    user: &User,
    id: i64,
    body: &str,
) -> (u16, Value, String) {
    revert_with(server, user, &id.to_string(), body).await
}

/// The same with `id_and_query` after `changes/` (e.g. `12/revert?details=true` without its `/revert`).
async fn revert_with(
    server: &TestServer,
    user: &User,
    id_and_query: &str,
    body: &str,
) -> (u16, Value, String) {
    let (id, query) = id_and_query.split_once('?').unwrap_or((id_and_query, ""));
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    let request = server
        .http
        .post(format!(
            "{}/api/token/batch/changes/{id}/revert{query}",
            server.base_url
        ))
        .header("Authorization", user.access_token.clone())
        .header("New-Api-User", user.id.to_string())
        .body(body.to_owned());
    send(request).await
}

pub(crate) async fn revert_ok(server: &TestServer, user: &User, id: i64, body: &str) -> Value {
    let (status, answer, raw) = revert(server, user, id, body).await;
    assert_eq!((status, &answer["success"]), (200, &json!(true)), "{raw}");
    answer
}

/// The newest change set the user sees, as the list answers it.
pub(crate) async fn newest_change(server: &TestServer, user: &User) -> Value {
    let (status, list, raw) = server
        .get(user, "/api/token/batch/changes?p=1&size=1")
        .await;
    assert_eq!(status, 200, "{raw}");
    list["data"]["items"][0].clone()
}

/// Token 1's auto-only settings hold `retry` and `groups` (1 when they do).
async fn auto_settings_are(server: &TestServer, retry: bool, groups: &str) -> bool {
    let sql = format!(
        "SELECT COUNT(*) FROM tokens WHERE id = 1 AND cross_group_retry = {} AND auto_groups = '{groups}'",
        if retry { "TRUE" } else { "FALSE" }
    );
    server.db.integer(&sql).await == 1
}

async fn a_revert_restores_and_its_revert_redoes(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    let group = match engine {
        Engine::MySql => "`group`",
        Engine::Sqlite | Engine::Postgres => "\"group\"",
    };
    let settings = "cross_group_retry = TRUE, auto_groups = '[\"vip\"]'";
    server
        .execute(&format!(
            "UPDATE tokens SET {group} = 'auto', {settings} WHERE id = 1"
        ))
        .await;
    assert!(auto_settings_are(&server, true, "[\"vip\"]").await);
    let ids = [1, 2, 3, 4, 5, 6];
    let before = server.snapshot().await;
    let text = json!({
        "ids": ids,
        "update_fields": ["group", "expired_time", "model_limits", "remain_quota"],
        "group": "vip",
        "expired_time": 1_900_000_000,
        "model_limits": {"add": "gpt-4.1"},
        "remain_quota": {"add": 1000},
    })
    .to_string();
    let applied = put_ok(&server, alice, &text).await;
    let after = server.snapshot().await;
    assert_ne!(before, after);
    assert!(auto_settings_are(&server, false, "").await);
    let change = newest_change(&server, alice).await;
    let change_id = change["id"].as_i64().unwrap();
    assert_eq!(
        applied["change_id"],
        json!(change_id),
        "the batch names its change set"
    );
    // A batch that changes nothing records nothing, and names no change set.
    let again = put_ok(&server, alice, &body(&[1], r#""group":"vip""#, &["group"])).await;
    assert_eq!(
        (&again["data"], again.get("change_id")),
        (&json!(0), None),
        "{again}"
    );

    // A dry run answers what would be restored and writes nothing.
    let preview = revert_ok(&server, alice, change_id, r#"{"dry_run": true}"#).await;
    assert_eq!(
        (&preview["data"], &preview["dry_run"], &preview["revert_id"]),
        (&json!(6), &json!(true), &Value::Null),
        "{preview}"
    );
    assert_eq!(
        preview["results"][1]["after"]["group"],
        json!(before[1].1.group),
        "{preview}"
    );
    // Its summary counts, per column, the tokens whose value it restores: as its results show them.
    let mut columns = serde_json::Map::new();
    for result in preview["results"].as_array().unwrap() {
        for (name, value) in result["before"].as_object().unwrap() {
            if result["after"][name] != *value {
                let count = columns.get(name).and_then(Value::as_i64).unwrap_or(0);
                columns.insert(name.clone(), json!(count + 1));
            }
        }
    }
    assert!(!columns.is_empty());
    let as_map =
        |object: &serde_json::Map<String, Value>| -> std::collections::BTreeMap<String, i64> {
            object
                .iter()
                .map(|(name, count)| (name.clone(), count.as_i64().unwrap()))
                .collect()
        };
    let counted = as_map(preview["summary"]["fields"].as_object().unwrap());
    let expected = as_map(&columns);
    assert_eq!(counted, expected, "{preview}");
    // `size` answers the first results only, and the same summary of all of them.
    let (status, first, raw) = revert_with(
        &server,
        alice,
        &format!("{change_id}?size=2"),
        r#"{"dry_run": true}"#,
    )
    .await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(
        first["results"],
        json!(preview["results"].as_array().unwrap()[..2])
    );
    assert_eq!(
        (&first["summary"], &first["data"]),
        (&preview["summary"], &json!(6))
    );
    assert_eq!(server.snapshot().await, after);
    assert_eq!(newest_change(&server, alice).await["id"], json!(change_id));

    let done = revert_ok(&server, alice, change_id, "").await;
    assert_eq!(
        (done.get("results"), done.get("summary")),
        (None, None),
        "results only in a dry run or with details, a summary only in a dry run: {done}"
    );
    assert_eq!(
        (&done["data"], &done["skipped"]),
        (&json!(6), &json!([])),
        "{done}"
    );
    let revert_id = done["revert_id"].as_i64().expect("the revert's change set");
    assert_eq!(
        server.snapshot().await,
        before,
        "every value as before the batch"
    );
    assert!(auto_settings_are(&server, true, "[\"vip\"]").await);
    let recorded = newest_change(&server, alice).await;
    assert_eq!(
        (&recorded["id"], &recorded["source"], &recorded["reverts"]),
        (&json!(revert_id), &json!("revert"), &json!(change_id)),
        "{recorded}"
    );
    let path = format!("/api/token/batch/changes/{change_id}");
    let (_, original, raw) = server.get(alice, &path).await;
    assert_eq!(original["change"]["reverted_by"], json!(revert_id), "{raw}");

    // Once only: the second revert names the revert, and writes nothing.
    let (status, again, raw) = revert(&server, alice, change_id, "").await;
    assert_eq!(
        (status, &again["success"], &again["code"]),
        (409, &json!(false), &json!("change.already_reverted")),
        "{raw}"
    );
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains(&revert_id.to_string()),
        "{raw}"
    );
    assert_eq!(server.snapshot().await, before);

    // To redo, revert the revert: the values after the batch again; `details` answers each token.
    let (status, redone, raw) =
        revert_with(&server, alice, &format!("{revert_id}?details=true"), "").await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(redone["results"].as_array().map(Vec::len), Some(6), "{raw}");
    assert_eq!(server.snapshot().await, after);
    assert!(auto_settings_are(&server, false, "").await);
    server.stop().await;
}

async fn the_status_is_restored_then_follows_the_values(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    // Token 1 enabled, token 2 expired since 2020.
    server
        .execute("UPDATE tokens SET status = 1, expired_time = -1, remain_quota = 100 WHERE id = 1")
        .await;
    server
        .execute("UPDATE tokens SET status = 3, expired_time = 1577836800, remain_quota = 100 WHERE id = 2")
        .await;
    let disable =
        json!({"ids": [1], "update_fields": ["status"], "status": "disabled"}).to_string();
    put_ok(&server, alice, &disable).await;
    let disabled = newest_change(&server, alice).await["id"].as_i64().unwrap();
    put_ok(
        &server,
        alice,
        &body(&[2], r#""expired_time":4102444800"#, &["expired_time"]),
    )
    .await;
    let extended = newest_change(&server, alice).await["id"].as_i64().unwrap();
    assert_eq!(
        (server.row(1).await.status, server.row(2).await.status),
        (2, 1)
    );

    revert_ok(&server, alice, disabled, "").await;
    revert_ok(&server, alice, extended, "").await;
    let (one, two) = (server.row(1).await, server.row(2).await);
    assert_eq!(one.status, 1, "enabled again");
    assert_eq!(
        (two.expired_time, two.status),
        (1_577_836_800, 3),
        "expired again"
    );
    server.stop().await;
}

on_every_engine!(
    a_revert_restores_and_its_revert_redoes,
    the_status_is_restored_then_follows_the_values,
);
