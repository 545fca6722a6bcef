//! new-api's own update rule for the group (controller/token.go `UpdateToken`): whenever a token's group is
//! anything other than `auto`, its `cross_group_retry` is set to false and its `auto_groups` cleared, since
//! both only mean something for `auto`. A batch that writes `group` does the same, on every path of the store
//! (SQLite's counted UPDATE, the read-then-write path with per-token details, the dry run), and counts a
//! token whose retry flag or auto groups it cleared as changed even when its group already was the new one:
//! its stored values changed.

use serde_json::{json, Value};
use tokenbatch_e2e::{body, on_every_engine, Engine, RawDb, TestServer};

/// The reserved column's quoting and the engine's boolean literals.
fn dialect(engine: Engine) -> (char, &'static str, &'static str) {
    match engine {
        Engine::Postgres => ('"', "true", "false"),
        Engine::Sqlite => ('"', "1", "0"),
        Engine::MySql => ('`', "1", "0"),
    }
}

/// Puts token `id` in `group` with the retry flag and, when the column exists, auto groups.
async fn set_token(server: &TestServer, id: i64, group: &str, retry: bool, auto_groups: &str) {
    let (q, yes, no) = dialect(server.db.engine);
    let retry = if retry { yes } else { no };
    server
        .execute(&format!(
            "UPDATE tokens SET {q}group{q} = '{group}', cross_group_retry = {retry}, \
             auto_groups = '{auto_groups}' WHERE id = {id}"
        ))
        .await;
}

/// Token `id`'s group, retry flag and auto groups, read with plain SQL.
async fn stored(server: &TestServer, id: i64) -> (String, bool, String) {
    let (q, _, _) = dialect(server.db.engine);
    let retry = match server.db.engine {
        Engine::Postgres => "CAST(CASE WHEN cross_group_retry THEN 1 ELSE 0 END AS BIGINT)",
        Engine::Sqlite => "CAST(COALESCE(cross_group_retry, 0) AS INTEGER)",
        Engine::MySql => "CAST(COALESCE(cross_group_retry, 0) AS SIGNED)",
    };
    let sql = format!(
        "SELECT {q}group{q}, {retry}, COALESCE(auto_groups, '') FROM tokens WHERE id = {id}"
    );
    macro_rules! read {
        ($pool:expr) => {{
            use sqlx::Row;
            let row = sqlx::query(&sql).fetch_one($pool).await.expect("row");
            (row.get(0), row.get::<i64, _>(1) != 0, row.get(2))
        }};
    }
    match &server.db.raw {
        RawDb::Sqlite(pool) => read!(pool),
        RawDb::Postgres(pool) => read!(pool),
        RawDb::MySql(pool) => read!(pool),
    }
}

/// Three tokens for one path: `auto` with retry and auto groups, `default` with retry (a state new-api's own
/// update would not leave behind, e.g. written by an older version), `default` without.
async fn three_tokens(server: &TestServer, ids: [i64; 3]) {
    set_token(server, ids[0], "auto", true, r#"["default","vip"]"#).await;
    set_token(server, ids[1], "default", true, "").await;
    set_token(server, ids[2], "default", false, "").await;
}

async fn a_group_other_than_auto_clears_cross_group_retry(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = server.alice.clone();
    let to_default = |ids: &[i64]| body(ids, r#""group":"default""#, &["group"]);

    // The dry run counts what the batch would change and writes nothing.
    three_tokens(&server, [7, 8, 9]).await;
    let (status, preview, raw) = server
        .put_batch_with(&alice, &to_default(&[7, 8, 9]), "?validate_only=true")
        .await;
    assert_eq!((status, &preview["data"]), (200, &json!(2)), "{raw}");
    assert_eq!(
        stored(&server, 7).await,
        ("auto".into(), true, r#"["default","vip"]"#.into())
    );
    assert_eq!(
        stored(&server, 8).await,
        ("default".into(), true, "".into())
    );

    // Without details (on SQLite: one UPDATE that counts its rows) and with them (rows read, then written).
    for (ids, query) in [([1, 2, 3], ""), ([4, 5, 6], "?details=true")] {
        three_tokens(&server, ids).await;
        let (status, answer, raw) = server
            .put_batch_with(&alice, &to_default(&ids), query)
            .await;
        assert_eq!(status, 200, "{raw}");
        assert_eq!(
            (&answer["data"], &answer["unchanged"]),
            (&json!(2), &json!(1)),
            "{query}: {raw}"
        );
        for id in ids {
            assert_eq!(
                stored(&server, id).await,
                ("default".into(), false, "".into()),
                "{query}: token {id}"
            );
        }
        if !query.is_empty() {
            let outcomes: Vec<&Value> = answer["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|result| &result["outcome"])
                .collect();
            assert_eq!(
                outcomes,
                [&json!("updated"), &json!("updated"), &json!("unchanged")]
            );
        }
        // Written once, the tokens hold new-api's values: the same batch again changes nothing.
        let (_, again, raw) = server
            .put_batch_with(&alice, &to_default(&ids), query)
            .await;
        assert_eq!(again["data"], json!(0), "{query}: {raw}");
    }

    // `auto` keeps the flag and the auto groups, and a token moved to `auto` gets no flag it did not have.
    set_token(&server, 10, "default", false, "").await;
    set_token(&server, 11, "auto", true, r#"["vip"]"#).await;
    let to_auto = body(&[10, 11], r#""group":"auto""#, &["group"]);
    let (status, answer, raw) = server.put_batch(&alice, &to_auto).await;
    assert_eq!((status, &answer["data"]), (200, &json!(1)), "{raw}");
    assert_eq!(stored(&server, 10).await, ("auto".into(), false, "".into()));
    assert_eq!(
        stored(&server, 11).await,
        ("auto".into(), true, r#"["vip"]"#.into())
    );

    // A batch that does not write the group leaves both alone, as new-api's quota-only updates do.
    set_token(&server, 12, "default", true, "").await;
    let quota_only = body(&[12], r#""remain_quota":5"#, &["remain_quota"]);
    let (status, answer, raw) = server.put_batch(&alice, &quota_only).await;
    assert_eq!((status, &answer["data"]), (200, &json!(1)), "{raw}");
    assert_eq!(
        stored(&server, 12).await,
        ("default".into(), true, "".into())
    );

    server.stop().await;
}

/// A group operation (docs/SPEC.md §11) follows the same rule per token, by the group each token ends with:
/// removing `vip` from `auto` leaves `auto` (flag kept), from `vip,default` leaves `default` (flag cleared).
async fn a_group_operation_clears_it_where_the_result_is_not_auto(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = server.alice.clone();
    set_token(&server, 13, "auto", true, r#"["vip"]"#).await;
    set_token(&server, 14, "vip,default", true, "").await;
    let remove_vip = body(&[13, 14], r#""group":{"remove":"vip"}"#, &["group"]);
    for query in ["", "?details=true"] {
        let (status, answer, raw) = server.put_batch_with(&alice, &remove_vip, query).await;
        assert_eq!(status, 200, "{raw}");
        assert_eq!(
            stored(&server, 13).await,
            ("auto".into(), true, r#"["vip"]"#.into()),
            "{query}"
        );
        assert_eq!(
            stored(&server, 14).await,
            ("default".into(), false, "".into()),
            "{query}"
        );
        // The second time nothing is left to change.
        let expected = if query.is_empty() { 1 } else { 0 };
        assert_eq!(answer["data"], json!(expected), "{query}: {raw}");
    }
    server.stop().await;
}

on_every_engine!(
    a_group_other_than_auto_clears_cross_group_retry,
    a_group_operation_clears_it_where_the_result_is_not_auto,
);
