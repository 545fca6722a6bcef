//! The database as a [`Snapshot`] (every column of every token and user) and [`check_changes`]: what a
//! request may have changed in it.

use std::collections::BTreeMap;

/// Every column of every token and user, as SQLite quotes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Snapshot {
    pub(super) tokens: BTreeMap<i64, Vec<String>>,
    pub(super) users: Vec<String>,
}

/// The columns of `tokens` in schema order; a batch may write [`WRITABLE`] and `status`, nothing else.
pub(super) const TOKEN_COLUMNS: [&str; 20] = [
    "id",
    "user_id",
    "key",
    "status",
    "name",
    "created_time",
    "accessed_time",
    "expired_time",
    "remain_quota",
    "unlimited_quota",
    "model_limits_enabled",
    "model_limits",
    "allow_ips",
    "used_quota",
    "group",
    "cross_group_retry",
    "billing_type",
    "deleted_at",
    "mj_image_mode",
    "mj_custom_proxy",
];
const WRITABLE: [&str; 10] = [
    "status",
    "group",
    "expired_time",
    "remain_quota",
    "unlimited_quota",
    "model_limits",
    "model_limits_enabled",
    "allow_ips",
    "mj_image_mode",
    "mj_custom_proxy",
];

/// Only writable columns and status change, only on live tokens of users whose access token was sent, and
/// users never change. Returns how many tokens changed.
pub(super) fn check_changes(before: &Snapshot, after: &Snapshot, carried: &[i64]) -> usize {
    assert_eq!(
        before.users, after.users,
        "a request changed the users table"
    );
    assert_eq!(
        before.tokens.keys().collect::<Vec<_>>(),
        after.tokens.keys().collect::<Vec<_>>(),
        "a request added or removed tokens"
    );
    let mut changed = 0;
    for (id, old) in &before.tokens {
        let new = &after.tokens[id];
        if old == new {
            continue;
        }
        changed += 1;
        let column = |row: &[String], name: &str| {
            let index = TOKEN_COLUMNS.iter().position(|c| *c == name).unwrap();
            row[index].clone()
        };
        assert_eq!(
            column(old, "deleted_at"),
            "NULL",
            "soft-deleted token {id} changed"
        );
        let owner: i64 = column(old, "user_id").parse().expect("user_id");
        assert!(
            carried.contains(&owner),
            "token {id} of user {owner} changed by a request carrying the tokens of {carried:?}"
        );
        for (index, name) in TOKEN_COLUMNS.iter().enumerate() {
            if !WRITABLE.contains(name) {
                assert_eq!(old[index], new[index], "token {id}: column {name} changed");
            }
        }
    }
    changed
}
