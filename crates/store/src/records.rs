//! Rows as tokenbatch reads and writes them.

use sqlx::Row;
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Field, Value};

use crate::dialect::Dialect;
use crate::StoreError;

/// A user of new-api, as far as authentication and group choice need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    /// 1 enabled, 2 disabled (new-api's `common.UserStatus*`).
    pub status: i64,
    /// 1 common, 10 admin, 100 root.
    pub role: i64,
    pub group: String,
    /// The system access token; `None` or empty when the user never generated one.
    pub access_token: Option<String>,
}

impl UserRecord {
    pub const STATUS_ENABLED: i64 = 1;

    pub(crate) fn from_row<R: Row>(row: &R) -> Result<UserRecord, StoreError>
    where
        for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Option<String>: sqlx::Decode<'r, R::Database>,
        usize: sqlx::ColumnIndex<R>,
    {
        Ok(UserRecord {
            id: row.try_get(0)?,
            username: row.try_get(1)?,
            status: row.try_get(2)?,
            role: row.try_get(3)?,
            group: row.try_get(4)?,
            access_token: row.try_get(5)?,
        })
    }
}

/// A token as new-api stores it (the key in full: callers must mask it before it leaves the process).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub key: String,
    pub name: String,
    pub created_time: i64,
    pub accessed_time: i64,
    pub used_quota: i64,
    pub cross_group_retry: bool,
    pub state: TokenState,
    /// The owner's username, read only for root's lists over other users (`user_id`, docs/SPEC.md §13);
    /// None otherwise.
    pub owner_username: Option<String>,
}

/// How many columns [`token_columns`] lists: eight, the status, then every field.
pub(crate) const TOKEN_COLUMNS: usize = 9 + Field::ALL.len();

/// The column list matching [`TokenRecord::from_row`]. NULLs (possible in databases new-api wrote through
/// older versions) read as new-api's defaults.
pub(crate) fn token_columns(d: Dialect) -> String {
    format!(
        "{id}, {user_id}, {key}, {name}, {created}, {accessed}, {used}, {cross}, {state}",
        id = d.integer("id", 0),
        user_id = d.integer("user_id", 0),
        key = d.text(&d.quote("key")),
        name = d.text("name"),
        created = d.integer("created_time", 0),
        accessed = d.integer("accessed_time", 0),
        used = d.integer("used_quota", 0),
        cross = d.boolean("cross_group_retry"),
        state = state_columns(d),
    )
}

/// One writable field's column as the store reads it: NULL (possible in databases new-api wrote through
/// older versions) reads as new-api's value for it ([`Field::null_value`]), booleans as 0 / 1. `table` is
/// empty or a table alias with its dot.
pub(crate) fn field_column(d: Dialect, field: Field, table: &str) -> String {
    let column = format!("{table}{}", d.quote(field.name()));
    match field.null_value() {
        Value::Text(_) => d.text(&column),
        Value::Integer(null) => d.integer(&column, null),
        Value::Boolean(_) => d.boolean(&column),
    }
}

/// The columns of [`TokenState`], in the order [`state_from_row`] reads them: the status, then every field
/// in [`Field::ALL`] order.
pub(crate) fn state_columns(d: Dialect) -> String {
    let mut columns = vec![d.integer("status", 1)];
    columns.extend(Field::ALL.map(|field| field_column(d, field, "")));
    columns.join(", ")
}

pub(crate) fn state_from_row<R: Row>(row: &R, first: usize) -> Result<TokenState, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let mut state = TokenState {
        status: row.try_get(first)?,
        ..TokenState::default()
    };
    for (index, field) in Field::ALL.into_iter().enumerate() {
        let column = first + 1 + index;
        match field.null_value() {
            Value::Text(_) => state.set_text(field, row.try_get(column)?),
            Value::Integer(_) => state.set(field, Value::Integer(row.try_get(column)?)),
            Value::Boolean(_) => {
                state.set(field, Value::Boolean(row.try_get::<i64, _>(column)? != 0))
            }
        };
    }
    Ok(state)
}

/// Binds one field's value to a query of any engine.
macro_rules! bind_value {
    ($query:expr, $value:expr) => {
        match $value {
            tokenbatch_rules::Value::Text(text) => $query.bind(text),
            tokenbatch_rules::Value::Integer(integer) => $query.bind(integer),
            tokenbatch_rules::Value::Boolean(boolean) => $query.bind(boolean),
        }
    };
}
pub(crate) use bind_value;

impl TokenRecord {
    pub(crate) fn from_row<R: Row>(row: &R) -> Result<TokenRecord, StoreError>
    where
        for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        usize: sqlx::ColumnIndex<R>,
    {
        Ok(TokenRecord {
            id: row.try_get(0)?,
            user_id: row.try_get(1)?,
            key: row.try_get(2)?,
            name: row.try_get(3)?,
            created_time: row.try_get(4)?,
            accessed_time: row.try_get(5)?,
            used_quota: row.try_get(6)?,
            cross_group_retry: row.try_get::<i64, _>(7)? != 0,
            state: state_from_row(row, 8)?,
            owner_username: None,
        })
    }
}

/// A user to create (`tokenbatch user add`, the demo seed, tests).
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    /// new-api stores a bcrypt hash; tokenbatch never checks passwords, so an unusable value is fine.
    pub password_hash: String,
    pub role: i64,
    pub status: i64,
    pub access_token: String,
    pub group: String,
    pub aff_code: String,
}

/// A token to create.
#[derive(Clone, Debug)]
pub struct NewToken {
    /// `None` lets the database pick.
    pub id: Option<i64>,
    pub user_id: i64,
    pub key: String,
    pub name: String,
    pub created_time: i64,
    pub used_quota: i64,
    pub state: TokenState,
}
