//! The users and tokens tests and benchmarks start from, written through tokenbatch's own store, or, for
//! tables of 100 000 tokens and more, by one set-based statement ([`bulk_tokens`]).

use std::ops::RangeInclusive;

use tokenbatch_rules::apply::{TokenState, STATUS_ENABLED};
use tokenbatch_rules::{Field, Value};
use tokenbatch_store::{NewToken, Store, StoreError};

use crate::database::{Engine, TestDatabase};

/// A user the kit created: what a request needs to act as them.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub access_token: String,
}

/// The state every seeded token starts in: enabled, group `default`, no expiry, a quota of 1 000 000.
pub fn initial_state() -> TokenState {
    TokenState {
        status: STATUS_ENABLED,
        group: "default".into(),
        expired_time: -1,
        remain_quota: 1_000_000,
        // The other fields at new-api's defaults (empty, false), whatever fields the rules come to have.
        ..TokenState::default()
    }
}

/// Token `id` of `user_id`, named `{prefix}-{id}`, in the [`initial_state`], with a random 48-character key.
pub fn token(user_id: i64, id: i64, prefix: &str) -> NewToken {
    NewToken {
        id: Some(id),
        user_id,
        key: tokenbatch::seed::random_alphanumeric(48),
        name: format!("{prefix}-{id}"),
        created_time: 1_700_000_000 + id,
        used_quota: 0,
        state: initial_state(),
    }
}

/// [`token`] for each of `ids`.
pub fn tokens(user_id: i64, ids: impl IntoIterator<Item = i64>, prefix: &str) -> Vec<NewToken> {
    ids.into_iter()
        .map(|id| token(user_id, id, prefix))
        .collect()
}

/// Adds user `username` (role 1, a random access token) in `group`.
pub async fn add_user(store: &Store, username: &str, group: &str) -> Result<User, StoreError> {
    let created = tokenbatch::seed::add_user(store, username, group, 1).await?;
    Ok(User {
        id: created.id,
        access_token: created.access_token,
    })
}

/// Adds user `username` in `group` owning [`tokens`] `ids` named `{prefix}-{id}`, inserted in transactions of
/// 10 000.
pub async fn add_user_with_tokens(
    store: &Store,
    username: &str,
    group: &str,
    ids: impl IntoIterator<Item = i64>,
    prefix: &str,
) -> Result<User, StoreError> {
    let user = add_user(store, username, group).await?;
    let all = tokens(user.id, ids, prefix);
    for chunk in all.chunks(10_000) {
        store.insert_tokens(chunk).await?;
    }
    Ok(user)
}

/// Tokens `ids`, each what [`token`] makes (named `{prefix}-{id}`, in the [`initial_state`]) but for its key:
/// `prefix` and the id padded with zeros to 48 characters, unique rather than random. Token `id` belongs to
/// `owners[id % owners.len()]`, so several owners' tokens interleave in the table as they do in a live one
/// (rows are written in id order, which PostgreSQL's heap keeps: the product of the digit tables comes out in
/// another). Written by one `INSERT … SELECT` over a product of digit tables, so the database makes the rows:
/// 100 000 tokens take a second or two on any engine where [`add_user_with_tokens`] sends one statement a
/// token. `prefix` is at most 16 ASCII letters or digits.
pub async fn bulk_tokens(
    db: &TestDatabase,
    owners: &[i64],
    ids: RangeInclusive<i64>,
    prefix: &str,
) {
    assert!(!owners.is_empty(), "bulk_tokens: no owner");
    assert!(
        prefix.len() <= 16 && prefix.bytes().all(|b| b.is_ascii_alphanumeric()),
        "bulk_tokens: prefix {prefix:?} must be at most 16 ASCII letters or digits"
    );
    let (first, count) = (*ids.start(), ids.end() - ids.start() + 1);
    if count <= 0 {
        return;
    }
    let digits = "(SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL \
                  SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 \
                  UNION ALL SELECT 9)";
    // Digit tables enough for `count` numbers: 10^places >= count.
    let places = (1..).find(|&k| 10i64.pow(k) >= count).unwrap_or(1) as usize;
    let tables: Vec<String> = (0..places).map(|k| format!("{digits} d{k}")).collect();
    let number: Vec<String> = (0..places)
        .map(|k| format!("{} * d{k}.n", 10i64.pow(k as u32)))
        .collect();
    let width = 48 - prefix.len();
    let (quote, key, name) = match db.engine {
        Engine::Sqlite => (
            '"',
            format!("printf('%s%0{width}d', '{prefix}', id)"),
            format!("'{prefix}-' || id"),
        ),
        Engine::Postgres => (
            '"',
            format!("'{prefix}' || lpad(id::text, {width}, '0')"),
            format!("'{prefix}-' || id"),
        ),
        Engine::MySql => (
            '`',
            format!("CONCAT('{prefix}', LPAD(id, {width}, '0'))"),
            format!("CONCAT('{prefix}-', id)"),
        ),
    };
    let arms: Vec<String> = (0..)
        .zip(owners)
        .map(|(index, owner)| format!("WHEN {index} THEN {owner}"))
        .collect();
    let owner = format!("CASE id % {} {} END", owners.len(), arms.join(" "));
    let state = initial_state();
    let fields: Vec<String> = Field::ALL
        .iter()
        .map(|field| format!("{quote}{}{quote}", field.name()))
        .collect();
    let values: Vec<String> = Field::ALL
        .iter()
        .map(|field| literal(db.engine, state.get(*field)))
        .collect();
    let sql = format!(
        "INSERT INTO tokens (id, user_id, {quote}key{quote}, status, name, created_time, accessed_time, \
         used_quota, cross_group_retry, billing_type, {fields}) \
         SELECT id, {owner}, {key}, {status}, {name}, 1700000000 + id, 1700000000 + id, 0, FALSE, 0, {values} \
         FROM (SELECT {first} + n AS id FROM (SELECT {number} AS n FROM {tables}) numbers \
         WHERE n < {count}) ids ORDER BY id",
        fields = fields.join(", "),
        status = state.status,
        values = values.join(", "),
        number = number.join(" + "),
        tables = tables.join(" CROSS JOIN "),
    );
    db.execute(&sql).await;
    if db.engine == Engine::Postgres {
        // Explicit ids leave the bigserial sequence behind, as in `Store::insert_tokens`.
        db.execute(
            "SELECT setval(pg_get_serial_sequence('tokens', 'id'), \
             GREATEST((SELECT COALESCE(MAX(id), 0) FROM tokens), 1))",
        )
        .await;
    }
}

/// A field's value as an SQL literal.
fn literal(engine: Engine, value: Value<'_>) -> String {
    match value {
        Value::Integer(number) => number.to_string(),
        Value::Boolean(flag) => if flag { "TRUE" } else { "FALSE" }.to_owned(),
        Value::Text(text) => {
            let text = text.replace('\'', "''");
            match engine {
                Engine::MySql => format!("'{}'", text.replace('\\', "\\\\")),
                _ => format!("'{text}'"),
            }
        }
    }
}
