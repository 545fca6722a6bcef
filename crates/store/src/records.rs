//! Rows as tokenbatch reads and writes them.

use sqlx::Row;
use tokenbatch_rules::apply::TokenState;

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
}

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

/// The columns of [`TokenState`], in the order [`state_from_row`] reads them.
pub(crate) fn state_columns(d: Dialect) -> String {
    format!(
        "{status}, {group}, {expired}, {remain}, {unlimited}, {models}, {models_enabled}, {ips}, {mj_mode}, \
         {mj_proxy}",
        status = d.integer("status", 1),
        group = d.text(&d.quote("group")),
        expired = d.integer("expired_time", -1),
        remain = d.integer("remain_quota", 0),
        unlimited = d.boolean("unlimited_quota"),
        models = d.text("model_limits"),
        models_enabled = d.boolean("model_limits_enabled"),
        ips = d.text("allow_ips"),
        mj_mode = d.text("mj_image_mode"),
        mj_proxy = d.text("mj_custom_proxy"),
    )
}

pub(crate) fn state_from_row<R: Row>(row: &R, first: usize) -> Result<TokenState, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(TokenState {
        status: row.try_get(first)?,
        group: row.try_get(first + 1)?,
        expired_time: row.try_get(first + 2)?,
        remain_quota: row.try_get(first + 3)?,
        unlimited_quota: row.try_get::<i64, _>(first + 4)? != 0,
        model_limits: row.try_get(first + 5)?,
        model_limits_enabled: row.try_get::<i64, _>(first + 6)? != 0,
        allow_ips: row.try_get(first + 7)?,
        mj_image_mode: row.try_get(first + 8)?,
        mj_custom_proxy: row.try_get(first + 9)?,
    })
}

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
