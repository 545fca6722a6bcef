//! Queries of new-api's `users` table.

use sqlx::Row;

use crate::dialect::Dialect;
use crate::session::with_connection;
use crate::{NewUser, Pool, Store, StoreError, UserRecord};

/// The columns of new-api's `users` row that its `GET /api/user/self` (controller/user.go `GetSelf`) answers
/// and that every new-api schema tokenbatch runs on has: never the password, the system access token or any
/// other secret, nor third-party login ids and settings, which the page has no use for. NULLs read as
/// new-api's defaults ('' and 0; role and status 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserProfile {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// 1 common, 10 admin, 100 root.
    pub role: i64,
    /// 1 enabled, 2 disabled.
    pub status: i64,
    pub email: String,
    pub group: String,
    pub quota: i64,
    pub used_quota: i64,
    pub request_count: i64,
}

impl Store {
    /// The user with this id, unless soft-deleted.
    pub async fn find_user(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        let sql = self.user_select("id = ?");
        with_connection!(self, |conn| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(conn).await?;
            row.map(|row| UserRecord::from_row(&row)).transpose()
        })
    }

    /// The user with this username, unless soft-deleted.
    pub async fn find_user_by_username(
        &self,
        username: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let sql = self.user_select("username = ?");
        with_connection!(self, |conn| {
            let row = sqlx::query(&sql)
                .bind(username)
                .fetch_optional(conn)
                .await?;
            row.map(|row| UserRecord::from_row(&row)).transpose()
        })
    }

    /// What `GET /api/user/self` shows of the user with this id (see [`UserProfile`]), unless soft-deleted.
    pub async fn find_user_profile(&self, id: i64) -> Result<Option<UserProfile>, StoreError> {
        let d = self.dialect();
        let sql = d.sql(&format!(
            "SELECT {id}, {username}, {display_name}, {role}, {status}, {email}, {group}, {quota}, \
             {used_quota}, {request_count} FROM users WHERE id = ? AND deleted_at IS NULL",
            id = d.integer("id", 0),
            username = d.text("username"),
            display_name = d.text("display_name"),
            role = d.integer("role", 1),
            status = d.integer("status", 1),
            email = d.text("email"),
            group = d.text(&d.quote("group")),
            quota = d.integer("quota", 0),
            used_quota = d.integer("used_quota", 0),
            request_count = d.integer("request_count", 0),
        ));
        with_connection!(self, |conn| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(conn).await?;
            row.map(|row| {
                Ok(UserProfile {
                    id: row.try_get(0)?,
                    username: row.try_get(1)?,
                    display_name: row.try_get(2)?,
                    role: row.try_get(3)?,
                    status: row.try_get(4)?,
                    email: row.try_get(5)?,
                    group: row.try_get(6)?,
                    quota: row.try_get(7)?,
                    used_quota: row.try_get(8)?,
                    request_count: row.try_get(9)?,
                })
            })
            .transpose()
        })
    }

    fn user_select(&self, condition: &str) -> String {
        let d = self.dialect();
        d.sql(&format!(
            "SELECT {id}, {username}, {status}, {role}, {group}, access_token FROM users \
             WHERE {condition} AND deleted_at IS NULL",
            id = d.integer("id", 0),
            username = d.text("username"),
            status = d.integer("status", 1),
            role = d.integer("role", 1),
            group = d.text(&d.quote("group")),
        ))
    }

    /// Inserts a user and returns its id.
    pub async fn insert_user(&self, user: &NewUser) -> Result<i64, StoreError> {
        let d = self.dialect();
        let returning = if d == Dialect::Postgres {
            " RETURNING id"
        } else {
            ""
        };
        let sql = d.sql(&format!(
            "INSERT INTO users (username, password, display_name, role, status, access_token, {group}, \
             aff_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?){returning}",
            group = d.quote("group"),
        ));
        macro_rules! insert {
            () => {
                sqlx::query(&sql)
                    .bind(&user.username)
                    .bind(&user.password_hash)
                    .bind(&user.username)
                    .bind(user.role)
                    .bind(user.status)
                    .bind(&user.access_token)
                    .bind(&user.group)
                    .bind(&user.aff_code)
            };
        }
        Ok(match &self.pool {
            Pool::Sqlite(pool) => insert!().execute(pool).await?.last_insert_rowid(),
            Pool::Postgres(pool) => insert!().fetch_one(pool).await?.try_get::<i64, _>(0)?,
            Pool::MySql(pool) => insert!().execute(pool).await?.last_insert_id() as i64,
        })
    }
}
