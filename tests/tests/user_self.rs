//! `GET /api/user/self` (new-api's `GetSelf`), on every engine: a common user (role 1), an admin (10) and root
//! (100) each get their own row, with exactly the documented keys and never a secret; the page tells root by
//! `role`. Authentication is the other routes' (the matrix of `authorization.rs` covers the route).

use std::collections::BTreeSet;

use serde_json::{json, Value};
use tokenbatch_e2e::{on_every_engine, Engine, TestServer, User};

use crate::root_lists::add_user;

/// The keys the route answers (docs/api.md), in new-api's names.
const KEYS: [&str; 10] = [
    "id",
    "username",
    "display_name",
    "role",
    "status",
    "email",
    "group",
    "quota",
    "used_quota",
    "request_count",
];

/// Gives the user's row distinct values in every column the route reads, and a password hash to leak.
async fn fill_row(server: &TestServer, user: &User, name: &str, n: i64) {
    server
        .execute(&format!(
            "UPDATE users SET display_name = 'Display {name}', email = '{name}@example.com', \
             quota = {quota}, used_quota = {used}, request_count = {n}, password = 'secret-hash-{name}' \
             WHERE id = {id}",
            quota = 1_000_000 * n,
            used = 1_000 * n,
            id = user.id,
        ))
        .await;
}

async fn each_caller_gets_their_own_row_and_no_secret(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = server.alice.clone();
    let admin = add_user(&server, "admin", "vip", 10).await;
    let root = add_user(&server, "root", "default", 100).await;
    let callers = [
        (&alice, "alice", "default", 1),
        (&admin, "admin", "vip", 10),
        (&root, "root", "default", 100),
    ];
    for (n, (user, name, _, _)) in callers.iter().enumerate() {
        fill_row(&server, user, name, n as i64 + 1).await;
    }
    for (n, (user, name, group, role)) in callers.into_iter().enumerate() {
        let n = n as i64 + 1;
        let (status, answer, raw) = server.get(user, "/api/user/self").await;
        assert_eq!(status, 200, "{name}: {raw}");
        assert_eq!(
            (&answer["success"], &answer["message"]),
            (&json!(true), &json!("")),
            "{raw}"
        );
        let data = &answer["data"];
        let keys: BTreeSet<&str> = data
            .as_object()
            .expect(&raw)
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, BTreeSet::from(KEYS), "{name}: {raw}");
        let expected = json!({
            "id": user.id,
            "username": name,
            "display_name": format!("Display {name}"),
            "role": role,
            "status": 1,
            "email": format!("{name}@example.com"),
            "group": group,
            "quota": 1_000_000 * n,
            "used_quota": 1_000 * n,
            "request_count": n,
        });
        assert_eq!(data, &expected, "{name} on {engine:?}");
        for secret in [user.access_token.as_str(), &format!("secret-hash-{name}")] {
            assert!(!raw.contains(secret), "{name}: a secret in {raw}");
        }
        for key in ["password", "access_token"] {
            assert!(!raw.contains(key), "{name}: {key} in {raw}");
        }
    }

    // new-api's columns left NULL read as its defaults.
    server
        .execute(&format!(
            "UPDATE users SET display_name = NULL, email = NULL, quota = NULL WHERE id = {}",
            alice.id
        ))
        .await;
    let (_, answer, raw) = server.get(&alice, "/api/user/self?lang=en").await;
    let data: &Value = &answer["data"];
    assert_eq!(
        (&data["display_name"], &data["email"], &data["quota"]),
        (&json!(""), &json!(""), &json!(0)),
        "{raw}"
    );
    server.stop().await;
}

on_every_engine!(each_caller_gets_their_own_row_and_no_secret);
